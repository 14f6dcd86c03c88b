#!/usr/bin/env bash
# Sets up a development environment from a fresh clone, idempotently:
#   - DCMTK (apt-get install dcmtk) when its dcmsign is missing (needed by the interop tests);
#   - SoftHSM2 and OpenSC's pkcs11-tool (apt-get install softhsm2 opensc) when missing: the
#     tests of keys on PKCS#11 tokens put keys on a SoftHSM2 token;
#   - a virtual environment in .venv with a current pip (25 or later: the console scripts it
#     writes no longer import `re`, a third of the start-up of a small verification) and the
#     Python dependencies, with the extras dask (distributed) for the tests of
#     dicomsign verify --dask and pkcs11 (python-pkcs11) for those of tokens;
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

if ! command -v softhsm2-util >/dev/null 2>&1 || ! command -v pkcs11-tool >/dev/null 2>&1; then
  echo "setup: installing SoftHSM2 and OpenSC (apt-get install -y softhsm2 opensc)"
  sudo_cmd=""
  if [ "$(id -u)" != "0" ]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -qq >/dev/null || true
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq softhsm2 opensc >/dev/null
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade "pip>=25"
.venv/bin/python -m pip install -q --disable-pip-version-check \
  "maturin>=1.9.4,<2" "pydicom>=3.0.1" "cryptography>=43" "asn1crypto>=1.5" \
  "pytest>=8" "pytest-xdist>=3.5" "pytest-benchmark>=4" "hypothesis>=6.100" "ruff>=0.5" "mypy>=1.10" \
  "distributed>=2024.1" "python-pkcs11>=0.8"
VIRTUAL_ENV="$PWD/.venv" PATH="$PWD/.venv/bin:$PATH" \
  .venv/bin/maturin develop --release --quiet 2>&1 | grep -v "^📦\|^🔗\|^🐍\|^✏️" || true
.venv/bin/python -m compileall -q python/dicomsign
.venv/bin/python -c "import dicomsign; print('setup: dicomsign', dicomsign.__version__, 'ready')"
