"""How the commands are installed: ``dcmsign`` and ``dicomsign`` are ordinary
``[project.scripts]`` entry points, on every platform, and the installed commands run them."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import dicomsign

ROOT = Path(__file__).resolve().parent.parent


def _scripts() -> dict[str, str]:
    with (ROOT / "pyproject.toml").open("rb") as f:
        scripts: dict[str, str] = tomllib.load(f)["project"]["scripts"]
    return scripts


def test_both_commands_are_entry_points_of_callable_mains() -> None:
    scripts = _scripts()
    assert scripts == {
        "dcmsign": "dicomsign.cli.dcmsign:main",
        "dicomsign": "dicomsign.cli.dicomsign:main",
    }
    for target in scripts.values():
        module, function = target.split(":")
        assert callable(getattr(importlib.import_module(module), function))
    with (ROOT / "pyproject.toml").open("rb") as f:
        assert "data" not in tomllib.load(f)["tool"]["maturin"]


def test_the_installed_commands_run_the_entry_points() -> None:
    for command in ("dcmsign", "dicomsign"):
        installed = Path(sys.executable).parent / command
        assert shutil.which(str(installed)), f"{installed} is not an executable"
        done = subprocess.run([installed, "--version"], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        assert dicomsign.__version__ in done.stdout


def test_python_m_runs_each_command() -> None:
    for module in ("dicomsign.cli.dcmsign", "dicomsign.cli.dicomsign"):
        done = subprocess.run(
            [sys.executable, "-m", module, "--version"], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        assert dicomsign.__version__ in done.stdout
