"""Session fixtures for the DICOM test corpus (a pytest plugin module).

Register it from ``tests/conftest.py`` with ``pytest_plugins = ["conftest_corpus"]``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus import CensusEntry, build_corpus, dcmtk_loadable_pydicom_files, pydicom_census


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Session directory holding the corpus files and the census cache."""
    return tmp_path_factory.mktemp("dicom-corpus")


@pytest.fixture(scope="session")
def dicom_corpus(corpus_dir: Path) -> dict[str, Path]:
    """Corpus name -> file path, built once per session (see ``corpus.SPECS``)."""
    return build_corpus(corpus_dir)


@pytest.fixture(scope="session")
def pydicom_census_entries(corpus_dir: Path) -> list[CensusEntry]:
    """DCMTK's verdict on every pydicom bundled test file, computed once per session."""
    return pydicom_census(corpus_dir)


@pytest.fixture(scope="session")
def dcmtk_loadable_pydicom(
    corpus_dir: Path, pydicom_census_entries: list[CensusEntry]
) -> list[Path]:
    """The pydicom bundled test files that DCMTK 3.6.7 can load."""
    return dcmtk_loadable_pydicom_files(corpus_dir)
