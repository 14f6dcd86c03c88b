"""``dicomsign timestamp``: add a certified timestamp (RFC 3161) to every signature that has
none, in one file (``INPUT -o OUTPUT``) or whole trees (``PATH... --out DIR`` or
``--in-place``), in parallel with one shared client (:func:`dicomsign.batch.timestamp_many`).

Archives use it to timestamp old signatures in bulk, before their certificates expire. Each
file is written once, atomically, with every token it needed; a file whose signatures all
have a token (or that has none) is not written (``unchanged``); a file whose timestamps could
not all be had is not written either (``failed``: one line naming each TSA and its cause).
The journal is ``dicomsign sign``'s: a ``started`` record before each file, its outcome
after, and ``--resume`` leaves out the files already done. Exit codes: 0 when every file is
timestamped or unchanged (files that are not DICOM are skipped unless ``--strict``); else
the code of the first file that failed (82 when no TSA answered acceptably); 130 when
interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from typing import Any

from ...archive.engine import default_jobs
from ...archive.journal import SCHEMA_VERSION, JournalError, JournalWriter, timestamp_fields
from ...archive.progress import ProgressBar
from ...archive.status import one_line
from ...batch import TimestampedFile, timestamp_many
from .sign import Done, StopRequest, _Counts, pending_files
from .tsa_options import TsaOptionError, add_tsa_arguments, timestamper
from .verify import jobs_option

__all__ = ["add_parser", "run"]

PROG = "dicomsign timestamp"

#: A file done in an earlier run (``--resume``): timestamped, or with nothing to add.
_DONE_WORDS = ("timestamped", "unchanged")


def add_parser(sub: Any) -> None:
    """Add the ``timestamp`` subcommand to an argparse subparsers object."""
    parser = sub.add_parser(
        "timestamp",
        help="add certified timestamps to signatures without one",
        description=(
            "Add an RFC 3161 timestamp to every signature that has none, in one file "
            "(INPUT -o OUTPUT) or files and trees (PATH... --out DIR, or --in-place)."
        ),
    )
    parser.set_defaults(parser=parser)
    parser.add_argument("paths", nargs="+", metavar="PATH", help="DICOM files and directories")
    where = parser.add_argument_group("output (exactly one)")
    where.add_argument("-o", "--output", metavar="FILE", help="the result (one INPUT)")
    where.add_argument(
        "--out", metavar="DIR", help="write the files under DIR (trees mirrored below it)"
    )
    where.add_argument("--in-place", action="store_true", help="rewrite each file in place")
    run_group = parser.add_argument_group("run")
    run_group.add_argument(
        "-j",
        "--jobs",
        type=jobs_option,
        default=None,
        metavar="N",
        help=f"files at once (default: every core, here {default_jobs()})",
    )
    run_group.add_argument("--journal", metavar="FILE", help="one JSON line per file, as it ends")
    run_group.add_argument(
        "--resume", action="store_true", help="skip files --journal records as done"
    )
    run_group.add_argument(
        "--strict", action="store_true", help="a file that is not DICOM fails the run"
    )
    run_group.add_argument("--include", action="append", default=[], metavar="GLOB")
    run_group.add_argument("--exclude", action="append", default=[], metavar="GLOB")
    run_group.add_argument("-q", "--quiet", action="store_true", help="print failures only")
    run_group.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_tsa_arguments(parser, required=True)


def _error(message: str, code: int) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return code


def _record(outcome: TimestampedFile) -> dict[str, Any]:
    return {
        "v": SCHEMA_VERSION,
        "path": outcome.path,
        "output": outcome.output,
        "status": outcome.status,
        "ok": outcome.status in _DONE_WORDS,
        "reason": one_line(outcome.reason) if outcome.reason else None,
        "exit_code": outcome.exit_code,
        "signatures": [
            {"uid": s.uid, "location": s.location, "timestamp": timestamp_fields(s.timestamp)}
            for s in outcome.added
        ],
        "size": outcome.size,
        "mtime_ns": outcome.mtime_ns,
        "timestamped_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


class _Done(Done):
    """``--resume``: a file recorded ``timestamped`` or ``unchanged`` is done."""

    def done(self, path: str, *, in_place: bool) -> bool:
        known = self.last.get(path)
        if known is not None and known[0] in _DONE_WORDS:
            return True
        return super().done(path, in_place=in_place)


def run(args: argparse.Namespace) -> int:
    """Timestamp; the exit code is the run's (see the module)."""
    parser: argparse.ArgumentParser = args.parser
    modes = [m for m in (args.output, args.out, args.in_place or None) if m]
    if len(modes) != 1:
        parser.error("give exactly one of -o OUTPUT, --out DIR and --in-place")
    if args.output and (len(args.paths) != 1 or os.path.isdir(args.paths[0])):
        parser.error("-o OUTPUT takes one INPUT file; use --out DIR for several or trees")
    if args.resume and not args.journal:
        parser.error("--resume needs --journal (the journal to resume)")
    try:
        stamper = timestamper(args)
    except TsaOptionError as exc:
        return _error(exc.message, int(exc.exit_code))
    assert stamper is not None  # --tsa is required
    seen = _Done()
    try:
        if args.resume and os.path.exists(args.journal):
            seen.add(args.journal)
        journal = JournalWriter(args.journal) if args.journal else None
    except JournalError as exc:
        return _error(exc.message, int(exc.exit_code))
    try:
        return _run(args, stamper, seen, journal)
    finally:
        if journal is not None:
            journal.close()


def _run(args: argparse.Namespace, stamper: Any, seen: Done, journal: JournalWriter | None) -> int:
    counts = _Counts()
    single = bool(args.output)
    progress = None
    if not (single or args.quiet or args.no_progress) and sys.stderr.isatty():
        progress = ProgressBar(sys.stderr, counts)
    stop = StopRequest()
    first_failure = 0
    interrupted = False
    try:
        with stop.installed():
            outcomes = timestamp_many(
                pending_files(args, seen, journal, counts, stop), stamper, jobs=args.jobs
            )
            for outcome in outcomes:
                counts.files += 1
                counts.words[outcome.status] = counts.words.get(outcome.status, 0) + 1
                if journal is not None:
                    journal.write(_record(outcome))
                if progress is not None:
                    progress.clear()
                failed = outcome.status == "failed" or (
                    (args.strict or single) and outcome.status == "not-dicom"
                )
                if failed:
                    counts.failures += 1
                    first_failure = first_failure or outcome.exit_code or 1
                    print(f"{outcome.path}: {one_line(outcome.reason or '')}", file=sys.stderr)
                elif not args.quiet:
                    added = len(outcome.added)
                    more = f" ({added} signature{'s' if added != 1 else ''})" if added else ""
                    print(f"{outcome.path}: {outcome.status.upper()}{more}")
                if progress is not None:
                    progress.update()
    except KeyboardInterrupt:
        interrupted = True
    except JournalError as exc:
        return _error(exc.message, int(exc.exit_code))
    interrupted = interrupted or stop.requested
    if progress is not None:
        progress.clear()
    if not single and (interrupted or not args.quiet):
        words = ", ".join(f"{n:,} {w}" for w, n in sorted(counts.words.items()))
        head = "interrupted after " if interrupted else ""
        print(f"{PROG}: {head}{counts.files:,} files: {words or 'none'}", file=sys.stderr)
        if counts.skipped:
            print(f"  {counts.skipped:,} already done (--resume), left out", file=sys.stderr)
    if interrupted:
        return 130
    return first_failure
