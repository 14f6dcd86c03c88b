"""Verification of many files and of whole archives.

:class:`Verifier` verifies one file after another with the trust material loaded once;
:class:`FileResult` is the outcome of one file, with its :class:`Status` word
(:mod:`.status`: the words, the worst-first order, the run's exit codes).
"""

from __future__ import annotations

from .status import RunExit, Status
from .verifier import FileResult, Verifier

__all__ = ["FileResult", "RunExit", "Status", "Verifier"]
