"""Make the fuzzers' seed corpus, fuzz/seeds/ (the provenance record of the committed files).

Run from the repository root after ``scripts/setup.sh``, with DCMTK on the PATH:

    .venv/bin/python fuzz/make_seeds.py

The seeds are plain DICOM files (the fuzz targets put two option bytes before each, see
fuzz/src/lib.rs):

- ``vector-*``: the known-answer vectors signed by DCMTK (tests/vectors/);
- ``corpus-*``: the small files of the test corpus (tests/corpus.py, made with DCMTK's tools):
  explicit and implicit VR little endian, big endian, deflated, bare datasets, RLE and JPEG
  fragments, nested sequences with explicit and undefined lengths, private blocks, UN with
  defined and undefined lengths, out of order, duplicates, SR, Original Attributes;
- ``signed-*``: corpus files signed by dicomsign (RSA, DSA, ECDSA; several MACs; two
  signatures; an item signature; undefined lengths);
- ``deep-*``: sequences nested 8 and 64 levels deep;
- ``damaged-*``: variants of signed files: truncated (after DICM, inside the signature, one
  byte short), the Digital Signatures Sequence's length set to 0 or made undefined without a
  delimiter, an item length set to 0xFFFFFFFF or two bytes too large, a signed byte flipped.

Files larger than 8 KiB are left out, to keep the corpus small and each run fast.
"""

from __future__ import annotations

import shutil
import struct
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import dicomsign
from corpus import build_corpus, element, item
from pki import build_pki

SEEDS = ROOT / "fuzz" / "seeds"
MAX_SIZE = 8 * 1024
SIGNATURES = b"\xfa\xff\xfa\xff"  # (FFFA,FFFA) little endian
ITEM = b"\xfe\xff\x00\xe0"
SEQUENCE_DELIMITER = b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"


def deep(levels: int) -> bytes:
    """An explicit VR little endian file whose Referenced Series Sequence nests ``levels``."""
    body = element(0x0008, 0x0018, "UI", b"1.2.3.4\x00")
    for level in range(levels):
        inner = element(0x0020, 0x000D, "UI", b"1.2.3\x00") + body
        body = element(0x0008, 0x1115, "SQ", item(inner, undefined=level % 2 == 0))
    meta = element(0x0002, 0x0010, "UI", b"1.2.840.10008.1.2.1\x00")
    group = element(0x0002, 0x0000, "UL", struct.pack("<I", len(meta)))
    return b"\x00" * 128 + b"DICM" + group + meta + body


def patch_u32(data: bytes, at: int, value: int) -> bytes:
    return data[:at] + struct.pack("<I", value) + data[at + 4 :]


def damaged(name: str, data: bytes) -> dict[str, bytes]:
    """Structural damage to a little endian signed file (only the variants that apply)."""
    out: dict[str, bytes] = {f"{name}-cut-after-dicm": data[:132], f"{name}-cut-1": data[:-1]}
    sig = data.find(SIGNATURES)
    if sig >= 0:
        out[f"{name}-cut-in-signature"] = data[: sig + (len(data) - sig) // 2]
        explicit = data[sig + 4 : sig + 6] == b"SQ"
        length_at = sig + 8 if explicit else sig + 4
        out[f"{name}-signatures-length-0"] = patch_u32(data, length_at, 0)
        undefined = patch_u32(data, length_at, 0xFFFFFFFF)
        out[f"{name}-signatures-undefined-no-delimiter"] = undefined.replace(
            SEQUENCE_DELIMITER, b""
        )
        first_item = data.find(ITEM, sig)
        if first_item >= 0:
            out[f"{name}-item-length-ffffffff"] = patch_u32(data, first_item + 4, 0xFFFFFFFF)
            (length,) = struct.unpack_from("<I", data, first_item + 4)
            if length != 0xFFFFFFFF:
                out[f"{name}-item-length-plus-2"] = patch_u32(data, first_item + 4, length + 2)
    middle = len(data) // 2
    out[f"{name}-flipped"] = data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :]
    return out


def main() -> None:
    if SEEDS.exists():
        shutil.rmtree(SEEDS)
    SEEDS.mkdir(parents=True)
    seeds: dict[str, bytes] = {}
    for path in sorted((ROOT / "tests" / "vectors").glob("*.dcm")):
        seeds[f"vector-{path.stem}"] = path.read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "corpus").mkdir()
        corpus = build_corpus(work / "corpus")
        for name, path in corpus.items():
            seeds[f"corpus-{name}"] = path.read_bytes()
        pki = build_pki(work / "pki")
        demo = dicomsign.load_signer(
            ROOT / "examples" / "demo-key.pem", ROOT / "examples" / "demo-cert.pem", password=""
        )

        def signer(label: str) -> dicomsign.Signer:
            identity = getattr(pki, label)
            return dicomsign.load_signer(identity.key, identity.cert, password="")

        jobs: list[tuple[str, str, Callable[[bytes], bytes]]] = [
            ("rsa-sha256", "explicit_le", lambda b: dicomsign.sign(b, demo).document),
            (
                "ec256-sha384-implicit",
                "implicit_le",
                lambda b: dicomsign.sign(b, signer("ec256"), algorithm="SHA384").document,
            ),
            (
                "dsa-sha1-big",
                "explicit_be",
                lambda b: dicomsign.sign(b, signer("dsa2048"), algorithm="SHA1").document,
            ),
            (
                "ec384-rle",
                "rle_lossless",
                lambda b: dicomsign.sign(b, signer("ec384"), algorithm="SHA512").document,
            ),
            (
                "rsa-nested-undefined",
                "nested_undefined_length",
                lambda b: dicomsign.sign(b, demo, explicit_lengths=False).document,
            ),
            (
                "rsa-two",
                "nested_explicit_length",
                lambda b: (
                    dicomsign.sign(
                        dicomsign.sign(b, demo).document, signer("ec256"), algorithm="MD5"
                    ).document
                ),
            ),
            (
                "rsa-item",
                "explicit_le",
                lambda b: (
                    dicomsign.sign(
                        b, demo, location="ReferencedImageSequence[0]", algorithm="RIPEMD160"
                    ).document
                ),
            ),
            (
                "rsa-original-attributes",
                "original_attributes",
                lambda b: dicomsign.sign(b, demo).document,
            ),
        ]
        for label, source, sign in jobs:
            seeds[f"signed-{label}"] = sign(corpus[source].read_bytes())
    seeds["deep-8"] = deep(8)
    seeds["deep-64"] = deep(64)
    for name in ("vector-explicit_ripemd160", "signed-rsa-two", "signed-ec384-rle"):
        seeds.update({f"damaged-{k}": v for k, v in damaged(name, seeds[name]).items()})
    total = 0
    for name, data in sorted(seeds.items()):
        if len(data) > MAX_SIZE:
            continue
        (SEEDS / f"{name}.dcm").write_bytes(data)
        total += len(data)
    count = len(list(SEEDS.iterdir()))
    print(f"fuzz/seeds: {count} files, {total} bytes")


if __name__ == "__main__":
    main()
