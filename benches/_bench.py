"""Helpers of the pytest-benchmark suites (benches/test_bench_*.py)."""

from __future__ import annotations

from pytest_benchmark.fixture import BenchmarkFixture


def record_throughput(benchmark: BenchmarkFixture, nbytes: int) -> None:
    """Record in ``benchmark.extra_info`` the bytes processed per call and, when the benchmark
    ran (``--benchmark-enable``), the bytes per second of the median call."""
    benchmark.extra_info["bytes"] = nbytes
    stats = benchmark.stats
    if stats is not None and stats.stats.median > 0:
        rate = nbytes / stats.stats.median
        benchmark.extra_info["bytes_per_second"] = rate
        benchmark.extra_info["mib_per_second"] = rate / (1 << 20)
