"""Verification of every signature of a document, as DCMTK ``dcmsign`` does it.

The engine judges each signature by itself (``Document.check_signatures``: DCMTK's checks in
DCMTK's order up to the certificate chain, dcmsign-behaviour.md §6.2). This module adds what
follows in DCMTK's order: the certificate chain (:mod:`dicomsign.pki`), the certified
timestamp policy (:mod:`dicomsign.tsp`), and the final policy decision (§6.5). Beyond DCMTK,
a signature that passed all of these can have its signer certificate's revocation checked
live (OCSP, :mod:`dicomsign.pki.ocsp`), also when the chain was judged by the engine alone.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

from cryptography import x509

from .exitcodes import ExitCode
from .pki.names import name_oneline
from .results import (
    RevocationState,
    SignatureInfo,
    SignatureStatus,
    TimestampInfo,
    TimestampStatus,
    VerificationReport,
)
from .tsp import HEALED, TimestampJudgement, TimestampToken, judge_timestamp, read_token
from .tsp.reply import signature_data_candidates
from .tsp.verify import token_signer
from .vocabulary import Outcome, TimestampPolicy, ValidationTime, VerificationPolicy

if TYPE_CHECKING:
    from ._core import Signature, SignatureCheck
    from .pki import TrustStore
    from .pki.ocsp import OcspChecker
    from .policy import Policy

__all__ = [
    "Check",
    "TimestampPolicy",
    "ValidationTime",
    "Verification",
    "VerificationPolicy",
    "claimed_time",
    "evaluate",
]

CHAIN_FAILED = "signature is OK but certificate verification failed: "
REVOCATION_UNKNOWN = "signature is OK but the certificate's revocation status is unknown: "
POLICY_VIOLATED = "signature is OK but violates the policy: "

_STATUS = {
    Outcome.VALID: SignatureStatus.VALID,
    Outcome.EXPIRED_AT_SIGNING: SignatureStatus.EXPIRED,
    Outcome.NOT_YET_VALID_AT_SIGNING: SignatureStatus.NOT_YET_VALID,
}

_CHAIN_STATUS = {
    "certificate revoked": SignatureStatus.REVOKED,
    "certificate has expired": SignatureStatus.EXPIRED,
    "certificate is not yet valid": SignatureStatus.NOT_YET_VALID,
}


@dataclass(frozen=True)
class Check:
    """One signature as verified, with what DCMTK prints about it.

    Attributes
    ----------
    info : SignatureInfo
        The public description, with status and message.
    verdict : dicomsign._core.SignatureCheck
        The engine's verdict on the signature by itself.
    warnings : tuple of str
        Warnings DCMTK prints before the ``Signature #n`` line (MAC ID, certificate problems).
    notices : tuple of str
        Warnings DCMTK prints after the signature's details, just before its result: a weak
        key, once the signature itself has passed.
    result : str
        The text of DCMTK's ``Signature Verification`` line.
    timestamp : TimestampJudgement or None
        The timestamp step (:func:`dicomsign.tsp.judge_timestamp`), taken when the signature
        itself passed or failed only because its certificate has expired.
    """

    info: SignatureInfo
    verdict: SignatureCheck = field(repr=False)
    warnings: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()
    result: str = ""
    timestamp: TimestampJudgement | None = None


@dataclass(frozen=True)
class Verification:
    """The result of :func:`evaluate`: the report and the per-signature checks."""

    report: VerificationReport
    checks: tuple[Check, ...]


@functools.lru_cache(maxsize=256)
def _certificate(der: bytes) -> tuple[x509.Certificate, str] | None:
    """The certificate and its subject in DCMTK's one-line form; the few signers of an
    archive are parsed and named once, not once per file."""
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        return None
    return cert, name_oneline(cert.subject)


_DT = re.compile(r"(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,6}))?([+-]\d{4})?\s*$")


def claimed_time(value: str | None) -> datetime | None:
    """The Digital Signature DateTime (DICOM DT) as an aware datetime; UTC when it carries no
    offset; None when it cannot be read."""
    match = _DT.match((value or "").strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        zone = UTC
        if offset is not None:
            minutes = int(offset[1:3]) * 60 + int(offset[3:5])
            zone = timezone(timedelta(minutes=-minutes if offset[0] == "-" else minutes))
        return datetime(
            int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0),
            int(second or 0), int((fraction or "0").ljust(6, "0")), tzinfo=zone,
        ).astimezone(UTC)  # fmt: skip
    except ValueError:
        return None


def _timestamp_info(
    sig: Signature,
    token: TimestampToken | None,
    read_warnings: tuple[str, ...],
    judged: TimestampJudgement | None,
    trust: TrustStore | None,
) -> TimestampInfo | None:
    """What the results say about a signature's certified timestamp (None without one)."""
    if sig.timestamp is None:
        return None
    if token is None:
        why = read_warnings[0] if read_warnings else "no Certified Timestamp Type"
        return TimestampInfo(TimestampStatus.UNREADABLE, message=why)
    verification = judged.verification if judged is not None else None
    tsa_cert = verification.tsa_certificate if verification is not None else None
    if tsa_cert is None:
        untrusted = [c.cert for c in trust.untrusted] if trust is not None else []
        try:
            tsa_cert = token_signer(token, untrusted)
        except (ValueError, KeyError, TypeError):
            tsa_cert = None
    status = TimestampStatus.NOT_VERIFIED
    if verification is not None:
        status = TimestampStatus.VALID if verification.ok else TimestampStatus.INVALID
    try:
        gen_time: datetime | None = token.gen_time
    except (ValueError, TypeError, AssertionError):
        gen_time = None
    return TimestampInfo(
        status,
        gen_time=gen_time,
        tsa=name_oneline(tsa_cert.subject) if tsa_cert is not None else token.tsa_name,
        policy=token.policy,
        hash_algorithm=token.hash_algorithm,
        serial_number=token.serial_number,
        message=verification.reason if verification is not None else None,
    )


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _check_one(
    number: int,
    verdict: SignatureCheck,
    trust: TrustStore | None,
    timestamps: TimestampPolicy,
    chains_trusted: bool,
    ocsp: OcspChecker | None = None,
    rules: Policy | None = None,
    validation_time: ValidationTime | datetime = ValidationTime.NOW,
) -> Check:
    sig = verdict.signature
    der = verdict.certificate
    known = _certificate(der) if der is not None else None
    cert, signer = known if known is not None else (None, None)
    token, read_warnings = read_token(sig.timestamp_type, sig.timestamp)
    status = _STATUS.get(verdict.outcome, SignatureStatus.CORRUPTED)
    message = result = verdict.message
    timestamp: TimestampJudgement | None = None
    early: TimestampJudgement | None = None
    notices: list[str] = []
    expired = False
    by_timestamp = ""
    at: datetime | None = None
    data = signature_data_candidates(sig.signature or b"", verdict.certificate)
    if status is SignatureStatus.VALID:
        if verdict.weak_key_warning is not None:
            notices.append(verdict.weak_key_warning)
        if isinstance(validation_time, datetime):
            at = validation_time
        elif validation_time is ValidationTime.CLAIMED:
            at = claimed_time(sig.datetime)
        elif validation_time is ValidationTime.TIMESTAMP and token is not None:
            # The timestamp first: its genTime is when the chain is judged.
            early = judge_timestamp(token, timestamps, data=data, signer=cert, trust=trust)
            if early.verification is not None and early.verification.ok:
                at = early.verification.gen_time
        chain_error = "unable to get local issuer certificate"
        if chains_trusted and at is None:
            chain_error = ""
        elif trust is not None and cert is not None:
            chain_error = trust.verify_chain(cert, at) or ""
        if chain_error:
            status = _CHAIN_STATUS.get(chain_error, SignatureStatus.UNTRUSTED)
            message = result = CHAIN_FAILED + chain_error
            expired = chain_error == "certificate has expired"
        elif early is not None and at is not None and trust is not None and cert is not None:
            # Valid at genTime: by the timestamp only if the chain fails now.
            by_timestamp = "" if chains_trusted else trust.verify_chain(cert) or ""
    if status is SignatureStatus.VALID or expired:
        if early is not None:
            timestamp = TimestampJudgement(timestamps, token, early.verification, expired)
        else:
            timestamp = judge_timestamp(
                token, timestamps, data=data, signer=cert, trust=trust, expired=expired
            )
        if timestamp.healed:
            status, message = SignatureStatus.VALID_BY_TIMESTAMP, HEALED
        elif timestamp.failure is not None:
            status, message = SignatureStatus.CORRUPTED, timestamp.failure
        elif by_timestamp and timestamp.verification is not None:
            status = SignatureStatus.VALID_BY_TIMESTAMP
            message = (
                f"OK, certificate valid at the timestamp's genTime "
                f"{_utc_text(timestamp.verification.gen_time)} ({by_timestamp} now)"
            )
    proven: datetime | None = None
    if timestamp is not None and timestamp.verification is not None and timestamp.verification.ok:
        proven = timestamp.verification.gen_time
    revocation = None
    if status.ok and ocsp is not None and cert is not None:
        # Long-term validation: a verified timestamp proves the signature existed at genTime.
        checked = ocsp.verdict(cert, ocsp.issuer_of(cert, trust), existed_at=proven)
        revocation = checked.info
        if checked.failure == "revoked":
            status = SignatureStatus.REVOKED
            message = result = f"{CHAIN_FAILED}certificate revoked: {checked.text}"
        elif checked.failure == "unknown":
            status = SignatureStatus.REVOCATION_UNKNOWN
            message = result = REVOCATION_UNKNOWN + checked.text
        elif checked.info.state is RevocationState.REVOKED:
            status = SignatureStatus.VALID_BY_TIMESTAMP
            message = f"OK, certificate revoked after the timestamp: {checked.text}"
    if status.ok and rules is not None:
        broken = rules.violations(sig.mac_algorithm, cert, sig.timestamp is not None)
        if broken:
            status = SignatureStatus.POLICY_VIOLATION
            message = result = POLICY_VIOLATED + "; ".join(broken)
    info = SignatureInfo(
        number=number,
        uid=sig.uid,
        location=sig.location,
        container=tuple(sig.container),
        mac_id=sig.mac_id,
        mac_algorithm=sig.mac_algorithm,
        mac_transfer_syntax=sig.mac_transfer_syntax,
        signed_tags=tuple(sig.tags or ()),
        datetime=sig.datetime,
        purpose=sig.purpose,
        signer=signer,
        certificate=cert,
        status=status,
        message=message,
        value_rule=verdict.value_rule,
        has_timestamp=sig.timestamp is not None,
        revocation=revocation,
        timestamp=_timestamp_info(sig, token, read_warnings, timestamp or early, trust),
        validated_at=at,
    )
    warnings = (*verdict.warnings, *read_warnings)
    return Check(info, verdict, warnings, tuple(notices), result, timestamp)


