"""Checks that the corpus files are what tests/corpus.py claims they are."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pydicom
import pytest
from pydicom.filereader import read_file_meta_info

from corpus import DCMDUMP_TS_NAMES, EXIT_CANNOT_READ_INPUT, SPECS, CensusEntry

SAME_CONTENT = [
    "implicit_le",
    "explicit_be",
    "deflated",
    "no_meta_explicit_le",
    "no_meta_implicit_le",
]


def _dump(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["dcmdump", "-q", str(path)], capture_output=True, text=True, check=False)


def _normalized(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines()]


def _dataset_lines(path: Path) -> list[str]:
    """dcmdump lines of the data set only (after the last header comment)."""
    lines = _normalized(_dump(path).stdout)
    start = max(i for i, line in enumerate(lines) if line.startswith("# Used TransferSyntax"))
    return lines[start + 1 :]


def test_every_spec_was_built(dicom_corpus: dict[str, Path]) -> None:
    assert list(dicom_corpus) == list(SPECS)
    assert all(path.is_file() for path in dicom_corpus.values())


@pytest.mark.parametrize("name", list(SPECS))
def test_loads_with_dcmdump(dicom_corpus: dict[str, Path], name: str) -> None:
    done = _dump(dicom_corpus[name])
    if SPECS[name].broken:
        assert done.returncode != 0
        verify = subprocess.run(
            ["dcmsign", str(dicom_corpus[name])], capture_output=True, check=False
        )
        assert verify.returncode == EXIT_CANNOT_READ_INPUT
    else:
        assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("name", [name for name, spec in SPECS.items() if not spec.broken])
def test_transfer_syntax_and_content(dicom_corpus: dict[str, Path], name: str) -> None:
    spec = SPECS[name]
    path = dicom_corpus[name]
    if spec.meta_ts is None:
        assert path.read_bytes()[128:132] != b"DICM"
    else:
        assert read_file_meta_info(path).TransferSyntaxUID == spec.meta_ts
    output = _normalized(_dump(path).stdout)
    used = [line for line in output if line.startswith("# Used TransferSyntax:")]
    assert used[-1] == f"# Used TransferSyntax: {DCMDUMP_TS_NAMES[spec.dataset_ts]}"
    text = "\n".join(output)
    for claim in spec.dump_lines:
        assert " ".join(claim.split()) in text, claim


@pytest.mark.parametrize("name", SAME_CONTENT)
def test_transfer_syntax_variants_have_the_same_content(
    dicom_corpus: dict[str, Path], name: str
) -> None:
    assert _dataset_lines(dicom_corpus[name]) == _dataset_lines(dicom_corpus["explicit_le"])


def test_pydicom_reads_the_same_pixels(dicom_corpus: dict[str, Path]) -> None:
    reference = pydicom.dcmread(dicom_corpus["explicit_le"]).PixelData
    for name in ("implicit_le", "deflated"):
        assert pydicom.dcmread(dicom_corpus[name]).PixelData == reference
    big = pydicom.dcmread(dicom_corpus["explicit_be"]).PixelData
    swapped = b"".join(big[i + 1 : i + 2] + big[i : i + 1] for i in range(0, len(big), 2))
    assert swapped == reference


def test_multiframe_has_many_fragments(dicom_corpus: dict[str, Path]) -> None:
    ds = pydicom.dcmread(dicom_corpus["jpeg_multiframe_fragments"])
    assert ds.NumberOfFrames == 8
    offsets, *fragments = pydicom.encaps.generate_fragments(ds.PixelData)
    assert len(offsets) == 8 * 4  # Basic Offset Table with one offset per frame
    assert len(fragments) == 32
    assert max(len(fragment) for fragment in fragments) <= 1024


def test_undefined_lengths_are_undefined(dicom_corpus: dict[str, Path]) -> None:
    data = dicom_corpus["nested_undefined_length"].read_bytes()
    assert data.count(b"\xfe\xff\xdd\xe0\x00\x00\x00\x00") == 4  # sequence delimiters
    assert data.count(b"\xfe\xff\x00\xe0\xff\xff\xff\xff") == 5  # undefined-length items
    explicit = dicom_corpus["nested_explicit_length"].read_bytes()
    assert b"\xff\xff\xff\xff" not in explicit


def test_raw_values_are_stored_unnormalized(dicom_corpus: dict[str, Path]) -> None:
    data = dicom_corpus["normalization"].read_bytes()
    for raw in (
        b"SH\x03\x00odd",
        b"LO\x06\x00ACME\0\0",
        b"LO\x08\x00  Lead  ",
        b"UI\x0e\x001.2.3.4.5.6.7 ",
        b"UI\x09\x002.25.1 23",
        b"OW\x00\x00\x03\x00\x00\x00\x01\x02\x03",
        b"OB\x00\x00\x03\x00\x00\x00\x01\x02\x03",
    ):
        assert raw in data, raw


def test_raw_order_and_duplicates(dicom_corpus: dict[str, Path]) -> None:
    ooo = dicom_corpus["out_of_order"].read_bytes()
    assert ooo.index(b"\x10\x00\x20\x00LO") < ooo.index(b"\x08\x00\x18\x00UI")
    dup = dicom_corpus["duplicate_tag"].read_bytes()
    assert dup.count(b"\x10\x00\x10\x00PN") == 2


def test_private_elements_lose_their_vr_only_when_implicit(dicom_corpus: dict[str, Path]) -> None:
    explicit = _dataset_lines(dicom_corpus["private_explicit_le"])
    implicit = _dataset_lines(dicom_corpus["private_implicit_le"])
    assert any(line.startswith("(0019,1102) US 7") for line in explicit)
    assert any(line.startswith("(0019,1102) ?? 07\\00") for line in implicit)


def test_census_splits_pydicom_files(
    pydicom_census_entries: list[CensusEntry], dcmtk_loadable_pydicom: list[Path]
) -> None:
    names = {path.name for path in dcmtk_loadable_pydicom}
    assert {"CT_small.dcm", "MR_small_implicit.dcm", "MR_small_bigendian.dcm"} <= names
    rejected = {Path(entry.path).name for entry in pydicom_census_entries if not entry.loadable}
    assert {"MR_truncated.dcm", "rtplan_truncated.dcm", "README.txt"} <= rejected
    assert not names & rejected
    for entry in pydicom_census_entries:
        if not entry.loadable:
            assert entry.exit_code == EXIT_CANNOT_READ_INPUT and entry.message


def test_census_is_cached(corpus_dir: Path, pydicom_census_entries: list[CensusEntry]) -> None:
    from corpus import CENSUS_FILE, pydicom_census

    assert (corpus_dir / CENSUS_FILE).is_file()
    assert pydicom_census(corpus_dir) == pydicom_census_entries
