"""``dicomsign``: the modern command line (``dicomsign --version``, ``dicomsign verify``).

``dicomsign verify FILE...`` verifies each file with the same rules and exit codes as
``dcmsign`` and prints one line per file (or JSON with ``--json``). The exit code is 0 when
every file passed, else the highest DCMTK exit code among the files (102 > 101 > 100 > 20);
20 before any file is verified when a trust or CRL file cannot be loaded.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ... import __version__
from ...exitcodes import ExitCode
from . import verify

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dicomsign",
        description="DICOM digital signatures: verify, sign and remove (DCMTK-compatible).",
    )
    parser.add_argument("--version", action="version", version=f"dicomsign {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    verify.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``dicomsign`` with ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return int(ExitCode.COMMANDLINE_SYNTAX_ERROR)
    try:
        return verify.run(args)
    except KeyboardInterrupt:
        return 130
