"""Shared pieces of the benchmarks: deterministic DICOM inputs written byte by byte, test
PKIs, locating the tools, running a command (or a loop of one process per file) while
measuring its wall time and peak RSS, and describing the machine in the results JSON.

Every generator writes explicit VR little endian files directly (no pydicom), to a temporary
name renamed on success, so an interrupted run never leaves a truncated input in the cache.
The same arguments always give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import struct
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificateIssuerPrivateKeyTypes,
    CertificatePublicKeyTypes,
)
from cryptography.x509.oid import NameOID

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
RESULTS = HERE / "results"

EXPLICIT_LITTLE = "1.2.840.10008.1.2.1"
RLE_LOSSLESS = "1.2.840.10008.1.2.5"
CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
ENHANCED_CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2.1"

#: 1 MiB of the deterministic pixel pattern (``i % 251``), repeated to fill large values.
PATTERN = bytes(i % 251 for i in range(1 << 20))

_LONG_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "UC", "UN", "UR", "UT"})
_UNDEFINED = 0xFFFFFFFF


def element(tag: int, vr: str, value: bytes) -> bytes:
    """Encode one explicit VR little endian element with a defined length.

    Parameters
    ----------
    tag : int
        The tag, ``(group << 16) | element``.
    vr : str
        The two-letter VR.
    value : bytes
        The value, already padded to an even length.

    Returns
    -------
    bytes
        The header and the value.
    """
    head = struct.pack("<HH", tag >> 16, tag & 0xFFFF) + vr.encode("ascii")
    if vr in _LONG_VRS:
        return head + b"\0\0" + struct.pack("<I", len(value)) + value
    return head + struct.pack("<H", len(value)) + value


def text(value: str, pad: bytes = b" ") -> bytes:
    """Encode a string value, padded to an even length with ``pad``."""
    raw = value.encode("ascii")
    return raw + pad if len(raw) % 2 else raw


def uid(value: str) -> bytes:
    """Encode a UI value (NUL padded)."""
    return text(value, b"\0")


def us(*values: int) -> bytes:
    """Encode US values."""
    return struct.pack(f"<{len(values)}H", *values)


def ul(*values: int) -> bytes:
    """Encode UL values."""
    return struct.pack(f"<{len(values)}I", *values)


def item(body: bytes) -> bytes:
    """Encode a sequence item with a defined length."""
    return struct.pack("<HHI", 0xFFFE, 0xE000, len(body)) + body


def sequence(tag: int, items: Iterable[bytes]) -> bytes:
    """Encode a sequence of defined length whose items are the given item bodies."""
    return element(tag, "SQ", b"".join(item(body) for body in items))


def file_meta(sop_class: str, sop_instance: str, transfer_syntax: str) -> bytes:
    """The preamble, ``DICM`` and the file meta information group."""
    body = (
        element(0x00020001, "OB", b"\0\1")
        + element(0x00020002, "UI", uid(sop_class))
        + element(0x00020003, "UI", uid(sop_instance))
        + element(0x00020010, "UI", uid(transfer_syntax))
    )
    return b"\0" * 128 + b"DICM" + element(0x00020000, "UL", ul(len(body))) + body


def pattern(size: int) -> Iterator[bytes]:
    """Yield ``size`` bytes of :data:`PATTERN` in chunks of at most 1 MiB."""
    left = size
    while left:
        n = min(left, len(PATTERN))
        yield PATTERN if n == len(PATTERN) else PATTERN[:n]
        left -= n


def write_atomically(path: Path, parts: Iterable[bytes]) -> Path:
    """Write ``parts`` to ``path`` through a temporary file renamed on success."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.writelines(parts)
    tmp.replace(path)
    return path


def _image_pixel_module(rows: int, columns: int, bits: int) -> bytes:
    return (
        element(0x00280002, "US", us(1))
        + element(0x00280004, "CS", text("MONOCHROME2"))
        + element(0x00280010, "US", us(rows))
        + element(0x00280011, "US", us(columns))
        + element(0x00280100, "US", us(bits))
        + element(0x00280101, "US", us(bits))
        + element(0x00280102, "US", us(bits - 1))
        + element(0x00280103, "US", us(0))
    )


