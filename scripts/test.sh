#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs every test: Rust unit, known-answer and property tests,
# rustfmt and clippy (the core and the fuzz crate), a short run of every fuzz target
# (scripts/fuzz.sh), ruff, mypy, stubtest of the extension's stub, and the Python test suite
# including the property tests and the interop tests against the real DCMTK.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "== cargo test (at ${SECONDS} s)"
cargo test --quiet --no-default-features
echo "== cargo fmt (at ${SECONDS} s)"
cargo fmt --check
cargo fmt --check --manifest-path fuzz/Cargo.toml
echo "== cargo clippy (at ${SECONDS} s)"
cargo clippy --quiet --all-targets -- -D warnings
cargo clippy --quiet --all-targets --no-default-features -- -D warnings
cargo clippy --quiet --all-targets --manifest-path fuzz/Cargo.toml -- -D warnings
echo "== fuzz (short run: 5 s per target) (at ${SECONDS} s)"
scripts/fuzz.sh short 5
echo "== ruff (at ${SECONDS} s)"
.venv/bin/ruff check python tests benches tools fuzz
.venv/bin/ruff format --check python tests benches tools fuzz
echo "== mypy (at ${SECONDS} s)"
.venv/bin/mypy
echo "== stubtest (python/dicomsign/_core.pyi against the extension) (at ${SECONDS} s)"
.venv/bin/python -m mypy.stubtest dicomsign._core --allowlist .mypy-stubtest-allowlist
echo "== pytest (at ${SECONDS} s)"
# One worker per core (pytest-xdist), a test file per worker: the session fixtures (PKI,
# TSA, OCSP responder, SoftHSM2 tokens) are made once per worker.
.venv/bin/python -m pytest -q -n auto --dist loadfile "$@"
