"""Verification on a Dask cluster: the optional extra ``dicomsign[dask]``.

The walk, ``--resume``/``--changed-since`` and the journal stay on the client; the files are
verified on the workers. The client cuts the stream of paths into batches (default
:data:`DEFAULT_BATCH_SIZE` paths) and keeps a bounded number of them in flight (default two
per worker thread), so that memory stays bounded by the batches, never by the archive. Each
batch is one Dask task, submitted with ``retries``: on the worker it takes the worker's
:class:`~dicomsign.archive.Verifier` (built once per worker process and trust settings, so the
trust files are loaded once per worker, not per batch) and runs the engine
(:func:`~dicomsign.archive.engine.verify_stream`) on the worker's own cores; it returns the
batch's :class:`~dicomsign.archive.FileResult` objects, and the client yields them as each
batch completes.

**Exactly once.** A batch's results reach the client only from the task that finished: a
worker that dies mid-batch returns nothing, the scheduler runs the batch again elsewhere
(Dask's ``allowed-failures`` for a lost worker, ``retries`` for an exception in the task), and
the client takes each batch's results once. Nothing is written on the workers.

**What the workers need.** ``dicomsign`` installed (the same version as the client), and the
same file system as the client at the same mount points: the files and the trust files are
read there by their paths. Paths are therefore made absolute on the client (the workers'
working directory is their own), and results carry the absolute paths.

``distributed`` is imported only when a cluster is used: the rest of :mod:`dicomsign` never
needs it.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from itertools import islice
from typing import TYPE_CHECKING, Any, cast

from ..exceptions import DicomSignError
from ..exitcodes import ExitCode
from .engine import default_jobs, verify_stream
from .pipeline import PathArgument, WalkProblems, walk_and_skip
from .verifier import FileResult, Verifier
from .walk import Found

if TYPE_CHECKING:
    from cryptography import x509
    from distributed import Client, Future

__all__ = [
    "CONNECT_TIMEOUT",
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_RETRIES",
    "MISSING_EXTRA",
    "ClusterError",
    "ClusterTrust",
    "absolute",
    "connect",
    "judge_on_cluster",
    "local_workers",
    "silence_logs",
    "verify_batch",
    "verify_on_cluster",
]

#: Paths per batch (one Dask task) unless told otherwise.
DEFAULT_BATCH_SIZE = 2000
#: Dask ``retries`` of a batch whose task raised (a lost worker is Dask's ``allowed-failures``).
DEFAULT_RETRIES = 3
#: Seconds to reach a scheduler before giving up.
CONNECT_TIMEOUT = 10.0
#: What a command says when ``distributed`` is not installed.
MISSING_EXTRA = "the --dask option needs the extra: pip install 'dicomsign[dask]'"


class ClusterError(DicomSignError):
    """The cluster cannot be reached, or a batch failed on it for good (exit 20: no file of
    that batch was verified; the journal holds every result that came back)."""

    exit_code = ExitCode.CANNOT_READ_INPUT_FILE


def absolute(path: str) -> str:
    """``path`` made absolute against this process's working directory, without resolving
    ``..`` or symbolic links (the walk treats them as given)."""
    return path if os.path.isabs(path) else os.path.join(os.getcwd(), path)


def _trust_paths(value: object, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, (str, os.PathLike)) else value
    if not isinstance(items, Iterable):
        raise TypeError(f"{what}: expected a path or an iterable of paths, not {value!r}")
    paths = []
    for item in items:
        if not isinstance(item, (str, os.PathLike)):
            raise TypeError(
                f"{what}: on a cluster trust material is given as files (shared with the "
                f"workers), not {type(item).__name__} objects"
            )
        paths.append(absolute(os.fsdecode(os.fspath(item))))
    return tuple(paths)


def _stamp(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)


@dataclass(frozen=True)
class ClusterTrust:
    """The trust and policy of a run, sent with each batch (small, hashable, picklable).

    Attributes
    ----------
    trusted, untrusted, crls : tuple of str
        Absolute paths of the certificate and CRL files (read on the workers).
    policy : str
        ``"if-present"`` or ``"require"`` (:class:`~dicomsign.vocabulary.VerificationPolicy`).
    old_format : bool
        DCMTK's pre-3.5.4 format for encapsulated pixel data.
    stamps : tuple
        (size, mtime_ns) of each trust file as the client saw it: a worker that kept a
        verifier of an earlier run loads changed trust files again.
    ocsp, ocsp_url, ocsp_timeout
        The OCSP check (:class:`~dicomsign.vocabulary.OcspMode` value, responder, timeout);
        each worker process asks about each certificate once.
    rules
        The policy: ``"strict"`` or the absolute path of a TOML policy file (read on the
        workers), or None.
    """

    trusted: tuple[str, ...] = ()
    untrusted: tuple[str, ...] = ()
    crls: tuple[str, ...] = ()
    policy: str = "if-present"
    old_format: bool = False
    stamps: tuple[tuple[int, int] | None, ...] = ()
    ocsp: str = "off"
    ocsp_url: str | None = None
    ocsp_timeout: float | None = None
    rules: str | None = None

    @classmethod
    def of(
        cls,
        *,
        trusted: object = None,
        untrusted: object = None,
        crls: object = None,
        require_signature: bool = False,
        old_format: bool = False,
        ocsp: str = "off",
        ocsp_url: str | None = None,
        ocsp_timeout: float | None = None,
        rules: str | None = None,
    ) -> ClusterTrust:
        """The settings of a run from the arguments of :func:`verify_on_cluster`."""
        files = (
            _trust_paths(trusted, "trusted"),
            _trust_paths(untrusted, "untrusted"),
            _trust_paths(crls, "crls"),
        )
        stamps = tuple(_stamp(p) for group in files for p in group)
        policy = "require" if require_signature else "if-present"
        return cls(
            *files,
            policy=policy,
            old_format=old_format,
            stamps=stamps,
            ocsp=str(ocsp),
            ocsp_url=ocsp_url,
            ocsp_timeout=ocsp_timeout,
            rules=rules,
        )

    def verifier(self) -> Verifier:
        """A :class:`Verifier` with these settings (loads the trust files).

        Raises
        ------
        TrustFileError
            A trust or CRL file cannot be loaded.
        """
        return Verifier(
            trusted=list(self.trusted),
            untrusted=list(self.untrusted),
            crls=list(self.crls),
            policy=self.policy,
            old_format=self.old_format,
            ocsp=self.ocsp,
            ocsp_url=self.ocsp_url,
            ocsp_timeout=self.ocsp_timeout,
            rules=self.rules,
        )


# -- on the workers ----------------------------------------------------------------------------

_VERIFIERS: dict[ClusterTrust, Verifier] = {}
_VERIFIERS_LOCK = threading.Lock()
_VERIFIERS_KEPT = 4
#: Verifiers built in this process (the trust files loaded), for the tests.
_loads = 0


def _verifier(settings: ClusterTrust) -> Verifier:
    """This process's verifier for ``settings``, built on first use."""
    global _loads
    with _VERIFIERS_LOCK:
        verifier = _VERIFIERS.get(settings)
        if verifier is None:
            verifier = settings.verifier()
            while len(_VERIFIERS) >= _VERIFIERS_KEPT:
                del _VERIFIERS[next(iter(_VERIFIERS))]
            _VERIFIERS[settings] = verifier
            _loads += 1
        return verifier


