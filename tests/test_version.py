"""The version is single-sourced from Cargo.toml: ``dicomsign.__version__``, ``dcmsign
--version`` and ``dicomsign --version`` all show it, and pyproject.toml does not repeat it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import dicomsign
from dcmtk import dicomsign_cli, ours

ROOT = Path(__file__).resolve().parents[1]


def _toml(name: str) -> dict[str, object]:
    with (ROOT / name).open("rb") as f:
        return tomllib.load(f)


def cargo_version() -> str:
    """The ``[package]`` version of Cargo.toml, the only place the version is written."""
    package = _toml("Cargo.toml")["package"]
    assert isinstance(package, dict)
    version = package["version"]
    assert isinstance(version, str)
    return version


def test_cargo_version_is_plain_semver() -> None:
    # A pre-release such as 1.0.0-rc.1 would become 1.0.0rc1 in the wheel's metadata while
    # the extension reports 1.0.0-rc.1; release versions are plain X.Y.Z.
    assert re.fullmatch(r"\d+\.\d+\.\d+", cargo_version())


def test_pyproject_takes_the_version_from_cargo() -> None:
    project = _toml("pyproject.toml")["project"]
    assert isinstance(project, dict)
    assert "version" not in project
    assert "version" in project["dynamic"]


def test_module_version() -> None:
    assert dicomsign.__version__ == cargo_version()


def test_dcmsign_version() -> None:
    done = ours("--version")
    assert done.returncode == 0, done.stderr
    header = done.stdout.splitlines()[0]
    match = re.fullmatch(r"\$dicomsign: dcmsign v(\S+) \d{4}-\d{2}-\d{2} \$", header)
    assert match is not None, header
    assert match.group(1) == cargo_version()


def test_dicomsign_version() -> None:
    done = dicomsign_cli("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"dicomsign {cargo_version()}"
