#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs every test: Rust unit and known-answer tests, clippy,
# ruff, mypy, stubtest of the extension's stub, and the Python test suite including the interop
# tests against the real DCMTK.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "== cargo test"
cargo test --quiet --no-default-features
echo "== cargo clippy"
cargo clippy --quiet --all-targets -- -D warnings
cargo clippy --quiet --all-targets --no-default-features -- -D warnings
echo "== ruff"
.venv/bin/ruff check python tests benches tools
.venv/bin/ruff format --check python tests benches tools
echo "== mypy"
.venv/bin/mypy
echo "== stubtest (python/dicomsign/_core.pyi against the extension)"
.venv/bin/python -m mypy.stubtest dicomsign._core --allowlist .mypy-stubtest-allowlist
echo "== pytest"
.venv/bin/python -m pytest -q "$@"
