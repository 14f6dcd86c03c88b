#!/bin/sh
# Regenerates the known-answer vectors with the real DCMTK (dump2dcm, dcmconv, dcmcrle,
# dcmsign from Debian's dcmtk 3.6.7). The committed outputs are what the Rust tests use;
# rerunning this script produces new UIDs and times, so only run it to add vectors.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ ! -f key.pem ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 36500 \
    -subj "/CN=dicomsign test vectors" 2>/dev/null
  sleep 2
fi
dump2dcm -q +te base.txt "$tmp/le.dcm"
dcmconv -q +ti "$tmp/le.dcm" "$tmp/implicit.dcm"
dcmconv -q +tb "$tmp/le.dcm" "$tmp/big.dcm"
dcmconv -q +td "$tmp/le.dcm" "$tmp/deflated.dcm"
dcmcrle -q "$tmp/le.dcm" "$tmp/rle.dcm"
sign() { # name input mac extra...
  name=$1; in=$2; mac=$3; shift 3
  dcmsign -q --sign key.pem cert.pem "$@" "$mac" "$in" "$name.dcm" +d "$name.stream"
}
sign explicit_ripemd160 "$tmp/le.dcm" +mr
sign implicit_sha256 "$tmp/implicit.dcm" +m2
sign big_sha1 "$tmp/big.dcm" +ms
sign deflated_md5 "$tmp/deflated.dcm" +mm
sign rle_sha512 "$tmp/rle.dcm" +m5
sign rle_old_sha384 "$tmp/rle.dcm" +m3 --format-old
dcmsign -q --sign-item key.pem cert.pem "ReferencedImageSequence[0]" +m2 \
  "$tmp/le.dcm" item_sha256.dcm +d item_sha256.stream
sign tags_sha256 "$tmp/le.dcm" +m2 -t SOPInstanceUID -t 0010,0010 -t ReferencedImageSequence
