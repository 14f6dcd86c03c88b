"""``dicomsign``: the modern command line (``dicomsign --version``, ``dicomsign verify``,
``dicomsign sign``, ``dicomsign report``).

``dicomsign verify PATH...`` verifies files and whole trees in parallel with the same rules
as ``dcmsign``: one status word per file, one line per file (or JSON with ``--json``), a
journal, reports and a summary; the exit code is the run's
(:class:`~dicomsign.archive.status.RunExit`: 0, 101 some failed, 100 some unsigned under
``--require-signature``, 20 some unreadable, 130 interrupted), and 20 before any file is
verified when a trust or CRL file cannot be loaded. ``dicomsign report JOURNAL...`` writes
JSON, CSV, JUnit XML or HTML reports of journals. ``dicomsign sign`` signs one file or whole
trees in parallel with one key (see :mod:`.sign`), with a certified timestamp from ``--tsa
URL``; ``dicomsign timestamp`` adds timestamps to signatures without one (:mod:`.timestamp`).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from ... import __version__
from ...exitcodes import ExitCode
from . import report, sign, timestamp, verify

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dicomsign",
        description="DICOM digital signatures: verify, sign and remove (DCMTK-compatible).",
    )
    parser.add_argument("--version", action="version", version=f"dicomsign {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    verify.add_parser(sub)
    sign.add_parser(sub)
    timestamp.add_parser(sub)
    report.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``dicomsign`` with ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return int(ExitCode.COMMANDLINE_SYNTAX_ERROR)
    try:
        if args.command == "report":
            return report.run(args)
        if args.command == "sign":
            return sign.run(args)
        if args.command == "timestamp":
            return timestamp.run(args)
        return verify.run(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (``| head``): no traceback, and none at exit either.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
