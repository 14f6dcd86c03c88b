#!/usr/bin/env python3
"""Prepares pyproject.toml for a Windows wheel: ``dcmsign`` becomes a [project.scripts]
entry again, so that installers write ``dcmsign.exe``, and the POSIX launcher (the wheel's
``data`` directory) is left out.

On Linux and macOS the command is the launcher in ``python/dicomsign.data/scripts/``, which
starts faster than the one installers write for entry points; Windows cannot run a script
without an extension by name. The release workflow runs this before building on Windows.

Usage: python scripts/windows_launchers.py [PYPROJECT]   (default: pyproject.toml)
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

SCRIPTS = "[project.scripts]\n"
ENTRY = 'dcmsign = "dicomsign.cli.entry:run_dcmsign"\n'
DATA = 'data = "python/dicomsign.data"\n'


def for_windows(text: str) -> str:
    """``text`` (a pyproject.toml) with ``dcmsign`` as an entry point and no ``data``."""
    if SCRIPTS not in text or DATA not in text:
        raise ValueError(f"expected both {SCRIPTS.strip()} and {DATA.strip()}")
    result = text.replace(SCRIPTS, SCRIPTS + ENTRY, 1).replace(DATA, "", 1)
    parsed = tomllib.loads(result)
    if parsed["project"]["scripts"].get("dcmsign") != "dicomsign.cli.entry:run_dcmsign":
        raise ValueError("dcmsign did not become an entry point")
    if "data" in parsed["tool"]["maturin"]:
        raise ValueError("the data directory is still there")
    return result


def main(argv: list[str]) -> int:
    path = Path(argv[0] if argv else "pyproject.toml")
    try:
        path.write_text(for_windows(path.read_text(encoding="utf-8")), encoding="utf-8")
    except (OSError, ValueError, KeyError, tomllib.TOMLDecodeError) as e:
        print(f"windows_launchers: {path}: {e}", file=sys.stderr)
        return 1
    print(f"windows_launchers: {path}: dcmsign is an entry point, no data directory")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
