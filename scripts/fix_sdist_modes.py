#!/usr/bin/env python3
"""Marks the launcher scripts executable in an sdist made by ``maturin sdist``.

maturin (1.16) writes every file of an sdist with mode 0644. A wheel built from such an sdist
holds ``dicomsign-<version>.data/scripts/dcmsign`` without its executable bit, and pip only
makes a script executable when the wheel says so: ``dcmsign`` would be installed but could
not be run. This rewrites the sdist in place (through a temporary file) with mode 0755 on
every file of ``python/dicomsign.data/scripts/``; everything else is kept as it is.

Usage: python scripts/fix_sdist_modes.py SDIST.tar.gz
"""

from __future__ import annotations

import gzip
import io
import sys
import tarfile
from pathlib import Path

SCRIPTS = "/python/dicomsign.data/scripts/"


def fix(path: Path) -> list[str]:
    """Rewrites ``path`` with its launcher scripts executable; returns the names changed."""
    with tarfile.open(path, "r:gz") as src:
        members = []
        for member in src.getmembers():
            data = src.extractfile(member) if member.isfile() else None
            members.append((member, data.read() if data else None))
    changed = []
    for member, _ in members:
        if member.isfile() and SCRIPTS in member.name and member.mode & 0o111 != 0o111:
            member.mode = 0o755
            changed.append(member.name)
    if not changed:
        return changed
    tmp = path.with_name(path.name + ".tmp")
    try:
        with (
            tmp.open("wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as compressed,
            tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as dst,
        ):
            for member, data in members:
                dst.addfile(member, io.BytesIO(data) if data is not None else None)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return changed


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    path = Path(argv[0])
    try:
        changed = fix(path)
    except (OSError, tarfile.TarError) as e:
        print(f"fix_sdist_modes: {path}: {e}", file=sys.stderr)
        return 1
    for name in changed:
        print(f"fix_sdist_modes: {path.name}: {name} is now executable")
    if not changed:
        print(f"fix_sdist_modes: {path.name}: the launcher scripts were executable already")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
