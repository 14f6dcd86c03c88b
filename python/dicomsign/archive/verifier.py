"""The verification of one file with trust loaded once per run: :class:`Verifier` and its
:class:`FileResult`, the unit of work of every archive engine (:mod:`.engine`).

Each file is read and judged by the engine in one call (``_core.check_file``, the GIL released
throughout); when every signature is surely valid against the trusted and untrusted
certificate files (``TrustAnchors``, loaded once), the file is verified without the Python
chain emulation; otherwise the same verdicts go through :func:`dicomsign.verification.evaluate`
with the run's :class:`~dicomsign.trust.TrustStore`. The outcome per file is DCMTK's.

Before the engine reads a file, its type is checked (``stat``): a FIFO, a device or a socket is
never opened (nothing hangs), a directory is not read. After the engine, the file is checked
again: a file whose size or modification time changed meanwhile is ``unreadable`` ("changed
while it was verified"), since the verdict may belong to neither version.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import _core
from ..engine import ensure_dictionary
from ..exceptions import (
    DicomFormatError,
    DicomSignError,
    InputFileError,
    NotDicomError,
    os_reason,
)
from ..exitcodes import ExitCode
from ..results import VerificationReport
from ..verification import evaluate
from ..vocabulary import VerificationPolicy
from .status import Status, file_status, reason

if TYPE_CHECKING:
    from ..pki.store import CertificateSource, CrlSource

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
    """

    path: str
    report: VerificationReport | None = None
    error: DicomSignError | None = None
    size: int | None = None
    mtime_ns: int | None = None

    @property
    def status(self) -> Status:
        """One word for the file (:class:`~dicomsign.archive.status.Status`, a ``str``):
        ``verified``, ``unsigned``, ``signature-invalid``, ``certificate-untrusted``,
        ``certificate-expired``, ``certificate-revoked``, ``policy-violation`` (the worst of
        its signatures), ``not-dicom`` or ``unreadable`` (missing, not a regular file, or
        damaged where DCMTK stops; a damaged file is never ``unsigned``)."""
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


_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _not_regular(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return os.strerror(errno.EISDIR)
    for test, kind in _KINDS:
        if test(mode):
            return f"not a regular file: {kind}"
    return "not a regular file"


def _has_dicm_prefix(name: str) -> bool:
    try:
        with open(name, "rb") as file:
            return file.read(132)[128:] == b"DICM"
    except OSError:
        return False


def _unreadable(name: str, why: str, st: os.stat_result | None = None) -> FileResult:
    error = InputFileError(f"{why}: reading file: {name}")
    if st is None:
        return FileResult(name, error=error)
    return FileResult(name, error=error, size=st.st_size, mtime_ns=st.st_mtime_ns)


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
        """Verify one file; every problem with the file is in the result, never raised."""
        name = os.fspath(path)
        try:
            before = os.stat(name)
        except OSError as exc:
            why = os_reason(exc, name)
            if exc.errno == errno.ENOENT and os.path.islink(name):
                why += " (a dangling symbolic link)"
            return _unreadable(name, why)
        if not stat.S_ISREG(before.st_mode):
            # Never opened: a FIFO without a writer would block, a device may have effects.
            return _unreadable(name, _not_regular(before.st_mode), before)
        size, mtime_ns = before.st_size, before.st_mtime_ns
        try:
            checks = _core.check_file(name, old_format=self.old_format)
        except DicomFormatError as exc:
            if not _has_dicm_prefix(name):
                what = "file is empty" if size == 0 else f"not DICOM: {exc.message}"
                error: DicomSignError = NotDicomError(f"{what}: reading file: {name}")
            else:
                error = DicomFormatError(f"{exc.message}: reading file: {name}", exc.log, exc.kind)
            return FileResult(name, error=error, size=size, mtime_ns=mtime_ns)
        except OSError as exc:
            return _unreadable(name, os_reason(exc, name), before)
        try:
            after = os.stat(name)
        except OSError as exc:
            return _unreadable(name, f"{os_reason(exc, name)} after it was read", before)
        if (after.st_size, after.st_mtime_ns, after.st_ino) != (size, mtime_ns, before.st_ino):
            return _unreadable(name, "the file changed while it was verified")
        surely_valid = self.anchors is not None and checks.surely_valid(self.anchors)
        outcome = evaluate(
            checks.checks,
            trust=self.trust,
            chains_trusted=surely_valid,
            policy=self.policy,
            skipped=len(checks.skipped),
        )
        return FileResult(name, report=outcome.report, size=size, mtime_ns=mtime_ns)

    def verify_all(self, paths: Iterable[str | os.PathLike[str]]) -> Iterator[FileResult]:
        """Verify files in order, one after another, one result per file as it finishes."""
        for path in paths:
            yield self.verify(path)
