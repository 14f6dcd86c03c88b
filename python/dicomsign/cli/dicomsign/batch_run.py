"""The run of a command that writes one output per input file (``dicomsign sign`` and
``dicomsign timestamp``): the files still to do, the journal with a ``started`` record before
each file (so ``--resume`` never does a file twice), Ctrl-C, the progress bar and the counts.
The command gives what is particular to it: the work, one journal record per outcome, and
what to print of each."""

from __future__ import annotations

import argparse
import fnmatch
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from ...archive.journal import SCHEMA_VERSION, JournalReader, JournalWriter
from ...archive.progress import ProgressBar
from ...archive.walk import Filters, Walk

__all__ = [
    "BatchCounts",
    "Done",
    "Outcome",
    "RunEnd",
    "StopRequest",
    "open_journal",
    "pending_files",
    "run_batch",
]

#: The temporary files outputs are written to before they are renamed into place: one left
#: by a run that was killed is never taken for an input.
TEMPORARY = ".dicomsign-*.tmp"


class Outcome(Protocol):
    """What the work gives for each file: its path and its word."""

    @property
    def path(self) -> str: ...

    @property
    def status(self) -> str: ...


O = TypeVar("O", bound=Outcome)


class BatchCounts:
    """What the progress bar (:class:`~dicomsign.archive.progress.Counts`) and the summary
    show of a batch."""

    def __init__(self) -> None:
        self.files = 0
        self.bytes = 0
        self.failures = 0
        self.skipped = 0
        #: Always 0: a batch's journal is read for ``--resume`` only, not counted.
        self.recorded_failures = 0
        self.words: Counter[str] = Counter()
        self._t0 = time.monotonic()

    @property
    def elapsed(self) -> float:
        """Seconds since the batch started."""
        return time.monotonic() - self._t0

    def words_line(self, empty: str) -> str:
        """``N word, M word`` of the files done, in the words' order; ``empty`` when none."""
        return ", ".join(f"{n:,} {w}" for w, n in sorted(self.words.items())) or empty


class Done:
    """What a journal says of each path (``--resume``): the last record's word and the
    file's size and mtime_ns in it.

    A ``started`` record is written before a file is done, its outcome after: a path whose
    last record has one of ``words`` is done; one whose last record is ``started`` was in
    flight when the run was killed: done in place already if the file is no longer the one
    recorded (the new version replaced it), else not done.
    """

    def __init__(self, words: Iterable[str]) -> None:
        self.words = frozenset(words)
        self.last: dict[str, tuple[str, object, object]] = {}

    def add(self, journal: str) -> None:
        """Read a journal's records (the last one of a path counts)."""
        for rec in JournalReader(journal):
            self.last[str(rec["path"])] = (str(rec["status"]), rec.get("size"), rec.get("mtime_ns"))

    def done(self, path: str, *, in_place: bool) -> bool:
        """True when ``path`` needs nothing in this run."""
        known = self.last.get(path)
        if known is None:
            return False
        word, size, mtime_ns = known
        if word in self.words:
            return True
        if word != "started" or not in_place:
            return False
        try:
            st = os.stat(path)
        except OSError:
            return False
        return (st.st_size, st.st_mtime_ns) != (size, mtime_ns)


class StopRequest:
    """The first Ctrl-C of a batch (while installed, :meth:`installed`) stops taking files:
    those in flight finish and are journaled (a file changed in place is never left
    unrecorded); a second one stops at once (``KeyboardInterrupt``)."""

    def __init__(self) -> None:
        self.requested = False

    def _handle(self, signum: int, frame: object) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    @contextmanager
    def installed(self) -> Iterator[StopRequest]:
        """Handle SIGINT as described while the block runs."""
        previous = signal.signal(signal.SIGINT, self._handle)
        try:
            yield self
        finally:
            signal.signal(signal.SIGINT, previous)


