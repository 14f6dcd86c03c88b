"""Verification of every signature of a document, step by step as DCMTK ``dcmsign`` does it.

The engine (Rust) reads the document and computes, per signature, the digest of its MAC byte
stream; this module judges each signature in DCMTK's order of checks (dcmsign-behaviour.md
§6.2) and makes the final policy decision (§6.5). Where DCMTK has a bug that harms users, we
differ on purpose (README, "Deliberate differences"): the signature time is compared with the
certificate's validity offset-aware and inclusive, and the DER pad byte is trimmed in every
length form.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from typing import TYPE_CHECKING

from cryptography import x509

from . import _core, crypto, keys
from .exitcodes import ExitCode
from .items import CERTIFICATE_TYPE
from .results import SignatureInfo, SignatureStatus, VerificationReport

if TYPE_CHECKING:
    from ._core import VerifiedDict
    from .trust import TrustStore

__all__ = [
    "CERTIFICATE_TYPE",
    "Check",
    "Outcome",
    "TimestampPolicy",
    "VerificationPolicy",
    "engine_digests",
    "evaluate",
    "parse_dicom_datetime",
]


_FAILED = "signature verification failed: "
NO_MAC = _FAILED + "MAC parameters not be found or incomplete"
NO_CERTIFICATE = _FAILED + "certificate is missing or unreadable"
BAD_TRANSFER_SYNTAX = "unable to use the selected transfer syntax for MAC computation"
BAD_ALGORITHM = _FAILED + "MAC algorithm not supported"
BAD_TAGS = _FAILED + "DataElementsSigned missing or incorrect"
NO_SIGNATURE = _FAILED + "signature item incomplete"
UNSIGNABLE = "signature contains attribute that is not signable"
CORRUPTED = _FAILED + "signature is invalid (document corrupted)"
EXPIRED_AT_SIGNING = _FAILED + "certificate was expired at signature creation date"
NOT_YET_VALID_AT_SIGNING = _FAILED + "certificate was not yet valid at signature creation date"
CHAIN_FAILED = "signature is OK but certificate verification failed: "


class VerificationPolicy(StrEnum):
    """When verification fails for lack of signatures (``+rv``, ``+rg``, ``+rc``...)."""

    IF_PRESENT = "if-present"
    REQUIRE = "require"
    CREATOR = "creator"
    AUTHORIZATION = "authorization"
    SR = "sr"


class TimestampPolicy(StrEnum):
    """What to do with certified timestamps (``+tv``, ``-tv``, ``+tr``)."""

    VERIFY = "verify"
    IGNORE = "ignore"
    REQUIRE = "require"


@dataclass(frozen=True)
class Check:
    """One signature as verified, with what DCMTK prints about it.

    Attributes
    ----------
    info : SignatureInfo
        The public description, with status and message.
    raw : VerifiedDict
        What the engine returned for the signature.
    warnings : tuple of str
        Warnings DCMTK prints before the ``Signature #n`` line (certificate problems).
    notices : tuple of str
        Warnings DCMTK prints after the signature's details, just before its result: a weak
        key, once the signature itself has passed.
    result : str
        The text of DCMTK's ``Signature Verification`` line.
    timestamp : tuple of (str, str) or None
        (level, text) of DCMTK's ``Certified timestamp`` line, printed after the result when
        the signature itself passed.
    """

    info: SignatureInfo
    raw: VerifiedDict = field(repr=False)
    warnings: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()
    result: str = ""
    timestamp: tuple[str, str] | None = None


@dataclass(frozen=True)
class Outcome:
    """The result of :func:`evaluate`: the report and the per-signature checks."""

    report: VerificationReport
    checks: tuple[Check, ...]


_DT = re.compile(r"^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,6}))?([+-]\d{4})?$")


def parse_dicom_datetime(value: str) -> datetime | None:
    """Parse a DICOM DT value into an aware datetime (UTC when it carries no offset).

    Returns None for a value that is not a valid DT.
    """
    m = _DT.match(value.strip())
    if not m:
        return None
    year, month, day, hour, minute, second, frac, offset = m.groups()
    try:
        tz = UTC
        if offset:
            sign = -1 if offset[0] == "-" else 1
            tz = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])))
        micro = int((frac or "0").ljust(6, "0"))
        return datetime(
            int(year),
            int(month or 1),
            int(day or 1),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            micro,
            tzinfo=tz,
        )
    except ValueError:
        return None


def _certificate(raw: VerifiedDict) -> tuple[x509.Certificate | None, list[str]]:
    """Read the signer's certificate as DCMTK does when selecting a signature."""
    ctype = raw["certificate_type"]
    if ctype is None:
        return None, ["Certificate type missing in dataset."]
    if ctype != CERTIFICATE_TYPE:
        return None, [
            f"Encountered unsupported certificate type '{ctype}' (expected '{CERTIFICATE_TYPE}')."
        ]
    data = raw["certificate"]
    if data is None:
        return None, ["Certificate missing in dataset."]
    try:
        cert = x509.load_der_x509_certificate(crypto.trim_der(data))
    except ValueError:
        return None, ["Unable to parse X.509 certificate."]
    return cert, []


