"""The verification of one file with trust loaded once per run: :class:`Verifier` and its
:class:`FileResult`, the unit of work of every archive engine (:mod:`.engine`).

The Rust engine (``_core.ArchiveEngine``) examines, reads and judges each file in one call with
the GIL released: its type and metadata (a FIFO, a device or a socket is never opened, a
directory is not read, a file that changed while it was read is ``unreadable``), the read, every
signature's verdict, and the quick chain check against the trusted and untrusted certificate
files (``TrustAnchors``, loaded once; each distinct chain judged once per validation time).
When every signature is surely valid, the file is verified without the Python chain emulation;
otherwise the same verdicts go through :func:`dicomsign.verification.evaluate` with the run's
:class:`~dicomsign.trust.TrustStore` (the file "falls back", :attr:`FileResult.fallback`). The
outcome per file is DCMTK's. With OCSP on (``ocsp``), every signature that passed has its
signer certificate checked live in both cases: the quick path skips the chain emulation, not
revocation.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from .. import _core
from ..engine import ensure_dictionary
from ..exceptions import DicomFormatError, DicomSignError, InputFileError, NotDicomError
from ..exitcodes import ExitCode
from ..results import VerificationReport
from ..verification import evaluate
from ..vocabulary import ValidationTime, VerificationPolicy
from .status import Status, file_status, reason

if TYPE_CHECKING:
    from ..pki.ocsp import OcspChecker
    from ..pki.store import CertificateSource, CrlSource
    from ..policy import Policy
    from ..vocabulary import OcspMode

__all__ = ["FileResult", "Verifier"]


@dataclass(frozen=True)
class FileResult:
    """The verification of one file.

    Attributes
    ----------
    path : str
        The file, as given (undecodable bytes of a name as lone surrogates, as ``os.fsdecode``
        gives them).
    report : VerificationReport or None
        Every signature with its status and DCMTK's exit code; None when the file could not be
        read.
    error : DicomSignError or None
        Why the file could not be read (exit code 20), else None; a
        :class:`~dicomsign.exceptions.NotDicomError` for a file that is not DICOM.
    size, mtime_ns : int or None
        The file's size and modification time (``stat``, symbolic links followed) when it was
        verified; None when it could not be examined.
    fallback : bool
        The file's signatures were judged by the complete DCMTK emulation in Python (a chain
        the engine's quick check was not sure of, a failed signature, CRLs); False when the
        Rust engine decided alone.
    """

    path: str
    report: VerificationReport | None = None
    error: DicomSignError | None = None
    size: int | None = None
    mtime_ns: int | None = None
    fallback: bool = False

    @property
    def status(self) -> Status:
        """One word for the file (:class:`~dicomsign.archive.status.Status`, a ``str``):
        ``verified``, ``unsigned``, ``signature-invalid``, ``certificate-untrusted``,
        ``certificate-expired``, ``certificate-revoked``, ``revocation-unknown`` (OCSP),
        ``policy-violation`` (the worst of its signatures), ``not-dicom`` or ``unreadable``
        (missing, not a regular file, or damaged where DCMTK stops; a damaged file is never
        ``unsigned``)."""
        return file_status(self.report, self.error)

    @property
    def reason(self) -> str | None:
        """Why the file is not ``verified``, in one line; None when it is."""
        return reason(self.report, self.error)

    @property
    def exit_code(self) -> int:
        """DCMTK's exit code for this file."""
        if self.report is not None:
            return int(self.report.exit_code)
        return int(self.error.exit_code if self.error is not None else ExitCode.NO_ERROR)


def _unreadable(name: str, why: str, size: int | None, mtime_ns: int | None) -> FileResult:
    error = InputFileError(f"{why}: reading file: {name}")
    return FileResult(name, error=error, size=size, mtime_ns=mtime_ns)


