"""Fixtures of the pytest-benchmark suites: the comparison's inputs (cached in
benches/.cache/, the 1 GiB ones excepted), a test PKI, and the inputs signed by us."""

from __future__ import annotations

from pathlib import Path

import pytest
from _common import CACHE, Identity, make_identity
from compare_dcmtk import generate, input_specs

import dicomsign
from dicomsign.signers import SoftwareSigner


@pytest.fixture(scope="session")
def inputs() -> dict[str, Path]:
    """Every input of ``compare_dcmtk.py`` but the 1 GiB ones, by key."""
    return {s.key: generate(s, CACHE).path for s in input_specs() if not s.large}


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Identity:
    """An RSA-2048 root CA and signer."""
    return make_identity(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def signer(pki: Identity) -> SoftwareSigner:
    """The signer of :func:`pki`, loaded through the public API."""
    return dicomsign.load_signer(pki.key, pki.cert)


@pytest.fixture(scope="session")
def signed(
    inputs: dict[str, Path], signer: SoftwareSigner, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """Each input signed by us with SHA-256, by key."""
    directory = tmp_path_factory.mktemp("signed")
    out = {}
    for key, path in inputs.items():
        out[key] = directory / path.name
        dicomsign.sign(path, signer, output=out[key], algorithm="SHA256")
    return out
