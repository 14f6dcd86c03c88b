#!/usr/bin/env bash
# Sets up a development environment from a fresh clone, idempotently:
#   - DCMTK (apt-get install dcmtk) when its dcmsign is missing (needed by the interop tests);
#   - a virtual environment in .venv with a current pip (25 or later: the console scripts it
#     writes no longer import `re`, a third of the start-up of a small verification) and the
#     Python dependencies, with the extra dask (distributed) for the tests of
#     dicomsign verify --dask;
#   - the Rust extension built with maturin (release profile) and installed in editable mode.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v dcmsign >/dev/null 2>&1 || ! dcmsign --version 2>/dev/null | grep dcmtk >/dev/null; then
  echo "setup: installing DCMTK (apt-get install -y dcmtk)"
  sudo_cmd=""
  if [ "$(id -u)" != "0" ]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -qq >/dev/null || true
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq dcmtk >/dev/null
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade "pip>=25"
.venv/bin/python -m pip install -q --disable-pip-version-check \
  "maturin>=1.9.4,<2" "pydicom>=3.0.1" "cryptography>=43" "asn1crypto>=1.5" \
  "pytest>=8" "pytest-benchmark>=4" "hypothesis>=6.100" "ruff>=0.5" "mypy>=1.10" \
  "distributed>=2024.1"
VIRTUAL_ENV="$PWD/.venv" PATH="$PWD/.venv/bin:$PATH" \
  .venv/bin/maturin develop --release --quiet 2>&1 | grep -v "^📦\|^🔗\|^🐍\|^✏️" || true
.venv/bin/python -m compileall -q python/dicomsign
.venv/bin/python -c "import dicomsign; print('setup: dicomsign', dicomsign.__version__, 'ready')"
