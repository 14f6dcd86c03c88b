"""Removing signatures, as DCMTK ``dcmsign --remove UID`` and ``--remove-all`` do.

A removed Digital Signatures item takes its MAC Parameters item with it unless another
signature of the same container shares the MAC ID; sequences that become empty are deleted
(dcmsign-behaviour.md §8). Signatures inside Original Attributes Sequence are never touched.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from . import _core
from .exceptions import SignatureNotFoundError, SignatureRemovalError

__all__ = ["NO_MAC_ID_WARNING", "RemovedSignature", "remove_all", "remove_by_uid"]

#: DCMTK's warning for a signature item without a readable MAC ID Number.
NO_MAC_ID_WARNING = "Cannot read MAC ID number in DigitalSignaturesSequence."

Notify = Callable[["RemovedSignature"], None]
Warn = Callable[[str], None]


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


def _remove(doc: _core.Document, sig: _core.Signature, index: int) -> None:
    if sig.mac_id is None:
        raise SignatureRemovalError("Tag not found: while removing signature")
    doc.remove_signature(sig.container, index)


def remove_by_uid(
    doc: _core.Document,
    uid: str,
    *,
    warn: Warn | None = None,
    notify: Notify | None = None,
) -> RemovedSignature:
    """Remove the first signature (DCMTK's order) whose UID equals ``uid``.

    ``warn`` receives DCMTK's warnings about the signatures visited; ``notify`` the signature
    about to be removed.

    Raises
    ------
    SignatureNotFoundError
        No signature has this UID (exit code 84).
    SignatureRemovalError
        The signature item has no MAC ID Number (exit code 83).
    """
    signatures, _skipped = doc.signatures()
    for number, sig in enumerate(signatures, 1):
        if sig.mac_id is None and warn is not None:
            warn(NO_MAC_ID_WARNING)
        if sig.uid == uid:
            removed = RemovedSignature(number, sig.uid, sig.location)
            if notify is not None:
                notify(removed)
            _remove(doc, sig, sig.index)
            return removed
    raise SignatureNotFoundError(f"signature with UID '{uid}' not found.")


def remove_all(
    doc: _core.Document, *, warn: Warn | None = None, notify: Notify | None = None
) -> list[RemovedSignature]:
    """Remove every signature (none inside Original Attributes Sequence), in DCMTK's order.

    Raises :class:`SignatureRemovalError` (exit code 83) for a signature item without MAC ID
    Number; the signatures before it are removed.
    """
    signatures, _skipped = doc.signatures()
    removed: list[RemovedSignature] = []
    gone: Counter[tuple[tuple[int, int], ...]] = Counter()
    for number, sig in enumerate(signatures, 1):
        if sig.mac_id is None and warn is not None:
            warn(NO_MAC_ID_WARNING)
        entry = RemovedSignature(number, sig.uid, sig.location)
        if notify is not None:
            notify(entry)
        key = tuple((tag, index) for tag, index in sig.container)
        _remove(doc, sig, sig.index - gone[key])
        gone[key] += 1
        removed.append(entry)
    return removed
