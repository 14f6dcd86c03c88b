"""What ``dcmsign`` prints about signatures: DCMTK's per-signature lines, verbose details
and summaries, on the DCMTK-style logger."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ... import _core
from ...exitcodes import ExitCode
from ...log import DcmtkLogger, LogLevel
from ...tags import format_tag

if TYPE_CHECKING:
    from cryptography import x509

    from ...removal import RemovedSignature
    from ...tsp import TimestampJudgement
    from ...verification import Check, Verification

__all__ = ["SKIPPED_WARNING", "print_removed", "print_verification"]

_LABEL = 28  # "  Signature Verification      : " is the label padded to 28 columns.


def _label(text: str, verbose: bool) -> str:
    return f"  {text:<{_LABEL}}: " if verbose else f"  {text} : "


def _xfer_text(uid: str | None) -> str:
    if uid is None:
        return "(unknown)"
    name = _core.transfer_syntax_name(uid)
    return f"={name}" if name else uid


def _certificate_lines(cert: x509.Certificate | None) -> list[str]:
    from ...pki.certificates import certificate_details, key_type
    from ...vocabulary import KeyType

    if cert is None or key_type(cert) is KeyType.NONE:
        return ["      none"]
    d = certificate_details(cert)
    return [
        f"      X.509v{d.version}",
        f"      Subject                 : {d.subject}",
        f"      Issued by               : {d.issuer}",
        f"      Serial no.              : {d.serial}",
        f"      Validity                : not before {d.not_before}",
        f"      Validity                : not after {d.not_after}",
        f"      Public key              : {d.public_key}",
    ]


def _details(check: Check) -> list[str]:
    sig = check.verdict.signature
    mac_id = sig.mac_id if sig.mac_id is not None else "(unknown)"
    lines = [f"{_label('Location', True)}{sig.location}", f"{_label('MAC ID', True)}{mac_id}"]
    has_mac = sig.has_mac
    algorithm = (sig.mac_algorithm if has_mac else None) or "(unknown)"
    lines.append(f"{_label('MAC algorithm', True)}{algorithm}")
    lines.append(
        f"{_label('MAC calculation xfer syntax', True)}"
        f"{_xfer_text(sig.mac_transfer_syntax if has_mac else None)}"
    )
    if has_mac and sig.tags is not None:
        lines.append(_label("Data elements signed", True).rstrip(" "))
        lines.extend(f"      {format_tag(t)} {_core.tag_name(t)}" for t in sig.tags)
    else:
        lines.append(f"{_label('Data elements signed', True)}(unknown)")
    lines.append(f"{_label('Signature date/time', True)}{sig.datetime or '(unknown)'}")
    if sig.purpose is None:
        purpose = "(not specified)"
    else:
        purpose = f"{sig.purpose_meaning or ''} ({sig.purpose}, {sig.purpose_scheme or ''})"
    lines.append(f"{_label('Signature purpose', True)}{purpose}")
    lines.append(_label("Certificate of signer", True))
    lines.extend(_certificate_lines(check.info.certificate))
    return lines


def _print_timestamp(judged: TimestampJudgement, logger: DcmtkLogger, verbose: bool) -> None:
    """DCMTK's ``printTimestampDetails`` and its timestamp verification lines."""
    from ...vocabulary import TimestampPolicy

    token, policy = judged.token, judged.policy
    label = _label("Certified timestamp", True)
    if verbose:
        if token is None:
            required = policy is TimestampPolicy.REQUIRE
            logger.info(
                label + ("absent, but required by timestamp policy" if required else "absent")
            )
        elif policy is TimestampPolicy.IGNORE:
            logger.info(label + "present, but ignored according to timestamp policy")
        else:
            logger.info(f"{label}CMS_TSP version {token.version}")
            for line in token.details():
                logger.info(line)
    if judged.absent_but_required:
        logger.warning("  Certified timestamp : absent, but required by timestamp policy")
    verification = judged.verification
    if verification is None:
        return
    # DCMTK's own error line of the TSA check comes before the TSA certificate's details, that
    # of the signer check after them.
    tsa_errors = [e for e in verification.errors if "TSA certificate" in e]
    for error in tsa_errors:
        logger.error(error)
    if verbose and verification.tsa_certificate is not None:
        logger.info("  Timestamp signature certificate: ")
        for line in _certificate_lines(verification.tsa_certificate):
            logger.info(line)
    for error in verification.errors:
        if error not in tsa_errors:
            logger.error(error)
    logger.warning(_label("Timestamp Verification", verbose) + (judged.result or ""))


#: DCMTK's warning for a Digital Signatures Sequence inside Original Attributes Sequence.
SKIPPED_WARNING = (
    "Found Digital Signature Sequence within the Original Attributes Sequence, ignoring."
)


def print_verification(outcome: Verification, logger: DcmtkLogger) -> int:
    """Print what DCMTK prints while verifying and return the exit code.

    The warning about each Digital Signatures Sequence inside Original Attributes Sequence is
    printed where DCMTK's search passes it, between the signatures.
    """
    verbose = logger.is_enabled(LogLevel.INFO)
    pending = outcome.report.skipped
    for check in outcome.checks:
        before = check.verdict.signature.skipped_before
        pending -= before
        for _ in range(before):
            logger.warning(SKIPPED_WARNING)
        for warning in check.warnings:
            logger.warning(warning)
        logger.warning(f"Signature #{check.info.number} UID={check.info.uid or ''}")
        if verbose:
            for line in _details(check):
                logger.info(line)
        for notice in check.notices:
            logger.warning(notice)
        logger.warning(_label("Signature Verification", verbose) + check.result)
        if check.timestamp is not None:
            _print_timestamp(check.timestamp, logger, verbose)
    for _ in range(pending):
        logger.warning(SKIPPED_WARNING)
    report = outcome.report
    if not report.signatures:
        if report.exit_code == ExitCode.NO_ERROR:
            logger.warning("no signatures found in dataset.")
        else:
            logger.error(report.error or "")
        return int(report.exit_code)
    logger.info(
        f"{len(report.signatures)} signatures verified in dataset, {report.corrupted} corrupted."
    )
    if report.exit_code == ExitCode.SIGNATURE_VERIFICATION_POLICY:
        logger.error(report.error or "")
    return int(report.exit_code)


def print_removed(
    removed: Sequence[RemovedSignature],
    logger: DcmtkLogger,
    *,
    numbered: bool,
    summary: bool = True,
) -> None:
    """Print DCMTK's lines about removed signatures (and, for ``+ra``, the summary)."""
    for sig in removed:
        number = f" #{sig.number}" if numbered else ""
        logger.warning(f"Signature{number} UID={sig.uid or ''}")
        logger.warning(f"{_label('Location', True)}{sig.location}")
    if numbered and summary:
        logger.info(f"{len(removed)} signatures found and removed from dataset.")
