"""``dcmsign``: a drop-in replacement for DCMTK's command of the same name.

Same options (:mod:`.table`, evaluated by :mod:`.options` with DCMTK's grammar in
:mod:`.cmdline`), same exit codes, same log lines on stderr. Plain command lines take a quick
path (:mod:`.quick`) that needs neither the complete parser nor :mod:`cryptography`; every
other command line, and every doubt, goes to the complete run (:mod:`.run`), which reuses what
the quick path already read and judged.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # neither ``typing`` nor ``collections.abc`` at run time (start-up)
if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``dcmsign`` on ``argv`` (default: the process's command line); return the exit code."""
    from .quick import attempt

    args = list(sys.argv[1:] if argv is None else argv)
    quick = attempt(args)
    if isinstance(quick, int):
        return quick
    from .run import run

    return run(argv, prepared=quick)