_PROFILE_NAMES = {
    VerificationPolicy.CREATOR: "Creator RSA Signature",
    VerificationPolicy.AUTHORIZATION: "Authorization RSA Signature",
    VerificationPolicy.SR: "SR RSA Signature",
}


def evaluate(
    verdicts: Iterable[SignatureCheck],
    *,
    trust: TrustStore | None = None,
    policy: VerificationPolicy = VerificationPolicy.IF_PRESENT,
    timestamps: TimestampPolicy = TimestampPolicy.VERIFY,
    profile_check: Callable[[Check], bool] | None = None,
    skipped: int = 0,
    chains_trusted: bool = False,
    ocsp: OcspChecker | None = None,
    rules: Policy | None = None,
    validation_time: ValidationTime | str | datetime = ValidationTime.NOW,
) -> Verification:
    """Judge every signature and make DCMTK's final decision.

    Parameters
    ----------
    verdicts : iterable of dicomsign._core.SignatureCheck
        The engine's verdicts (``Document.check_signatures().checks``), in DCMTK's order.
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
    chains_trusted : bool
        The caller already knows every certificate chain is valid
        (``SignatureChecks.surely_valid``): ``trust`` is not consulted for the chain.
    ocsp : OcspChecker, optional
        Checks the signer certificate of every signature that passed everything else with
        its OCSP responder (whether or not ``chains_trusted``); its mode decides what an
        unknown status does. The issuer is looked up in ``trust``.
    rules : Policy, optional
        The signing and verification policy (:mod:`dicomsign.policy`): a signature that passed
        everything else but breaks it is ``policy-violation``; a file whose only failures
        are such exits with 102.
    validation_time : ValidationTime, str or datetime
        When the signer's chain is judged: ``"now"`` (default, DCMTK's), ``"claimed"`` (the
        signing time), ``"timestamp"`` (the genTime of a verified timestamp, else now), or
        this time. A signature that is valid only thanks to its verified timestamp (a
        certificate expired, or revoked but not for a key compromise, after genTime) is
        :attr:`~dicomsign.results.SignatureStatus.VALID_BY_TIMESTAMP`.

    Returns
    -------
    Verification
        The report (statuses and exit code) and the per-signature checks.
    """
    when = validation_time
    if not isinstance(when, datetime):
        when = ValidationTime(when)
    elif when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    checks = tuple(
        _check_one(n, v, trust, timestamps, chains_trusted, ocsp, rules, when)
        for n, v in enumerate(verdicts, 1)
    )
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
        return Verification(report, checks)
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
        return Verification(report, checks)
    failed = {c.info.status for c in checks if c.info.status is None or not c.info.status.ok}
    if not failed:
        code = ExitCode.NO_ERROR
    elif failed == {SignatureStatus.POLICY_VIOLATION}:
        code = ExitCode.SIGNATURE_VERIFICATION_POLICY
    else:
        code = ExitCode.SIGNATURE_VERIFICATION_FAILED
    return Verification(VerificationReport(infos, code, skipped=skipped), checks)
