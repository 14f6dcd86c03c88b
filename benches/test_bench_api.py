"""Sign and verify through the Python API (``dicomsign.sign`` / ``dicomsign.verify``) on the
comparison's inputs (40 KB to 64 MiB); what is signed is verified by us and by DCMTK.

    python -m pytest benches/test_bench_api.py --benchmark-enable
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from _bench import record_throughput
from _common import Identity, find_dcmtk
from pytest_benchmark.fixture import BenchmarkFixture

import dicomsign
from dicomsign.signers import SoftwareSigner

KEYS = ["small", "fragments", "single-medium", "multi-medium"]


@pytest.mark.parametrize("key", KEYS)
def test_sign(
    benchmark: BenchmarkFixture,
    inputs: dict[str, Path],
    signer: SoftwareSigner,
    pki: Identity,
    key: str,
    tmp_path: Path,
) -> None:
    """``dicomsign.sign`` of a file to a file (SHA-256), the output written."""
    out = tmp_path / "signed.dcm"
    benchmark.group = "sign SHA256"
    result = benchmark(dicomsign.sign, inputs[key], signer, output=out, algorithm="SHA256")
    assert result.document == out
    report = dicomsign.verify(out, trusted=[pki.root])
    assert [s.status for s in report.signatures] == [dicomsign.SignatureStatus.VALID]
    dcmtk = subprocess.run(
        [find_dcmtk(), "+cf", str(pki.root), str(out)], check=False, capture_output=True, text=True
    )
    assert dcmtk.returncode == 0, dcmtk.stderr
    assert "Verification : OK" in dcmtk.stderr
    record_throughput(benchmark, inputs[key].stat().st_size)


@pytest.mark.parametrize("key", KEYS)
def test_verify(
    benchmark: BenchmarkFixture, signed: dict[str, Path], pki: Identity, key: str
) -> None:
    """``dicomsign.verify`` of a file signed by us, against the root CA."""
    benchmark.group = "verify SHA256"
    report = benchmark(dicomsign.verify, signed[key], trusted=[pki.root])
    assert report.exit_code == 0
    assert [s.status for s in report.signatures] == [dicomsign.SignatureStatus.VALID]
    record_throughput(benchmark, signed[key].stat().st_size)
