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
    """Run ``dcmsign`` on ``argv`` (default: the process's command line); return the exit code.

    The quick paths make no reference cycles, so the cyclic garbage collector is paused while
    they run. Called as the command (``argv`` None), a quick path that finishes freezes every
    object (:func:`gc.freeze`): the interpreter exits right after, still flushing its streams,
    running ``atexit`` and tearing its modules down, but its final collections no longer walk
    every object the start-up made (a sixth of a small verification here). Called as a library
    function, the collector is left as found.
    """
    import gc

    enabled = gc.isenabled()
    gc.disable()
    quick = None
    try:
        from .quick import attempt

        quick = attempt(list(sys.argv[1:] if argv is None else argv))
    finally:
        if enabled:
            gc.enable()
    if isinstance(quick, int):
        if argv is None:
            gc.freeze()
        return quick
    from .run import run

    return run(argv, prepared=quick)
