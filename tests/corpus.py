"""A corpus of DICOM test files made with DCMTK's own tools, and a census of pydicom's files.

Every ``build_*`` function writes one file into ``directory`` and returns its path. Most files
are written by ``dump2dcm`` from a text dump and converted with ``dcmconv``, ``dcmcrle`` or
``dcmcjpeg``; cases that DCMTK's tools cannot write (they normalize values, sort elements and
drop duplicates) are written byte by byte. :data:`SPECS` says what each file is and which
properties the tests check; :func:`build_corpus` builds them all and checks that ``dcmdump``
loads each one (except the deliberately broken ones).

:func:`pydicom_census` runs DCMTK's ``dcmsign`` (verify mode) once on every file of
``pydicom.data.get_testdata_files()``; :func:`dcmtk_loadable_pydicom_files` returns the ones
DCMTK can load (exit code other than 20, "cannot read input file").
"""

from __future__ import annotations

import json
import os
import random
import shutil
import struct
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import pydicom
import pydicom.data

# Transfer syntax UIDs used in the corpus.
IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
DEFLATED_LE = "1.2.840.10008.1.2.1.99"
EXPLICIT_BE = "1.2.840.10008.1.2.2"
JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
JPEG_LOSSLESS_SV1 = "1.2.840.10008.1.2.4.70"
RLE_LOSSLESS = "1.2.840.10008.1.2.5"

#: dcmdump's name of each transfer syntax ("# Used TransferSyntax: ..." line).
DCMDUMP_TS_NAMES: dict[str, str] = {
    IMPLICIT_LE: "Little Endian Implicit",
    EXPLICIT_LE: "Little Endian Explicit",
    DEFLATED_LE: "Deflated Explicit VR Little Endian",
    EXPLICIT_BE: "Big Endian Explicit",
    JPEG_BASELINE: "JPEG Baseline",
    JPEG_LOSSLESS_SV1: "JPEG Lossless, Non-hierarchical, 1st Order Prediction",
    RLE_LOSSLESS: "RLE Lossless",
}

CENSUS_FILE = "pydicom-census.json"
#: dcmsign exit code for "cannot read input file".
EXIT_CANNOT_READ_INPUT = 20

# UIDs of the corpus, under the UUID-derived root 2.25 (PS3.5 B.2).
_UID = "2.25.2718281828459045235360287471352662497757"
_IMPLEMENTATION_UID = "2.25.3141592653589793238462643383279502884197"
_CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
_SC_IMAGE = "1.2.840.10008.5.1.4.1.1.7"
_MF_SC_BYTE = "1.2.840.10008.5.1.4.1.1.7.2"

