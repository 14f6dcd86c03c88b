"""Creating a signature in a dataset or item, as DCMTK ``dcmsign --sign``/``--sign-item``.

The engine computes the MAC digest over DCMTK's in-memory model; this module builds the MAC
Parameters and Digital Signatures items (dcmsign-behaviour.md §3), signs the digest through a
:class:`~dicomsign.signers.Signer` and hands the items back to the engine.

Deliberate differences from DCMTK (README): values are normalized so that DCMTK 3.6 and 3.7
compute the same MAC (:attr:`ValueRule.DCMTK_3_7`), the signature time is written in UTC, DSA/ECDSA
signatures have an even DER length, and the Digital Signature UID is a ``2.25`` UUID UID.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from . import _core
from .engine import ensure_dictionary
from .exceptions import SignatureCreationError
from .items import (
    data_elements_signed,
    mac_transfer_syntax,
    signature_datetime,
    signature_items,
    signature_value,
)
from .pki.certificates import format_asn1_time, weak_key_warning
from .profiles import check_dataset, check_key, required_if_present, required_tags
from .purposes import SignaturePurpose
from .vocabulary import MacAlgorithm, Profile, ValueRule, WriteTransferSyntax

if TYPE_CHECKING:
    from cryptography import x509

    from ._core import ItemPath
    from .signers import Signer

__all__ = [
    "CreatedSignature",
    "mac_transfer_syntax",
    "sign_document",
    "signature_datetime",
]


@dataclass(frozen=True)
class OutputRequest:
    """Where and how :func:`sign_document` writes the signed document.

    Attributes
    ----------
    path : str or PathLike
        The output file.
    syntax : WriteTransferSyntax
        The output transfer syntax.
    explicit_lengths : bool
        Explicit (default) or undefined lengths of sequences and items.
    """

    path: str | os.PathLike[str]
    syntax: WriteTransferSyntax = WriteTransferSyntax.SAME
    explicit_lengths: bool = True


@dataclass(frozen=True)
class CreatedSignature:
    """What :func:`sign_document` made.

    Attributes
    ----------
    uid : str
        The new Digital Signature UID.
    mac_id : int
        The MAC ID Number used in its container.
    container : list of (int, int)
        Where it was put (empty for the main dataset).
    signed_tags : tuple of int
        Data Elements Signed.
    algorithm : MacAlgorithm
        The MAC algorithm.
    transfer_syntax : str
        The MAC Calculation Transfer Syntax UID.
    datetime : str
        The Digital Signature DateTime written.
    digest : bytes
        The MAC digest that was signed.
    purpose : SignaturePurpose or None
        The purpose written (``+pv`` forces Verification Signature).
    signature : bytes
        The Signature (0400,0120) value as made (before the pad to even length).
    """

    uid: str
    mac_id: int
    container: ItemPath
    signed_tags: tuple[int, ...]
    algorithm: MacAlgorithm
    transfer_syntax: str
    datetime: str
    digest: bytes
    purpose: SignaturePurpose | None = None
    signature: bytes = b""


def _where(container: ItemPath, location: str | None) -> str:
    if not container:
        return "main dataset"
    return f"item '{location or _core.location_string(container)}'"


def _certificate_warnings(
    cert: x509.Certificate, now: datetime | None, warn: Callable[[str], None]
) -> None:
    """DCMTK's warnings about a weak key and an expired or not yet valid certificate."""
    weak = weak_key_warning(cert)
    if weak:
        warn(weak)
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    if moment > cert.not_valid_after_utc:
        warn(
            f"Certificate has expired {format_asn1_time(cert.not_valid_after_utc)}, "
            "signature will be invalid."
        )
    elif moment < cert.not_valid_before_utc:
        warn(
            "Certificate is not yet valid, validity starts "
            f"{format_asn1_time(cert.not_valid_before_utc)}, signature will be invalid."
        )


