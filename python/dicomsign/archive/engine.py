"""The engine: many files verified in parallel. THE seam for the Rust engine.

Everything above this module (the walk, resume, the journal, progress, reports, the command
line and :func:`~dicomsign.archive.verify_many`) talks to the engine through one function,
:func:`verify_stream`. Today it runs :meth:`Verifier.verify` on a thread pool (the engine's
``check_file`` releases the GIL while it reads and hashes); the Rust engine replaces the body
of :func:`verify_stream` and nothing else.

The contract of :func:`verify_stream`, which any engine keeps:

1. ``paths`` is pulled lazily, never more than ``window`` (default ``2 * jobs``) paths ahead of
   the results handed out: memory is bounded by ``jobs``, not by the number of files.
2. Exactly one :class:`FileResult` per path, in the order they complete; ``FileResult`` means
   what :meth:`Verifier.verify` gives for the path (its status, reason, DCMTK exit code, size
   and mtime_ns, the report with every signature), with the verifier's trust and policy.
3. A problem with one file is in its result, never raised; exceptions are programming errors
   or the caller's interruption.
4. When the consumer stops (``close()`` of the generator, or ``KeyboardInterrupt`` raised
   while it waits), the paths not started are dropped, those in flight (at most ``jobs``)
   finish, and nothing runs after the generator has returned.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from .verifier import FileResult, Verifier

__all__ = ["default_jobs", "verify_stream"]


def default_jobs() -> int:
    """Every core this process may run on."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def verify_stream(
    paths: Iterable[str],
    verifier: Verifier,
    *,
    jobs: int | None = None,
    window: int | None = None,
) -> Iterator[FileResult]:
    """Verify ``paths`` on ``jobs`` threads; yield each result as it completes.

    Parameters
    ----------
    paths : iterable of str
        Files to verify, pulled lazily (see the module's contract).
    verifier : Verifier
        The trust, the policy and the verification of one file.
    jobs : int, optional
        Files verified at once (default: :func:`default_jobs`); 1 verifies in order, in the
        calling thread.
    window : int, optional
        Paths taken from ``paths`` and not yet handed out, at most (default ``2 * jobs``).
    """
    workers = default_jobs() if jobs is None else jobs
    if workers < 1:
        raise ValueError(f"jobs must be at least 1, not {workers}")
    if workers == 1:
        for name in paths:
            yield verifier.verify(name)
        return
    limit = max(window or 2 * workers, workers)
    source = iter(paths)
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dicomsign-verify")
    pending: set[Future[FileResult]] = set()
    exhausted = False
    try:
        while True:
            while not exhausted and len(pending) < limit:
                path: str | None = next(source, None)
                if path is None:
                    exhausted = True
                else:
                    pending.add(pool.submit(verifier.verify, path))
            if not pending:
                return
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
