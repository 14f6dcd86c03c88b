"""The UID file of a timestamp query: a DICOM file naming the signature the query is for.

DCMTK's ``+ts`` writes it next to the query (``dfile.saveFile(name, implicit VR little
endian)``): a file with a meta header (OFFIS's private generic file SOP class, a fresh SOP
instance UID, DCMTK's implementation UIDs replaced by ours) whose dataset holds only Digital
Signature UID (0400,0100). ``+t`` reads (0400,0100) from the main dataset of any DICOM file or
bare dataset, as DCMTK's ``loadFile`` does.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from .. import _core
from ..exceptions import DicomFormatError, TimestampError
from ..exitcodes import ExitCode
from .query import write_atomically

__all__ = ["PRIVATE_GENERIC_FILE_SOP_CLASS", "read_uid_file", "uid_file_bytes", "write_uid_file"]

#: OFFIS's private generic file SOP class, which DCMTK writes for a dataset without one.
PRIVATE_GENERIC_FILE_SOP_CLASS = "1.2.276.0.7230010.3.1.0.1"

_DIGITAL_SIGNATURE_UID = 0x04000100
_IMPLICIT_LE = "1.2.840.10008.1.2"


def _element(tag: int, vr: str, value: bytes) -> bytes:
    # Explicit VR little endian, short length form (meta header: OB uses the long form).
    group, elem = tag >> 16, tag & 0xFFFF
    head = group.to_bytes(2, "little") + elem.to_bytes(2, "little") + vr.encode("ascii")
    if vr in ("OB", "OW", "SQ", "UN", "UT", "UC", "UR", "OF", "OD", "OL", "OV"):
        return head + b"\0\0" + len(value).to_bytes(4, "little") + value
    return head + len(value).to_bytes(2, "little") + value


def _uid(value: str) -> bytes:
    data = value.encode("ascii")
    return data + b"\0" if len(data) % 2 else data


def uid_file_bytes(uid: str) -> bytes:
    """The UID file's content for the signature ``uid``."""
    meta_elements = b"".join(
        (
            _element(0x00020001, "OB", b"\0\1"),
            _element(0x00020002, "UI", _uid(PRIVATE_GENERIC_FILE_SOP_CLASS)),
            _element(0x00020003, "UI", _uid(_core.new_uid())),
            _element(0x00020010, "UI", _uid(_IMPLICIT_LE)),
            _element(0x00020012, "UI", _uid(_core.IMPLEMENTATION_CLASS_UID)),
            _element(0x00020013, "SH", _text(_core.IMPLEMENTATION_VERSION_NAME)),
        )
    )
    group_length = _element(0x00020000, "UL", len(meta_elements).to_bytes(4, "little"))
    value = _uid(uid)
    dataset = (
        (0x0400).to_bytes(2, "little")
        + (0x0100).to_bytes(2, "little")
        + len(value).to_bytes(4, "little")
        + value
    )
    return b"\0" * 128 + b"DICM" + group_length + meta_elements + dataset


def _text(value: str) -> bytes:
    data = value.encode("ascii")
    return data + b" " if len(data) % 2 else data


def write_uid_file(path: str | os.PathLike[str], uid: str) -> None:
    """Write the UID file atomically (a temporary file renamed)."""
    write_atomically(path, uid_file_bytes(uid))


def read_uid_file(path: str, *, log: Callable[[str, str], None] | None = None) -> str:
    """The Digital Signature UID named by a UID file, or DCMTK's error (exit 33).

    ``log`` receives the reader's lines (level ``"E"`` or ``"W"``, text) about a damaged file,
    which DCMTK prints before its error.

    Raises
    ------
    TimestampError
        ``Cannot load UID file '<path>'`` (not a readable DICOM file or dataset) or ``No
        Digital Signature UID found in  UID file '<path>'`` (DCMTK's two spaces).
    """
    from ..engine import ensure_dictionary

    ensure_dictionary()
    try:
        doc = _core.Document.open(path)
    except Exception as exc:  # noqa: BLE001 - any reader failure is DCMTK's one
        if isinstance(exc, DicomFormatError) and log is not None:
            for level, line in exc.log:
                log(level, line)
        raise TimestampError(
            f"Cannot load UID file '{path}'", exit_code=ExitCode.CANNOT_READ_UID_FILE
        ) from None
    value = doc.value([], _DIGITAL_SIGNATURE_UID)
    uid = "" if value is None else value.decode("ascii", "replace").rstrip("\0 ").lstrip(" ")
    if not uid:
        raise TimestampError(
            f"No Digital Signature UID found in  UID file '{path}'",
            exit_code=ExitCode.CANNOT_READ_UID_FILE,
        )
    return uid
