#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs the main job on the bundled sample: sign a CT image with
# our dcmsign, verify it with ours and with DCMTK's, verify DCMTK's own signature with ours,
# and show that a tampered copy fails in both.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
ours=.venv/bin/dcmsign
key=examples/demo-key.pem
cert=examples/demo-cert.pem
sample=examples/ct-sample.dcm
echo "== sign $sample with ours (SHA-256)"
"$ours" --sign "$key" "$cert" --mac-sha256 "$sample" "$out/signed-by-us.dcm"
echo "== verify our signature with ours, then with DCMTK"
"$ours" --verbose --add-cert-file "$cert" "$out/signed-by-us.dcm" 2>&1 | grep -v "^I:       ("
/usr/bin/dcmsign --add-cert-file "$cert" "$out/signed-by-us.dcm"
echo "DCMTK exit code: $?"
echo "== sign with DCMTK, verify with ours"
/usr/bin/dcmsign --sign "$key" "$cert" --mac-sha256 "$sample" "$out/signed-by-dcmtk.dcm"
"$ours" --add-cert-file "$cert" "$out/signed-by-dcmtk.dcm"
echo "our exit code: $?"
echo "== tamper with a signed attribute: both must report 101"
/usr/bin/dcmodify -q -nb -m "(0010,0010)=Tampered^Name" "$out/signed-by-us.dcm"
set +e
"$ours" --add-cert-file "$cert" "$out/signed-by-us.dcm"; echo "ours: $?"
/usr/bin/dcmsign --add-cert-file "$cert" "$out/signed-by-us.dcm"; echo "DCMTK: $?"
set -e
echo "== the modern CLI"
.venv/bin/dicomsign verify --trusted "$cert" "$out/signed-by-dcmtk.dcm" "$out/signed-by-us.dcm" || true
