"""How the commands are installed: ``dcmsign`` as the wheel's own launcher script on Linux and
macOS, as an entry point on Windows (``scripts/windows_launchers.py``)."""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "windows_launchers.py"


def _pyproject(path: Path = ROOT / "pyproject.toml") -> dict:  # type: ignore[type-arg]
    with path.open("rb") as f:
        return tomllib.load(f)


def test_dcmsign_is_the_launcher_of_the_data_directory() -> None:
    project = _pyproject()
    assert "dcmsign" not in project["project"]["scripts"]
    assert project["project"]["scripts"]["dicomsign"] == "dicomsign.cli.entry:dicomsign"
    data = ROOT / project["tool"]["maturin"]["data"]
    launcher = data / "scripts" / "dcmsign"
    lines = launcher.read_text().splitlines()
    # "#!python" is what installers replace with their interpreter (the wheel format).
    assert lines[0] == "#!python"
    code = [line for line in lines[1:] if line and not line.startswith("#")]
    assert code == ["from dicomsign.cli.entry import run_dcmsign", "run_dcmsign()"]
    assert launcher.stat().st_mode & 0o111


def test_windows_launchers_makes_dcmsign_an_entry_point(tmp_path: Path) -> None:
    copy = tmp_path / "pyproject.toml"
    copy.write_bytes((ROOT / "pyproject.toml").read_bytes())
    done = subprocess.run(
        [sys.executable, SCRIPT, copy], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    before, after = _pyproject(), _pyproject(copy)
    assert after["project"]["scripts"] == {
        **before["project"]["scripts"],
        "dcmsign": "dicomsign.cli.entry:run_dcmsign",
    }
    assert "data" not in after["tool"]["maturin"]
    del before["project"]["scripts"], after["project"]["scripts"]
    del before["tool"]["maturin"]["data"]
    assert after == before
    # A second run finds nothing to change and says so, leaving the file as it was.
    changed = copy.read_bytes()
    again = subprocess.run(
        [sys.executable, SCRIPT, copy], capture_output=True, text=True, check=False
    )
    assert again.returncode == 1
    assert again.stderr.startswith(f"windows_launchers: {copy}: expected both")
    assert copy.read_bytes() == changed


def _tarball(path: Path, files: dict[str, tuple[bytes, int]]) -> None:
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT) as tf:
        for name, (data, mode) in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, 1153704088
            tf.addfile(info, io.BytesIO(data))


def _modes(path: Path) -> dict[str, tuple[bytes, int]]:
    with tarfile.open(path, "r:gz") as tf:
        return {
            m.name: (tf.extractfile(m).read(), m.mode)  # type: ignore[union-attr]
            for m in tf.getmembers()
        }


def test_fix_sdist_modes_makes_the_launcher_executable_and_keeps_the_rest(
    tmp_path: Path,
) -> None:
    """maturin writes every file of an sdist 0644; pip then installs the launcher of a wheel
    built from it without its executable bit."""
    sdist = tmp_path / "dicomsign-0.1.0.tar.gz"
    launcher = "dicomsign-0.1.0/python/dicomsign.data/scripts/dcmsign"
    long_name = "dicomsign-0.1.0/" + "d/" * 60 + "kept.py"  # a PAX header, kept too
    files = {
        "dicomsign-0.1.0/pyproject.toml": (b"[project]\n", 0o644),
        launcher: (b"#!python\nprint()\n", 0o644),
        long_name: (b"x = 1\n", 0o644),
    }
    _tarball(sdist, files)
    fixer: list[str | Path] = [sys.executable, ROOT / "scripts" / "fix_sdist_modes.py", sdist]
    done = subprocess.run(fixer, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"fix_sdist_modes: {sdist.name}: {launcher} is now executable\n"
    assert _modes(sdist) == {**files, launcher: (files[launcher][0], 0o755)}
    again = subprocess.run(fixer, capture_output=True, text=True, check=False)
    assert (again.returncode, again.stdout) == (
        0,
        f"fix_sdist_modes: {sdist.name}: the launcher scripts were executable already\n",
    )
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"not a tarball")
    failed = subprocess.run(fixer[:-1] + [broken], capture_output=True, text=True, check=False)
    assert failed.returncode == 1
    assert failed.stderr.startswith(f"fix_sdist_modes: {broken}: ")
    assert broken.read_bytes() == b"not a tarball"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.tar.gz", sdist.name]
