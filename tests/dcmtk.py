"""Running the real DCMTK tools and our command-line tools from the tests.

DCMTK is found by looking for a ``dcmsign`` whose ``--version`` says ``$dcmtk:`` (our own
``dcmsign`` says ``$dicomsign:``), so an activated virtual environment cannot shadow it. The
interop tests never skip: without DCMTK they fail, and ``scripts/setup.sh`` installs it.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

__all__ = ["DCMTK_DIR", "dcmtk", "dicomsign_cli", "ours", "split_stream"]


@functools.cache
def _find_dcmtk() -> Path:
    candidates = [Path(p) for p in os.environ.get("PATH", "").split(os.pathsep) if p]
    candidates.append(Path("/usr/bin"))
    for directory in candidates:
        exe = directory / "dcmsign"
        if not exe.is_file():
            continue
        done = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=False)
        if "$dcmtk:" in done.stdout:
            return directory
    raise RuntimeError(
        "DCMTK's dcmsign was not found: the interop tests need it (apt-get install dcmtk, "
        "or run scripts/setup.sh)"
    )


DCMTK_DIR = _find_dcmtk()


def dcmtk(
    tool: str, *args: str | Path, stdin: bytes | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a DCMTK tool (``dcmsign``, ``dcmodify``...) and return the finished process."""
    return subprocess.run(
        [str(DCMTK_DIR / tool), *map(str, args)],
        capture_output=True,
        text=stdin is None,
        input=stdin,
        check=False,
    )


def ours(*args: str | Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    """Run our ``dcmsign`` (in this interpreter's environment)."""
    return subprocess.run(
        [sys.executable, "-m", "dicomsign.cli.dcmsign", *map(str, args)],
        capture_output=True,
        text=stdin is None,
        input=stdin,
        check=False,
    )


def dicomsign_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run our modern ``dicomsign`` command."""
    return subprocess.run(
        [sys.executable, "-m", "dicomsign.cli.dicomsign", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )


_SIG_ITEM_START = b"\x00\x04\x05\x00US\x02\x00"


def split_stream(stream: bytes) -> tuple[bytes, bytes]:
    """Split a MAC stream into the signed elements ``D`` and the signature item part ``S``.

    ``S`` starts with the signature's MAC ID Number (0400,0005) US, the last occurrence of
    that header in the stream (``S`` holds only small text values after it).
    """
    at = stream.rfind(_SIG_ITEM_START)
    if at < 0:
        raise ValueError("no signature item part in the stream")
    return stream[:at], stream[at:]