# VRs with a 2-byte reserved field and a 4-byte length in explicit VR.
_LONG_VRS = frozenset(
    {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"}
)
_UNDEFINED = 0xFFFFFFFF


class CorpusError(RuntimeError):
    """A DCMTK tool failed, or a corpus file does not load as it should."""


@dataclass(frozen=True)
class CorpusSpec:
    """What a corpus file is, and what the tests check about it.

    Parameters
    ----------
    builder : callable
        ``builder(directory) -> Path`` writes the file.
    description : str
        One line on why the file exists.
    meta_ts : str or None
        Transfer syntax UID in the file meta header; ``None`` if the file has no meta header.
    dataset_ts : str
        Transfer syntax the data set is encoded in (as dcmdump reports it).
    dump_lines : tuple of str
        Substrings that must occur in ``dcmdump -q`` output (whitespace-normalized lines).
    broken : bool
        True for a deliberately broken file that DCMTK must refuse.
    """

    builder: Callable[[Path], Path]
    description: str
    meta_ts: str | None
    dataset_ts: str
    dump_lines: tuple[str, ...] = ()
    broken: bool = False


# --------------------------------------------------------------------------- tools


def run_tool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run a DCMTK tool and return the finished process.

    Parameters
    ----------
    *args : str or Path
        The command line.

    Returns
    -------
    subprocess.CompletedProcess
        The process, with text ``stdout`` and ``stderr``.

    Raises
    ------
    CorpusError
        If the tool exits with a non-zero code.
    """
    command = [str(arg) for arg in args]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise CorpusError(f"{' '.join(command)} exited {done.returncode}: {done.stderr.strip()}")
    return done


def dcmdump(path: Path) -> str:
    """Return ``dcmdump -q`` output of ``path``, raising :class:`CorpusError` if it fails."""
    return run_tool("dcmdump", "-q", path).stdout


def _dump2dcm(directory: Path, name: str, dump: str, *options: str) -> Path:
    source = directory / f"{name}.txt"
    source.write_text(dump, encoding="latin-1")
    out = directory / f"{name}.dcm"
    run_tool("dump2dcm", *options, source, out)
    source.unlink()
    return out


def _once(directory: Path, name: str, make: Callable[[], Path]) -> Path:
    """Return ``directory/name.dcm``, calling ``make()`` to write it if it does not exist."""
    path = directory / f"{name}.dcm"
    return path if path.exists() else make()


# --------------------------------------------------------------------------- raw bytes


def element(group: int, elem: int, vr: str, value: bytes, *, length: int | None = None) -> bytes:
    """Encode one explicit VR little endian element exactly as given (no padding).

    Parameters
    ----------
    group, elem : int
        The tag.
    vr : str
        Two-letter VR.
    value : bytes
        The raw value, written as is.
    length : int, optional
        Length field to write instead of ``len(value)`` (e.g. ``0xFFFFFFFF``).

    Returns
    -------
    bytes
        The encoded element.
    """
    size = len(value) if length is None else length
    head = struct.pack("<HH", group, elem) + vr.encode("ascii")
    if vr in _LONG_VRS:
        return head + struct.pack("<HI", 0, size) + value
    return head + struct.pack("<H", size) + value


def implicit_element(group: int, elem: int, value: bytes, *, length: int | None = None) -> bytes:
    """Encode one implicit VR little endian element exactly as given."""
    size = len(value) if length is None else length
    return struct.pack("<HHI", group, elem, size) + value


def item(body: bytes, *, undefined: bool = False) -> bytes:
    """Encode an item (FFFE,E000) around ``body``, with a delimiter if ``undefined``."""
    if undefined:
        return struct.pack("<HHI", 0xFFFE, 0xE000, _UNDEFINED) + body + _ITEM_END
    return struct.pack("<HHI", 0xFFFE, 0xE000, len(body)) + body


_ITEM_END = struct.pack("<HHI", 0xFFFE, 0xE00D, 0)
_SEQUENCE_END = struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)


def _uid(text: str) -> bytes:
    raw = text.encode("ascii")
    return raw + b"\0" if len(raw) % 2 else raw


def file_meta(sop_class: str, sop_instance: str, transfer_syntax: str) -> bytes:
    """Return preamble, ``DICM`` and a File Meta Information group (explicit VR LE)."""
    body = b"".join(
        [
            element(0x0002, 0x0001, "OB", b"\0\1"),
            element(0x0002, 0x0002, "UI", _uid(sop_class)),
            element(0x0002, 0x0003, "UI", _uid(sop_instance)),
            element(0x0002, 0x0010, "UI", _uid(transfer_syntax)),
            element(0x0002, 0x0012, "UI", _uid(_IMPLEMENTATION_UID)),
            element(0x0002, 0x0013, "SH", b"DICOMSIGN_TEST"),
        ]
    )
    return (
        b"\0" * 128 + b"DICM" + element(0x0002, 0x0000, "UL", struct.pack("<I", len(body))) + body
    )


# --------------------------------------------------------------------------- pixel data


def _pixels16(rows: int, columns: int) -> bytes:
    """A 12-bit gradient, 16 bits allocated, little endian."""
    return b"".join(
        struct.pack("<H", (x * 37 + y * 11) % 4096) for y in range(rows) for x in range(columns)
    )


def _pixels8(rows: int, columns: int, frames: int, noise: int) -> bytes:
    """An 8-bit gradient with seeded noise (so that JPEG frames need several fragments)."""
    rng = random.Random(20240102)
    return bytes(
        (x * 3 + y * 5 + f * 17 + (rng.randrange(noise) if noise else 0)) % 256
        for f in range(frames)
        for y in range(rows)
        for x in range(columns)
    )


# --------------------------------------------------------------------------- dumps

_PATIENT_STUDY = """\
(0008,0020) DA [20240102]
(0008,0030) TM [101112]
(0008,0070) LO [dicomsign test corpus]
(0010,0010) PN [Test^Corpus]
(0010,0020) LO [DS-0001]
(0010,0030) DA [19700101]
(0010,0040) CS [O]
(0020,000d) UI [{uid}.2]
(0020,000e) UI [{uid}.3]
(0020,0010) SH [S1]
(0020,0011) IS [1]
(0020,0013) IS [1]
"""

_BASE_CT = (
    """\
(0002,0010) UI =LittleEndianExplicit
(0008,0005) CS [ISO_IR 100]
(0008,0008) CS [ORIGINAL\\PRIMARY\\AXIAL]
(0008,0016) UI =CTImageStorage
(0008,0018) UI [{uid}.1.1]
(0008,0060) CS [CT]
(0008,1140) SQ (Sequence with explicit length #=1)
  (fffe,e000) na (Item with explicit length #=2)
    (0008,1150) UI =CTImageStorage
    (0008,1155) UI [{uid}.1.99]
  (fffe,e00d) na (ItemDelimitationItem for re-encoding)
(fffe,e0dd) na (SequenceDelimitationItem for re-encoding)
(0018,0050) DS [1.25]
(0020,0032) DS [-16\\-16\\0]
(0020,0037) DS [1\\0\\0\\0\\1\\0]
(0028,0002) US 1
(0028,0004) CS [MONOCHROME2]
(0028,0010) US 32
(0028,0011) US 32
(0028,0100) US 16
(0028,0101) US 12
(0028,0102) US 11
(0028,0103) US 0
(0028,1050) DS [1000]
(0028,1051) DS [4000]
(0029,0010) LO [SIEMENS CSA HEADER]
(0029,1008) CS [IMAGE NUM 4]
(0029,1010) OB 53\56\31\30\04\03\02\01
(7fe0,0010) OW ={pixels}
"""
    + _PATIENT_STUDY
)

_SC8 = (
    """\
(0002,0010) UI =LittleEndianExplicit
(0008,0016) UI ={sop_class}
(0008,0018) UI [{uid}.{number}]
(0008,0060) CS [OT]
(0008,0064) CS [WSD]
(0028,0002) US 1
(0028,0004) CS [MONOCHROME2]
{frames}(0028,0010) US 64
(0028,0011) US 64
(0028,0100) US 8
(0028,0101) US 8
(0028,0102) US 7
(0028,0103) US 0
(7fe0,0010) OB ={pixels}
"""
    + _PATIENT_STUDY
)

_NESTED = (
    """\
(0002,0010) UI =LittleEndianExplicit
(0008,0016) UI =SecondaryCaptureImageStorage
(0008,0018) UI [{uid}.4.1]
(0008,0060) CS [OT]
(0008,0064) CS [WSD]
(0008,1140) SQ (Sequence with explicit length #=0)
(fffe,e0dd) na (SequenceDelimitationItem for re-encoding)
(0040,0275) SQ (Sequence with explicit length #=2)
  (fffe,e000) na (Item with explicit length #=2)
    (0040,0007) LO [level 1 item 1]
    (0040,0008) SQ (Sequence with explicit length #=1)
      (fffe,e000) na (Item with explicit length #=2)
        (0008,0100) SH [L2]
        (0040,a043) SQ (Sequence with explicit length #=2)
          (fffe,e000) na (Item with explicit length #=3)
            (0008,0100) SH [L3]
            (0008,0102) SH [99TEST]
            (0008,0104) LO [level three]
          (fffe,e00d) na (ItemDelimitationItem for re-encoding)
          (fffe,e000) na (Item with explicit length #=0)
          (fffe,e00d) na (ItemDelimitationItem for re-encoding)
        (fffe,e0dd) na (SequenceDelimitationItem for re-encoding)
      (fffe,e00d) na (ItemDelimitationItem for re-encoding)
    (fffe,e0dd) na (SequenceDelimitationItem for re-encoding)
  (fffe,e00d) na (ItemDelimitationItem for re-encoding)
  (fffe,e000) na (Item with explicit length #=0)
  (fffe,e00d) na (ItemDelimitationItem for re-encoding)
(fffe,e0dd) na (SequenceDelimitationItem for re-encoding)
"""
    + _PATIENT_STUDY
)

_PRIVATE = (
    """\
(0002,0010) UI =LittleEndianExplicit
(0008,0016) UI =SecondaryCaptureImageStorage
(0008,0018) UI [{uid}.5.1]
(0008,0060) CS [OT]
(0008,0064) CS [WSD]
(0019,0010) LO [GEMS_ACQU_01]
(0019,0011) LO [DICOMSIGN UNKNOWN CREATOR]
(0019,1023) DS [1.5]
(0019,1024) DS [2.5]
(0019,1101) LO [unknown private value]
(0019,1102) US 7
(0019,1103) OB 01\\02\\03\\04
(0029,0010) LO [SIEMENS CSA HEADER]
(0029,1008) CS [IMAGE NUM 4]
(0029,1010) OB 53\\56\\31\\30\\04\\03\\02\\01
"""
    + _PATIENT_STUDY
)

_UN_DEFINED = (
    """\
(0002,0010) UI =LittleEndianExplicit
(0008,0016) UI =SecondaryCaptureImageStorage
(0008,0018) UI [{uid}.6.1]
(0008,0060) UN 43\\54
(0008,0064) CS [WSD]
(0028,0010) UN 20\\00
(0029,0010) LO [SIEMENS CSA HEADER]
(0029,1008) UN 49\\4d\\41\\47\\45\\20\\4e\\55\\4d\\20\\34\\20
"""
    + _PATIENT_STUDY
)

_SR = (
    """\
(0002,0010) UI =LittleEndianExplicit
(0008,0005) CS [ISO_IR 100]
(0008,0016) UI =BasicTextSRStorage
(0008,0018) UI [{uid}.7.1]
(0008,0023) DA [20240102]
(0008,0033) TM [101500]
(0008,0060) CS [SR]
(0008,0090) PN [Referring^Doctor]
(0008,1111) SQ (Sequence with explicit length #=0)
(fffe,e0dd) na (SequenceDelimitationItem for re-encoding)
(0040,a040) CS [CONTAINER]
(0040,a043) SQ (Sequence with explicit length #=1)
  (fffe,e000) na (Item with explicit length #=3)
    (0008,0100) SH [11528-7]
    (0008,0102) SH [LN]
    (0008,0104) LO [Radiology Report]
  (fffe,e00d) na (ItemDelimitationItem for re-encoding)
(fffe,e0dd) na (SequenceDelimitationItem for re-encoding)
(0040,a050) CS [SEPARATE]
(0040,a073) SQ (Sequence with explicit length #=1)
  (fffe,e000) na (Item with explicit length #=3)
    (0040,a027) LO [dicomsign]
    (0040,a030) DT [20240102101500]
    (0040,a075) PN [Verifying^Observer]
  (fffe,e00d) na (ItemDelimitationItem for re-encoding)
(fffe,e0dd) na (SequenceDelimitationItem for re-encoding)
(0040,a372) SQ (Sequence with explicit length #=0)
(fffe,e0dd) na (SequenceDelimitationItem for re-encoding)
(0040,a375) SQ (Sequence with explicit length #=0)
(fffe,e0dd) na (SequenceDelimitationItem for re-encoding)
(0040,a491) CS [COMPLETE]
(0040,a493) CS [VERIFIED]
(0040,a730) SQ (Sequence with explicit length #=1)
  (fffe,e000) na (Item with explicit length #=4)
    (0040,a010) CS [CONTAINS]
    (0040,a040) CS [TEXT]
    (0040,a043) SQ (Sequence with explicit length #=1)
      (fffe,e000) na (Item with explicit length #=3)
        (0008,0100) SH [121071]
        (0008,0102) SH [DCM]
        (0008,0104) LO [Finding]
      (fffe,e00d) na (ItemDelimitationItem for re-encoding)
    (fffe,e0dd) na (SequenceDelimitationItem for re-encoding)
    (0040,a160) UT [No abnormality detected.]
  (fffe,e00d) na (ItemDelimitationItem for re-encoding)
(fffe,e0dd) na (SequenceDelimitationItem for re-encoding)
"""
    + _PATIENT_STUDY
)

_ORIGINAL_ATTRIBUTES = (
    """\
(0002,0010) UI =LittleEndianExplicit
(0008,0016) UI =SecondaryCaptureImageStorage
(0008,0018) UI [{uid}.8.1]
(0008,0060) CS [OT]
(0008,0064) CS [WSD]
(0400,0561) SQ (Sequence with explicit length #=1)
  (fffe,e000) na (Item with explicit length #=5)
    (0400,0550) SQ (Sequence with explicit length #=1)
      (fffe,e000) na (Item with explicit length #=2)
        (0010,0010) PN [Old^Name]
        (0010,0020) LO [OLD-ID]
      (fffe,e00d) na (ItemDelimitationItem for re-encoding)
    (fffe,e0dd) na (SequenceDelimitationItem for re-encoding)
    (0400,0562) DT [20240102101112]
    (0400,0563) LO [dicomsign corpus]
    (0400,0564) LO [original file]
    (0400,0565) CS [COERCE]
  (fffe,e00d) na (ItemDelimitationItem for re-encoding)
(fffe,e0dd) na (SequenceDelimitationItem for re-encoding)
"""
    + _PATIENT_STUDY
)


# --------------------------------------------------------------------------- builders


def build_explicit_le(directory: Path) -> Path:
    """CT image (16-bit, 32x32), a sequence and a SIEMENS CSA block, explicit VR LE."""

    def make() -> Path:
        pixels = directory / "ct16.raw"
        pixels.write_bytes(_pixels16(32, 32))
        path = _dump2dcm(directory, "explicit_le", _BASE_CT.format(uid=_UID, pixels=pixels))
        pixels.unlink()
        return path

    return _once(directory, "explicit_le", make)


def _convert(directory: Path, name: str, source: Path, *options: str) -> Path:
    out = directory / f"{name}.dcm"
    run_tool("dcmconv", *options, source, out)
    return out


def build_implicit_le(directory: Path) -> Path:
    """The explicit VR LE content converted to implicit VR LE (``dcmconv +ti``)."""
    return _convert(directory, "implicit_le", build_explicit_le(directory), "+ti")


def build_explicit_be(directory: Path) -> Path:
    """The same content in explicit VR big endian (``dcmconv +tb``)."""
    return _convert(directory, "explicit_be", build_explicit_le(directory), "+tb")


def build_deflated(directory: Path) -> Path:
    """The same content in deflated explicit VR LE (``dcmconv +td``)."""
    return _convert(directory, "deflated", build_explicit_le(directory), "+td")


def build_no_meta_explicit_le(directory: Path) -> Path:
    """The same content as a bare data set without meta header, explicit VR LE."""
    return _convert(directory, "no_meta_explicit_le", build_explicit_le(directory), "-F", "+te")


def build_no_meta_implicit_le(directory: Path) -> Path:
    """The same content as a bare data set without meta header, implicit VR LE."""
    return _convert(directory, "no_meta_implicit_le", build_explicit_le(directory), "-F", "+ti")


def build_rle(directory: Path) -> Path:
    """The 16-bit CT image RLE compressed (``dcmcrle``): one frame, two fragments (BOT + 1)."""
    out = directory / "rle_lossless.dcm"
    run_tool("dcmcrle", build_explicit_le(directory), out)
    return out


def _sc8(directory: Path, name: str, frames: int, noise: int) -> Path:
    pixels = directory / f"{name}.raw"
    pixels.write_bytes(_pixels8(64, 64, frames, noise))
    frame_lines = f"(0028,0008) IS [{frames}]\n(0028,0009) AT (0018,2002)\n" if frames > 1 else ""
    sop_class = (
        "MultiframeGrayscaleByteSecondaryCaptureImageStorage"
        if frames > 1
        else ("SecondaryCaptureImageStorage")
    )
    dump = _SC8.format(
        uid=_UID, number=f"9.{frames}", pixels=pixels, frames=frame_lines, sop_class=sop_class
    )
    path = _dump2dcm(directory, name, dump)
    pixels.unlink()
    return path


def build_jpeg_baseline(directory: Path) -> Path:
    """An 8-bit secondary capture image, JPEG baseline (``dcmcjpeg +eb``)."""
    source = _sc8(directory, "sc8_source", 1, 0)
    out = directory / "jpeg_baseline.dcm"
    run_tool("dcmcjpeg", "+eb", source, out)
    source.unlink()
    return out


def build_jpeg_lossless(directory: Path) -> Path:
    """The 16-bit CT image, JPEG lossless first-order prediction (``dcmcjpeg``, default +e1)."""
    out = directory / "jpeg_lossless.dcm"
    run_tool("dcmcjpeg", build_explicit_le(directory), out)
    return out


def build_jpeg_multiframe_fragments(directory: Path) -> Path:
    """8 noisy 8-bit frames, JPEG lossless, fragments of at most 1 KB (``+fs 1``)."""
    source = _sc8(directory, "mf8_source", 8, 40)
    out = directory / "jpeg_multiframe_fragments.dcm"
    run_tool("dcmcjpeg", "+fs", "1", source, out)
    source.unlink()
    return out


def build_nested_explicit_length(directory: Path) -> Path:
    """Sequences nested 3 levels, an empty sequence and empty items, explicit lengths."""
    name = "nested_explicit_length"
    return _once(directory, name, lambda: _dump2dcm(directory, name, _NESTED.format(uid=_UID)))


def build_nested_undefined_length(directory: Path) -> Path:
    """The nested file with undefined-length sequences and items (``dcmconv -e``)."""
    return _convert(
        directory, "nested_undefined_length", build_nested_explicit_length(directory), "-e"
    )


def build_group_lengths(directory: Path) -> Path:
    """The nested file with group length elements in the data set and in every item."""
    return _convert(directory, "group_lengths", build_nested_explicit_length(directory), "+g")


def build_private_explicit_le(directory: Path) -> Path:
    """Private blocks: GEMS_ACQU_01 and SIEMENS CSA HEADER (in private.dic) and an unknown one."""
    name = "private_explicit_le"
    return _once(directory, name, lambda: _dump2dcm(directory, name, _PRIVATE.format(uid=_UID)))


def build_private_implicit_le(directory: Path) -> Path:
    """The private blocks in implicit VR LE: the unknown creator's elements lose their VR."""
    return _convert(directory, "private_implicit_le", build_private_explicit_le(directory), "+ti")


def build_un_defined_length(directory: Path) -> Path:
    """Modality, Rows and a CSA private element stored as UN with defined length (for +uc)."""
    return _dump2dcm(directory, "un_defined_length", _UN_DEFINED.format(uid=_UID))


def build_un_undefined_length(directory: Path) -> Path:
    """UN with undefined length holding implicit VR items (CP-246), public and private.

    Raw bytes: (0008,1140) ReferencedImageSequence and a private element of an unknown
    creator are written as ``UN`` with undefined length; their items use undefined and
    defined lengths and contain implicit VR elements.
    """
    instance = f"{_UID}.10.1"
    ref = implicit_element(0x0008, 0x1150, _uid(_SC_IMAGE)) + implicit_element(
        0x0008, 0x1155, _uid(f"{_UID}.10.99")
    )
    private_item = implicit_element(0x0008, 0x0100, b"PRIV") + implicit_element(
        0x0008, 0x0104, b"inside UN "
    )
    body = b"".join(
        [
            element(0x0008, 0x0016, "UI", _uid(_SC_IMAGE)),
            element(0x0008, 0x0018, "UI", _uid(instance)),
            element(0x0008, 0x0060, "CS", b"OT"),
            element(0x0008, 0x0064, "CS", b"WSD "),
            element(0x0008, 0x1140, "UN", b"", length=_UNDEFINED)
            + item(ref, undefined=True)
            + _SEQUENCE_END,
            element(0x0009, 0x0010, "LO", b"DICOMSIGN UNKNOWN CREATOR "),
            element(0x0009, 0x1001, "UN", b"", length=_UNDEFINED)
            + item(private_item)
            + _SEQUENCE_END,
            element(0x0010, 0x0010, "PN", b"UN^Sequence "),
            element(0x0010, 0x0020, "LO", b"UN-0001 "),
        ]
    )
    path = directory / "un_undefined_length.dcm"
    path.write_bytes(file_meta(_SC_IMAGE, instance, EXPLICIT_LE) + body)
    return path


def build_normalization(directory: Path) -> Path:
    """Values that DCMTK normalizes on load (reference section 1.3), written as raw bytes.

    Odd-length strings, trailing spaces and NULs, leading spaces, UIs with trailing and
    embedded spaces and trailing NULs, an odd OB and an odd OW.
    """
    instance = f"{_UID}.11.1"
    body = b"".join(
        [
            element(0x0008, 0x0016, "UI", _uid(_SC_IMAGE)),
            element(0x0008, 0x0018, "UI", _uid(instance)),
            element(0x0008, 0x0050, "SH", b"odd"),  # odd length -> "odd\0"
            element(0x0008, 0x0060, "CS", b"OT"),
            element(0x0008, 0x0064, "CS", b"WSD "),
            element(0x0008, 0x0070, "LO", b"ACME\0\0"),  # trailing NULs kept (3.6)
            element(0x0008, 0x0080, "LO", b"  Lead  "),  # -> "  Lead"
            element(0x0008, 0x0090, "PN", b"Test^Pat  "),  # -> "Test^Pat"
            element(0x0008, 0x1030, "LO", b"   "),  # odd, spaces only
            element(0x0008, 0x103E, "LO", b"ID\0 "),
            element(0x0010, 0x0010, "PN", b"Normal^Ize"),
            element(0x0010, 0x0020, "LO", b"101010    "),  # -> "101010"
            element(0x0020, 0x000D, "UI", b"1.2.3.4.5.6.7 "),  # trailing space
            element(0x0020, 0x000E, "UI", b"2.25.1 23"),  # embedded space, odd
            element(0x0020, 0x0052, "UI", b"2.25.77\0\0\0"),  # several trailing NULs
            element(0x0028, 0x1201, "OW", b"\x01\x02\x03"),  # odd OW
            element(0x0042, 0x0011, "OB", b"\x01\x02\x03"),  # odd OB
        ]
    )
    path = directory / "normalization.dcm"
    path.write_bytes(file_meta(_SC_IMAGE, instance, EXPLICIT_LE) + body)
    return path


def build_out_of_order(directory: Path) -> Path:
    """Explicit VR LE data set whose elements are not in ascending tag order (raw bytes)."""
    instance = f"{_UID}.12.1"
    body = b"".join(
        [
            element(0x0008, 0x0016, "UI", _uid(_SC_IMAGE)),
            element(0x0010, 0x0020, "LO", b"OOO-1 "),
            element(0x0008, 0x0018, "UI", _uid(instance)),
            element(0x0010, 0x0010, "PN", b"Out^Of^Order"),
            element(0x0008, 0x0064, "CS", b"WSD "),
            element(0x0008, 0x0060, "CS", b"OT"),
        ]
    )
    path = directory / "out_of_order.dcm"
    path.write_bytes(file_meta(_SC_IMAGE, instance, EXPLICIT_LE) + body)
    return path


def build_duplicate_tag(directory: Path) -> Path:
    """Explicit VR LE data set with PatientName twice (raw bytes; DCMTK keeps the first)."""
    instance = f"{_UID}.13.1"
    body = b"".join(
        [
            element(0x0008, 0x0016, "UI", _uid(_SC_IMAGE)),
            element(0x0008, 0x0018, "UI", _uid(instance)),
            element(0x0008, 0x0060, "CS", b"OT"),
            element(0x0008, 0x0064, "CS", b"WSD "),
            element(0x0010, 0x0010, "PN", b"First^Value "),
            element(0x0010, 0x0010, "PN", b"Second^Value"),
            element(0x0010, 0x0020, "LO", b"DUP-1 "),
        ]
    )
    path = directory / "duplicate_tag.dcm"
    path.write_bytes(file_meta(_SC_IMAGE, instance, EXPLICIT_LE) + body)
    return path


def build_implicit_private_creator_out_of_order(directory: Path) -> Path:
    """Implicit VR LE file whose private creator is read out of tag order (raw bytes).

    DCMTK 3.6.7 does not register a private creator element that is inserted before an
    element already read, so (0019,1023) stays unknown although GEMS_ACQU_01 is in
    private.dic (see tools/dictionary-differences.md).
    """
    instance = f"{_UID}.14.1"
    body = b"".join(
        [
            implicit_element(0x0008, 0x0016, _uid(_SC_IMAGE)),
            implicit_element(0x0008, 0x0018, _uid(instance)),
            implicit_element(0x0008, 0x0060, b"OT"),
            implicit_element(0x0020, 0x0010, b"S1"),
            implicit_element(0x0019, 0x0010, b"GEMS_ACQU_01"),
            implicit_element(0x0019, 0x1023, b"1.5 "),
        ]
    )
    path = directory / "implicit_private_creator_out_of_order.dcm"
    path.write_bytes(file_meta(_SC_IMAGE, instance, IMPLICIT_LE) + body)
    return path


def build_sr_document(directory: Path) -> Path:
    """A Basic Text SR document (CONTAINER with one TEXT item), verified."""
    return _dump2dcm(directory, "sr_document", _SR.format(uid=_UID))


def build_original_attributes(directory: Path) -> Path:
    """A file with an Original Attributes Sequence (0400,0561) holding modified attributes."""
    return _dump2dcm(directory, "original_attributes", _ORIGINAL_ATTRIBUTES.format(uid=_UID))


def build_truncated(directory: Path) -> Path:
    """Deliberately broken: the explicit VR LE file cut in the middle of Pixel Data."""
    data = build_explicit_le(directory).read_bytes()
    path = directory / "truncated.dcm"
    path.write_bytes(data[: len(data) - 1000])
    return path


# --------------------------------------------------------------------------- the corpus


def _tsline(uid: str) -> str:
    return f"# Used TransferSyntax: {DCMDUMP_TS_NAMES[uid]}"


#: Every corpus file by name, in build order.
SPECS: dict[str, CorpusSpec] = {
    "explicit_le": CorpusSpec(
        build_explicit_le,
        "16-bit CT image with a sequence and a SIEMENS CSA private block",
        EXPLICIT_LE,
        EXPLICIT_LE,
        ("(0029,1008) CS [IMAGE NUM 4]", "(7fe0,0010) OW"),
    ),
    "implicit_le": CorpusSpec(
        build_implicit_le,
        "explicit_le converted to implicit VR LE",
        IMPLICIT_LE,
        IMPLICIT_LE,
        ("(0029,1008) CS [IMAGE NUM 4]", "(7fe0,0010) OW"),
    ),
    "explicit_be": CorpusSpec(
        build_explicit_be,
        "explicit_le converted to explicit VR big endian",
        EXPLICIT_BE,
        EXPLICIT_BE,
        ("(7fe0,0010) OW",),
    ),
    "deflated": CorpusSpec(
        build_deflated,
        "explicit_le converted to deflated explicit VR LE",
        DEFLATED_LE,
        DEFLATED_LE,
        ("(7fe0,0010) OW",),
    ),
    "no_meta_explicit_le": CorpusSpec(
        build_no_meta_explicit_le,
        "explicit_le as a bare data set, explicit VR LE",
        None,
        EXPLICIT_LE,
    ),
    "no_meta_implicit_le": CorpusSpec(
        build_no_meta_implicit_le,
        "explicit_le as a bare data set, implicit VR LE",
        None,
        IMPLICIT_LE,
    ),
    "rle_lossless": CorpusSpec(
        build_rle, "RLE lossless, 1 frame", RLE_LOSSLESS, RLE_LOSSLESS, ("(PixelSequence #=2)",)
    ),
    "jpeg_baseline": CorpusSpec(
        build_jpeg_baseline,
        "8-bit image, JPEG baseline",
        JPEG_BASELINE,
        JPEG_BASELINE,
        ("(PixelSequence #=2)",),
    ),
    "jpeg_lossless": CorpusSpec(
        build_jpeg_lossless,
        "16-bit CT image, JPEG lossless SV1",
        JPEG_LOSSLESS_SV1,
        JPEG_LOSSLESS_SV1,
        ("(PixelSequence #=2)",),
    ),
    "jpeg_multiframe_fragments": CorpusSpec(
        build_jpeg_multiframe_fragments,
        "8 frames, JPEG lossless SV1, 1 KB fragments (BOT + 32 fragments)",
        JPEG_LOSSLESS_SV1,
        JPEG_LOSSLESS_SV1,
        ("(0028,0008) IS [8]", "(PixelSequence #=33)"),
    ),
    "nested_explicit_length": CorpusSpec(
        build_nested_explicit_length,
        "3 nested sequence levels, empty sequence, empty items, explicit lengths",
        EXPLICIT_LE,
        EXPLICIT_LE,
        (
            "(0008,1140) SQ (Sequence with explicit length #=0)",
            "(fffe,e000) na (Item with explicit length #=0)",
            "(0008,0104) LO [level three]",
        ),
    ),
    "nested_undefined_length": CorpusSpec(
        build_nested_undefined_length,
        "the nested file with undefined-length sequences and items",
        EXPLICIT_LE,
        EXPLICIT_LE,
        (
            "(0008,1140) SQ (Sequence with undefined length #=0)",
            "(fffe,e000) na (Item with undefined length #=0)",
            "(0040,a043) SQ (Sequence with undefined length #=2)",
        ),
    ),
    "group_lengths": CorpusSpec(
        build_group_lengths,
        "the nested file with group lengths in the data set and in items",
        EXPLICIT_LE,
        EXPLICIT_LE,
        ("(0008,0000) UL", "(0010,0000) UL", "(0040,0000) UL"),
    ),
    "private_explicit_le": CorpusSpec(
        build_private_explicit_le,
        "GEMS_ACQU_01 and SIEMENS CSA HEADER blocks (known to DCMTK) and an unknown creator",
        EXPLICIT_LE,
        EXPLICIT_LE,
        ("(0019,1023) DS [1.5]", "(0019,1101) LO [unknown private value]"),
    ),
    "private_implicit_le": CorpusSpec(
        build_private_implicit_le,
        "the private blocks in implicit VR LE",
        IMPLICIT_LE,
        IMPLICIT_LE,
        ("(0019,1023) DS [1.5]", "(0029,1008) CS [IMAGE NUM 4]", "(0019,1101) ??"),
    ),
    "un_defined_length": CorpusSpec(
        build_un_defined_length,
        "Modality, Rows and a CSA private element as UN with defined length",
        EXPLICIT_LE,
        EXPLICIT_LE,
        ("(0008,0060) UN 43\\54", "(0028,0010) UN 20\\00", "(0029,1008) UN"),
    ),
    "un_undefined_length": CorpusSpec(
        build_un_undefined_length,
        "UN with undefined length holding implicit VR items (CP-246), public and private",
        EXPLICIT_LE,
        EXPLICIT_LE,
        ("(0008,1140) SQ (Sequence with undefined length #=1)", "(0009,1001) SQ"),
    ),
    "normalization": CorpusSpec(
        build_normalization,
        "odd/space/NUL padded strings, UIs with spaces, odd OB and odd OW",
        EXPLICIT_LE,
        EXPLICIT_LE,
        ("(0028,1201) OW", "(0042,0011) OB 01\\02\\03\\00"),
    ),
    "out_of_order": CorpusSpec(
        build_out_of_order,
        "elements not in ascending tag order",
        EXPLICIT_LE,
        EXPLICIT_LE,
        ("(0010,0010) PN [Out^Of^Order]",),
    ),
    "duplicate_tag": CorpusSpec(
        build_duplicate_tag,
        "PatientName twice; DCMTK keeps the first",
        EXPLICIT_LE,
        EXPLICIT_LE,
        ("(0010,0010) PN [First^Value]",),
    ),
    "implicit_private_creator_out_of_order": CorpusSpec(
        build_implicit_private_creator_out_of_order,
        "implicit VR LE, private creator read out of order: DCMTK leaves its data unknown",
        IMPLICIT_LE,
        IMPLICIT_LE,
        ("(0019,0010) LO [GEMS_ACQU_01]", "(0019,1023) ??"),
    ),
    "sr_document": CorpusSpec(
        build_sr_document,
        "Basic Text SR, CONTAINER with one TEXT item, VERIFIED",
        EXPLICIT_LE,
        EXPLICIT_LE,
        ("(0040,a040) CS [CONTAINER]", "(0040,a160) UT [No abnormality detected.]"),
    ),
    "original_attributes": CorpusSpec(
        build_original_attributes,
        "Original Attributes Sequence with a Modified Attributes Sequence",
        EXPLICIT_LE,
        EXPLICIT_LE,
        ("(0400,0561) SQ", "(0010,0010) PN [Old^Name]"),
    ),
    "truncated": CorpusSpec(
        build_truncated,
        "deliberately broken: explicit_le cut inside Pixel Data",
        EXPLICIT_LE,
        EXPLICIT_LE,
        broken=True,
    ),
}


def build_corpus(directory: Path) -> dict[str, Path]:
    """Build every corpus file into ``directory`` and check that DCMTK loads it.

    Parameters
    ----------
    directory : Path
        An existing, empty directory.

    Returns
    -------
    dict of str to Path
        Corpus name to file path, in :data:`SPECS` order.

    Raises
    ------
    CorpusError
        If a tool fails, or ``dcmdump`` rejects a file that is not marked broken (or loads
        one that is).
    """
    paths: dict[str, Path] = {}
    for name, spec in SPECS.items():
        paths[name] = spec.builder(directory)
    for name, path in paths.items():
        loads = (
            subprocess.run(
                ["dcmdump", "-q", str(path)], capture_output=True, check=False
            ).returncode
            == 0
        )
        if loads == SPECS[name].broken:
            state = "loads" if loads else "does not load"
            raise CorpusError(f"corpus file {name} ({path}) {state} with dcmdump")
    return paths


# --------------------------------------------------------------------------- census


@dataclass(frozen=True)
class CensusEntry:
    """Result of loading one pydicom test file with DCMTK's ``dcmsign`` (verify mode).

    Parameters
    ----------
    path : str
        The file.
    size : int
        Its size in bytes.
    exit_code : int
        ``dcmsign``'s exit code (20 = cannot read input file).
    message : str
        The last line ``dcmsign`` wrote to stderr, if any (the reason for a rejection).
    """

    path: str
    size: int
    exit_code: int
    message: str

    @property
    def loadable(self) -> bool:
        """True if DCMTK could load the file."""
        return self.exit_code != EXIT_CANNOT_READ_INPUT


def pydicom_test_files() -> list[Path]:
    """Return pydicom's bundled test files (regular files only), sorted."""
    return sorted(Path(name) for name in pydicom.data.get_testdata_files() if os.path.isfile(name))


def _census_one(path: Path) -> CensusEntry:
    done = subprocess.run(["dcmsign", str(path)], capture_output=True, text=True, check=False)
    lines = done.stderr.strip().splitlines()
    return CensusEntry(str(path), path.stat().st_size, done.returncode, lines[-1] if lines else "")


def pydicom_census(cache_dir: Path) -> list[CensusEntry]:
    """Load every pydicom test file with ``dcmsign`` once; cache the result in ``cache_dir``.

    Parameters
    ----------
    cache_dir : Path
        Directory for ``pydicom-census.json`` (normally a session temporary directory).

    Returns
    -------
    list of CensusEntry
        One entry per file, in path order.
    """
    files = pydicom_test_files()
    key = {
        "pydicom": pydicom.__version__,
        "dcmsign": shutil.which("dcmsign") or "",
        "files": [[str(path), path.stat().st_size] for path in files],
    }
    cache = cache_dir / CENSUS_FILE
    if cache.exists():
        stored = json.loads(cache.read_text(encoding="utf-8"))
        if stored.get("key") == key:
            return [CensusEntry(**entry) for entry in stored["entries"]]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        entries = list(pool.map(_census_one, files))
    cache.write_text(
        json.dumps({"key": key, "entries": [asdict(entry) for entry in entries]}, indent=1),
        encoding="utf-8",
    )
    return entries


def dcmtk_loadable_pydicom_files(cache_dir: Path) -> list[Path]:
    """Return the pydicom test files that DCMTK 3.6.7 can load.

    Parameters
    ----------
    cache_dir : Path
        Where :func:`pydicom_census` caches its result.

    Returns
    -------
    list of Path
        The loadable files, in path order.
    """
    return [Path(entry.path) for entry in pydicom_census(cache_dir) if entry.loadable]
