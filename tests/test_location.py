"""Tests of :mod:`dicomsign.location`: DCMTK 3.6.7's ``--sign-item`` location strings.

Unit tests check the grammar and messages on a file built here; differential tests run the real
``/usr/bin/dcmsign --sign-item KEY CERT LOCATION`` on the same strings and compare its exit code
and messages, or, when DCMTK signs, the item where its signature landed.
"""

from __future__ import annotations

import random
import re
import struct
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pydicom
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pydicom._dicom_dict import DicomDictionary, RepeatersDictionary
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, JPEGBaseline8Bit

from dicomsign import _core
from dicomsign.engine import ensure_dictionary
from dicomsign.exceptions import SignatureCreationError
from dicomsign.exitcodes import ExitCode
from dicomsign.location import format_location, resolve_location, resolve_path
from dicomsign.tags import dcmtk_keyword_tag

DCMTK = "/usr/bin/dcmsign"
DICOM_DIC = Path("/usr/share/libdcmtk17/dicom.dic")
PRIVATE_DIC = Path("/usr/share/libdcmtk17/private.dic")
FINAL = "desired signature location not found while creating signature in item '{}'"
EMPTY = "selected dataset or item is empty, nothing to sign while creating signature in item '{}'"

OTHER_IDS = 0x00101002
CONTENT = 0x0040A730
CONCEPT = 0x0040A043
REF_PATIENT = 0x00081120
PRIVATE_SQ = 0x00091001
UN_SQ = 0x00111001

# -- fixtures --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signer:
    key: Path
    cert: Path


@pytest.fixture(scope="session")
def signer(tmp_path_factory: pytest.TempPathFactory) -> Signer:
    """A self-signed RSA key and certificate valid since yesterday."""
    directory = tmp_path_factory.mktemp("location-signer")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dicomsign location test")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    result = Signer(directory / "key.pem", directory / "cert.pem")
    result.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    result.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return result


def _code_item() -> Dataset:
    item = Dataset()
    item.CodeValue = "1"
    item.CodingSchemeDesignator = "DCM"
    item.CodeMeaning = "x"
    return item