def _worker_jobs() -> int:
    """The cores of this process shared among the worker's threads (each runs a batch)."""
    try:
        from distributed import get_worker

        threads = max(1, int(get_worker().state.nthreads))
    except (ImportError, ValueError):  # not on a worker
        threads = 1
    return max(1, default_jobs() // threads)


@dataclass(frozen=True)
class _Shipped:
    """A :class:`FileResult` as it travels back to the client: certificates (which do not
    pickle) as DER bytes."""

    result: FileResult
    certificates: tuple[bytes | None, ...] = ()


def _ship(result: FileResult) -> _Shipped:
    report = result.report
    if report is None or all(s.certificate is None for s in report.signatures):
        return _Shipped(result)
    from cryptography.hazmat.primitives.serialization import Encoding

    ders = tuple(
        None if s.certificate is None else s.certificate.public_bytes(Encoding.DER)
        for s in report.signatures
    )
    bare = tuple(replace(s, certificate=None) for s in report.signatures)
    return _Shipped(replace(result, report=replace(report, signatures=bare)), ders)


def _unship(shipped: _Shipped, certificates: dict[bytes, x509.Certificate]) -> FileResult:
    result, report = shipped.result, shipped.result.report
    if report is None or not shipped.certificates:
        return result
    from cryptography import x509

    signatures = []
    for sig, der in zip(report.signatures, shipped.certificates, strict=True):
        if der is not None:
            certificate = certificates.get(der)
            if certificate is None:
                if len(certificates) >= 256:
                    certificates.clear()
                certificate = certificates[der] = x509.load_der_x509_certificate(der)
            sig = replace(sig, certificate=certificate)
        signatures.append(sig)
    return replace(result, report=replace(report, signatures=tuple(signatures)))


def verify_batch(settings: ClusterTrust, paths: list[str], jobs: int | None = None) -> list[Any]:
    """Verify one batch on a worker (the Dask task); one shipped result per path.

    ``jobs`` is the files verified at once (default: this process's cores shared among the
    worker's threads).
    """
    verifier = _verifier(settings)
    workers = jobs if jobs is not None else _worker_jobs()
    return [_ship(r) for r in verify_stream(paths, verifier, jobs=workers)]


# -- on the client -----------------------------------------------------------------------------

_LOCAL = re.compile(r"local:([0-9]+)\Z")


def local_workers(spec: str) -> int | None:
    """N for ``local:N`` (a local cluster of N worker processes); None for anything else (a
    scheduler address)."""
    match = _LOCAL.match(spec)
    return None if match is None else int(match.group(1))


def silence_logs() -> None:
    """Keep the logs of ``distributed`` (and of the ``tornado`` and ``asyncio`` under it) in
    this process off standard error: a command says what went wrong in one line (a
    :class:`ClusterError`), where they would add tracebacks, for a lost scheduler say."""
    import logging

    for name in ("distributed", "tornado", "bokeh", "asyncio"):
        family = logging.getLogger(name)
        family.handlers[:] = [logging.NullHandler()]
        family.propagate = False
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and name.startswith(("distributed.", "tornado.")):
            logger.handlers.clear()  # distributed gives some of its loggers a handler each
            logger.propagate = True


@contextmanager
def connect(spec: str, *, timeout: float = CONNECT_TIMEOUT) -> Iterator[Client]:
    """A client of a cluster, closed (with the cluster it started) at the end.

    Parameters
    ----------
    spec : str
        A scheduler address (``tcp://host:8786``, ``host:8786``), or ``local:N`` for a
        ``distributed.LocalCluster`` of N worker processes, one thread each, started here.
    timeout : float
        Seconds to reach the scheduler.

    Raises
    ------
    ImportError
        ``distributed`` is not installed (the extra ``dicomsign[dask]``).
    ValueError
        ``spec`` is neither an address nor ``local:N`` with N at least 1.
    ClusterError
        The scheduler cannot be reached within ``timeout`` (or its host is unknown), or the
        local cluster cannot start.
    """
    import logging

    from distributed import Client, LocalCluster
    from distributed.comm.addressing import resolve_address

    n = local_workers(spec)
    with ExitStack() as stack:
        if n is not None:
            if n < 1:
                raise ValueError(f"{spec!r}: a local cluster needs at least 1 worker")
            try:
                cluster = LocalCluster(
                    n_workers=n,
                    processes=True,
                    threads_per_worker=1,
                    # Its HTTP server (health, the dashboard) on a free port of this host
                    # only: None would still take port 8787, or warn when it is taken.
                    dashboard_address="127.0.0.1:0",
                    silence_logs=logging.CRITICAL,  # the workers' logs; failures are raised
                )
            except Exception as exc:  # noqa: BLE001 - whatever stopped it, in one line
                raise ClusterError(f"the local Dask cluster cannot start: {exc}") from None
            stack.callback(cluster.close)
            client = Client(cluster, set_as_default=False)
            stack.callback(client.close)
            from ._dask_workers import IgnoreInterrupts

            client.register_plugin(IgnoreInterrupts(), name="dicomsign-ignore-interrupts")
        else:
            try:
                # The address is checked before a Client exists: a Client that failed on a
                # malformed address complains again when it is collected.
                resolve_address(spec)
            except ValueError as exc:
                raise ValueError(f"{spec!r} is not a scheduler address: {exc}") from None
            except OSError as exc:
                why = exc.strerror or str(exc)
                raise ClusterError(f"the Dask scheduler {spec} cannot be reached: {why}") from None
            try:
                client = Client(spec, timeout=timeout, set_as_default=False)
            except OSError as exc:
                raise ClusterError(f"the Dask scheduler cannot be reached: {exc}") from None
            stack.callback(client.close)
        yield client


def _batches(paths: Iterator[str], size: int) -> Iterator[list[str]]:
    while batch := list(islice(paths, size)):
        yield batch


def _threads(client: Client) -> int:
    nthreads = cast("dict[str, int]", client.nthreads())
    return sum(nthreads.values())


def _failed(batch: list[str], exc: BaseException) -> ClusterError:
    why = " ".join(str(exc).split()) or type(exc).__name__
    if type(exc).__name__ not in why:
        why = f"{type(exc).__name__}: {why}"
    n = len(batch)
    return ClusterError(
        f"a batch of {n:,} file{'s' if n != 1 else ''} (the first: {batch[0]}) failed on the "
        f"cluster: {why}"
    )


def judge_on_cluster(
    found: Iterable[Found],
    client: Client,
    settings: ClusterTrust,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    in_flight: int | None = None,
    jobs: int | None = None,
    retries: int = DEFAULT_RETRIES,
    skip: Callable[[str], bool] | None = None,
) -> Iterator[FileResult]:
    """Verify what the walk found on the cluster, one result per path as its batch completes
    (:func:`~dicomsign.archive.pipeline.judge` with the engine on the workers).

    The walk's problems become ``unreadable`` results on the client, as with ``judge``; a
    path for which ``skip`` is true is left out. ``found`` should hold absolute paths
    (:func:`absolute`). Closing the generator (or Ctrl-C while it waits) cancels the batches
    in flight.

    Raises
    ------
    ClusterError
        A batch failed for good: its task raised on every try, or the workers running it
        died more often than Dask's ``allowed-failures``, or the scheduler went away.
    """
    import uuid

    from distributed import as_completed

    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    limit = in_flight if in_flight is not None else 2 * max(1, _threads(client))
    if limit < 1:
        raise ValueError(f"in_flight must be at least 1, not {limit}")
    aside = WalkProblems()
    batches = _batches(aside.paths(found, skip), batch_size)
    run = uuid.uuid4().hex
    waiting: dict[str, tuple[Future[list[Any]], list[str]]] = {}
    numbered = iter(range(1 << 62))
    certificates: dict[bytes, x509.Certificate] = {}

    def submit(batch: list[str]) -> Future[list[Any]]:
        key = f"dicomsign-verify-{run}-{next(numbered)}"
        future = cast(
            "Future[list[Any]]",
            client.submit(
                verify_batch, settings, batch, jobs, key=key, retries=retries, pure=False
            ),
        )
        waiting[key] = (future, batch)
        return future

    done = as_completed(loop=client.loop)
    try:
        for batch in islice(batches, limit):
            done.add(submit(batch))
        for future in done:
            # Each batch is taken once, from the one task that finished.
            entry = waiting.pop(cast(str, future.key), None)
            if entry is None:
                continue
            try:
                shipped = cast("list[_Shipped]", future.result())
            except Exception as exc:  # noqa: BLE001 - whatever ended the batch, in one line
                raise _failed(entry[1], exc) from None
            # Top up before handing out: the cluster works while the caller consumes.
            following = next(batches, None)
            if following is not None:
                done.add(submit(following))
            yield from aside.drain()
            for item in shipped:
                yield _unship(item, certificates)
            del shipped, entry, future
        yield from aside.drain()
    finally:
        if waiting:
            client.cancel([future for future, _ in waiting.values()])
            waiting.clear()


def verify_on_cluster(
    paths: PathArgument | Iterable[PathArgument],
    client: Client,
    *,
    trusted: PathArgument | Iterable[PathArgument] | None = None,
    untrusted: PathArgument | Iterable[PathArgument] | None = None,
    crls: PathArgument | Iterable[PathArgument] | None = None,
    require_signature: bool = False,
    old_format: bool = False,
    follow_symlinks: bool = False,
    include: str | Iterable[str] = (),
    exclude: str | Iterable[str] = (),
    changed_since: PathArgument | Iterable[PathArgument] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    in_flight: int | None = None,
    jobs: int | None = None,
    retries: int = DEFAULT_RETRIES,
    ocsp: str = "off",
    ocsp_url: str | None = None,
    ocsp_timeout: float | None = None,
) -> Iterator[FileResult]:
    """Verify files and directory trees on a Dask cluster; yield each file's result as its
    batch completes (:func:`~dicomsign.archive.verify_many` with the work on the workers).

    Parameters
    ----------
    paths : path or iterable of paths
        Files, and directories walked recursively on the client (streaming). Relative paths
        are made absolute against the client's working directory: the results carry absolute
        paths.
    client : distributed.Client
        A client of the cluster. Its workers need ``dicomsign`` and the client's file system
        at the same paths (the files and the trust files are read there).
    trusted, untrusted, crls : path or iterable of paths
        Certificate and CRL files (paths only: the workers load them, once per worker
        process). They are loaded on the client first, so that a file that cannot be loaded
        raises at once.
    require_signature, old_format, follow_symlinks, include, exclude, changed_since
        As for :func:`~dicomsign.archive.verify_many`.
    batch_size : int
        Paths per batch, one Dask task each (default :data:`DEFAULT_BATCH_SIZE`).
    in_flight : int, optional
        Batches submitted and not yet handed out, at most (default: two per worker thread of
        the cluster when the run starts).
    jobs : int, optional
        Files verified at once within a batch, on its worker (default: the worker process's
        cores shared among its threads).
    retries : int
        Dask ``retries`` of a batch whose task raises; a batch whose worker dies is run
        again by the scheduler (Dask's ``allowed-failures``).
    ocsp, ocsp_url, ocsp_timeout
        As for :func:`~dicomsign.archive.verify_many` (a mode name, not a prepared checker:
        each worker process asks about each certificate once).

    Returns
    -------
    iterator of FileResult
        Exactly one per file, in the order the batches complete; closing it cancels the
        batches in flight.

    Raises
    ------
    TrustFileError
        At once, when a trust or CRL file cannot be loaded.
    JournalError
        At once, when a ``changed_since`` journal cannot be read.
    ClusterError
        While iterating, when a batch failed for good (see :func:`judge_on_cluster`).
    """
    settings = ClusterTrust.of(
        trusted=trusted,
        untrusted=untrusted,
        crls=crls,
        require_signature=require_signature,
        old_format=old_format,
        ocsp=ocsp,
        ocsp_url=ocsp_url,
        ocsp_timeout=ocsp_timeout,
    )
    settings.verifier()  # every trust file loads here before anything is sent
    walk, skip = walk_and_skip(
        paths,
        follow_symlinks=follow_symlinks,
        include=include,
        exclude=exclude,
        changed_since=changed_since,
        absolute=absolute,
    )
    return judge_on_cluster(
        walk,
        client,
        settings,
        batch_size=batch_size,
        in_flight=in_flight,
        jobs=jobs,
        retries=retries,
        skip=skip,
    )
