"""Shared pytest fixtures."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from dcmtk import DCMTK_DIR
from pki import PKI, build_pki
from softhsm import SoftToken, build_tokens
from tsa import ServedTSA, TestTSA, serve

# Tests call DCMTK's tools by name: make sure an activated virtual environment (whose own
# dcmsign is ours) cannot shadow them.
os.environ["PATH"] = f"{DCMTK_DIR}{os.pathsep}{os.environ.get('PATH', '')}"

# Session fixtures of the DICOM test corpus (tests/conftest_corpus.py) and of a small archive
# with a file of every status (tests/conftest_archive.py).
pytest_plugins = ["conftest_corpus", "conftest_archive"]


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    """The session's test PKI (see :mod:`pki`)."""
    return build_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedTSA]:
    """The session's loopback timestamp authority (see :mod:`tsa`), served over HTTP."""
    authority = TestTSA(tmp_path_factory.mktemp("tsa"), slow_seconds=2.0)
    with serve(authority) as url:
        yield ServedTSA(authority, url)


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory: pytest.TempPathFactory, pki: PKI) -> Iterator[SoftToken]:
    """SoftHSM2 tokens with keys of the test PKI (see :mod:`softhsm`); ``SOFTHSM2_CONF`` points
    at them for the session, in this process and the commands it runs."""
    token = build_tokens(tmp_path_factory.mktemp("softhsm"), pki)
    before = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(token.conf)
    yield token
    if before is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = before
