#!/usr/bin/env bash
# Runs the loopback RFC 3161 test TSA (tests/tsa.py: `openssl ts -reply` behind a small HTTP
# server on 127.0.0.1) in the foreground until Ctrl-C. It prints its URL and the TSA root
# certificate to trust (`dcmsign +cf ROOT`, `dicomsign verify --trusted ROOT`).
#
#   scripts/tsa.sh [PORT [DIR]]     default: port 8318, directory /tmp/dicomsign-tsa
#
# Faults for trying a client: URL/fault/NAME (http500, busy, slow, garbage, reject, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
port="${1:-8318}"
dir="${2:-${TMPDIR:-/tmp}/dicomsign-tsa}"
python=.venv/bin/python
[ -x "$python" ] || python=python3
exec "$python" tests/tsa.py --port "$port" --dir "$dir"
