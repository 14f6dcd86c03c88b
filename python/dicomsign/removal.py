"""Removing signatures, as DCMTK ``dcmsign --remove UID`` and ``--remove-all`` do.

A removed Digital Signatures item takes its MAC Parameters item with it unless another
signature of the same container shares the MAC ID; sequences that become empty are deleted
(dcmsign-behaviour.md §8). Signatures inside Original Attributes Sequence are never touched.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import _core
from .exceptions import SignatureNotFoundError, SignatureRemovalError

__all__ = ["RemovedSignature", "remove_all", "remove_by_uid"]


@dataclass(frozen=True)
class RemovedSignature:
    """A signature that was removed.

    Attributes
    ----------
    number : int
        1-based position in DCMTK's visiting order before the removal.
    uid : str or None
        Its Digital Signature UID.
    location : str
        ``"Main Dataset"`` or the item path.
    """

    number: int
    uid: str | None
    location: str


def _remove(doc: _core.Document, sig: _core.SignatureDict) -> None:
    if sig["mac_id"] is None:
        raise SignatureRemovalError(
            f"signature with UID '{sig['uid'] or ''}' has no MAC ID number, cannot remove it"
        )
    doc.remove_signature(sig["container"], sig["index"])


def remove_by_uid(doc: _core.Document, uid: str) -> RemovedSignature:
    """Remove the first signature (DCMTK's order) whose UID equals ``uid``.

    Raises
    ------
    SignatureNotFoundError
        No signature has this UID (exit code 84).
    SignatureRemovalError
        The signature item has no MAC ID Number (exit code 83).
    """
    signatures, _skipped = doc.signatures()
    for number, sig in enumerate(signatures, 1):
        if sig["uid"] == uid:
            _remove(doc, sig)
            return RemovedSignature(number, sig["uid"], sig["location"])
    raise SignatureNotFoundError(f"signature with UID '{uid}' not found.")


def remove_all(doc: _core.Document) -> list[RemovedSignature]:
    """Remove every signature (none inside Original Attributes Sequence).

    Returns the removed signatures in DCMTK's order. Raises :class:`SignatureRemovalError`
    (exit code 83) for a signature item without MAC ID Number.
    """
    signatures, _skipped = doc.signatures()
    removed = [RemovedSignature(n, s["uid"], s["location"]) for n, s in enumerate(signatures, 1)]
    # Later items of a container first, so that earlier indices stay valid.
    for sig in sorted(signatures, key=lambda s: s["index"], reverse=True):
        _remove(doc, sig)
    return removed