class Verifier:
    """Verifies files one after another with trust material loaded once.

    Parameters
    ----------
    trusted, untrusted : path or Certificate, or an iterable of them
        Trusted (root) and untrusted (intermediate) certificates: PEM files (``str`` or
        ``os.PathLike``) or ``cryptography`` certificates.
    crls : path or CertificateRevocationList, or an iterable of them
        CRLs; they turn on the CRL check of each signer certificate.
    policy : VerificationPolicy
        ``IF_PRESENT`` (files without signatures pass) or ``REQUIRE``.
    old_format : bool
        DCMTK's pre-3.5.4 format for encapsulated pixel data.
    ocsp : OcspMode, str or OcspChecker
        Check each valid signature's signer certificate with OCSP: ``"off"`` (default:
        nothing is fetched), ``"soft-fail"``, ``"hard-fail"``, ``"require"`` (see
        :mod:`dicomsign.pki.ocsp`), or a prepared :class:`~dicomsign.pki.ocsp.OcspChecker`
        (its cache shared). One query per distinct certificate for the verifier's life.
    ocsp_url : str, optional
        Ask this responder for every certificate instead of the one it names (AIA).
    ocsp_timeout : float, optional
        Seconds to wait for the responder (default 10).
    rules : Policy, "strict" or a TOML file, optional
        The signing and verification policy (:mod:`dicomsign.policy`): a valid signature
        that breaks it is ``policy-violation``.
    validation_time : ValidationTime, str or datetime
        When signer certificates are judged: ``"now"`` (default, DCMTK's), ``"claimed"``
        (the signing time), ``"timestamp"`` (a verified timestamp's genTime, else now), or
        this time. Files whose signatures carry a timestamp always take the Python path.

    Raises
    ------
    TrustFileError
        A trust file or CRL file cannot be loaded (missing, a directory, no certificate or
        no CRL in it); the message names the file and the reason (exit code 20). Nothing is
        verified with trust material that is silently incomplete.
    TypeError
        A trust argument is neither a path, nor the right object, nor an iterable of them.
    ValueError
        An unknown OCSP mode, a timeout that is not positive, or ``ocsp_url`` or
        ``ocsp_timeout`` with OCSP off.
    SigningPolicyError
        The policy file cannot be read or is not a valid policy.
    """

    def __init__(
        self,
        *,
        trusted: CertificateSource | Iterable[CertificateSource] | None = None,
        untrusted: CertificateSource | Iterable[CertificateSource] | None = None,
        crls: CrlSource | Iterable[CrlSource] | None = None,
        policy: VerificationPolicy | str = VerificationPolicy.IF_PRESENT,
        old_format: bool = False,
        ocsp: OcspMode | str | OcspChecker = "off",
        ocsp_url: str | None = None,
        ocsp_timeout: float | None = None,
        rules: Policy | str | os.PathLike[str] | None = None,
        validation_time: ValidationTime | str | datetime = ValidationTime.NOW,
    ) -> None:
        from cryptography import x509

        from ..pki import TrustStore
        from ..pki.store import trust_sources
        from ..policy import load_policy

        self.ocsp: OcspChecker | None = None
        if ocsp != "off" or ocsp_url is not None or ocsp_timeout is not None:
            from ..pki.ocsp import ocsp_checker

            self.ocsp = ocsp_checker(ocsp, url=ocsp_url, timeout=ocsp_timeout)
        ensure_dictionary()
        certificates = trust_sources(trusted, x509.Certificate, "trusted")
        intermediates = trust_sources(untrusted, x509.Certificate, "untrusted")
        revocations = trust_sources(crls, x509.CertificateRevocationList, "crls")
        self.trust = TrustStore()
        self.trust.add_sources(trusted=certificates, untrusted=intermediates, crls=revocations)
        # The quick chain check knows certificate files only: with CRLs or certificate objects
        # every chain takes the complete path.
        trusted_files = [c for c in certificates if isinstance(c, (str, os.PathLike))]
        untrusted_files = [c for c in intermediates if isinstance(c, (str, os.PathLike))]
        objects = len(trusted_files) + len(untrusted_files) < len(certificates + intermediates)
        self.anchors = (
            None if revocations or objects else _core.TrustAnchors(trusted_files, untrusted_files)
        )
        self.policy = VerificationPolicy(policy)
        loaded = load_policy(rules)
        self.rules = loaded if loaded.strict_about_anything else None
        self.old_format = old_format
        self.validation_time: ValidationTime | datetime = (
            validation_time
            if isinstance(validation_time, datetime)
            else ValidationTime(validation_time)
        )
        self._engine: _core.ArchiveEngine | None = None

    def engine(self, jobs: int = 1) -> _core.ArchiveEngine:
        """A Rust engine with this verifier's anchors and options, judging ``jobs`` files at
        once (its ``submit``/``take``); turn its ``FileCheck`` records into results with
        :meth:`result`."""
        return _core.ArchiveEngine(self.anchors, jobs=jobs, old_format=self.old_format)

    def verify(self, path: str | os.PathLike[str]) -> FileResult:
        """Verify one file; every problem with the file is in the result, never raised."""
        name = os.fspath(path)
        if self._engine is None:
            self._engine = self.engine()
        return self.result(self._engine.check(name))

    def result(self, check: _core.FileCheck) -> FileResult:
        """The result of a file from what the engine found in it (:meth:`engine`)."""
        name: str = check.path
        size, mtime_ns = check.size, check.mtime_ns
        if check.problem is not None:
            return _unreadable(name, check.problem, size, mtime_ns)
        if check.error is not None:
            exc = check.error
            if not check.dicm:
                what = "file is empty" if size == 0 else f"not DICOM: {exc.message}"
                error: DicomSignError = NotDicomError(f"{what}: reading file: {name}")
            else:
                error = DicomFormatError(f"{exc.message}: reading file: {name}", exc.log, exc.kind)
            return FileResult(name, error=error, size=size, mtime_ns=mtime_ns)
        checks = check.checks
        assert checks is not None  # read whole
        outcome = evaluate(
            checks.checks,
            trust=self.trust,
            chains_trusted=check.surely_valid,
            policy=self.policy,
            skipped=len(checks.skipped),
            ocsp=self.ocsp,
            rules=self.rules,
            validation_time=self.validation_time,
        )
        fallback = not check.surely_valid and len(checks) > 0
        return FileResult(
            name, report=outcome.report, size=size, mtime_ns=mtime_ns, fallback=fallback
        )

    def verify_all(self, paths: Iterable[str | os.PathLike[str]]) -> Iterator[FileResult]:
        """Verify files in order, one after another, one result per file as it finishes."""
        for path in paths:
            yield self.verify(path)
