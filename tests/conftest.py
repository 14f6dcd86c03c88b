"""Shared pytest fixtures."""

from __future__ import annotations

import pytest
from pki import PKI, build_pki

# Session fixtures of the DICOM test corpus (tests/conftest_corpus.py).
pytest_plugins = ["conftest_corpus"]


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    """The session's test PKI (see :mod:`pki`)."""
    return build_pki(tmp_path_factory.mktemp("pki"))