def make_image(path: Path, size: int) -> Path:
    """Write a single-frame CT image whose native pixel data is about ``size`` bytes.

    The image is 32768 columns wide (narrower for sizes under 64 KiB) and as many 16-bit rows
    as fit in ``size``. The bytes are those ``benches/rss_1gib.py`` always generated.
    """
    columns = 32768
    while columns > 1 and columns * 2 > size:
        columns //= 2
    rows = max(1, size // (columns * 2))
    pixel_bytes = rows * columns * 2
    sop_instance = "2.25.1000000000000000000000000000000001"
    header = (
        file_meta(CT_IMAGE, sop_instance, EXPLICIT_LITTLE)
        + element(0x00080016, "UI", uid(CT_IMAGE))
        + element(0x00080018, "UI", uid(sop_instance))
        + element(0x00080060, "CS", text("CT"))
        + element(0x00100010, "PN", text("Bench^Large"))
        + _image_pixel_module(rows, columns, 16)
        + struct.pack("<HH", 0x7FE0, 0x0010)
        + b"OW\0\0"
        + ul(pixel_bytes)
    )
    return write_atomically(path, [header, *pattern(pixel_bytes)])


def make_small_ct(path: Path, side: int = 140) -> Path:
    """Write a CT-like image of about 40 KB: a usual set of patient, study, series,
    equipment and image attributes, a sequence with two items, and ``side`` x ``side``
    16-bit pixels."""
    sop_instance = "2.25.1000000000000000000000000000000002"
    study = "2.25.1000000000000000000000000000000010"
    series = "2.25.1000000000000000000000000000000011"
    referenced = [
        element(0x00081150, "UI", uid(CT_IMAGE))
        + element(0x00081155, "UI", uid(f"2.25.10000000000000000000000000000001{n:02d}"))
        for n in range(2)
    ]
    header = (
        file_meta(CT_IMAGE, sop_instance, EXPLICIT_LITTLE)
        + element(0x00080005, "CS", text("ISO_IR 100"))
        + element(0x00080008, "CS", text("ORIGINAL\\PRIMARY\\AXIAL"))
        + element(0x00080012, "DA", text("20240102"))
        + element(0x00080013, "TM", text("101112.123456"))
        + element(0x00080016, "UI", uid(CT_IMAGE))
        + element(0x00080018, "UI", uid(sop_instance))
        + element(0x00080020, "DA", text("20240102"))
        + element(0x00080021, "DA", text("20240102"))
        + element(0x00080022, "DA", text("20240102"))
        + element(0x00080023, "DA", text("20240102"))
        + element(0x00080030, "TM", text("100000"))
        + element(0x00080031, "TM", text("100500"))
        + element(0x00080032, "TM", text("100501.250000"))
        + element(0x00080033, "TM", text("100501.500000"))
        + element(0x00080050, "SH", text("ACC0001"))
        + element(0x00080060, "CS", text("CT"))
        + element(0x00080070, "LO", text("Bench Medical Systems"))
        + element(0x00080080, "LO", text("Benchmark Hospital"))
        + element(0x00080090, "PN", text("Referring^Doctor"))
        + element(0x00081010, "SH", text("CT01"))
        + element(0x00081030, "LO", text("CT CHEST WITH CONTRAST"))
        + element(0x0008103E, "LO", text("AXIAL 5MM"))
        + element(0x00081090, "LO", text("Bench CT 64"))
        + sequence(0x00081140, referenced)
        + element(0x00100010, "PN", text("Bench^Small"))
        + element(0x00100020, "LO", text("PID000001"))
        + element(0x00100030, "DA", text("19700101"))
        + element(0x00100040, "CS", text("O"))
        + element(0x00101010, "AS", text("054Y"))
        + element(0x00180015, "CS", text("CHEST"))
        + element(0x00180050, "DS", text("5.0"))
        + element(0x00180060, "DS", text("120"))
        + element(0x00181020, "LO", text("1.0.0"))
        + element(0x00181100, "DS", text("350.0"))
        + element(0x00181150, "IS", text("800"))
        + element(0x00181151, "IS", text("250"))
        + element(0x00181152, "IS", text("200"))
        + element(0x00181210, "SH", text("STANDARD"))
        + element(0x00185100, "CS", text("FFS"))
        + element(0x0020000D, "UI", uid(study))
        + element(0x0020000E, "UI", uid(series))
        + element(0x00200010, "SH", text("1"))
        + element(0x00200011, "IS", text("2"))
        + element(0x00200012, "IS", text("1"))
        + element(0x00200013, "IS", text("37"))
        + element(0x00200032, "DS", text("-175.0\\-175.0\\-120.5"))
        + element(0x00200037, "DS", text("1\\0\\0\\0\\1\\0"))
        + element(0x00200052, "UI", uid("2.25.1000000000000000000000000000000012"))
        + element(0x00201041, "DS", text("-120.5"))
        + element(0x00280002, "US", us(1))
        + element(0x00280004, "CS", text("MONOCHROME2"))
        + element(0x00280010, "US", us(side))
        + element(0x00280011, "US", us(side))
        + element(0x00280030, "DS", text("0.683594\\0.683594"))
        + element(0x00280100, "US", us(16))
        + element(0x00280101, "US", us(12))
        + element(0x00280102, "US", us(11))
        + element(0x00280103, "US", us(0))
        + element(0x00281050, "DS", text("40"))
        + element(0x00281051, "DS", text("400"))
        + element(0x00281052, "DS", text("-1024"))
        + element(0x00281053, "DS", text("1"))
        + element(0x7FE00010, "OW", PATTERN[: side * side * 2])
    )
    return write_atomically(path, [header])


def make_multiframe(path: Path, size: int, side: int = 512) -> Path:
    """Write an Enhanced CT image of ``side`` x ``side`` 16-bit frames, as many as fit in
    ``size`` bytes (at least one), with per-frame and shared functional groups."""
    frame_bytes = side * side * 2
    frames = max(1, size // frame_bytes)
    sop_instance = "2.25.1000000000000000000000000000000003"
    shared = sequence(
        0x00209116,
        [element(0x00200037, "DS", text("1\\0\\0\\0\\1\\0"))],
    ) + sequence(
        0x00289110,
        [element(0x00180050, "DS", text("1.0")) + element(0x00280030, "DS", text("0.5\\0.5"))],
    )
    per_frame = [
        sequence(
            0x00209111,
            [
                element(0x00209056, "SH", text("1"))
                + element(0x00209057, "UL", ul(n + 1))
                + element(0x00209157, "UL", ul(1, n + 1))
            ],
        )
        + sequence(0x00209113, [element(0x00200032, "DS", text(f"-128\\-128\\{n * 0.5:.1f}"))])
        for n in range(frames)
    ]
    header = (
        file_meta(ENHANCED_CT_IMAGE, sop_instance, EXPLICIT_LITTLE)
        + element(0x00080008, "CS", text("ORIGINAL\\PRIMARY\\AXIAL\\NONE"))
        + element(0x00080016, "UI", uid(ENHANCED_CT_IMAGE))
        + element(0x00080018, "UI", uid(sop_instance))
        + element(0x00080060, "CS", text("CT"))
        + element(0x00100010, "PN", text("Bench^Multiframe"))
        + element(0x0020000D, "UI", uid("2.25.1000000000000000000000000000000020"))
        + element(0x0020000E, "UI", uid("2.25.1000000000000000000000000000000021"))
        + element(0x00280002, "US", us(1))
        + element(0x00280004, "CS", text("MONOCHROME2"))
        + element(0x00280008, "IS", text(str(frames)))
        + element(0x00280010, "US", us(side))
        + element(0x00280011, "US", us(side))
        + element(0x00280100, "US", us(16))
        + element(0x00280101, "US", us(16))
        + element(0x00280102, "US", us(15))
        + element(0x00280103, "US", us(0))
        + sequence(0x52009229, [shared])
        + sequence(0x52009230, per_frame)
        + struct.pack("<HH", 0x7FE0, 0x0010)
        + b"OW\0\0"
        + ul(frames * frame_bytes)
    )
    return write_atomically(path, [header, *pattern(frames * frame_bytes)])


def fragment_length(index: int) -> int:
    """The (even) length of fragment ``index`` of :func:`make_encapsulated`: 1 to 2 KiB."""
    return 1024 + 2 * (index * 7919 % 512)


def make_encapsulated(path: Path, fragments: int = 10_000) -> Path:
    """Write an RLE Lossless multi-frame image with one fragment per frame.

    The fragments hold an RLE header and synthetic bytes (neither tool decodes them); the
    Basic Offset Table lists the offset of every frame.
    """
    sop_instance = "2.25.1000000000000000000000000000000004"
    lengths = [fragment_length(n) for n in range(fragments)]
    offsets, position = [], 0
    for length in lengths:
        offsets.append(position)
        position += 8 + length
    header = (
        file_meta(CT_IMAGE, sop_instance, RLE_LOSSLESS)
        + element(0x00080016, "UI", uid(CT_IMAGE))
        + element(0x00080018, "UI", uid(sop_instance))
        + element(0x00080060, "CS", text("CT"))
        + element(0x00100010, "PN", text("Bench^Fragments"))
        + element(0x00280002, "US", us(1))
        + element(0x00280004, "CS", text("MONOCHROME2"))
        + element(0x00280008, "IS", text(str(fragments)))
        + element(0x00280010, "US", us(64))
        + element(0x00280011, "US", us(64))
        + element(0x00280100, "US", us(8))
        + element(0x00280101, "US", us(8))
        + element(0x00280102, "US", us(7))
        + element(0x00280103, "US", us(0))
        + struct.pack("<HH", 0x7FE0, 0x0010)
        + b"OB\0\0"
        + ul(_UNDEFINED)
        + item(ul(*offsets))
    )

    def parts() -> Iterator[bytes]:
        yield header
        rle_header = ul(1, 64) + bytes(56)
        for n, length in enumerate(lengths):
            start = (n * 4099) % (len(PATTERN) - length)
            yield item(rle_header + PATTERN[start : start + length - len(rle_header)])
        yield struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)

    return write_atomically(path, parts())


@dataclass(frozen=True)
class Identity:
    """A test PKI: a root CA and a signer certificate it issued.

    Attributes
    ----------
    key, cert : Path
        The signer's private key (PEM, unencrypted) and certificate.
    root : Path
        The root CA certificate (the trust anchor when verifying).
    """

    key: Path
    cert: Path
    root: Path


def _pem(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


#: The private key of a signer of the benchmarks' PKIs.
SignerKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(
    subject: str,
    key: CertificatePublicKeyTypes,
    issuer: tuple[x509.Name, CertificateIssuerPrivateKeyTypes],
    *,
    ca: bool,
    days: int,
) -> x509.Certificate:
    """A certificate for ``key`` named ``subject``, signed (SHA-256) by ``issuer`` (its name
    and key), valid from two days ago for ``days`` days."""
    now = dt.datetime.now(dt.UTC)
    issuer_name, issuer_key = issuer
    return (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer_name)
        .public_key(key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=2))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(issuer_key, hashes.SHA256())
    )