def _select(
    doc: _core.Document,
    path: ItemPath,
    tags: Sequence[int] | None,
    profile: Profile,
    where: str,
) -> list[int]:
    """Data Elements Signed, in dataset order, with DCMTK's checks in DCMTK's order.

    Every selected element present must be signable (the user's and the profile's required
    ones alike); then the profile's unconditionally required attributes must be selected.
    Tags the user asked for that are absent are checked later (:func:`_check_present`).
    """
    elements = doc.elements(path)
    if not elements:
        raise SignatureCreationError(
            f"selected dataset or item is empty, nothing to sign while creating signature in {where}"
        )
    required = required_if_present(profile, [tag for tag, _vr, _signable, _sq in elements])
    wanted = set(tags) if tags is not None else set()
    selection: list[int] = []
    for tag, _vr, signable, _sq in elements:
        if tags is None and signable:
            selection.append(tag)
        elif tag in wanted or required(tag):
            if not signable:
                raise SignatureCreationError(
                    "list of attributes to be signed contains attribute that is not signable "
                    f"while creating signature in {where}"
                )
            selection.append(tag)
    if not required_tags(profile) <= set(selection):
        raise SignatureCreationError(
            "cannot create signature for current signature profile: required attributes "
            f"missing while creating signature in {where}"
        )
    return selection


def _check_present(
    doc: _core.Document,
    path: ItemPath,
    tags: Sequence[int] | None,
    selection: Sequence[int],
    where: str,
) -> None:
    """Refuse tags the user asked for that the dataset or item lacks, and an empty selection.

    DCMTK names every missing tag, in the order given (duplicates included), after computing
    the MAC; an empty selection is our refusal of DCMTK's unverifiable empty signature.
    """
    present = set(selection)
    missing = [tag for tag in tags or () if tag not in present]
    if missing:
        lines = [
            f"attribute ({tag >> 16:04x},{tag & 0xFFFF:04x}) should be signed but is not "
            "present in the dataset."
            for tag in missing
        ]
        lines.append(f"Tag not found while creating signature in {where}")
        raise SignatureCreationError("\n".join(lines))
    if tags is not None and not tags:
        # DCMTK signs an empty Data Elements Signed for an empty tag file, and can never
        # verify it (a bug).
        raise SignatureCreationError(
            "list of attributes to be signed is empty, nothing to sign "
            f"while creating signature in {where}"
        )
    if not selection:
        # DCMTK signs an empty Data Elements Signed here and can never verify it (a bug).
        raise SignatureCreationError(
            "selected dataset or item has no signable attributes, nothing to sign "
            f"while creating signature in {where}"
        )


