"""Tests of the committed data dictionary table (python/dicomsign/data/dictionary.tsv)."""

from __future__ import annotations

import importlib.util
import re
import struct
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pydicom
import pytest

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "python" / "dicomsign" / "data" / "dictionary.tsv"
GENERATOR = ROOT / "tools" / "gen_dictionary.py"

VRS = {
    *("AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "LT", "OB", "OD"),
    *("OF", "OL", "OV", "OW", "PN", "SH", "SL", "SQ", "SS", "ST", "SV", "TM", "UC", "UI"),
    *("UL", "UN", "UR", "US", "UT", "UV", "xs", "ox", "px", "lt"),
}
HEX8 = re.compile(r"[0-9A-F]{8}")
MASK = re.compile(r"[0-9A-Fx]{8}")
PRIVATE_MASK = re.compile(r"[0-9A-F]{8}|[0-9A-F]{4}xx[0-9A-F]{2}|[0-9A-F]{2}xxxx[0-9A-F]{2}")
KEYWORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_dictionary", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Table:
    """Minimal reader of the table with the lookup algorithm of its header."""

    def __init__(self, text: str) -> None:
        self.exact: dict[int, tuple[str, str]] = {}
        self.masks: list[tuple[int, int, str, str]] = []
        self.private: dict[str, dict[str, str]] = {}
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            fields = line.split("\t")
            if fields[0] == "E":
                self.exact[int(fields[1], 16)] = (fields[2], fields[3])
            elif fields[0] == "M":
                value = int(fields[1].replace("x", "0"), 16)
                care = int("".join("0" if c == "x" else "F" for c in fields[1]), 16)
                self.masks.append((value, care, fields[2], fields[1]))
            elif fields[0] == "P":
                self.private.setdefault(fields[1], {})[fields[2]] = fields[3]

    def lookup(self, group: int, element: int, creator: str | None = None) -> str | None:
        """Return the table VR of a tag (None = unknown), as the Rust reader will."""
        if group % 2 == 0:
            tag = (group << 16) | element
            if tag in self.exact:
                return self.exact[tag][0]
            for value, care, vr, _mask in self.masks:
                if (tag ^ value) & care == 0:
                    return vr
            return None
        if element == 0:
            return "UL"
        if 0x10 <= element <= 0xFF:
            return "LO"
        if element < 0x1000 or creator is None or creator not in self.private:
            return None
        entries = self.private[creator]
        low = element & 0xFF
        for key in (
            f"{group:04X}{element:04X}",
            f"{group:04X}xx{low:02X}",
            f"{group >> 8:02X}xxxx{low:02X}",
        ):
            if key in entries:
                return entries[key]
        return None


@pytest.fixture(scope="module")
def table_text() -> str:
    return TABLE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def table(table_text: str) -> Table:
    return Table(table_text)


def test_committed_table_equals_fresh_generation(table_text: str) -> None:
    generator = _load_generator()
    assert table_text == generator.generate(), "run: python3 tools/gen_dictionary.py"


def test_generator_check_mode(tmp_path: Path) -> None:
    generator = _load_generator()
    out = tmp_path / "dictionary.tsv"
    assert generator.main(["--output", str(out)]) == 0
    assert generator.main(["--check", "--output", str(out)]) == 0
    out.write_text(out.read_text(encoding="utf-8") + "E\t00000000\tUL\tX\n", encoding="utf-8")
    assert generator.main(["--check", "--output", str(out)]) == 1


def test_header_names_pydicom_version(table_text: str) -> None:
    assert f"from pydicom {pydicom.__version__};" in table_text.splitlines()[1]


def test_format(table_text: str) -> None:
    raw = TABLE.read_bytes()
    assert b"\r" not in raw
    raw.decode("utf-8")
    seen_exact: set[str] = set()
    seen_private: set[tuple[str, str]] = set()
    seen_keywords: set[str] = set()
    empty_keywords = 0
    for number, line in enumerate(table_text.splitlines(), 1):
        assert line, f"empty line {number}"
        if line.startswith("#"):
            continue
        fields = line.split("\t")
        kind = fields[0]
        if kind == "E":
            assert len(fields) == 4, number
            assert HEX8.fullmatch(fields[1]), number
            assert fields[1] not in seen_exact, f"duplicate tag line {number}"
            seen_exact.add(fields[1])
            if fields[3] == "":
                empty_keywords += 1
            else:
                assert KEYWORD.fullmatch(fields[3]), number
        elif kind == "M":
            assert len(fields) == 4, number
            assert MASK.fullmatch(fields[1]) and "x" in fields[1], number
            assert KEYWORD.fullmatch(fields[3]), number
        elif kind == "P":
            assert len(fields) == 5, number
            assert fields[1] and fields[1] == fields[1].strip("\t\r\n"), number
            assert PRIVATE_MASK.fullmatch(fields[2]), number
            assert (fields[1], fields[2]) not in seen_private, f"duplicate line {number}"
            seen_private.add((fields[1], fields[2]))
        elif kind == "K":
            assert len(fields) == 4, number
            assert KEYWORD.fullmatch(fields[1]) and fields[1] not in seen_keywords, number
            seen_keywords.add(fields[1])
            assert HEX8.fullmatch(fields[2]) and fields[3] in ("c", "r"), number
            continue
        else:
            raise AssertionError(f"line {number}: unknown kind {kind!r}")
        vr = fields[3] if kind == "P" else fields[2]
        assert vr in VRS, f"line {number}: VR {vr!r}"
    # pydicom has six retired tags without a keyword
    assert empty_keywords == 6


def test_counts_follow_pydicom(table: Table) -> None:
    from pydicom._dicom_dict import DicomDictionary
    from pydicom._private_dict import private_dictionaries

    with_vr = [tag for tag, entry in DicomDictionary.items() if entry[0] != "NONE"]
    assert set(with_vr) <= set(table.exact)
    usable = {
        creator
        for creator, entries in private_dictionaries.items()
        if any(PRIVATE_MASK.fullmatch(mask) for mask in entries)
    }
    assert set(table.private) == usable
    # only creators whose entries all have the never-consulted 'ggggeexx' form are left out
    assert set(private_dictionaries) - usable == {"BioPri3D"}


@pytest.mark.parametrize(
    ("group", "element", "creator", "vr"),
    [
        (0x0010, 0x0010, None, "PN"),
        (0x0008, 0x0018, None, "UI"),
        (0x0002, 0x0000, None, "UL"),
        (0x0004, 0x1200, None, "UL"),  # DCMTK "up", written as UL
        (0x0028, 0x0106, None, "xs"),
        (0x0028, 0x3006, None, "lt"),
        (0x0028, 0x1200, None, "lt"),
        (0x7FE0, 0x0010, None, "px"),
        (0x5400, 0x1010, None, "ox"),
        (0x6000, 0x3000, None, "ox"),
        (0x6002, 0x0010, None, "US"),
        (0x5000, 0x3000, None, "ox"),
        (0x0040, 0xA730, None, "SQ"),
        (0x0008, 0x0000, None, "UL"),  # hand rule: generic group length
        (0x1000, 0x0000, None, "UL"),  # hand rule beats pydicom's 1000xxx0 mask
        (0x0020, 0x3100, None, "CS"),
        (0x0020, 0x3101, None, None),  # DCMTK's (0020,3100-31FF) is even-only
        (0x0028, 0x0410, None, "US"),
        (0x0028, 0x0420, None, None),
        (0x1000, 0x0010, None, "US"),
        (0x1000, 0x0120, None, None),
        (0x1010, 0x0004, None, "US"),
        (0x1010, 0x0006, None, None),
        (0x0009, 0x0000, None, "UL"),
        (0x0029, 0x0010, None, "LO"),
        (0x0029, 0x1008, "SIEMENS CSA HEADER", "CS"),
        (0x0029, 0x1110, "SIEMENS CSA HEADER", "OB"),
        (0x0019, 0x1023, "GEMS_ACQU_01", "DS"),
        (0x0029, 0x1008, "NO SUCH CREATOR", None),
        (0x6001, 0x3000, None, None),
    ],
)
def test_spot_entries(
    table: Table, group: int, element: int, creator: str | None, vr: str | None
) -> None:
    assert table.lookup(group, element, creator) == vr


def test_generic_group_length_is_the_first_mask(table: Table) -> None:
    assert table.masks[0][3] == "xxxx0000"
    assert {mask for *_rest, mask in table.masks}.isdisjoint({"1000xxx0", "1010xxxx", "002031xx"})


def _implicit(elements: list[tuple[int, int, bytes]]) -> bytes:
    return b"".join(struct.pack("<HHI", g, e, len(v)) + v for g, e, v in elements)


def test_table_agrees_with_dcmdump(tmp_path: Path, table: Table) -> None:
    """Read an implicit VR dataset with DCMTK and compare its VRs with the table."""
    probes: list[tuple[int, int, bytes]] = [
        (0x0008, 0x0000, b"\0\0\0\0"),
        (0x0008, 0x0016, b"1.2.3\0"),
        (0x0010, 0x0010, b"DOE^J "),
        (0x0019, 0x0000, b"\0\0\0\0"),
        (0x0019, 0x0010, b"GEMS_ACQU_01"),
        (0x0019, 0x0011, b"UNKNOWN CREATOR "),
        (0x0019, 0x1023, b"1.5 "),
        (0x0019, 0x1110, b"ab"),
        (0x0020, 0x3100, b"AB"),
        (0x0020, 0x3101, b"AB"),
        (0x0028, 0x0410, b"\1\0"),
        (0x0028, 0x0420, b"\1\0"),
        (0x0029, 0x0010, b"SIEMENS CSA HEADER"),
        (0x0029, 0x1008, b"IMAGE NUM 4 "),
        (0x0029, 0x1010, b"\0\0"),
        (0x0040, 0xA730, b""),
        (0x1000, 0x0000, b"\0\0\0\0"),
        (0x1000, 0x0010, b"\0\0\0\0\0\0"),
        (0x1000, 0x0120, b"\0\0"),
        (0x1010, 0x0004, b"\0\0"),
        (0x1010, 0x0006, b"\0\0"),
        (0x6002, 0x0010, b"\1\0"),
    ]
    path = tmp_path / "probe.dcm"
    path.write_bytes(_implicit(probes))
    out = subprocess.run(["dcmdump", "-q", str(path)], capture_output=True, text=True, check=True)
    dumped: dict[tuple[int, int], str] = {}
    for line in out.stdout.splitlines():
        match = re.match(r"\(([0-9a-f]{4}),([0-9a-f]{4})\) (\S\S) ", line)
        if match:
            dumped[(int(match[1], 16), int(match[2], 16))] = match[3]
    creators = {0x10: "GEMS_ACQU_01", 0x11: "UNKNOWN CREATOR"}
    for group, element, _value in probes:
        creator = None
        if group == 0x0019 and element >= 0x1000:
            creator = creators[element >> 8]
        elif group == 0x0029 and element >= 0x1000:
            creator = "SIEMENS CSA HEADER"
        expected = table.lookup(group, element, creator)
        assert dumped[(group, element)] == ("??" if expected is None else expected), (
            f"({group:04X},{element:04X})"
        )


# ------------------------------------------------------------------------------------------
# DCMTK 3.6.7's keywords: one dictionary (the engine's), checked against an expectation built
# here from pydicom's dictionary and the generator's lists of DCMTK's differences.


def _expected_keywords() -> tuple[dict[str, int], dict[str, int]]:
    """(current keywords, retired keywords) of DCMTK 3.6.7, with their tags."""
    from pydicom._dicom_dict import DicomDictionary, RepeatersDictionary

    generator = _load_generator()
    repeaters = {
        entry[4]: int(mask.replace("x", "0"), 16)
        for mask, entry in RepeatersDictionary.items()
        if entry[4]
    }
    repeaters.update(generator.DCMTK_REPEATER_TAGS)
    by_keyword = {entry[4]: tag for tag, entry in DicomDictionary.items() if entry[4]}
    retired = {entry[4] for entry in DicomDictionary.values() if entry[4] and entry[3]}
    for entry in RepeatersDictionary.values():
        if entry[4] and entry[3] and entry[4] not in by_keyword:
            retired.add(entry[4])
    current: dict[str, int] = {}
    old: dict[str, int] = {}
    names = set(by_keyword) | set(repeaters) | set(generator.DCMTK_ONLY_KEYWORDS)
    for name in names - generator.NEWER_THAN_DCMTK:
        tag = by_keyword.get(name, repeaters.get(name, generator.DCMTK_ONLY_KEYWORDS.get(name)))
        if name in retired and name not in generator.CURRENT_IN_DCMTK:
            old[name] = tag
        else:
            current[name] = tag
    return current, old


def test_every_dcmtk_keyword_resolves_as_dcmtk_does() -> None:
    from dicomsign.tags import dcmtk_keyword_tag, tag_for_keyword

    current, retired = _expected_keywords()
    assert len(current) > 4000 and len(retired) > 400
    for name, tag in current.items():
        assert tag_for_keyword(name) == tag, name
        assert dcmtk_keyword_tag(name) == tag, name
        assert tag_for_keyword(f"RETIRED_{name}") is None, name
    for name, tag in retired.items():
        assert tag_for_keyword(f"RETIRED_{name}") == tag, name
        assert tag_for_keyword(name) is None, name
        assert dcmtk_keyword_tag(name) is None, name
    generator = _load_generator()
    for name in sorted(generator.NEWER_THAN_DCMTK)[:50]:
        assert tag_for_keyword(name) is None and dcmtk_keyword_tag(name) is None, name
    for junk in ("", "RETIRED_", "Patient_Name", "patientname", "PatientName ", "(0010,0010)"):
        assert tag_for_keyword(junk) is None and dcmtk_keyword_tag(junk) is None, junk


def test_keyword_lookups_do_not_import_pydicom() -> None:
    code = (
        "import sys\n"
        "from dicomsign.tags import parse_tag_argument, read_token\n"
        "assert parse_tag_argument('PatientName') == 0x00100010\n"
        "assert parse_tag_argument('RETIRED_CurveDimensions') == 0x50000005\n"
        "assert read_token('ContentSequence[0]', 0, [])[2] == 0x0040A730\n"
        "assert 'pydicom' not in sys.modules, 'pydicom imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
