"""Verification of many files: one trust store for a whole run, one engine call per file.

Each file is read and judged by the engine in one call (``_core.check_file``, the GIL released
throughout); when every signature is surely valid against the trusted and untrusted
certificate files (``TrustAnchors``, loaded once), the file is verified without the Python
chain emulation; otherwise the same verdicts go through :func:`dicomsign.verification.evaluate`
with the run's :class:`~dicomsign.trust.TrustStore`. The outcome per file is DCMTK's.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import _core
from ..engine import ensure_dictionary
from ..exceptions import DicomFormatError, DicomSignError, InputFileError, os_reason
from ..exitcodes import ExitCode
from ..results import VerificationReport
from ..verification import evaluate
from ..vocabulary import VerificationPolicy

if TYPE_CHECKING:
    from ..pki.store import CertificateSource, CrlSource

__all__ = ["FileResult", "Verifier"]


@dataclass(frozen=True)
class FileResult:
    """The verification of one file.

    Attributes
    ----------
    path : str
        The file, as given.
    report : VerificationReport or None
        Every signature with its status and DCMTK's exit code; None when the file could not be
        read.
    error : DicomSignError or None
        Why the file could not be read (exit code 20), else None.
    """

    path: str
    report: VerificationReport | None = None
    error: DicomSignError | None = None

    @property
    def status(self) -> str:
        """One word for the file: ``verified`` (every signature valid), ``unsigned`` (read
        whole, no signature), ``failed`` (a signature or the policy failed) or ``unreadable``
        (the file cannot be read: missing, not DICOM, or damaged where DCMTK stops; a damaged
        file is never ``unsigned``)."""
        if self.report is None:
            return "unreadable"
        if not self.report.ok:
            return "failed"
        return "verified" if self.report.signatures else "unsigned"

    @property
    def exit_code(self) -> int:
        """DCMTK's exit code for this file."""
        if self.report is not None:
            return int(self.report.exit_code)
        return int(self.error.exit_code if self.error is not None else ExitCode.NO_ERROR)


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

    Raises
    ------
    TrustFileError
        A trust file or CRL file cannot be loaded (missing, a directory, no certificate or
        no CRL in it); the message names the file and the reason (exit code 20). Nothing is
        verified with trust material that is silently incomplete.
    TypeError
        A trust argument is neither a path, nor the right object, nor an iterable of them.
    """

    def __init__(
        self,
        *,
        trusted: CertificateSource | Iterable[CertificateSource] | None = None,
        untrusted: CertificateSource | Iterable[CertificateSource] | None = None,
        crls: CrlSource | Iterable[CrlSource] | None = None,
        policy: VerificationPolicy | str = VerificationPolicy.IF_PRESENT,
        old_format: bool = False,
    ) -> None:
        from cryptography import x509

        from ..pki import TrustStore
        from ..pki.store import trust_sources

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
        self.old_format = old_format

    def verify(self, path: str | os.PathLike[str]) -> FileResult:
        """Verify one file."""
        name = os.fspath(path)
        try:
            checks = _core.check_file(name, old_format=self.old_format)
        except DicomFormatError as exc:
            damaged = DicomFormatError(f"{exc.message}: reading file: {name}", exc.log, exc.kind)
            return FileResult(name, error=damaged)
        except OSError as exc:
            return FileResult(
                name, error=InputFileError(f"{os_reason(exc, name)}: reading file: {name}")
            )
        surely_valid = self.anchors is not None and checks.surely_valid(self.anchors)
        outcome = evaluate(
            checks.checks,
            trust=self.trust,
            chains_trusted=surely_valid,
            policy=self.policy,
            skipped=len(checks.skipped),
        )
        return FileResult(name, report=outcome.report)

    def verify_all(self, paths: Iterable[str | os.PathLike[str]]) -> Iterator[FileResult]:
        """Verify files in order, one result per file as it finishes."""
        for path in paths:
            yield self.verify(path)
