"""The engine: many files verified in parallel, in Rust.

Everything above this module (the walk, resume, the journal, progress, reports, the command
line, :func:`~dicomsign.archive.verify_many` and the Dask batches) talks to the engine through
one function, :func:`verify_stream`. Its files are judged by the Rust engine
(``_core.ArchiveEngine``, :meth:`Verifier.engine`) on a pool of ``jobs`` threads with the GIL
released: examined, read (small files at once, large ones streamed) and judged, each distinct
certificate chain judged once per validation time. Python only turns each engine record into a
:class:`FileResult` (:meth:`Verifier.result`), and runs the complete DCMTK emulation for the
files the engine is not sure of.

The contract of :func:`verify_stream`, which any engine keeps:

1. ``paths`` is pulled lazily, never more than ``window`` paths ahead of the results handed
   out: memory is bounded by ``jobs``, not by the number of files.
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
from itertools import islice

from .verifier import FileResult, Verifier

__all__ = ["default_jobs", "verify_stream"]

#: Paths queued per thread ahead of the results (``window`` default): enough that no thread
#: waits for the next path while the caller writes results, few enough to stay small.
AHEAD = 64


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
    """Verify ``paths`` on ``jobs`` threads of the Rust engine; yield each result as it
    completes.

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
        Paths taken from ``paths`` and not yet handed out, at most (default ``AHEAD * jobs``).
    """
    workers = default_jobs() if jobs is None else jobs
    if workers < 1:
        raise ValueError(f"jobs must be at least 1, not {workers}")
    if workers == 1:
        for name in paths:
            yield verifier.verify(name)
        return
    limit = max(window or AHEAD * workers, workers)
    source = iter(paths)
    engine = verifier.engine(workers)
    exhausted = False

    def top_up(waiting: int) -> None:
        # Paths taken and not handed out: those in the engine and ``waiting`` results.
        nonlocal exhausted
        room = limit - engine.pending - waiting
        if exhausted or room <= 0:
            return
        batch = list(islice(source, room))
        exhausted = len(batch) < room
        if batch:
            engine.submit(batch)

    try:
        top_up(0)
        while engine.pending:
            done = engine.take(1.0)
            for n, check in enumerate(done, 1):
                yield verifier.result(check)
                top_up(len(done) - n)
            top_up(0)
    finally:
        # The engine counts what is in flight: an interruption anywhere here loses no count.
        engine.close()
