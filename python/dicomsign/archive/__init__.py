"""Verification of many files and of whole archives.

- :class:`Verifier` verifies one file after another with the trust material loaded once;
  :class:`FileResult` is the outcome of one file, with its :class:`Status` word.
- :func:`verify_many` verifies files and directory trees in parallel and yields each result
  as it completes (the API of ``dicomsign verify``);
  :func:`~dicomsign.archive.cluster.verify_on_cluster` does the same on a Dask cluster (the
  extra ``dicomsign[dask]``).

The modules: :mod:`.status` (the words, the worst-first order, the run's exit codes),
:mod:`.verifier` (one file), :mod:`.walk` (directory trees and file lists, streaming),
:mod:`.engine` (the parallel engine, one seam), :mod:`.pipeline` (walk, skip, verify),
:mod:`.journal` (the JSONL journal, resume), :mod:`.progress` (progress bar and summary),
:mod:`.report` (JSON, CSV, JUnit XML and HTML reports from journals), :mod:`.cluster` (the
engine on the workers of a Dask cluster).
"""

from __future__ import annotations

from .engine import verify_stream
from .pipeline import verify_many
from .status import RunExit, Status
from .verifier import FileResult, Verifier

__all__ = ["FileResult", "RunExit", "Status", "Verifier", "verify_many", "verify_stream"]