def _signature_status(
    raw: VerifiedDict, cert: x509.Certificate | None
) -> tuple[SignatureStatus, str, str | None]:
    """DCMTK's ``verifyCurrent``: the first failing check gives the message."""
    failure = raw["failure"]
    if failure == "no-mac-item":
        return SignatureStatus.CORRUPTED, NO_MAC, None
    if cert is None or keys.key_type(cert) not in (
        keys.KeyType.RSA,
        keys.KeyType.DSA,
        keys.KeyType.EC,
    ):
        return SignatureStatus.CORRUPTED, NO_CERTIFICATE, None
    if failure in ("no-transfer-syntax", "no-algorithm"):
        return SignatureStatus.CORRUPTED, NO_MAC, None
    if failure == "unknown-transfer-syntax":
        return SignatureStatus.CORRUPTED, BAD_TRANSFER_SYNTAX, None
    if failure == "unknown-algorithm":
        return SignatureStatus.CORRUPTED, BAD_ALGORITHM, None
    if failure == "no-tags":
        return SignatureStatus.CORRUPTED, BAD_TAGS, None
    signature = raw["signature"]
    if signature is None:
        return SignatureStatus.CORRUPTED, NO_SIGNATURE, None
    if failure == "unsignable":
        return SignatureStatus.CORRUPTED, UNSIGNABLE, None
    if failure is not None:
        return SignatureStatus.CORRUPTED, failure.removeprefix("encode: "), None
    algorithm = raw["mac_algorithm"] or ""
    public_key = cert.public_key()
    rule = None
    for candidate, digest in (("3.6", raw["digest"]), ("3.7", raw["digest_37"])):
        if digest is not None and crypto.verify_digest(public_key, algorithm, digest, signature):
            rule = candidate
            break
    if rule is None:
        return SignatureStatus.CORRUPTED, CORRUPTED, None
    when = parse_dicom_datetime(raw["datetime"] or "") if raw["datetime_vr"] == "DT" else None
    if when is None or when > cert.not_valid_after_utc:
        return SignatureStatus.EXPIRED, EXPIRED_AT_SIGNING, rule
    if when < cert.not_valid_before_utc:
        return SignatureStatus.NOT_YET_VALID, NOT_YET_VALID_AT_SIGNING, rule
    return SignatureStatus.VALID, "OK", rule


_CHAIN_STATUS = {
    "certificate revoked": SignatureStatus.REVOKED,
    "certificate has expired": SignatureStatus.EXPIRED,
    "certificate is not yet valid": SignatureStatus.NOT_YET_VALID,
}