@pytest.fixture(scope="session")
def nested_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Explicit VR LE file with sequences nested three levels deep (see the layout below).

    * OtherPatientIDsSequence: 2 items, each PatientID and TypeOfPatientID;
    * ContentSequence: 3 items ``i``, each ValueType and a ContentSequence of ``i + 1`` items,
      each of those ValueType, TextValue and a ConceptNameCodeSequence of 1 item;
    * ReferencedSeriesSequence: no items; ReferencedPatientSequence: 1 empty item;
    * PatientName, PatientID, a private creator (0009,0010) and (0009,1010) LO.
    """
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = "1.2.826.0.1.3680043.2.1143.77"
    ds.PatientName = "Doe^John"
    ds.PatientID = "123"
    ids = []
    for i in range(2):
        item = Dataset()
        item.PatientID = f"P{i}"
        item.TypeOfPatientID = "TEXT"
        ids.append(item)
    ds.OtherPatientIDsSequence = Sequence(ids)
    outer = []
    for i in range(3):
        item = Dataset()
        item.ValueType = "CONTAINER"
        inner = []
        for j in range(i + 1):
            sub = Dataset()
            sub.ValueType = "TEXT"
            sub.TextValue = f"t{i}{j}"
            sub.ConceptNameCodeSequence = Sequence([_code_item()])
            inner.append(sub)
        item.ContentSequence = Sequence(inner)
        outer.append(item)
    ds.ContentSequence = Sequence(outer)
    ds.ReferencedSeriesSequence = Sequence([])
    ds.ReferencedPatientSequence = Sequence([Dataset()])
    ds.add_new(0x00090010, "LO", "ACME")
    ds.add_new(0x00091010, "LO", "private")
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    path = tmp_path_factory.mktemp("location-files") / "nested.dcm"
    ds.save_as(path, enforce_file_format=True)
    return path


def _explicit(tag: int, vr: str, value: bytes | None) -> bytes:
    """An explicit VR LE element header (and value); None = undefined length."""
    if vr in ("OB", "SQ", "UN"):
        length = 0xFFFFFFFF if value is None else len(value)
        return struct.pack("<HH2sHI", tag >> 16, tag & 0xFFFF, vr.encode(), 0, length) + (
            value or b""
        )
    assert value is not None
    return struct.pack("<HH2sH", tag >> 16, tag & 0xFFFF, vr.encode(), len(value)) + value


def _implicit(tag: int, value: bytes) -> bytes:
    return struct.pack("<HHI", tag >> 16, tag & 0xFFFF, len(value)) + value


def _item(body: bytes, *, defined: bool = False) -> bytes:
    if defined:
        return struct.pack("<HHI", 0xFFFE, 0xE000, len(body)) + body
    return (
        struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF)
        + body
        + struct.pack("<HHI", 0xFFFE, 0xE00D, 0)
    )


SEQUENCE_END = struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)


@pytest.fixture(scope="session")
def exotic_file(nested_file: Path) -> Path:
    """JPEG Baseline file with a private SQ, a CP-246 UN sequence and encapsulated pixel data.

    (0009,1001) SQ (creator ACME), undefined length, 2 items with PatientID; (0011,1001) UN of
    undefined length holding 1 implicit VR item (DCMTK reads it as a sequence); ContentSequence
    nested 3 levels with undefined lengths (1 item, then 2, then 1); PixelData encapsulated.
    """
    ds = pydicom.dcmread(nested_file, stop_before_pixels=True)
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    meta = pydicom.filebase.DicomBytesIO()
    pydicom.filewriter.write_file_meta_info(meta, ds.file_meta, enforce_standard=True)
    leaf = _explicit(0x0040A040, "CS", b"TEXT")
    middle = (
        _explicit(0x0040A040, "CS", b"CONTAINER ")
        + _explicit(CONTENT, "SQ", None)
        + _item(leaf)
        + SEQUENCE_END
    )
    top = (
        _explicit(0x0040A040, "CS", b"CONTAINER ")
        + _explicit(CONTENT, "SQ", None)
        + _item(middle)
        + _item(middle)
        + SEQUENCE_END
    )
    body = (
        _explicit(0x00080016, "UI", b"1.2.840.10008.5.1.4.1.1.7\0")
        + _explicit(0x00080018, "UI", b"1.2.826.0.1.3680043.2.1143.77\0")
        + _explicit(0x00090010, "LO", b"ACME")
        + _explicit(PRIVATE_SQ, "SQ", None)
        + _item(_explicit(0x00100020, "LO", b"A1"))
        + _item(_explicit(0x00100020, "LO", b"A2"), defined=True)
        + SEQUENCE_END
        + _explicit(0x00100010, "PN", b"Doe ")
        + _explicit(0x00110010, "LO", b"UNSQ")
        + _explicit(UN_SQ, "UN", None)
        + _item(_implicit(0x00100020, b"U1"))
        + SEQUENCE_END
        + _explicit(CONTENT, "SQ", None)
        + _item(top)
        + SEQUENCE_END
        + _explicit(0x7FE00010, "OB", None)
        + _item(b"", defined=True)
        + _item(b"\xff\xd8\xff\xd9", defined=True)
        + SEQUENCE_END
    )
    path = nested_file.parent / "exotic.dcm"
    path.write_bytes(b"\0" * 128 + b"DICM" + meta.getvalue() + body)
    return path


@pytest.fixture(scope="session")
def nested_doc(nested_file: Path) -> _core.Document:
    ensure_dictionary()
    return _core.Document.open(str(nested_file))


@pytest.fixture(scope="session")
def exotic_doc(exotic_file: Path) -> _core.Document:
    ensure_dictionary()
    return _core.Document.open(str(exotic_file))


# -- helpers ---------------------------------------------------------------------------------


def _error(location: str, doc: _core.Document) -> str:
    with pytest.raises(SignatureCreationError) as info:
        resolve_location(doc, location)
    assert info.value.exit_code == ExitCode.SIGNATURE_CREATION_FAILED
    lines = info.value.message.split("\n")
    assert lines[-1] == FINAL.format(location.split("\0")[0])
    return "\n".join(lines[:-1])


def _dcmtk_sign_item(signer: Signer, path: Path, location: str, out: Path) -> tuple[int, str]:
    """Run DCMTK; return its exit code and output without the CP-246 read warnings."""
    proc = subprocess.run(
        ["dcmsign", "--sign-item", str(signer.key), str(signer.cert), location, path, out],
        executable=DCMTK,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        check=False,
    )
    text = proc.stdout.decode("utf-8", "surrogateescape")
    lines = text.splitlines(keepends=True)
    return proc.returncode, "".join(x for x in lines if not x.startswith("W: Found element"))


def _signature_containers(path: Path) -> list[list[tuple[int, int]]]:
    """Containers of every Digital Signatures Sequence in a file (read with pydicom)."""
    found: list[list[tuple[int, int]]] = []

    def walk(item: Dataset, container: list[tuple[int, int]]) -> None:
        for element in item:
            if element.tag == 0xFFFAFFFA:
                found.append(container)
            elif element.VR == "SQ":
                for index, child in enumerate(element.value):
                    walk(child, [*container, (int(element.tag), index)])

    walk(pydicom.dcmread(path), [])
    return found


def _compare_with_dcmtk(
    doc: _core.Document, path: Path, location: str, signer: Signer, out: Path
) -> str | None:
    """None if DCMTK and we agree on ``location``, else a description of the difference."""
    code, text = _dcmtk_sign_item(signer, path, location, out)
    try:
        container = resolve_location(doc, location)
    except SignatureCreationError as exc:
        ours = "".join(f"E: {line}\n" for line in exc.message.split("\n"))
        if code == int(exc.exit_code) == 85 and text == ours:
            return None
        return f"{location!r}: DCMTK {code} {text!r}, ours {ours!r}"
    if not doc.elements(container):
        empty = "".join(f"E: {line}\n" for line in EMPTY.format(location).split("\n"))
        if code == 85 and text == empty:
            return None
    elif code == 0 and _signature_containers(out) == [container]:
        return None
    return f"{location!r}: DCMTK {code} {text!r}, ours {container}"


# -- grammar and messages (no DCMTK) ---------------------------------------------------------

ACCEPTED = [
    ("OtherPatientIDsSequence[0]", [(OTHER_IDS, 0)]),
    ("OtherPatientIDsSequence[1]", [(OTHER_IDS, 1)]),
    (" \t\n\v\f\rOtherPatientIDsSequence\t[1]\r\n ", [(OTHER_IDS, 1)]),
    ("OtherPatientIDsSequence[00]", [(OTHER_IDS, 0)]),
    ("(0010,1002)[1]", [(OTHER_IDS, 1)]),
    ("( 0010,1002)[0]", [(OTHER_IDS, 0)]),
    ("(0010, 1002)[0]", [(OTHER_IDS, 0)]),
    ("(10,1002)[0]", [(OTHER_IDS, 0)]),
    ("(0010,1002 )[0]", [(OTHER_IDS, 0)]),
    ("(0010,1002zz)[0]", [(OTHER_IDS, 0)]),
    ("(+0x10,0X1002)[0]", [(OTHER_IDS, 0)]),
    ("(10010,1002)[0]", [(OTHER_IDS, 0)]),
    ("(0040,A730)[2]", [(CONTENT, 2)]),
    ("OtherPatientIDsSequence[4294967296]", [(OTHER_IDS, 0)]),
    ("OtherPatientIDsSequence[4294967297]", [(OTHER_IDS, 1)]),
    ("ContentSequence[1].ContentSequence[1]", [(CONTENT, 1), (CONTENT, 1)]),
    ("ContentSequence[2]. ContentSequence[2].\tConceptNameCodeSequence[0]", [
        (CONTENT, 2), (CONTENT, 2), (CONCEPT, 0)
    ]),
    ("ContentSequence[2].(0040,a730)[0].(40,a043)[0]  ", [
        (CONTENT, 2), (CONTENT, 0), (CONCEPT, 0)
    ]),
    ("ReferencedPatientSequence[0]", [(REF_PATIENT, 0)]),
    ("OtherPatientIDsSequence[1]\0anything", [(OTHER_IDS, 1)]),
]  # fmt: skip


@pytest.mark.parametrize(("location", "container"), ACCEPTED)
def test_accepted_locations(
    nested_doc: _core.Document, location: str, container: list[tuple[int, int]]
) -> None:
    assert resolve_location(nested_doc, location) == container


def _parse_error(location: str) -> str:
    return f"parse error in item location string '{location}'"


def _unknown(name: str, location: str) -> str:
    return f"attribute name '{name}' unknown.\n{_parse_error(location)}"


def _incomplete(location: str) -> str:
    return f"item location string '{location}' incomplete."


def _where(location: str) -> str:
    return f"(item location string is '{location}')"


L1 = "OtherPatientIDsSequence[0].(0010,0020)x[0]"
L2 = "ContentSequence[0].ContentSequence[0].ConceptNameCodeSequence[0].CodeValue[0]"
L3 = "ReferencedImageSequence[0].Foo[0]"
L4 = "ContentSequence[0].ContentSequence[1]"
REJECTED: list[tuple[str, Callable[[str], str]]] = [
    ("PatientName[0]", lambda s: f"attribute (0010,0010) is not a sequence {_where(s)}"),
    ("ReferencedImageSequence[0]", lambda s: f"attribute (0008,1140) not found in dataset {_where(s)}"),
    ("ReferencedSeriesSequence[0]", lambda s: f"sequence (0008,1115) only has 0 items, cannot locate item 0 {_where(s)}"),
    ("OtherPatientIDsSequence[5]", lambda s: f"sequence (0010,1002) only has 2 items, cannot locate item 5 {_where(s)}"),
    ("OtherPatientIDsSequence[99999999999999999999]", lambda s: f"sequence (0010,1002) only has 2 items, cannot locate item 4294967295 {_where(s)}"),
    (L1, lambda s: f"attribute (0010,0020) is not a sequence {_where(s)}"),
    (L2, lambda s: f"attribute (0008,0100) is not a sequence {_where(s)}"),
    (L3, lambda s: f"attribute (0008,1140) not found in dataset {_where(s)}"),
    (L4, lambda s: f"sequence (0040,a730) only has 1 items, cannot locate item 1 {_where(s)}"),
    ("(0002,0010)[0]", lambda s: f"attribute (0002,0010) not found in dataset {_where(s)}"),
    ("(0009,1010)[0]", lambda s: f"attribute (0009,1010) is not a sequence {_where(s)}"),
    ("PrivateCreator[0]", lambda s: f"attribute (0009,0010) is not a sequence {_where(s)}"),
    ("OverlayData[0]", lambda s: f"attribute (6000,3000) not found in dataset {_where(s)}"),
    ("(-1,a730)[0]", lambda s: f"attribute (ffff,a730) not found in dataset {_where(s)}"),
    ("(0x,1002)[0]", lambda s: f"attribute (0000,1002) not found in dataset {_where(s)}"),
    ("", _incomplete),
    ("  ", _incomplete),
    ("(0010,1002)", _incomplete),
    ("OtherPatientIDsSequence", _incomplete),
    ("OtherPatientIDsSequence[0].", _incomplete),
    ("OtherPatientIDsSequence[0].  ", _incomplete),
    ("Foo[0]", lambda s: _unknown("Foo", s)),
    ("Other-Patient[0]", lambda s: _unknown("Other", s)),
    ("OtherPatientIDsSequence[0]x", lambda s: _unknown("x", s)),
    ("OtherPatientIDsSequence[0]]", lambda s: _unknown("", s)),
    ("otherPatientIDsSequence[0]", lambda s: _unknown("otherPatientIDsSequence", s)),
    ("ReferencedOverlaySequence[0]", lambda s: _unknown("ReferencedOverlaySequence", s)),
    ("RETIRED_ReferencedOverlaySequence[0]", lambda s: _unknown("RETIRED", s)),
    ("SyntheticData[0]", lambda s: _unknown("SyntheticData", s)),
    ("é[0]", lambda s: _unknown("", s)),
    ("OtherPatientIDsSequence[0", _parse_error),
    ("OtherPatientIDsSequence[0] .PatientID[0]", _parse_error),
    ("OtherPatientIDsSequence[0]\t.PatientID[0]", _parse_error),
    ("OtherPatientIDsSequence[ 0]", _parse_error),
    ("OtherPatientIDsSequence[0 ]", _parse_error),
    ("OtherPatientIDsSequence[]", _parse_error),
    ("OtherPatientIDsSequence[x]", _parse_error),
    ("OtherPatientIDsSequence[-1]", _parse_error),
    ("OtherPatientIDsSequence[+0]", _parse_error),
    ("OtherPatientIDsSequence[0][0]", _parse_error),
    ("OtherPatientIDsSequence[0]PatientName[0]", _parse_error),
    ("OtherPatientIDsSequence[0]..PatientName[0]", _parse_error),
    ("OtherPatientIDsSequence[0].(0010,0020", _parse_error),
    ("(zz,1)[0]", _parse_error),
    ("(0010)[0]", _parse_error),
    ("(0010,)[0]", _parse_error),
    ("(0010,1002)(0010,0020)[0]", _parse_error),
    ("OtherPatientIDsSequence PatientName[0]", _parse_error),
    ("[0]", _parse_error),
    (".", _parse_error),
]  # fmt: skip


@pytest.mark.parametrize(("location", "message"), REJECTED)
def test_rejected_locations(
    nested_doc: _core.Document, location: str, message: Callable[[str], str]
) -> None:
    assert _error(location, nested_doc) == message(location)


def test_navigation_errors_come_before_later_syntax_errors(nested_doc: _core.Document) -> None:
    # The unknown keyword is never read: the sequence before it is already missing.
    assert "not found in dataset" in _error("ReferencedImageSequence[0].Foo[0]", nested_doc)
    # The index is range-checked before the bad separator after it is read.
    assert "only has 2 items" in _error("OtherPatientIDsSequence[7]x", nested_doc)
    assert _error("OtherPatientIDsSequence[1]x", nested_doc) == _unknown(
        "x", "OtherPatientIDsSequence[1]x"
    )


def test_location_with_newline_keeps_it_in_every_message(nested_doc: _core.Document) -> None:
    with pytest.raises(SignatureCreationError) as info:
        resolve_location(nested_doc, "Foo\nBar[0]")
    assert info.value.message == (
        "attribute name 'Foo' unknown.\n"
        "parse error in item location string 'Foo\nBar[0]'\n"
        "desired signature location not found while creating signature in item 'Foo\nBar[0]'"
    )


def test_exotic_elements(exotic_doc: _core.Document) -> None:
    assert resolve_location(exotic_doc, "(0009,1001)[1]") == [(PRIVATE_SQ, 1)]
    assert resolve_location(exotic_doc, "(11,1001)[0]") == [(UN_SQ, 0)]
    path = "ContentSequence[0].ContentSequence[1].ContentSequence[0]"
    assert resolve_location(exotic_doc, path) == [(CONTENT, 0), (CONTENT, 1), (CONTENT, 0)]
    assert _error("PixelData[0]", exotic_doc) == (
        f"attribute (7fe0,0010) is not a sequence {_where('PixelData[0]')}"
    )


# -- the Pythonic form -----------------------------------------------------------------------


def test_resolve_path_navigates_like_the_location_string(nested_doc: _core.Document) -> None:
    steps: list[tuple[str | int, int]] = [("ContentSequence", 2), (CONTENT, 1), (CONCEPT, 0)]
    expected = [(CONTENT, 2), (CONTENT, 1), (CONCEPT, 0)]
    assert resolve_path(nested_doc, steps) == expected
    assert resolve_location(nested_doc, "ContentSequence[2].(0040,a730)[1].(0040,a043)[0]") == (
        expected
    )
    assert resolve_path(nested_doc, []) == []


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        (
            [("ContentSequence", 1), ("ContentSequence", 5)],
            (
                "sequence (0040,a730) only has 2 items, cannot locate item 5 "
                "(item location string is 'ContentSequence[1].ContentSequence[5]')"
            ),
        ),
        (
            [(CONTENT, 2**32)],
            (
                "sequence (0040,a730) only has 3 items, cannot locate item 4294967296 "
                "(item location string is '(0040,a730)[4294967296]')"
            ),
        ),
        (
            [("PatientName", 0)],
            "attribute (0010,0010) is not a sequence (item location string is 'PatientName[0]')",
        ),
        (
            [(0x00081140, 0)],
            "attribute (0008,1140) not found in dataset (item location string is '(0008,1140)[0]')",
        ),
        (
            [("OtherPatientIDsSequence", 0), ("Foo", 0)],
            (
                "attribute name 'Foo' unknown.\n"
                "parse error in item location string 'OtherPatientIDsSequence[0].Foo[0]'"
            ),
        ),
        (
            [("Other Patient", 0)],
            (
                "attribute name 'Other Patient' unknown.\n"
                "parse error in item location string 'Other Patient[0]'"
            ),
        ),
        ([("ContentSequence", -1)], "parse error in item location string 'ContentSequence[-1]'"),
        (
            [("ContentSequence", True)],
            "parse error in item location string 'ContentSequence[True]'",
        ),
        ([(-2, 0)], "parse error in item location string '-2[0]'"),
        ([(2**32, 0)], "parse error in item location string '4294967296[0]'"),
        ([("ContentSequence",)], "parse error in item location string '('ContentSequence',)'"),
        ([7], "parse error in item location string '7'"),
    ],
)
def test_resolve_path_errors(nested_doc: _core.Document, steps: object, message: str) -> None:
    with pytest.raises(SignatureCreationError) as info:
        resolve_path(nested_doc, steps)  # type: ignore[arg-type]
    location = re.findall(r"'(.*)'", message.split("\n")[-1])[-1]
    assert info.value.message == f"{message}\n{FINAL.format(location)}"
    assert info.value.exit_code == ExitCode.SIGNATURE_CREATION_FAILED


def _all_containers(doc: _core.Document) -> list[list[tuple[int, int]]]:
    result: list[list[tuple[int, int]]] = [[]]
    for container in result:
        for tag, _vr, _signable, is_sequence in doc.elements(container):
            if is_sequence:
                count = doc.item_count(container, tag) or 0
                result.extend([*container, (tag, i)] for i in range(count))
    return result


def test_format_location_round_trips(nested_doc: _core.Document) -> None:
    containers = _all_containers(nested_doc)
    assert len(containers) == 19
    assert format_location([]) == "Main Dataset"
    assert format_location([(CONTENT, 1), (CONTENT, 0)]) == "ContentSequence[1].ContentSequence[0]"
    for container in containers[1:]:
        assert resolve_location(nested_doc, format_location(container)) == container
        assert resolve_path(nested_doc, container) == container


# -- the keyword table -----------------------------------------------------------------------


def _dcmtk_names(path: Path) -> set[str]:
    """The names of a DCMTK dictionary file."""
    lines = path.read_text(encoding="latin-1").splitlines()
    return {x.split("\t")[2] for x in lines if not x.startswith("#") and x.count("\t") >= 2}


def _public_tag(group_element: str) -> int:
    group, element = group_element.strip("()").split(",")
    return int(group[:4].replace("x", "0") + element[:4].replace("x", "0"), 16)


def test_keywords_are_exactly_the_names_of_dcmtk_dicom_dic() -> None:
    public: dict[str, int] = {}
    for line in DICOM_DIC.read_text(encoding="latin-1").splitlines():
        fields = line.split("\t")
        if not line.startswith("#") and len(fields) >= 3:
            public.setdefault(fields[2], _public_tag(fields[0]))
    spellable = {n: t for n, t in public.items() if re.fullmatch("[A-Za-z0-9]+", n)}
    assert len(spellable) > 4500
    assert {n: dcmtk_keyword_tag(n) for n in spellable} == spellable
    candidates = {e[4] for e in DicomDictionary.values()} | {
        e[4] for e in RepeatersDictionary.values()
    }
    candidates |= {n.removeprefix("RETIRED_") for n in public}
    unknown = sorted(n for n in candidates if n and n not in spellable)
    assert len(unknown) > 500
    # DCMTK would still find a name of its private dictionary (private.dic); not emulated.
    assert [n for n in unknown if dcmtk_keyword_tag(n) is not None] == []


@pytest.mark.parametrize("name", ["", "Patient_Name", "PatientName ", "Pat-ient", "ÄB"])
def test_keywords_outside_the_location_alphabet_are_unknown(name: str) -> None:
    assert dcmtk_keyword_tag(name) is None


# -- differential tests against the real dcmsign ---------------------------------------------

DIFFERENTIAL = [location for location, _ in ACCEPTED if "\0" not in location] + [
    location for location, _ in REJECTED
] + [
    L1.replace("x", ""),
    "Foo\nBar[0]",
    "OtherPatientIDsSequence[0].\udce9[0]",
    "(99999999999999999999,1002)[0]",
    "(1ffff0010,1002)[0]",
    "(0010,1002)zz)[0]",
    "()[0]",
    "(0040 ,a730)[1]",
    "OtherPatientIDsSequence[18446744073709551615]",
    "OtherPatientIDsSequence[18446744073709551616]",
    "OtherPatientIDsSequence[7]x",
    "OtherPatientIDsSequence[1]x",
    "ContentSequence[0] ContentSequence[0]",
    "ContentSequence[0].ContentSequence[0].ConceptNameCodeSequence[0]. ",
    "OtherPatientIDsSequence[0].)",
    "OtherPatientIDsSequence[0].(",
    "..",
    ")",
    "DoseValue[0]",
    "CurrentFrameFunctionalGroupsSequence[0]",
    "GenericGroupLength[0]",
    "Item[0]",
    "RowsForNthOrderCoefficients[0]",
    "SourceImageIDs[0]",
]  # fmt: skip


def test_fixed_locations_match_dcmtk(
    nested_file: Path, nested_doc: _core.Document, signer: Signer, tmp_path: Path
) -> None:
    differences = [
        _compare_with_dcmtk(nested_doc, nested_file, location, signer, tmp_path / f"{n}.dcm")
        for n, location in enumerate(DIFFERENTIAL)
    ]
    assert [d for d in differences if d is not None] == []


EXOTIC = [
    "(0009,1001)[0]",
    "(9,1001)[1].PatientID[0]",
    "(0009,1001)[2]",
    "(0011,1001)[0]",
    "(0011,1001)[1]",
    "(0011,1001)[0].PatientID[0]",
    "PixelData[0]",
    "(7fe0,0010)[1]",
    "ContentSequence[0].ContentSequence[1].ContentSequence[0]",
    "ContentSequence[0].ContentSequence[1].ContentSequence[1]",
    "ContentSequence[0].ContentSequence[2]",
    "ContentSequence[0].ContentSequence[1].ContentSequence[0].ValueType[0]",
    "ContentSequence[0].ContentSequence[0].ContentSequence[0].ContentSequence[0]",
]


def test_exotic_locations_match_dcmtk(
    exotic_file: Path, exotic_doc: _core.Document, signer: Signer, tmp_path: Path
) -> None:
    differences = [
        _compare_with_dcmtk(exotic_doc, exotic_file, location, signer, tmp_path / f"{n}.dcm")
        for n, location in enumerate(EXOTIC)
    ]
    assert [d for d in differences if d is not None] == []


# Children of each sequence in nested_file, for generating paths that mostly exist.
TREE = {
    "": ["OtherPatientIDsSequence", "ContentSequence", "ReferencedPatientSequence", "(0040,a730)"],
    "ContentSequence": ["ContentSequence", "ConceptNameCodeSequence", "(40,A730)"],
    "(0040,a730)": ["ContentSequence"],
    "(40,A730)": ["ConceptNameCodeSequence"],
}
OTHER_NAMES = [
    *("PatientName", "PatientID", "ValueType", "CodeValue", "TextValue", "ReferencedSeriesSequence"),
    *("ReferencedImageSequence", "Foo", "x", "0010", "SyntheticData", "contentSequence"),
    *("(0010,1002)", "(0010,0010)", "( 0040 , a730 )", "(0x0040,0xa730)", "(0009,1010)", "(-0,a730)"),
]  # fmt: skip
INDEXES = ["[00]", "[4294967296]", "[99999999999999999999]", "[]", "[ 0]", "[0 ]", "[-1]", "[x]"]
SEPARATORS = [*["."] * 10, ". ", ".\t", " .", "..", "", "x."]
NOISE = [*"()[]., \t-+x_,0123456789abcdefAF", "é", "]]", "[[", "..", "  "]


def _random_location(rng: random.Random) -> str:
    parts = [rng.choice(["", "", "", " ", "\t"])]
    parent = ""
    for step in range(rng.randint(1, 4)):
        if step:
            parts.append(rng.choice(SEPARATORS))
        children = TREE.get(parent, [])
        if children and rng.random() < 0.85:
            parent = rng.choice(children)
        else:
            parent = rng.choice(OTHER_NAMES)
        number = rng.choice([0, 0, 0, 0, 0, 1, 1, 2])
        index = f"[{number}]" if rng.random() < 0.9 else rng.choice(INDEXES)
        parts += [parent, " " if rng.random() < 0.05 else "", index]
        if parent not in TREE:
            if rng.random() < 0.7:
                break  # mostly stop after a leaf or an odd name
            parent = ""
    text = "".join(parts) + rng.choice(["", "", "", " ", "\n", "."])
    for _ in range(rng.choice([0, 0, 0, 0, 0, 0, 1, 1, 2])):
        pos = rng.randint(0, len(text))
        choice = rng.random()
        if choice < 0.4:
            text = text[:pos] + rng.choice(NOISE) + text[pos:]
        elif choice < 0.7:
            text = text[:pos] + text[pos + 1 :]
        elif choice < 0.85:
            text = text[:pos]
        else:
            text = text[:pos] + rng.choice(NOISE) + text[pos + 1 :]
    return text


def test_random_locations_match_dcmtk(
    nested_file: Path, nested_doc: _core.Document, signer: Signer, tmp_path: Path
) -> None:
    rng = random.Random(20260807)
    locations = [_random_location(rng) for _ in range(150)]
    outcomes = {_outcome(nested_doc, location) for location in locations}
    kinds = {"ok", "ok deep", "parse", "incomplete", "unknown", "not found", "not sq", "items"}
    assert kinds <= outcomes
    differences = [
        _compare_with_dcmtk(nested_doc, nested_file, location, signer, tmp_path / f"{n}.dcm")
        for n, location in enumerate(locations)
    ]
    assert [d for d in differences if d is not None] == []


def _outcome(doc: _core.Document, location: str) -> str:
    """A coarse class of our result, to check that the random strings cover every case."""
    try:
        container = resolve_location(doc, location)
    except SignatureCreationError as exc:
        first = exc.message.split("\n")[0]
        for key, word in [
            ("unknown", "unknown."),
            ("parse", "parse error"),
            ("incomplete", "incomplete."),
            ("not found", "not found in dataset"),
            ("not sq", "is not a sequence"),
            ("items", "items, cannot locate"),
        ]:
            if word in first:
                return key
        return first
    return "ok" if len(container) < 2 else "ok deep"


def test_keyword_sample_matches_dcmtk(
    nested_file: Path, nested_doc: _core.Document, signer: Signer, tmp_path: Path
) -> None:
    private = set(_dcmtk_names(PRIVATE_DIC))
    names = {e[4] for e in DicomDictionary.values()} | {e[4] for e in RepeatersDictionary.values()}
    names |= {n.removeprefix("RETIRED_") for n in _dcmtk_names(DICOM_DIC)}
    # DCMTK also resolves the names of private.dic (not emulated, see dcmtk_keyword_tag).
    pool = sorted(n for n in names if re.fullmatch("[A-Za-z0-9]+", n) and n not in private)
    rng = random.Random(7)
    sample = rng.sample(pool, 40)
    known = [n for n in sample if dcmtk_keyword_tag(n) is not None]
    assert 0 < len(known) < len(sample)
    differences = [
        _compare_with_dcmtk(nested_doc, nested_file, f"{n}[0]", signer, tmp_path / f"{n}.dcm")
        for n in sample
    ]
    assert [d for d in differences if d is not None] == []