def sign_document(
    doc: _core.Document,
    signer: Signer,
    *,
    container: ItemPath | None = None,
    location: str | None = None,
    tags: Sequence[int] | None = None,
    algorithm: MacAlgorithm | str = MacAlgorithm.SHA256,
    purpose: SignaturePurpose | None = None,
    old_format: bool = False,
    rule: ValueRule = ValueRule.DCMTK_3_7,
    dump: str | None = None,
    profile: Profile = Profile.NONE,
    transfer_syntax: str | None = None,
    output: OutputRequest | None = None,
    warn: Callable[[str], None] | None = None,
    now: datetime | None = None,
) -> CreatedSignature:
    """Create one signature in the main dataset or in an item of ``doc``.

    Parameters
    ----------
    doc : dicomsign._core.Document
        The document, modified in place (the new items are appended).
    signer : Signer
        Holds the certificate and signs the digest.
    container : list of (int, int), optional
        The item to sign (``--sign-item``); the main dataset when empty or None.
    location : str, optional
        The location text the user gave, for messages.
    tags : sequence of int, optional
        Sign only these top-level elements (``--tag``); every signable element when None.
    algorithm : MacAlgorithm or str
        The MAC algorithm (a DICOM defined term).
    purpose : SignaturePurpose, optional
        Adds the Digital Signature Purpose Code Sequence.
    old_format : bool
        DCMTK's pre-3.5.4 encapsulated pixel data format (``--format-old``).
    rule : ValueRule
        Value normalization: ``DCMTK_3_7`` makes the MAC the same for DCMTK 3.6 and 3.7
        (default); ``DCMTK_3_6`` reproduces DCMTK 3.6's stream exactly. The output must be written with the same
        rule.
    dump : str, optional
        Write the MAC byte stream to this file (``--dump``).
    profile : Profile
        Enforce a signature profile: key type, dataset checks, required attributes.
    transfer_syntax : str, optional
        The MAC Calculation Transfer Syntax; by default DCMTK's choice (the document's
        transfer syntax, explicit VR little endian instead of implicit VR or big endian).
        DCMTK verifies implicit VR little endian and explicit VR big endian MACs too.
    output : OutputRequest, optional
        Also write the signed document to this file (atomically). For a signature in the main
        dataset the file is written while the MAC is hashed, one pass over the data.
    warn : callable, optional
        Receives warnings (weak key, expired or not yet valid certificate).
    now : datetime, optional
        The signing time (for tests); the current time by default.

    Returns
    -------
    CreatedSignature

    Raises
    ------
    SignatureCreationError
        For every failure, with DCMTK's message (exit code 85).
    SupportFileError
        When the dump file cannot be created (exit code 46).
    """
    ensure_dictionary()
    path: ItemPath = list(container or [])
    where = _where(path, location)
    try:
        mac = MacAlgorithm(algorithm)
    except ValueError:
        raise SignatureCreationError(f"unknown MAC algorithm '{algorithm}'") from None
    cert = signer.certificate
    # DCMTK's order: the profile's dataset check, the key/certificate match, the key type, then
    # the warnings about the certificate.
    check_dataset(profile, doc, path, where, warn)
    check = getattr(signer, "check_matches", None)
    if check is not None:
        try:
            check()
        except SignatureCreationError as exc:
            raise SignatureCreationError(
                f"{exc.message} while creating signature in {where}"
            ) from exc
    check_key(profile, signer, where)
    if warn is not None:
        _certificate_warnings(cert, now, warn)
    selection = _select(doc, path, tags, profile, where)
    if profile is Profile.SR_RSA_VERIFICATION:
        if purpose is not None and purpose is not SignaturePurpose.VERIFICATION and warn:
            warn(
                "Signature profile requires purpose code 5, ignoring user selection "
                f"{int(purpose)}."
            )
        purpose = SignaturePurpose.VERIFICATION
    _check_present(doc, path, tags, selection, where)
    mac_id = doc.next_mac_id(path)
    transfer_syntax = transfer_syntax or mac_transfer_syntax(doc.transfer_syntax)
    uid = _core.new_uid()
    when = signature_datetime(now.timestamp() if now is not None else None)
    from cryptography.hazmat.primitives.serialization import Encoding

    mac_item, sig_item = signature_items(
        mac_id=mac_id,
        uid=uid,
        datetime=when,
        algorithm=mac,
        transfer_syntax=transfer_syntax,
        certificate_der=cert.public_bytes(Encoding.DER),
        purpose=purpose,
    )
    if output is not None and not path and doc.can_sign_and_write():
        # One pass over the data: the file is written while the MAC is hashed.
        mac_item.append(data_elements_signed(selection))
        made: list[bytes] = []

        def sign_digest(value: bytes) -> bytes:
            made.append(signer.sign_digest(mac, value))
            return made[-1]

        digest, signed, _ambiguous = doc.sign_and_write(
            selection,
            mac_item,
            sig_item,
            sign_digest,
            str(output.path),
            algorithm=mac,
            transfer_syntax=transfer_syntax,
            old_format=old_format,
            rule=rule,
            dump=dump,
            syntax=output.syntax,
            explicit_lengths=output.explicit_lengths,
        )
        assert list(signed) == list(selection)
        signature = made[-1]
    else:
        digest, signed, _ambiguous = doc.new_signature_digest(
            path,
            selection,
            sig_item,
            algorithm=mac,
            transfer_syntax=transfer_syntax,
            old_format=old_format,
            rule=rule,
            dump=dump,
        )
        signature = signer.sign_digest(mac, digest)
        sig_item.append(signature_value(signature))
        mac_item.append(data_elements_signed(signed))
        doc.add_signature(path, mac_item, sig_item)
        if output is not None:
            doc.write(
                str(output.path),
                syntax=output.syntax,
                explicit_lengths=output.explicit_lengths,
                rule=rule,
            )
    return CreatedSignature(
        uid=uid,
        mac_id=mac_id,
        container=path,
        signed_tags=tuple(signed),
        algorithm=mac,
        transfer_syntax=transfer_syntax,
        datetime=when,
        digest=digest,
        purpose=purpose,
        signature=signature,
    )
