"""How the commands are installed: ``dcmsign`` as the wheel's own launcher script on Linux and
macOS, as an entry point on Windows (``scripts/windows_launchers.py``)."""

from __future__ import annotations

import subprocess
import sys
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
