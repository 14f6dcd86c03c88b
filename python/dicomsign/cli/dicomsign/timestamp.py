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
import sys
from datetime import UTC, datetime
from typing import Any

from ...archive.journal import SCHEMA_VERSION, JournalError, JournalWriter, timestamp_fields
from ...archive.status import one_line
from ...batch import TimestampedFile, timestamp_many
from .arguments import (
    add_batch_run_arguments,
    add_output_arguments,
    check_output_arguments,
    print_error,
)
from .batch_run import BatchCounts, Done, open_journal, run_batch
from .tsa_options import TsaOptionError, add_tsa_arguments, timestamper

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
    add_output_arguments(
        parser, output="the result (one INPUT)", in_place="rewrite each file in place"
    )
    add_batch_run_arguments(parser, what="files", done="done")
    add_tsa_arguments(parser, required=True)


def _error(message: str, code: int) -> int:
    return print_error(PROG, message, code)


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


def run(args: argparse.Namespace) -> int:
    """Timestamp; the exit code is the run's (see the module)."""
    check_output_arguments(args)
    try:
        stamper = timestamper(args)
    except TsaOptionError as exc:
        return _error(exc.message, int(exc.exit_code))
    assert stamper is not None  # --tsa is required
    seen = Done(_DONE_WORDS)
    try:
        journal = open_journal(args, seen)
    except JournalError as exc:
        return _error(exc.message, int(exc.exit_code))
    try:
        return _run(args, stamper, seen, journal)
    finally:
        if journal is not None:
            journal.close()


def _run(args: argparse.Namespace, stamper: Any, seen: Done, journal: JournalWriter | None) -> int:
    single = bool(args.output)

    def report(outcome: TimestampedFile, counts: BatchCounts) -> int:
        if outcome.status == "failed" or (
            (args.strict or single) and outcome.status == "not-dicom"
        ):
            print(f"{outcome.path}: {one_line(outcome.reason or '')}", file=sys.stderr)
            return outcome.exit_code or 1
        if not args.quiet:
            added = len(outcome.added)
            more = f" ({added} signature{'s' if added != 1 else ''})" if added else ""
            print(f"{outcome.path}: {outcome.status.upper()}{more}")
        return 0

    try:
        end = run_batch(
            args,
            seen,
            journal,
            lambda files: timestamp_many(files, stamper, jobs=args.jobs),
            _record,
            report,
        )
    except JournalError as exc:
        return _error(exc.message, int(exc.exit_code))
    counts = end.counts
    if not single and (end.interrupted or not args.quiet):
        head = "interrupted after " if end.interrupted else ""
        print(f"{PROG}: {head}{counts.files:,} files: {counts.words_line('none')}", file=sys.stderr)
        if counts.skipped:
            print(f"  {counts.skipped:,} already done (--resume), left out", file=sys.stderr)
    return end.exit_code
