"""``dicomsign report JOURNAL... --format json|csv|junit|html [-o FILE]``: a report of the
files recorded in journals (the last record of each path), failing files first."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ...archive.journal import JournalError
from ...archive.report import FORMATS, format_for, load, render
from ...exceptions import os_reason
from ...exitcodes import ExitCode

__all__ = ["add_parser", "run"]

PROG = "dicomsign report"


def add_parser(sub: Any) -> None:
    """Add the ``report`` subcommand to an argparse subparsers object."""
    report = sub.add_parser(
        "report",
        help="a report (JSON, CSV, JUnit XML, HTML) of verification journals",
        description="Write a report of the files recorded in journals (dicomsign verify "
        "--journal), failing files first; a later record of a path replaces an earlier one.",
    )
    report.set_defaults(parser=report)
    report.add_argument("journals", nargs="+", metavar="JOURNAL", help="journal files (JSONL)")
    report.add_argument(
        "-f",
        "--format",
        choices=FORMATS,
        help="the report's format (default: by the extension of -o, else json)",
    )
    report.add_argument(
        "-o", "--output", metavar="FILE", help="write to FILE (default: standard output)"
    )


def run(args: argparse.Namespace) -> int:
    """Write the report; 0, or 20 when a journal cannot be read, 40 when the output cannot
    be written."""
    fmt: str = args.format or (format_for(args.output) if args.output else None) or "json"
    try:
        records = load(args.journals)
    except JournalError as exc:
        print(f"{PROG}: error: {exc.message}", file=sys.stderr)
        return int(exc.exit_code)
    if records.damaged:
        print(f"{PROG}: warning: {records.damaged} damaged journal lines ignored", file=sys.stderr)
    if args.output is None:
        render(records, fmt, sys.stdout)
        sys.stdout.flush()
        return 0
    try:
        with open(args.output, "w", encoding="utf-8", newline="") as out:
            render(records, fmt, out)
    except OSError as exc:
        why = os_reason(exc, args.output)
        print(f"{PROG}: error: '{args.output}' cannot be written: {why}", file=sys.stderr)
        return int(ExitCode.CANNOT_WRITE_OUTPUT_FILE)
    return 0