def _write_identity(
    directory: Path,
    prefix: str,
    key: SignerKey,
    cert: x509.Certificate,
    root: Path,
) -> Identity:
    pem = serialization.Encoding.PEM
    return Identity(
        key=_pem(
            directory / f"{prefix}key.pem",
            key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        ),
        cert=_pem(directory / f"{prefix}cert.pem", cert.public_bytes(pem)),
        root=root,
    )


def _ca(
    subject: str, issuer: tuple[x509.Name, rsa.RSAPrivateKey] | None, days: int
) -> tuple[x509.Name, rsa.RSAPrivateKey, x509.Certificate]:
    """An RSA-2048 CA: its name, key and certificate (self-signed without ``issuer``)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = _name(subject)
    cert = _certificate(subject, key.public_key(), issuer or (name, key), ca=True, days=days)
    return name, key, cert


def make_identity(directory: Path) -> Identity:
    """Create an RSA-2048 root CA and signer certificate in ``directory``; both were valid
    from two days ago and stay valid for 30 days."""
    directory.mkdir(parents=True, exist_ok=True)
    root_name, root_key, root = _ca("dicomsign benchmark CA", None, 30)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = _certificate(
        "dicomsign benchmark signer", key.public_key(), (root_name, root_key), ca=False, days=30
    )
    root_pem = _pem(directory / "root.pem", root.public_bytes(serialization.Encoding.PEM))
    return _write_identity(directory, "", key, cert, root_pem)


@dataclass(frozen=True)
class PKI:
    """A test PKI of several signers: a root CA, an intermediate CA it issued, and signer
    certificates issued by either, or self-signed.

    Attributes
    ----------
    root : Path
        The root CA certificate (the trust anchor: ``+cf``, ``--trusted``).
    intermediate : Path
        The intermediate CA certificate (``+uf``, ``--untrusted``).
    signers : dict of str to Identity
        Each signer by name (see :data:`PKI_SIGNERS`).
    """

    root: Path
    intermediate: Path
    signers: dict[str, Identity]


#: The signers of :func:`make_pki`: name, key and issuer (``root``, ``intermediate``, or
#: ``self`` for a self-signed certificate, which no trust anchor vouches for).
PKI_SIGNERS: tuple[tuple[str, str, str], ...] = (
    ("rsa2048", "RSA 2048", "root"),
    ("ec256", "EC P-256", "root"),
    ("rsa3072", "RSA 3072", "intermediate"),
    ("ec384", "EC P-384", "intermediate"),
    ("self-signed", "RSA 2048", "self"),
)


def _private_key(kind: str) -> SignerKey:
    if kind.startswith("RSA "):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(kind[4:]))
    curves = {"EC P-256": ec.SECP256R1(), "EC P-384": ec.SECP384R1()}
    return ec.generate_private_key(curves[kind])


def make_pki(directory: Path, days: int = 3650) -> PKI:
    """Create the PKI of :data:`PKI_SIGNERS` in ``directory`` (RSA-2048 CAs); every
    certificate was valid from two days ago and stays valid for ``days`` days."""
    directory.mkdir(parents=True, exist_ok=True)
    pem = serialization.Encoding.PEM
    root_name, root_key, root = _ca("dicomsign benchmark root CA", None, days)
    inter_name, inter_key, inter = _ca(
        "dicomsign benchmark intermediate CA", (root_name, root_key), days
    )
    root_pem = _pem(directory / "root.pem", root.public_bytes(pem))
    inter_pem = _pem(directory / "intermediate.pem", inter.public_bytes(pem))
    issuers = {"root": (root_name, root_key), "intermediate": (inter_name, inter_key)}
    signers = {}
    for name, kind, issuer in PKI_SIGNERS:
        key = _private_key(kind)
        subject = f"dicomsign benchmark {name}"
        by = (_name(subject), key) if issuer == "self" else issuers[issuer]
        cert = _certificate(subject, key.public_key(), by, ca=False, days=days)
        signers[name] = _write_identity(directory, f"{name}-", key, cert, root_pem)
    return PKI(root=root_pem, intermediate=inter_pem, signers=signers)


def find_dcmtk() -> str:
    """The path of DCMTK's ``dcmsign`` (not ours, which may also be on ``PATH``).

    Raises
    ------
    SystemExit
        When DCMTK is not installed.
    """
    for directory in [*os.environ.get("PATH", "").split(os.pathsep), "/usr/bin"]:
        exe = Path(directory) / "dcmsign"
        if exe.is_file():
            out = subprocess.run(
                [exe, "--version"], check=False, capture_output=True, text=True
            ).stdout
            if "$dcmtk:" in out:
                return str(exe)
    raise SystemExit("DCMTK's dcmsign is required (apt-get install dcmtk)")


def ours_command(name: str = "dcmsign") -> list[str]:
    """The command that runs one of our commands, ``dcmsign`` (the drop-in) or
    ``dicomsign``: the command installed beside the running interpreter, else
    ``python -m dicomsign.cli.NAME``."""
    script = Path(sys.executable).parent / name
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", f"dicomsign.cli.{name}"]


def find_openssl() -> str:
    """The path of the ``openssl`` command.

    Raises
    ------
    SystemExit
        When it is not installed.
    """
    exe = shutil.which("openssl")
    if exe is None:
        raise SystemExit("the openssl command is required")
    return exe


@dataclass(frozen=True)
class Run:
    """One measured run of a command.

    Attributes
    ----------
    code : int
        Exit status.
    wall : float
        Wall time in seconds.
    rss_mib : float
        Peak resident set size of the process in MiB.
    stderr : str
        What it wrote to standard error.
    """

    code: int
    wall: float
    rss_mib: float
    stderr: str


@dataclass(frozen=True)
class Loop:
    """One measured loop: a command run once per file, one process at a time.

    Attributes
    ----------
    codes : tuple of int
        The exit status of each process, in the order of the files (empty when the loop
        could not run).
    wall : float
        Wall time of the whole loop in seconds.
    rss_mib : float
        The highest peak resident set size of any of its processes in MiB.
    stderr : str
        Why the loop could not run, if it could not.
    """

    codes: tuple[int, ...]
    wall: float
    rss_mib: float
    stderr: str


#: The measuring helper: a bare interpreter (no site, about 8 MiB resident) that spawns the
#: command (or, given a file list, the command followed by each file in turn) and reports the
#: wall time, the highest ``ru_maxrss`` and each exit status. Linux carries a process's peak
#: RSS over ``execve`` and a child starts with its parent's resident pages, so spawning from
#: this (large) process would add its own RSS to every measurement. The ``ru_maxrss`` of
#: ``wait4`` covers the waited-for descendants of the child too (e.g. the commands ``xargs``
#: runs): the largest of them, not their sum.
_HELPER = """
import os, sys, time
quiet = [(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)]
if sys.argv[1]:
    quiet.append((os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0))
    with open(sys.argv[1], encoding="utf-8", errors="surrogateescape") as f:
        commands = [sys.argv[2:] + [line.rstrip("\\n")] for line in f]
