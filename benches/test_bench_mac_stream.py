"""The engine's MAC stream digests (``Document.new_signature_digest``, ``check_signatures`` and
the archive engine's one call per file, ``ArchiveEngine.check``) on the comparison's inputs (40 KB to 64 MiB).

    python -m pytest benches/test_bench_mac_stream.py --benchmark-enable
"""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import pytest
from _bench import record_throughput
from pytest_benchmark.fixture import BenchmarkFixture

from dicomsign import _core
from dicomsign.engine import ensure_dictionary
from dicomsign.signing import mac_transfer_syntax
from dicomsign.vocabulary import MacAlgorithm, Outcome

KEYS = ["small", "fragments", "single-medium", "multi-medium"]

#: A new signature's Digital Signatures item (MAC ID, UID, date time, certificate type).
SIG_ITEM: list[_core.Record] = [
    (0x04000005, "US", struct.pack("<H", 1)),
    (0x04000100, "UI", b"2.25.1000000000000000000000000000000099\0"),
    (0x04000105, "DT", b"20240102101112.000000+0000"),
    (0x04000110, "CS", b"X509_1993_SIG "),
]


@pytest.fixture(autouse=True, scope="module")
def _dictionary() -> None:
    ensure_dictionary()


@pytest.mark.parametrize("key", KEYS)
def test_new_signature_digest(
    benchmark: BenchmarkFixture, inputs: dict[str, Path], key: str, tmp_path: Path
) -> None:
    """Digest of a new signature's MAC stream over every signable element."""
    doc = _core.Document.open(str(inputs[key]))
    syntax = mac_transfer_syntax(doc.transfer_syntax)

    def digest(dump: str | None = None) -> tuple[bytes, list[int], bool]:
        return doc.new_signature_digest(
            [], None, SIG_ITEM, algorithm=MacAlgorithm.SHA256, transfer_syntax=syntax, dump=dump
        )

    benchmark.group = "new_signature_digest SHA256"
    got, tags, _ = benchmark(digest)
    dump = tmp_path / "stream"
    again, _, _ = digest(str(dump))
    stream = dump.read_bytes()
    assert got == again == hashlib.sha256(stream).digest()
    assert tags == [tag for tag, _vr, signable, _sq in doc.elements([]) if signable]
    record_throughput(benchmark, len(stream))


def _check_verified(doc: _core.Document, checks: _core.SignatureChecks, dump: Path) -> None:
    assert checks.skipped == [] and len(checks.checks) == 1
    check = checks.checks[0]
    sig = check.signature
    assert check.outcome is Outcome.VALID
    algorithm, syntax, tags = sig.mac_algorithm, sig.mac_transfer_syntax, sig.tags
    assert algorithm == "SHA256" and syntax is not None and tags is not None
    digest, _ = doc.signature_digest(
        sig.container,
        sig.index,
        algorithm=MacAlgorithm.SHA256,
        transfer_syntax=syntax,
        tags=tags,
        dump=str(dump),
    )
    assert check.digest == digest == hashlib.sha256(dump.read_bytes()).digest()


@pytest.mark.parametrize("key", KEYS)
def test_check_signatures(
    benchmark: BenchmarkFixture, signed: dict[str, Path], key: str, tmp_path: Path
) -> None:
    """Verdicts on every signature of an opened document (the file is signed by us)."""
    doc = _core.Document.open(str(signed[key]))
    benchmark.group = "check_signatures SHA256"
    checks = benchmark(doc.check_signatures)
    _check_verified(doc, checks, tmp_path / "stream")
    record_throughput(benchmark, signed[key].stat().st_size)


@pytest.mark.parametrize("key", KEYS)
def test_engine_check(
    benchmark: BenchmarkFixture, signed: dict[str, Path], key: str, tmp_path: Path
) -> None:
    """``ArchiveEngine.check``: examine and read the file, judge all its signatures."""
    benchmark.group = "ArchiveEngine.check SHA256"
    found = benchmark(_core.ArchiveEngine().check, str(signed[key]))
    checks = found.checks
    assert checks is not None, found
    _check_verified(_core.Document.open(str(signed[key])), checks, tmp_path / "stream")
    record_throughput(benchmark, signed[key].stat().st_size)