def _check_one(
    number: int,
    raw: VerifiedDict,
    trust: TrustStore | None,
    timestamps: TimestampPolicy,
) -> Check:
    cert, warnings = _certificate(raw)
    if raw["mac_id"] is None:
        warnings.insert(0, "Cannot read MAC ID number in DigitalSignaturesSequence.")
    status, message, rule = _signature_status(raw, cert)
    result = message
    timestamp: tuple[str, str] | None = None
    notices: list[str] = []
    if status is SignatureStatus.VALID and cert is not None:
        weak = keys.weak_key_warning(cert)
        if weak:
            notices.append(weak)
        chain_error = "unable to get local issuer certificate"
        if trust is not None:
            chain_error = trust.verify_chain(cert) or ""
        if chain_error:
            status = _CHAIN_STATUS.get(chain_error, SignatureStatus.UNTRUSTED)
            message = result = CHAIN_FAILED + chain_error
    if status is SignatureStatus.VALID:
        if raw["timestamp"] is None:
            if timestamps is TimestampPolicy.REQUIRE:
                status = SignatureStatus.CORRUPTED
                message = "certified timestamp absent, but required by timestamp policy"
                timestamp = ("W", "absent, but required by timestamp policy")
            else:
                timestamp = ("I", "absent")
        elif timestamps is TimestampPolicy.IGNORE:
            timestamp = ("I", "present, but ignored according to timestamp policy")
        else:
            timestamp = ("W", "present, but not verified: certified timestamps are not supported")
    info = SignatureInfo(
        number=number,
        uid=raw["uid"],
        location=raw["location"],
        container=tuple(tuple(step) for step in raw["container"]),  # type: ignore[misc]
        mac_id=raw["mac_id"],
        mac_algorithm=raw["mac_algorithm"],
        mac_transfer_syntax=raw["mac_transfer_syntax"],
        signed_tags=tuple(raw["tags"] or ()),
        datetime=raw["datetime"],
        purpose=raw["purpose"],
        signer=keys.name_oneline(cert.subject) if cert is not None else None,
        certificate=cert,
        status=status,
        message=message,
        value_rule=rule,
        has_timestamp=raw["timestamp"] is not None,
    )
    return Check(info, raw, tuple(warnings), tuple(notices), result, timestamp)


_PROFILE_NAMES = {
    VerificationPolicy.CREATOR: "Creator RSA Signature",
    VerificationPolicy.AUTHORIZATION: "Authorization RSA Signature",
    VerificationPolicy.SR: "SR RSA Signature",
}


def evaluate(
    signatures: Sequence[VerifiedDict],
    *,
    trust: TrustStore | None = None,
    policy: VerificationPolicy = VerificationPolicy.IF_PRESENT,
    timestamps: TimestampPolicy = TimestampPolicy.VERIFY,
    profile_check: Callable[[Check], bool] | None = None,
    skipped: int = 0,
) -> Outcome:
    """Judge every signature and make DCMTK's final decision.

    Parameters
    ----------
    signatures : sequence of VerifiedDict
        The engine's results (``Document``/``verify_file``), in DCMTK's order.
    trust : TrustStore, optional
        Trust anchors, intermediates and CRLs; without one every chain fails as DCMTK's does
        with an empty store ("unable to get local issuer certificate").
    policy : VerificationPolicy
        ``+rv`` (default), ``+rg``, or a profile requirement (``+rc``, ``+ru``, ``+rs``).
    timestamps : TimestampPolicy
        ``+tv`` (default), ``-tv`` or ``+tr``.
    profile_check : callable, optional
        For profile policies: tells whether a signature fulfils the required profile.
    skipped : int
        Signature sequences the engine skipped inside Original Attributes Sequence.

    Returns
    -------
    Outcome
        The report (statuses and exit code) and the per-signature checks.
    """
    checks = tuple(_check_one(n, raw, trust, timestamps) for n, raw in enumerate(signatures, 1))
    infos = tuple(c.info for c in checks)
    if not checks:
        if policy is VerificationPolicy.IF_PRESENT:
            report = VerificationReport(infos, ExitCode.NO_ERROR, skipped=skipped)
        else:
            report = VerificationReport(
                infos,
                ExitCode.NO_SIGNATURES_PRESENT,
                "no signatures found although required by the signature verification policy.",
                skipped,
            )
        return Outcome(report, checks)
    profile_name = _PROFILE_NAMES.get(policy)
    if profile_name is not None and (
        profile_check is None or not any(profile_check(c) for c in checks)
    ):
        report = VerificationReport(
            infos,
            ExitCode.SIGNATURE_VERIFICATION_POLICY,
            f"No signature in this dataset fulfills the required {profile_name} signature policy",
            skipped,
        )
        return Outcome(report, checks)
    corrupted = any(c.info.status is not SignatureStatus.VALID for c in checks)
    code = ExitCode.SIGNATURE_VERIFICATION_FAILED if corrupted else ExitCode.NO_ERROR
    return Outcome(VerificationReport(infos, code, skipped=skipped), checks)


def engine_digests(
    doc: _core.Document, *, old_format: bool = False
) -> tuple[list[VerifiedDict], int]:
    """Run the engine half of verification on an open document (GIL released)."""
    return doc.verify_digests(old_format=old_format)
