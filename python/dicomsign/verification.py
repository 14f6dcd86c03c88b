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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cryptography import x509

from .exitcodes import ExitCode
from .pki.names import name_oneline
from .results import SignatureInfo, SignatureStatus, VerificationReport
from .tsp import HEALED, TimestampJudgement, judge_timestamp, read_token
from .tsp.reply import signature_data_candidates
from .vocabulary import Outcome, TimestampPolicy, VerificationPolicy

if TYPE_CHECKING:
    from ._core import SignatureCheck
    from .pki import TrustStore
    from .pki.ocsp import OcspChecker
    from .policy import Policy

__all__ = ["Check", "TimestampPolicy", "Verification", "VerificationPolicy", "evaluate"]

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


def _check_one(
    number: int,
    verdict: SignatureCheck,
    trust: TrustStore | None,
    timestamps: TimestampPolicy,
    chains_trusted: bool,
    ocsp: OcspChecker | None = None,
    rules: Policy | None = None,
) -> Check:
    sig = verdict.signature
    der = verdict.certificate
    known = _certificate(der) if der is not None else None
    cert, signer = known if known is not None else (None, None)
    token, read_warnings = read_token(sig.timestamp_type, sig.timestamp)
    status = _STATUS.get(verdict.outcome, SignatureStatus.CORRUPTED)
    message = result = verdict.message
    timestamp: TimestampJudgement | None = None
    notices: list[str] = []
    expired = False
    if status is SignatureStatus.VALID:
        if verdict.weak_key_warning is not None:
            notices.append(verdict.weak_key_warning)
        chain_error = "unable to get local issuer certificate"
        if chains_trusted:
            chain_error = ""
        elif trust is not None and cert is not None:
            chain_error = trust.verify_chain(cert) or ""
        if chain_error:
            status = _CHAIN_STATUS.get(chain_error, SignatureStatus.UNTRUSTED)
            message = result = CHAIN_FAILED + chain_error
            expired = chain_error == "certificate has expired"
    if status is SignatureStatus.VALID or expired:
        timestamp = judge_timestamp(
            token,
            timestamps,
            data=signature_data_candidates(sig.signature or b"", verdict.certificate),
            signer=cert,
            trust=trust,
            expired=expired,
        )
        if timestamp.healed:
            status, message = SignatureStatus.VALID, HEALED
        elif timestamp.failure is not None:
            status, message = SignatureStatus.CORRUPTED, timestamp.failure
    revocation = None
    if status is SignatureStatus.VALID and ocsp is not None and cert is not None:
        # After the timestamp: once timestamps are verified, its genTime is ``existed_at``.
        checked = ocsp.verdict(cert, ocsp.issuer_of(cert, trust))
        revocation = checked.info
        if checked.failure == "revoked":
            status = SignatureStatus.REVOKED
            message = result = f"{CHAIN_FAILED}certificate revoked: {checked.text}"
        elif checked.failure == "unknown":
            status = SignatureStatus.REVOCATION_UNKNOWN
            message = result = REVOCATION_UNKNOWN + checked.text
    if status is SignatureStatus.VALID and rules is not None:
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

    Returns
    -------
    Verification
        The report (statuses and exit code) and the per-signature checks.
    """
    checks = tuple(
        _check_one(n, v, trust, timestamps, chains_trusted, ocsp, rules)
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
    failed = {c.info.status for c in checks} - {SignatureStatus.VALID}
    if not failed:
        code = ExitCode.NO_ERROR
    elif failed == {SignatureStatus.POLICY_VIOLATION}:
        code = ExitCode.SIGNATURE_VERIFICATION_POLICY
    else:
        code = ExitCode.SIGNATURE_VERIFICATION_FAILED
    return Verification(VerificationReport(infos, code, skipped=skipped), checks)
