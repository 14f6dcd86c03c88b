"""The attributes of a new signature (dcmsign-behaviour.md §3): the MAC Parameters item and
the Digital Signatures item, as engine records. Imports nothing heavy, so that the signing
fast path stays fast."""

from __future__ import annotations

import time

from . import _core

TYPE_CHECKING = False  # ``typing`` is not imported at run time (start-up time)
if TYPE_CHECKING:
    from collections.abc import Sequence

    from ._core import Record
    from .purposes import SignaturePurpose
    from .vocabulary import MacAlgorithm

__all__ = [
    "CERTIFICATE_OF_SIGNER",
    "CERTIFICATE_TYPE",
    "DATA_ELEMENTS_SIGNED",
    "SIGNATURE",
    "data_elements_signed",
    "mac_transfer_syntax",
    "signature_datetime",
    "signature_items",
    "signature_value",
]

#: The only Certificate Type (0400,0110) DCMTK reads and writes.
CERTIFICATE_TYPE = _core.CERTIFICATE_TYPE

MAC_ID_NUMBER = 0x04000005
MAC_TRANSFER_SYNTAX = 0x04000010
MAC_ALGORITHM = 0x04000015
DATA_ELEMENTS_SIGNED = 0x04000020
SIGNATURE_UID = 0x04000100
SIGNATURE_DATETIME = 0x04000105
CERTIFICATE_TYPE_TAG = 0x04000110
CERTIFICATE_OF_SIGNER = 0x04000115
SIGNATURE = 0x04000120
PURPOSE_SEQUENCE = 0x04000401

_IMPLICIT_LE = "1.2.840.10008.1.2"
_EXPLICIT_LE = "1.2.840.10008.1.2.1"
_EXPLICIT_BE = "1.2.840.10008.1.2.2"


def pad(value: bytes, padding: bytes = b" ") -> bytes:
    """``value`` padded to even length."""
    return value + padding if len(value) % 2 else value


def text(value: str) -> bytes:
    """A string value padded with a space."""
    return pad(value.encode("ascii"))


def uid_value(value: str) -> bytes:
    """A UI value padded with a NUL."""
    return pad(value.encode("ascii"), b"\0")


def signature_datetime(now: float | None = None) -> str:
    """The Digital Signature DateTime in UTC, DCMTK's 26-character layout."""
    moment = time.time() if now is None else now
    whole = int(moment)
    micro = round((moment - whole) * 1_000_000)
    if micro == 1_000_000:
        whole, micro = whole + 1, 0
    return time.strftime("%Y%m%d%H%M%S", time.gmtime(whole)) + f".{micro:06d}+0000"


def mac_transfer_syntax(document_syntax: str) -> str:
    """DCMTK's MAC Calculation Transfer Syntax for a document read in ``document_syntax``."""
    if document_syntax in (_IMPLICIT_LE, _EXPLICIT_BE):
        return _EXPLICIT_LE
    return document_syntax


def _purpose_item(purpose: SignaturePurpose) -> list[Record]:
    # Imported here: ``purposes`` needs ``enum``, milliseconds the plain signing path saves.
    from .purposes import CODING_SCHEME_DESIGNATOR

    return [
        (0x00080100, "SH", text(str(int(purpose)))),
        (0x00080102, "SH", text(CODING_SCHEME_DESIGNATOR)),
        (0x00080104, "LO", text(purpose.meaning())),
    ]


def signature_items(
    *,
    mac_id: int,
    uid: str,
    datetime: str,
    algorithm: MacAlgorithm,
    transfer_syntax: str,
    certificate_der: bytes,
    purpose: SignaturePurpose | None = None,
) -> tuple[list[Record], list[Record]]:
    """The new MAC Parameters item without Data Elements Signed, and the new Digital
    Signatures item without Signature, in DCMTK's element order."""
    mac_item: list[Record] = [
        (MAC_ID_NUMBER, "US", mac_id.to_bytes(2, "little")),
        (MAC_TRANSFER_SYNTAX, "UI", uid_value(transfer_syntax)),
        (MAC_ALGORITHM, "CS", text(algorithm)),
    ]
    sig_item: list[Record] = [
        (MAC_ID_NUMBER, "US", mac_id.to_bytes(2, "little")),
        (SIGNATURE_UID, "UI", uid_value(uid)),
        (SIGNATURE_DATETIME, "DT", text(datetime)),
        (CERTIFICATE_TYPE_TAG, "CS", text(CERTIFICATE_TYPE)),
        (CERTIFICATE_OF_SIGNER, "OB", pad(certificate_der, b"\0")),
    ]
    if purpose is not None:
        sig_item.append((PURPOSE_SEQUENCE, "SQ", [_purpose_item(purpose)]))
    return mac_item, sig_item


def data_elements_signed(tags: Sequence[int]) -> Record:
    """The Data Elements Signed (0400,0020) record."""
    return (
        DATA_ELEMENTS_SIGNED,
        "AT",
        b"".join(
            (t >> 16).to_bytes(2, "little") + (t & 0xFFFF).to_bytes(2, "little") for t in tags
        ),
    )


def signature_value(signature: bytes) -> Record:
    """The Signature (0400,0120) record, padded to even length."""
    return (SIGNATURE, "OB", pad(signature, b"\0"))
