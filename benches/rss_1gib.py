"""Sign and verify a generated 1 GiB single-frame image with ours and with DCMTK, side by side,
and print the wall time and peak RSS of each run.

    python benches/rss_1gib.py [--size-mib 1024] [--keep]

The input (deterministic pixel data) is cached in benches/.cache/. Exits with status 1 when
our peak RSS reaches 100 MiB for any run, or when a signature does not verify.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
LIMIT_MIB = 100


def _element(tag: int, vr: str, value: bytes) -> bytes:
    head = struct.pack("<HH", tag >> 16, tag & 0xFFFF) + vr.encode()
    if vr in ("OB", "OW", "SQ", "UN", "UT"):
        return head + b"\0\0" + struct.pack("<I", len(value)) + value
    return head + struct.pack("<H", len(value)) + value


def _text(value: str, pad: bytes = b" ") -> bytes:
    raw = value.encode()
    return raw + pad if len(raw) % 2 else raw


def make_image(path: Path, size: int) -> None:
    """Write an explicit VR little endian CT image whose pixel data is ``size`` bytes."""
    columns = 32768
    rows = size // (columns * 2)
    pixel_bytes = rows * columns * 2
    sop_instance = "2.25.1000000000000000000000000000000001"
    meta_body = (
        _element(0x00020001, "OB", b"\0\1")
        + _element(0x00020002, "UI", _text("1.2.840.10008.5.1.4.1.1.2", b"\0"))
        + _element(0x00020003, "UI", _text(sop_instance, b"\0"))
        + _element(0x00020010, "UI", _text("1.2.840.10008.1.2.1", b"\0"))
    )
    header = (
        b"\0" * 128
        + b"DICM"
        + _element(0x00020000, "UL", struct.pack("<I", len(meta_body)))
        + meta_body
        + _element(0x00080016, "UI", _text("1.2.840.10008.5.1.4.1.1.2", b"\0"))
        + _element(0x00080018, "UI", _text(sop_instance, b"\0"))
        + _element(0x00080060, "CS", _text("CT"))
        + _element(0x00100010, "PN", _text("Bench^Large"))
        + _element(0x00280002, "US", struct.pack("<H", 1))
        + _element(0x00280004, "CS", _text("MONOCHROME2"))
        + _element(0x00280010, "US", struct.pack("<H", rows))
        + _element(0x00280011, "US", struct.pack("<H", columns))
        + _element(0x00280100, "US", struct.pack("<H", 16))
        + _element(0x00280101, "US", struct.pack("<H", 16))
        + _element(0x00280102, "US", struct.pack("<H", 15))
        + _element(0x00280103, "US", struct.pack("<H", 0))
    )
    chunk = bytes(i % 251 for i in range(1 << 20))
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        f.write(header)
        f.write(struct.pack("<HH", 0x7FE0, 0x0010) + b"OW\0\0" + struct.pack("<I", pixel_bytes))
        left = pixel_bytes
        while left:
            n = min(left, len(chunk))
            f.write(chunk[:n])
            left -= n
    tmp.rename(path)


def make_identity(directory: Path) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dicomsign benchmark")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=2))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = directory / "key.pem", directory / "cert.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def find_dcmtk() -> str:
    for directory in [*os.environ.get("PATH", "").split(os.pathsep), "/usr/bin"]:
        exe = Path(directory) / "dcmsign"
        if exe.is_file():
            out = subprocess.run(
                [exe, "--version"], check=False, capture_output=True, text=True
            ).stdout
            if "$dcmtk:" in out:
                return str(exe)
    sys.exit("DCMTK's dcmsign is required (apt-get install dcmtk)")


def run(command: list[str]) -> tuple[int, float, float]:
    """Run ``command``; return (exit code, wall seconds, peak RSS in MiB)."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, wall, usage.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mib", type=int, default=1024, help="pixel data size (MiB)")
    parser.add_argument("--mac", default="+m2", help="dcmsign MAC option (default +m2)")
    args = parser.parse_args()
    CACHE.mkdir(exist_ok=True)
    image = CACHE / f"ct-{args.size_mib}mib.dcm"
    if not image.exists():
        print(f"generating {image} ...", flush=True)
        make_image(image, args.size_mib << 20)
    dcmtk = find_dcmtk()
    ours = [sys.executable, "-m", "dicomsign.cli.dcmsign"]
    failed = False
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        work = Path(tmp)
        key, cert = make_identity(work)
        by_us, by_dcmtk = work / "by-us.dcm", work / "by-dcmtk.dcm"
        runs = [
            ("sign", "ours", [*ours, "+s", key, cert, args.mac, image, by_us]),
            ("sign", "DCMTK", [dcmtk, "+s", key, cert, args.mac, image, by_dcmtk]),
            ("verify ours' signature", "ours", [*ours, "+cf", cert, by_us]),
            ("verify ours' signature", "DCMTK", [dcmtk, "+cf", cert, by_us]),
            ("verify DCMTK's signature", "ours", [*ours, "+cf", cert, by_dcmtk]),
            ("verify DCMTK's signature", "DCMTK", [dcmtk, "+cf", cert, by_dcmtk]),
        ]
        print(f"input: {image.stat().st_size / (1 << 20):.0f} MiB, MAC option {args.mac}")
        print(f"{'operation':<26} {'tool':<6} {'exit':>4} {'wall s':>8} {'peak RSS MiB':>13}")
        for operation, tool, command in runs:
            code, wall, rss = run([str(c) for c in command])
            print(f"{operation:<26} {tool:<6} {code:>4} {wall:>8.2f} {rss:>13.1f}", flush=True)
            if code != 0:
                failed = True
            if tool == "ours" and rss >= LIMIT_MIB:
                print(f"  ours exceeds {LIMIT_MIB} MiB", flush=True)
                failed = True
        shutil.rmtree(work, ignore_errors=True)
    print("result:", "FAILED" if failed else f"ok, our peak RSS stays below {LIMIT_MIB} MiB")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
