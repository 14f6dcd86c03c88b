"""Hashing throughput of the engine's ``Hasher`` per MAC algorithm and chunk size, next to
hashlib's (OpenSSL) on the same chunks.

    python -m pytest benches/test_bench_hashing.py --benchmark-enable
"""

from __future__ import annotations

import hashlib

import pytest
from _bench import record_throughput
from _common import PATTERN
from pytest_benchmark.fixture import BenchmarkFixture

from dicomsign._core import Hasher

#: DICOM name of each MAC algorithm and its hashlib name.
ALGORITHMS = {
    "RIPEMD160": "ripemd160",
    "SHA1": "sha1",
    "MD5": "md5",
    "SHA256": "sha256",
    "SHA384": "sha384",
    "SHA512": "sha512",
}
IN_HASHLIB = [a for a, name in ALGORITHMS.items() if name in hashlib.algorithms_available]
CHUNKS = [4 << 10, 64 << 10, 1 << 20]
TOTAL = 16 << 20

#: Digests of one million "a" (the classic known answers), for an algorithm hashlib lacks.
MILLION_A = {
    "RIPEMD160": "52783243c1697bdbe16d37f97f68f08325dc1528",
    "SHA1": "34aa973cd4c4daa4f61eeb2bdbad27316534016f",
    "MD5": "7707d6ae4e027c70eea2a935c2296f21",
    "SHA256": "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
    "SHA384": "9d0e1809716474cb086e834e310a4a1ced149e9c00f248527972cec5704c2a5b"
    "07b8b3dc38ecc4ebae97ddd87f3d8985",
    "SHA512": "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
    "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b",
}


@pytest.fixture(scope="module")
def data() -> bytes:
    """16 MiB of the deterministic pixel pattern."""
    return PATTERN * (TOTAL // len(PATTERN))


def _chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def _ours(algorithm: str, chunks: list[bytes]) -> bytes:
    h = Hasher(algorithm)
    for chunk in chunks:
        h.update(chunk)
    return h.finalize()


def _check(algorithm: str, data: bytes, digest: bytes) -> None:
    name = ALGORITHMS[algorithm]
    if name in hashlib.algorithms_available:
        assert digest == hashlib.new(name, data).digest()
    else:
        assert digest == _ours(algorithm, [data])
        assert _ours(algorithm, [b"a" * 1_000_000]).hex() == MILLION_A[algorithm]


@pytest.mark.parametrize("chunk", CHUNKS, ids=lambda n: f"{n >> 10}KiB")
@pytest.mark.parametrize("algorithm", list(ALGORITHMS))
def test_hasher(benchmark: BenchmarkFixture, data: bytes, algorithm: str, chunk: int) -> None:
    """``dicomsign._core.Hasher`` over 16 MiB fed in ``chunk``-byte updates."""
    chunks = _chunks(data, chunk)
    benchmark.group = f"hash {algorithm}"
    digest = benchmark(_ours, algorithm, chunks)
    _check(algorithm, data, digest)
    record_throughput(benchmark, len(data))


@pytest.mark.parametrize("chunk", CHUNKS, ids=lambda n: f"{n >> 10}KiB")
@pytest.mark.parametrize("algorithm", IN_HASHLIB)
def test_hashlib(benchmark: BenchmarkFixture, data: bytes, algorithm: str, chunk: int) -> None:
    """hashlib (OpenSSL) on the same chunks: the reference for :func:`test_hasher`."""
    chunks = _chunks(data, chunk)
    name = ALGORITHMS[algorithm]

    def run() -> bytes:
        h = hashlib.new(name)
        for c in chunks:
            h.update(c)
        return h.digest()

    benchmark.group = f"hash {algorithm}"
    digest = benchmark(run)
    assert digest == hashlib.new(name, data).digest()
    record_throughput(benchmark, len(data))


def test_million_a_known_answers() -> None:
    """The engine's digests of one million "a" are the published ones."""
    data = b"a" * 1_000_000
    for algorithm, expected in MILLION_A.items():
        assert _ours(algorithm, _chunks(data, 4096)).hex() == expected