def _targets(args: argparse.Namespace) -> Iterator[tuple[str, str]]:
    """(input, output) for every file of the PATHs."""
    filters = Filters(tuple(args.include), tuple(args.exclude))
    for root in args.paths:
        if args.output:
            yield root, args.output
            continue
        is_tree = os.path.isdir(root)
        for found in Walk([root], filters=filters):
            if fnmatch.fnmatchcase(os.path.basename(found.path), TEMPORARY):
                continue
            if args.in_place:
                yield found.path, found.path
            elif is_tree:
                yield found.path, os.path.join(args.out, os.path.relpath(found.path, root))
            else:
                yield found.path, os.path.join(args.out, os.path.basename(found.path))


def _started(path: str) -> dict[str, Any]:
    size: int | None
    mtime_ns: int | None
    try:
        st = os.stat(path)
        size, mtime_ns = st.st_size, st.st_mtime_ns
    except OSError:
        size = mtime_ns = None
    return {
        "v": SCHEMA_VERSION,
        "path": path,
        "status": "started",
        "size": size,
        "mtime_ns": mtime_ns,
    }


def pending_files(
    args: argparse.Namespace,
    seen: Done,
    journal: JournalWriter | None,
    counts: BatchCounts,
    stop: StopRequest,
) -> Iterator[tuple[str, str]]:
    """(input, output) of every file still to do: the PATHs' files, less those ``seen``
    (``--resume``) has done, each journaled as ``started`` before it is handed out; none
    after a stop request."""
    for path, output in _targets(args):
        if stop.requested:
            return
        if seen.done(path, in_place=args.in_place):
            counts.skipped += 1
            continue
        if journal is not None:
            journal.write(_started(path))
        yield path, output


@dataclass
class RunEnd:
    """How a batch ended: its counts, the exit code of the first file that failed (0 when
    none did), and whether Ctrl-C stopped it."""

    counts: BatchCounts
    first_failure: int = 0
    interrupted: bool = False

    @property
    def exit_code(self) -> int:
        """130 when interrupted, else the first failure's code (0 when every file is done)."""
        return 130 if self.interrupted else self.first_failure


def run_batch(
    args: argparse.Namespace,
    seen: Done,
    journal: JournalWriter | None,
    work: Callable[[Iterator[tuple[str, str]]], Iterable[O]],
    record: Callable[[O], dict[str, Any]],
    report: Callable[[O, BatchCounts], int],
) -> RunEnd:
    """Run ``work`` over the files still to do, in the order they complete: each outcome
    journaled (``record``), then told (``report``, which returns the outcome's failure code,
    or 0), with the progress bar on a terminal. Ctrl-C stops taking files (see
    :class:`StopRequest`). A ``JournalError`` propagates."""
    counts = BatchCounts()
    progress = None
    if not (args.output or args.quiet or args.no_progress) and sys.stderr.isatty():
        progress = ProgressBar(sys.stderr, counts)
    stop = StopRequest()
    end = RunEnd(counts)
    try:
        with stop.installed():
            for outcome in work(pending_files(args, seen, journal, counts, stop)):
                counts.files += 1
                counts.words[outcome.status] += 1
                if journal is not None:
                    journal.write(record(outcome))
                if progress is not None:
                    progress.clear()
                code = report(outcome, counts)
                if code:
                    counts.failures += 1
                    end.first_failure = end.first_failure or code
                if progress is not None:
                    progress.update()
    except KeyboardInterrupt:
        end.interrupted = True
    finally:
        if progress is not None:
            progress.clear()
    end.interrupted = end.interrupted or stop.requested
    return end


def open_journal(args: argparse.Namespace, seen: Done) -> JournalWriter | None:
    """Read ``--journal`` into ``seen`` under ``--resume``; open it for appending. A
    ``JournalError`` propagates."""
    if args.resume and os.path.exists(args.journal):
        seen.add(args.journal)
    return JournalWriter(args.journal) if args.journal else None
