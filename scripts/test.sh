#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs every test: Rust unit, known-answer and property tests,
# rustfmt and clippy (the core and the fuzz crate), a short run of every fuzz target
# (scripts/fuzz.sh), ruff, mypy, stubtest of the extension's stub, and the Python test suite
# including the property tests and the interop tests against the real DCMTK.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "== cargo test"
cargo test --quiet --no-default-features
echo "== cargo fmt"
cargo fmt --check
cargo fmt --check --manifest-path fuzz/Cargo.toml
echo "== cargo clippy"
cargo clippy --quiet --all-targets -- -D warnings
cargo clippy --quiet --all-targets --no-default-features -- -D warnings
cargo clippy --quiet --all-targets --manifest-path fuzz/Cargo.toml -- -D warnings
echo "== fuzz (short run: 5 s per target)"
scripts/fuzz.sh short 5
echo "== ruff"
.venv/bin/ruff check python tests benches tools fuzz
.venv/bin/ruff format --check python tests benches tools fuzz
echo "== mypy"
.venv/bin/mypy
echo "== stubtest (python/dicomsign/_core.pyi against the extension)"
.venv/bin/python -m mypy.stubtest dicomsign._core --allowlist .mypy-stubtest-allowlist
echo "== pytest"
.venv/bin/python -m pytest -q "$@"
