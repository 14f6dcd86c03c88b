"""From PATHs to results: the walk, the files to skip, the engine; and :func:`verify_many`."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from ..exceptions import InputFileError
from ..vocabulary import ValidationTime
from .engine import verify_stream
from .journal import Seen
from .verifier import FileResult, Verifier
from .walk import Filters, Found, Walk

if TYPE_CHECKING:
    from datetime import datetime

    from ..pki.ocsp import OcspChecker
    from ..pki.store import CertificateSource, CrlSource
    from ..policy import Policy
    from ..vocabulary import OcspMode

__all__ = ["WalkProblems", "judge", "verify_many", "walk_and_skip"]

PathArgument = str | bytes | os.PathLike[str] | os.PathLike[bytes]


def judge(
    found: Iterable[Found],
    verifier: Verifier,
    *,
    jobs: int | None = None,
    skip: Callable[[str], bool] | None = None,
) -> Iterator[FileResult]:
    """Verify what the walk found, one result per path as it completes.

    A path where the walk itself failed (a directory that cannot be listed, a loop) becomes an
    ``unreadable`` result without going to the engine; a path for which ``skip`` is true
    (already in the journal) is left out.
    """
    aside = WalkProblems()
    for result in verify_stream(aside.paths(found, skip), verifier, jobs=jobs):
        yield from aside.drain()
        yield result
    yield from aside.drain()


class WalkProblems:
    """The walk's own failures (a directory that cannot be listed, a loop), set aside as
    ``unreadable`` results while the walk's paths go on to an engine."""

    def __init__(self) -> None:
        self._pending: deque[FileResult] = deque()

    def paths(self, found: Iterable[Found], skip: Callable[[str], bool] | None) -> Iterator[str]:
        """The paths of ``found`` to verify: not the failures, nor those ``skip`` is true of."""
        for item in found:
            if item.problem is not None:
                self._pending.append(FileResult(item.path, error=InputFileError(item.problem)))
            elif skip is None or not skip(item.path):
                yield item.path

    def drain(self) -> Iterator[FileResult]:
        """The failures set aside so far, each once."""
        while self._pending:
            yield self._pending.popleft()


def walk_and_skip(
    paths: PathArgument | Iterable[PathArgument],
    *,
    follow_symlinks: bool,
    include: str | Iterable[str],
    exclude: str | Iterable[str],
    changed_since: PathArgument | Iterable[PathArgument] | None,
    absolute: Callable[[str], str] | None = None,
) -> tuple[Walk, Callable[[str], bool] | None]:
    """The walk of ``paths`` (each made ``absolute`` first, when given) with its rules, and
    the test of the files to leave out: those unchanged since the ``changed_since``
    journals (None without journals)."""
    skip = None
    if changed_since is not None:
        seen = Seen()
        seen.add_journals(_paths(changed_since))
        skip = seen.unchanged
    roots = _paths(paths) if absolute is None else map(absolute, _paths(paths))
    walk = Walk(
        roots, follow_symlinks=follow_symlinks, filters=Filters(_globs(include), _globs(exclude))
    )
    return walk, skip


def _paths(paths: PathArgument | Iterable[PathArgument]) -> Iterator[str]:
    if isinstance(paths, (str, bytes, os.PathLike)):
        yield os.fsdecode(paths)
        return
    for path in paths:
        yield os.fsdecode(path)


def _globs(globs: str | Iterable[str]) -> tuple[str, ...]:
    return (globs,) if isinstance(globs, str) else tuple(globs)


def verify_many(
    paths: PathArgument | Iterable[PathArgument],
    *,
    trusted: CertificateSource | Iterable[CertificateSource] | None = None,
    untrusted: CertificateSource | Iterable[CertificateSource] | None = None,
    crls: CrlSource | Iterable[CrlSource] | None = None,
    jobs: int | None = None,
    require_signature: bool = False,
    old_format: bool = False,
    follow_symlinks: bool = False,
    include: str | Iterable[str] = (),
    exclude: str | Iterable[str] = (),
    changed_since: PathArgument | Iterable[PathArgument] | None = None,
    ocsp: OcspMode | str | OcspChecker = "off",
    ocsp_url: str | None = None,
    ocsp_timeout: float | None = None,
    policy: Policy | str | os.PathLike[str] | None = None,
    validation_time: ValidationTime | str | datetime = ValidationTime.NOW,
) -> Iterator[FileResult]:
    """Verify files and directory trees in parallel; yield each file's result as it completes.

    Parameters
    ----------
    paths : path or iterable of paths
        Files, and directories walked recursively (streaming: an iterable is consumed as the
        verification goes). Bytes and undecodable names are accepted.
    trusted, untrusted, crls
        As for :func:`dicomsign.verify`: one path or object, or an iterable of them; loaded
        once for the whole run.
    jobs : int, optional
        Files verified at once (default: every core).
    require_signature : bool
        A file without signatures fails (its DCMTK exit code is 100; its word stays
        ``unsigned``).
    old_format : bool
        DCMTK's pre-3.5.4 format for encapsulated pixel data.
    follow_symlinks, include, exclude
        The walk's rules (see :mod:`dicomsign.archive.walk`).
    changed_since : journal path or paths, optional
        Leave out files with a record of the same path, size and mtime_ns in these journals.
    ocsp : OcspMode, str or OcspChecker
        Check each valid signature's signer certificate with its OCSP responder: ``"off"``
        (default: nothing is fetched), ``"soft-fail"`` (only a revoked certificate fails),
        ``"hard-fail"`` (a status that cannot be had fails: ``revocation-unknown``),
        ``"require"`` (also a certificate that names no responder fails); see
        :mod:`dicomsign.pki.ocsp`. One query per distinct certificate for the run.
    ocsp_url : str, optional
        Ask this responder for every certificate instead of the one it names (AIA).
    ocsp_timeout : float, optional
        Seconds to wait for the responder (default 10).
    policy : Policy, "strict" or a TOML file, optional
        The signing and verification policy (:mod:`dicomsign.policy`): a valid signature
        that breaks it is ``policy-violation``.
    validation_time : ValidationTime, str or datetime
        When signer certificates are judged: ``"now"`` (default), ``"claimed"`` (the
        signing time), ``"timestamp"`` (a verified timestamp's genTime), or this time (see
        :func:`dicomsign.verify`).

    Returns
    -------
    iterator of FileResult
        In the order the files complete; ``result.status`` is the word (``verified``,
        ``unsigned``, ``signature-invalid``, ``certificate-untrusted``,
        ``certificate-expired``, ``certificate-revoked``, ``revocation-unknown``,
        ``not-dicom``, ``unreadable``...).

    Raises
    ------
    TrustFileError
        At once (before anything is verified) when a trust or CRL file cannot be loaded.
    JournalError
        At once, when a ``changed_since`` journal cannot be read.
    ValueError
        At once, for an unknown OCSP mode or ``ocsp_url``/``ocsp_timeout`` with OCSP off.
    """
    verifier = Verifier(
        trusted=trusted,
        untrusted=untrusted,
        crls=crls,
        policy="require" if require_signature else "if-present",
        old_format=old_format,
        ocsp=ocsp,
        ocsp_url=ocsp_url,
        ocsp_timeout=ocsp_timeout,
        rules=policy,
        validation_time=validation_time,
    )
    walk, skip = walk_and_skip(
        paths,
        follow_symlinks=follow_symlinks,
        include=include,
        exclude=exclude,
        changed_since=changed_since,
    )
    return judge(walk, verifier, jobs=jobs, skip=skip)
