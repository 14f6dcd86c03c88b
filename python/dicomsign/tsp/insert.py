"""Putting obtained timestamps into signatures: a new signature's (``sign(...,
timestamper=)``) or every signature that lacks one (``dicomsign timestamp``).

The token goes into the signature item as DCMTK's ``+t`` puts it (dcmsign-behaviour.md §7.2):
Certified Timestamp Type (0400,0305) ``CMS_TSP`` and Certified Timestamp (0400,0310), the DER
token padded to even length. Neither is part of the MAC: the signature stays valid. The bytes
timestamped are the Signature value with the DER pad byte of a DSA or ECDSA signature removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..items import pad, text
from ..pki.names import name_oneline
from ..results import TimestampInfo, TimestampStatus
from .client import HttpTimestamper, ObtainedTimestamp, obtain
from .reply import signature_data
from .verify import token_signer

if TYPE_CHECKING:
    from .. import _core
    from .._core import Record
    from .client import Timestamper

__all__ = [
    "StampedSignature",
    "find_signature",
    "obtained_info",
    "stamp_signature",
    "token_records",
    "unstamped_signatures",
]

CERTIFIED_TIMESTAMP_TYPE = 0x04000305
CERTIFIED_TIMESTAMP = 0x04000310


@dataclass(frozen=True)
class StampedSignature:
    """A signature that received a timestamp.

    Attributes
    ----------
    uid : str or None
        Its Digital Signature UID.
    location : str
        ``Main Dataset`` or the item path.
    timestamp : TimestampInfo
        The token inserted.
    """

    uid: str | None
    location: str
    timestamp: TimestampInfo


def token_records(der: bytes) -> list[Record]:
    """The two elements that hold a token in a signature item."""
    return [
        (CERTIFIED_TIMESTAMP_TYPE, "CS", text("CMS_TSP")),
        (CERTIFIED_TIMESTAMP, "OB", pad(der, b"\0")),
    ]


def obtained_info(obtained: ObtainedTimestamp, timestamper: Timestamper) -> TimestampInfo:
    """The :class:`TimestampInfo` of a token just obtained: ``valid`` when an
    :class:`HttpTimestamper` with a TSA trust anchor verified it whole, else ``not-verified``
    (its imprint was checked; verification checks the rest)."""
    token = obtained.token
    verified = isinstance(timestamper, HttpTimestamper) and timestamper.trust is not None
    tsa = token_signer(token)
    return TimestampInfo(
        TimestampStatus.VALID if verified else TimestampStatus.NOT_VERIFIED,
        gen_time=token.gen_time,
        tsa=name_oneline(tsa.subject) if tsa is not None else token.tsa_name,
        policy=token.policy,
        hash_algorithm=token.hash_algorithm,
        serial_number=token.serial_number,
    )


def find_signature(doc: _core.Document, uid: str) -> _core.Signature | None:
    """The signature with this UID (outside Original Attributes Sequence), if any."""
    signatures, _skipped = doc.signatures()
    for sig in signatures:
        if sig.uid == uid:
            return sig
    return None


def unstamped_signatures(doc: _core.Document) -> list[_core.Signature]:
    """The signatures without a Certified Timestamp, in DCMTK's order."""
    signatures, _skipped = doc.signatures()
    return [sig for sig in signatures if sig.timestamp is None and sig.signature]


def stamp_signature(
    doc: _core.Document, sig: _core.Signature, timestamper: Timestamper
) -> StampedSignature:
    """Obtain a timestamp of ``sig`` and put it into its item (in ``doc``, in memory).

    Raises
    ------
    TimestampError
        No acceptable token (the timestamper's reason), or one that does not cover the
        signature.
    """
    data = signature_data(sig.signature or b"", sig.certificate)
    obtained = obtain(timestamper, data)
    doc.put_signature_elements(list(sig.container), sig.index, token_records(obtained.der))
    return StampedSignature(sig.uid, sig.location, obtained_info(obtained, timestamper))
