"""Helpers for the interop tests of the signing options (helper module, no tests here).

:func:`run_both` runs DCMTK's ``dcmsign`` and ours on the same command line (each writing its
own output file) and :func:`normalize` removes from a log what legitimately differs between two
signatures of the same input: signature UIDs, dates and times, file names and the program
header (``$dcmtk:`` and ``$dicomsign:``, the deliberate difference of the README).
"""

from __future__ import annotations

import concurrent.futures
import re
import subprocess
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from dcmtk import dcmtk, ours

__all__ = [
    "OUT",
    "Both",
    "Run",
    "dcmodify",
    "dcmtk_sign",
    "dump2dcm",
    "normalize",
    "normalize_header",
    "ours_sign",
    "parallel",
    "purpose_dump",
    "run_both",
    "verify_both",
]

#: Stands for the output file in the argument lists given to :func:`run_both`.
OUT = "<OUT>"

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Run:
    """One finished ``dcmsign`` run."""

    code: int
    stdout: str
    stderr: str
    output: Path | None


@dataclass(frozen=True)
class Both:
    """The same command line run by DCMTK and by us."""

    dcmtk: Run
    ours: Run

    def same(self) -> bool:
        """Same exit code and the same stderr (header line normalized)."""
        return self.dcmtk.code == self.ours.code and normalize_header(
            self.dcmtk.stderr
        ) == normalize_header(self.ours.stderr)

    def explain(self) -> str:
        """Both logs, for assertion messages."""
        return (
            f"dcmtk exit {self.dcmtk.code}:\n{self.dcmtk.stderr}\n"
            f"ours exit {self.ours.code}:\n{self.ours.stderr}"
        )


def _run(
    tool: Callable[..., subprocess.CompletedProcess[str]],
    args: Sequence[str | Path],
    output: Path | None,
) -> Run:
    done = tool(*[output if a == OUT else a for a in args])
    return Run(done.returncode, done.stdout, done.stderr, output)


def run_both(args: Sequence[str | Path], workdir: Path, name: str = "out") -> Both:
    """Run DCMTK's and our ``dcmsign`` with ``args``, in parallel.

    :data:`OUT` in ``args`` becomes ``<workdir>/<name>.dcmtk.dcm`` and ``<name>.ours.dcm``;
    in our stderr our output path is replaced by DCMTK's so that the logs compare directly.
    """
    has_out = OUT in args
    theirs_out = workdir / f"{name}.dcmtk.dcm" if has_out else None
    mine_out = workdir / f"{name}.ours.dcm" if has_out else None
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        a = pool.submit(_run, lambda *x: dcmtk("dcmsign", *x), args, theirs_out)
        b = pool.submit(_run, ours, args, mine_out)
        theirs, mine = a.result(), b.result()
    if mine_out is not None and theirs_out is not None:
        mine = Run(
            mine.code,
            mine.stdout,
            mine.stderr.replace(str(mine_out), str(theirs_out)),
            mine.output,
        )
    return Both(theirs, mine)


def verify_both(*args: str | Path) -> Both:
    """Run a verification (no output file) with both tools."""
    return run_both(list(args), Path("."))


_HEADER = re.compile(r"^\$(dcmtk|dicomsign): dcmsign v\S+ \S+ \$$", re.MULTILINE)


def normalize_header(text: str) -> str:
    """Replace the program header line (a deliberate difference) by a constant."""
    return _HEADER.sub("$header$", text)


_UID = re.compile(r"UID=[0-9.]+")
_DATETIME = re.compile(r"(Signature date/time +: ).*")
_OPEN = re.compile(r"(I: open input file ).*")


def normalize(text: str) -> str:
    """A log without what differs between two signatures of the same input.

    Signature UIDs, the signature date/time line and the input file name; the header line.
    """
    text = _UID.sub("UID=<uid>", text)
    text = _DATETIME.sub(r"\1<datetime>", text)
    text = _OPEN.sub(r"\1<file>", text)
    return normalize_header(text)


def parallel(function: Callable[[T], R], items: Iterable[T], workers: int = 4) -> list[R]:
    """``[function(x) for x in items]`` on a thread pool (the work is in subprocesses)."""
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        return list(pool.map(function, items))


def dcmtk_sign(*args: str | Path) -> None:
    """Run DCMTK's ``dcmsign`` and insist on success."""
    done = dcmtk("dcmsign", *args)
    assert done.returncode == 0, done.stderr


def ours_sign(*args: str | Path) -> None:
    """Run our ``dcmsign`` and insist on success."""
    done = ours(*args)
    assert done.returncode == 0, done.stderr


def dcmodify(path: Path, *args: str) -> Path:
    """Modify ``path`` in place with DCMTK's ``dcmodify`` (no backup) and return it."""
    done = dcmtk("dcmodify", "-nb", "-q", *args, path)
    assert done.returncode == 0, done.stderr
    return path


def dump2dcm(text: str, path: Path) -> Path:
    """Write a DICOM file from ``dcmdump``-style text with DCMTK's ``dump2dcm``."""
    source = path.with_suffix(".txt")
    source.write_text(text)
    done = dcmtk("dump2dcm", source, path)
    assert done.returncode == 0, done.stderr
    return path


def purpose_dump(path: Path) -> str:
    """``dcmdump`` of the Digital Signature Purpose Code Sequences, as DCMTK reads them."""
    return dcmtk("dcmdump", "-q", "+L", "+P", "0400,0401", path).stdout
