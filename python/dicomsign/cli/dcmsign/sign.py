"""The ``--sign`` and ``--sign-item`` commands of ``dcmsign``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ... import _core
from ...exceptions import SignatureCreationError
from ...log import DcmtkLogger
from ...signers import SoftwareSigner
from ...signing import CreatedSignature, OutputRequest, sign_document
from ...verification import Check
from ...vocabulary import ValueRule, VerificationPolicy
from .options import Command, DcmsignOptions, KeyFormat

if TYPE_CHECKING:
    from cryptography import x509

__all__ = ["profile_checker", "sign", "write_timestamp_query"]

#: The value normalization used for new signatures: the same MAC for DCMTK 3.6 and 3.7.
SIGNING_RULE = ValueRule.DCMTK_3_7


def sign(
    doc: _core.Document,
    opts: DcmsignOptions,
    logger: DcmtkLogger,
    *,
    output: OutputRequest | None = None,
) -> ValueRule:
    """Create the signature the options ask for; returns the value rule to write with.

    With ``output``, the signed document is written there while signing (one pass).

    Raises
    ------
    KeyLoadError, CertificateLoadError
        The key or certificate cannot be loaded (exit code 20).
    SignatureCreationError
        Signing failed (exit code 85), with DCMTK's message.
    SupportFileError
        The dump file cannot be written (exit code 46).
    """
    item = opts.command is Command.SIGN_ITEM
    logger.info(
        "create signature in sequence item." if item else "create signature in main object."
    )
    signer = SoftwareSigner.from_files(
        opts.key_file or "",
        opts.certificate_file or "",
        der=opts.key_format is KeyFormat.DER,
        password=opts.password,
    )
    container: list[tuple[int, int]] = []
    if item:
        from ...location import resolve_location

        container = resolve_location(doc, opts.item_location or "")
    tags: tuple[int, ...] | None = None
    if opts.tags or opts.tag_file_tags is not None:
        # DCMTK's list: the tag file's tags in file order, then the -t values right to left
        # (the order in which it names absent ones).
        tags = tuple(opts.tag_file_tags or ()) + tuple(reversed(opts.tags))
    created = sign_document(
        doc,
        signer,
        container=container,
        location=opts.item_location,
        tags=tags,
        algorithm=opts.mac,
        purpose=opts.purpose,
        profile=opts.profile,
        old_format=opts.old_format,
        rule=SIGNING_RULE,
        dump=opts.dump_file,
        warn=logger.warn,
        output=output,
    )
    logger.debug(
        f"DcmSignature::createSignature(): {created.algorithm} MAC = {created.digest.hex()}"
    )
    if opts.creates_timestamp_query:
        where = f"item '{opts.item_location}'" if item else "main dataset"
        write_timestamp_query(created, signer.certificate, opts, logger, where)
    return SIGNING_RULE


def write_timestamp_query(
    created: CreatedSignature,
    certificate: x509.Certificate,
    opts: DcmsignOptions,
    logger: DcmtkLogger,
    where: str,
) -> None:
    """``+ts``: write the timestamp query and the UID file of a new signature, as DCMTK does
    between signing and saving (each file atomically; the query first).

    Raises
    ------
    SignatureCreationError
        DCMTK's message and exit code 85: an invalid policy, or a file that cannot be written.
    """
    from cryptography.hazmat.primitives.serialization import Encoding

    from ...exceptions import TimestampError, os_reason
    from ...tsp.query import build_query, write_atomically
    from ...tsp.reply import signature_data
    from ...tsp.uidfile import write_uid_file

    data = signature_data(created.signature, certificate.public_bytes(Encoding.DER))
    try:
        query = build_query(
            data,
            algorithm=opts.ts_mac,
            nonce=opts.ts_nonce,
            certificate=opts.ts_request_certificate,
            policy=opts.ts_policy_oid,
        )
    except TimestampError as exc:
        logger.warning(exc.message)
        raise SignatureCreationError(
            f"invalid object identifier (OID) string while creating signature in {where}"
        ) from None
    query_file = opts.ts_query_file or ""
    try:
        write_atomically(query_file, query.der)
    except OSError:
        logger.warning(f"Unable to create time stamp query file '{query_file}'")
        raise SignatureCreationError(
            f"unable to write time stamp query file while creating signature in {where}"
        ) from None
    uid_file = opts.ts_uid_file or ""
    try:
        write_uid_file(uid_file, created.uid)
    except OSError as exc:
        raise SignatureCreationError(
            f"{os_reason(exc, uid_file)} while creating signature in {where}"
        ) from None


def profile_checker(
    doc: _core.Document, policy: VerificationPolicy
) -> Callable[[Check], bool] | None:
    """The signature-profile test of a ``+rc``/``+ru``/``+rs`` policy, or None."""
    if policy in (VerificationPolicy.IF_PRESENT, VerificationPolicy.REQUIRE):
        return None
    from ...profiles import verification_check

    return verification_check(doc, policy)
