"""The argument types and argument groups ``dicomsign``'s subcommands share: numbers checked
by argparse (exit 2 with its usage line), ``--jobs``, and the output and run options of the
commands that write one output per input (``sign`` and ``timestamp``)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from ...archive.engine import default_jobs

__all__ = [
    "add_batch_run_arguments",
    "add_jobs_argument",
    "add_output_arguments",
    "check_output_arguments",
    "count_option",
    "jobs_option",
    "print_error",
    "seconds_option",
]


def _number(text: str, kind: type[int | float]) -> Any:
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


def jobs_option(text: str) -> int:
    """A whole number, at least 1 (argparse ``type`` of ``--jobs`` and ``--batch-size``)."""
    value: int = _number(text, int)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def count_option(text: str) -> int:
    """A whole number, 0 or more (argparse ``type``)."""
    value: int = _number(text, int)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, not {value}")
    return value


def seconds_option(text: str) -> float:
    """A number of seconds, more than 0 (argparse ``type`` of the timeouts)."""
    value: float = _number(text, float)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
    return value


def print_error(prog: str, message: str, code: int) -> int:
    """Print ``PROG: error: MESSAGE`` on standard error; return ``code`` (the exit code)."""
    print(f"{prog}: error: {message}", file=sys.stderr)
    return code


def add_jobs_argument(group: Any, what: str) -> None:
    """``-j/--jobs N``: how many ``what`` at once (default: every core)."""
    group.add_argument(
        "-j",
        "--jobs",
        type=jobs_option,
        default=None,
        metavar="N",
        help=f"{what} at once (default: every core, here {default_jobs()})",
    )


def add_output_arguments(parser: argparse.ArgumentParser, *, output: str, in_place: str) -> None:
    """The output group of a command writing one output per input: exactly one of
    ``-o OUTPUT`` (one input file), ``--out DIR`` (trees mirrored) and ``--in-place``."""
    where = parser.add_argument_group("output (exactly one)")
    where.add_argument("-o", "--output", metavar="FILE", help=output)
    where.add_argument(
        "--out", metavar="DIR", help="write the files under DIR (trees mirrored below it)"
    )
    where.add_argument("--in-place", action="store_true", help=in_place)


def add_batch_run_arguments(parser: argparse.ArgumentParser, *, what: str, done: str) -> None:
    """The run group of a command writing one output per input: jobs, journal and resume,
    filters, quiet and progress. ``what`` names the files for ``--jobs``; ``done`` is how the
    journal records a file that ``--resume`` leaves out."""
    run_group = parser.add_argument_group("run")
    add_jobs_argument(run_group, what)
    run_group.add_argument("--journal", metavar="FILE", help="one JSON line per file, as it ends")
    run_group.add_argument(
        "--resume", action="store_true", help=f"skip files --journal records as {done}"
    )
    run_group.add_argument(
        "--strict", action="store_true", help="a file that is not DICOM fails the run"
    )
    run_group.add_argument("--include", action="append", default=[], metavar="GLOB")
    run_group.add_argument("--exclude", action="append", default=[], metavar="GLOB")
    run_group.add_argument("-q", "--quiet", action="store_true", help="print failures only")
    run_group.add_argument("--no-progress", action="store_true", help="no progress bar")


def check_output_arguments(args: argparse.Namespace) -> None:
    """Refuse (exit 2) what ``add_output_arguments`` and ``add_batch_run_arguments`` cannot
    take: none or two of the outputs, ``-o`` with several inputs or a tree, ``--resume``
    without ``--journal``."""
    parser: argparse.ArgumentParser = args.parser
    modes = [m for m in (args.output, args.out, args.in_place or None) if m]
    if len(modes) != 1:
        parser.error("give exactly one of -o OUTPUT, --out DIR and --in-place")
    if args.output and (len(args.paths) != 1 or os.path.isdir(args.paths[0])):
        parser.error("-o OUTPUT takes one INPUT file; use --out DIR for several or trees")
    if args.resume and not args.journal:
        parser.error("--resume needs --journal (the journal to resume)")