else:
    commands = [sys.argv[2:]]
codes, peak = [], 0
start = time.perf_counter()
for command in commands:
    pid = os.posix_spawnp(command[0], command, os.environ, file_actions=quiet)
    _, status, usage = os.wait4(pid, 0)
    codes.append(os.waitstatus_to_exitcode(status))
    peak = max(peak, usage.ru_maxrss)
wall = time.perf_counter() - start
print(repr(wall), peak, *codes)
"""


def _measure(command: list[str], file_list: str) -> tuple[list[int], float, float, str]:
    proc = subprocess.run(
        [sys.executable, "-I", "-S", "-c", _HELPER, file_list, *command],
        check=False,
        capture_output=True,
        text=True,
        errors="replace",
    )
    try:
        wall, rss, *codes = proc.stdout.split()
        return [int(c) for c in codes], float(wall), int(rss) / 1024, proc.stderr
    except ValueError:
        return [], 0.0, 0.0, proc.stderr or proc.stdout


def run(command: list[str]) -> Run:
    """Run ``command`` (standard output discarded) through a small helper process that
    measures it with ``os.wait4``.

    Peak RSS values under about 9 MiB are the helper's own floor. A command that cannot be
    started gives exit status 127 with the reason in ``stderr``.
    """
    codes, wall, rss, stderr = _measure(command, "")
    if len(codes) != 1:
        return Run(127, 0.0, 0.0, stderr)
    return Run(codes[0], wall, rss, stderr)


def run_each(command: list[str], paths: Sequence[Path]) -> Loop:
    """Run ``command PATH`` for each of ``paths`` in turn (standard output and error
    discarded), as a shell loop would, through the helper of :func:`run`.

    The paths must not hold a newline. When the loop cannot run (a command that cannot be
    started), ``codes`` is empty and ``stderr`` tells why.
    """
    with tempfile.NamedTemporaryFile("w", suffix=".list", encoding="utf-8") as listing:
        listing.writelines(f"{p}\n" for p in paths)
        listing.flush()
        codes, wall, rss, stderr = _measure(command, listing.name)
    if len(codes) != len(paths):
        return Loop((), 0.0, 0.0, stderr)
    return Loop(tuple(codes), wall, rss, stderr)


def warm(path: Path) -> None:
    """Read ``path`` once so that it is in the page cache before timing."""
    with open(path, "rb", buffering=0) as f:
        while f.read(8 << 20):
            pass


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, Any]:
    """The machine's CPU model, core count, memory, system and load average."""
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    except OSError:
        pass
    return {
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)),
        "memory_bytes": mem,
        "system": platform.platform(),
        "python": sys.version.split()[0],
        "load_average": list(os.getloadavg()),
    }


def first_line(command: list[str]) -> str:
    """The first line a command prints (standard output, then error), stripped."""
    out = subprocess.run(command, check=False, capture_output=True, text=True)
    lines = (out.stdout + out.stderr).strip().splitlines()
    return lines[0].strip() if lines else ""


def write_report(document: dict[str, Any], directory: Path, stamp: str) -> Path:
    """Write ``document`` to ``directory/<stamp>.json`` (through a temporary file)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{stamp}.json"
    tmp = directory / f"{stamp}.json.tmp"
    tmp.write_text(json.dumps(document, indent=1) + "\n")
    tmp.replace(path)
    return path


def publish(document: dict[str, Any], directory: Path, stamp: str, error: str | None) -> int:
    """Write ``document`` (:func:`write_report`), print where, and the error that stopped
    the run, if one did; the exit status: 1 after an error, else 0."""
    path = write_report(document, directory, stamp)
    print(f"\nraw timings: {path}")
    if error is not None:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0
