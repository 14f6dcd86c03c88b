"""The status words of archive verification, the worst-first order, and the run's exit codes.

Every file gets exactly one :class:`Status`; every signature gets one too (the words that
apply to a signature). The words are stable: later releases may add words, never rename one.
A file with several signatures takes the worst of their words (:data:`SIGNATURE_ORDER`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING

from ..exitcodes import ExitCode
from ..results import SignatureStatus

if TYPE_CHECKING:
    from ..exceptions import DicomSignError
    from ..results import SignatureInfo, VerificationReport

__all__ = [
    "FAILED",
    "REPORT_ORDER",
    "SIGNATURE_ORDER",
    "RunExit",
    "Status",
    "file_status",
    "is_failure",
    "one_line",
    "reason",
    "run_exit_code",
    "signature_status",
    "worst",
]


class Status(StrEnum):
    """The one word for a file (or for one signature)."""

    #: Every signature is valid and its certificate chain is trusted.
    VERIFIED = "verified"
    #: Read whole, no signature (a failure only under ``--require-signature``).
    UNSIGNED = "unsigned"
    #: A MAC or signature does not match (the signed data, the signature attributes or the
    #: signature changed), or the signature cannot be checked (no certificate, unsupported
    #: algorithm, an element that cannot be signed...).
    SIGNATURE_INVALID = "signature-invalid"
    #: The signature is correct but no chain leads from its certificate to a trusted one.
    CERTIFICATE_UNTRUSTED = "certificate-untrusted"
    #: The signature is correct but its certificate was outside its validity period (expired,
    #: or not yet valid) when it was checked.
    CERTIFICATE_EXPIRED = "certificate-expired"
    #: The signature is correct but its certificate is revoked: by a CRL, or by its OCSP
    #: responder (``--ocsp``; then the reason and the time of revocation are in the reason).
    CERTIFICATE_REVOKED = "certificate-revoked"
    #: No ``DICM`` prefix and not readable as a dataset (empty, text, other formats); a
    #: failure only under ``--strict``.
    NOT_DICOM = "not-dicom"
    #: The file cannot be read: missing, not a regular file, a directory that cannot be
    #: listed, a symbolic link loop, damaged where DCMTK stops reading, changed while read.
    UNREADABLE = "unreadable"
    #: Valid thanks to a verified certified timestamp (long-term validation): the signer's
    #: certificate has expired, or was revoked for a reason other than a key compromise,
    #: after the timestamp's genTime. Passes the run.
    VERIFIED_BY_TIMESTAMP = "verified-by-timestamp"
    #: The signature and the chain are correct, but the certificate's revocation status could
    #: not be had and ``--ocsp hard-fail`` or ``require`` demands it (responder down, timed
    #: out, ``unknown``, a response that fails a check; under ``require`` also: no responder).
    REVOCATION_UNKNOWN = "revocation-unknown"
    #: No signature fulfils the required signature profile (``Verifier`` with a profile
    #: policy: creator, authorization, SR); reserved for the command line.
    POLICY_VIOLATION = "policy-violation"


#: The words for a signature, worst first: the word of a file with several signatures is the
#: first of this list that any of its signatures has. An invalid signature comes first (the
#: signed data can no longer be trusted, whoever signed it), then a revoked certificate (the
#: signer's key was withdrawn), an expired one, one without a trusted chain (often a matter
#: of the trust configuration), an unknown revocation status and a policy violation; a
#: signature valid by its timestamp only ranks below none of the failures.
SIGNATURE_ORDER: tuple[Status, ...] = (
    Status.SIGNATURE_INVALID,
    Status.CERTIFICATE_REVOKED,
    Status.CERTIFICATE_EXPIRED,
    Status.CERTIFICATE_UNTRUSTED,
    Status.REVOCATION_UNKNOWN,
    Status.POLICY_VIOLATION,
    Status.VERIFIED_BY_TIMESTAMP,
    Status.VERIFIED,
)

#: Every word, in the order reports list files: the failures of :data:`SIGNATURE_ORDER`,
#: then the files that could not be read, unsigned files, files that are not DICOM, and the
#: verified ones.
REPORT_ORDER: tuple[Status, ...] = (
    *SIGNATURE_ORDER[:-2],
    Status.UNREADABLE,
    Status.UNSIGNED,
    Status.NOT_DICOM,
    Status.VERIFIED_BY_TIMESTAMP,
    Status.VERIFIED,
)

#: The words that mean a signature, a certificate or the policy failed.
FAILED: frozenset[Status] = frozenset(SIGNATURE_ORDER[:-2])

_KNOWN = frozenset(str(s) for s in Status)
_RANK = {status: rank for rank, status in enumerate(SIGNATURE_ORDER)}

_BY_SIGNATURE_STATUS = {
    SignatureStatus.VALID: Status.VERIFIED,
    SignatureStatus.CORRUPTED: Status.SIGNATURE_INVALID,
    SignatureStatus.UNTRUSTED: Status.CERTIFICATE_UNTRUSTED,
    SignatureStatus.EXPIRED: Status.CERTIFICATE_EXPIRED,
    SignatureStatus.NOT_YET_VALID: Status.CERTIFICATE_EXPIRED,
    SignatureStatus.REVOKED: Status.CERTIFICATE_REVOKED,
    SignatureStatus.REVOCATION_UNKNOWN: Status.REVOCATION_UNKNOWN,
    SignatureStatus.POLICY_VIOLATION: Status.POLICY_VIOLATION,
    SignatureStatus.VALID_BY_TIMESTAMP: Status.VERIFIED_BY_TIMESTAMP,
}


def signature_status(sig: SignatureInfo) -> Status:
    """The word for one verified signature (a signature only listed counts as invalid)."""
    if sig.status is None:
        return Status.SIGNATURE_INVALID
    return _BY_SIGNATURE_STATUS[sig.status]


def worst(statuses: Iterable[Status]) -> Status:
    """The worst of signature words by :data:`SIGNATURE_ORDER` (``verified`` for none)."""
    return min(statuses, key=_RANK.__getitem__, default=Status.VERIFIED)


def file_status(report: VerificationReport | None, error: DicomSignError | None) -> Status:
    """The word for a file from its verification report, or from why it could not be read."""
    from ..exceptions import NotDicomError

    if report is None:
        return Status.NOT_DICOM if isinstance(error, NotDicomError) else Status.UNREADABLE
    if not report.signatures:
        return Status.UNSIGNED
    word = worst(signature_status(s) for s in report.signatures)
    if word is Status.VERIFIED and report.exit_code == ExitCode.SIGNATURE_VERIFICATION_POLICY:
        return Status.POLICY_VIOLATION
    return word


def one_line(text: str) -> str:
    """``text`` on one line: line breaks and other control characters as escapes, and lone
    surrogates (undecodable bytes of a file name) as ``\\xNN``."""
    if text.isprintable():
        return text
    out = []
    for char in text:
        if char.isprintable() or char == " ":
            out.append(char)
        elif "\udc80" <= char <= "\udcff":
            out.append(f"\\x{ord(char) - 0xDC00:02x}")
        else:
            out.append(char.encode("unicode_escape", "backslashreplace").decode("ascii"))
    return "".join(out)


def reason(report: VerificationReport | None, error: DicomSignError | None) -> str | None:
    """Why a file is not ``verified``, in one line; None for a verified file.

    Unreadable files and files that are not DICOM: the reading error. Unsigned files: the
    policy's message, or ``no signatures``. Failed signatures: each one that failed, as
    ``signature #n UID (location): DCMTK's message``, joined by ``"; "``, after the policy's
    message when there is one.
    """
    if report is None:
        return one_line(error.message if error is not None else "not verified")
    if not report.signatures:
        return one_line(report.error or "no signatures")
    parts = [report.error] if report.error else []
    for sig in report.signatures:
        # A signature valid by its timestamp says so (the file is verified-by-timestamp).
        if sig.status is not SignatureStatus.VALID:
            parts.append(f"signature #{sig.number} {sig.uid} ({sig.location}): {sig.message}")
    return one_line("; ".join(parts)) if parts else None


def is_failure(
    status: Status | str, *, require_signature: bool = False, strict: bool = False
) -> bool:
    """True when a file with this word fails the run: a failed signature, certificate or
    policy; an unreadable file; an unsigned file under ``require_signature``; a file that is
    not DICOM under ``strict``."""
    word = Status(status)
    if word in FAILED or word is Status.UNREADABLE:
        return True
    if word is Status.UNSIGNED:
        return require_signature
    if word is Status.NOT_DICOM:
        return strict
    return False


class RunExit(IntEnum):
    """The exit codes of ``dicomsign verify`` for a whole run (DCMTK's numbers, so that a run
    of one file exits as ``dcmsign --verify`` would). When files fall into several classes,
    the first that applies of SOME_FAILED, SOME_UNSIGNED, SOME_UNREADABLE is the code."""

    #: Every file verified (unsigned files allowed unless ``--require-signature``, files that
    #: are not DICOM unless ``--strict``).
    OK = 0
    #: Some files could not be read (or, under ``--strict``, are not DICOM). Also: a trust
    #: or CRL file that cannot be loaded, before any file is verified.
    SOME_UNREADABLE = int(ExitCode.CANNOT_READ_INPUT_FILE)
    #: Some files have no signature, under ``--require-signature``.
    SOME_UNSIGNED = int(ExitCode.NO_SIGNATURES_PRESENT)
    #: Some signature, certificate or policy failed.
    SOME_FAILED = int(ExitCode.SIGNATURE_VERIFICATION_FAILED)
    #: Interrupted (SIGINT, Ctrl-C): the journal holds what finished; ``--resume`` goes on.
    INTERRUPTED = 130


def run_exit_code(
    counts: Mapping[str, int], *, require_signature: bool = False, strict: bool = False
) -> RunExit:
    """The run's exit code from the number of files per status word (a word this release
    does not know, from a later release's journal, counts as failed)."""
    words = {word for word, n in counts.items() if n}
    present = {Status(word) for word in words if word in _KNOWN}
    if present & FAILED or len(present) < len(words):
        return RunExit.SOME_FAILED
    if require_signature and Status.UNSIGNED in present:
        return RunExit.SOME_UNSIGNED
    if Status.UNREADABLE in present or (strict and Status.NOT_DICOM in present):
        return RunExit.SOME_UNREADABLE
    return RunExit.OK
