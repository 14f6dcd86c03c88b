"""Certificates and public keys as DCMTK reads and describes them.

A certificate file is read as ``dcmsign`` reads it (the first ``CERTIFICATE`` block of a PEM
file, or one DER certificate, with DCMTK's single error text). What DCMTK says about a key (its
class, size, weakness and description) is the engine's rule (``_core.PublicKey``), asked here
for :mod:`cryptography` objects.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificatePublicKeyTypes,
    PrivateKeyTypes,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .. import _core
from ..exceptions import CertificateLoadError
from ..vocabulary import KeyType
from .names import name_oneline

__all__ = [
    "CertificateDetails",
    "KeyLike",
    "certificate_details",
    "describe_public_key",
    "format_asn1_time",
    "is_weak_key",
    "key_bits",
    "key_type",
    "load_certificate",
    "public_key_facts",
    "weak_key_warning",
]

#: What the key functions accept: a certificate, or a public or private key.
KeyLike = x509.Certificate | CertificatePublicKeyTypes | PrivateKeyTypes

_CERT_LABELS: Final = ("CERTIFICATE", "X509 CERTIFICATE")


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def load_certificate(path: str | os.PathLike[str], *, der: bool = False) -> x509.Certificate:
    """Load a certificate file as ``dcmsign`` does.

    Parameters
    ----------
    path : str or os.PathLike
        The certificate file.
    der : bool, default False
        ``-der``: one DER certificate (trailing bytes ignored); otherwise the first
        ``CERTIFICATE`` block of a PEM file.

    Returns
    -------
    cryptography.x509.Certificate
        The certificate.

    Raises
    ------
    CertificateLoadError
        ``file cannot be read: while loading certificate file '<path>'``.
    """
    path = Path(path)
    error = CertificateLoadError(f"file cannot be read: while loading certificate file '{path}'")
    content = _read(path)
    if content is None:
        raise error
    if der:
        data: bytes | None = content
    else:
        block = next((b for b in _core.pem_blocks(content) if b.label in _CERT_LABELS), None)
        data = None if block is None else block.data
    if not data:
        raise error
    try:
        return x509.load_der_x509_certificate(_core.trim_der(data))
    except Exception as exc:  # ValueError for garbage; anything else is unreadable too
        raise error from exc


# --------------------------------------------------------------------------------------------
# What DCMTK says about a key


def public_key_facts(obj: KeyLike) -> _core.PublicKey:
    """The engine's view of a certificate's (or key's) public key.

    For a certificate the subject public key algorithm OID decides, so RSA-PSS and X9.42 DH
    keys are :attr:`KeyType.NONE` as in DCMTK. A bare key object carries no OID:
    :mod:`cryptography` loads RSA-PSS keys as RSA keys, so classify the certificate where it
    matters.
    """
    if isinstance(obj, x509.Certificate):
        try:
            return _core.Certificate(obj.public_bytes(Encoding.DER)).public_key
        except ValueError:
            return _core.PublicKey.from_spki(b"")
    private_to_public = getattr(obj, "public_key", None)
    public: Any = private_to_public() if callable(private_to_public) else obj
    try:
        spki = public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        spki = b""
    return _core.PublicKey.from_spki(spki)


def key_type(obj: KeyLike) -> KeyType:
    """DCMTK's key class (``E_KeyType``) of a certificate's or key's public key."""
    return public_key_facts(obj).key_type


def key_bits(obj: KeyLike) -> int:
    """``EVP_PKEY_bits``: modulus/prime bits for RSA, DSA and DH, order bits for EC; 0 for
    keys of other types or that cannot be read."""
    return public_key_facts(obj).bits


def describe_public_key(obj: KeyLike) -> str:
    """DCMTK's verbose ``Public key`` line: ``RSA, 2048 bits``, ``DSA, 2048 bits``,
    ``EC, curve prime256v1, 256 bits``, ``DH, 1024 bits``; ``unknown type`` otherwise."""
    return public_key_facts(obj).description


def is_weak_key(obj: KeyLike) -> bool:
    """DCMTK's weak key test: RSA, DSA and DH below 1024 bits, EC below 256 bits, and any key
    of type none."""
    return public_key_facts(obj).weak_key_warning is not None


def weak_key_warning(obj: KeyLike) -> str | None:
    """DCMTK's warning for a weak key (``Certificate contains a weak key: RSA, 768 bits``; no
    curve name for EC), or None."""
    return public_key_facts(obj).weak_key_warning


# --------------------------------------------------------------------------------------------
# What DCMTK prints about a certificate


_MONTHS: Final = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)


def format_asn1_time(moment: datetime) -> str:
    """Format a UTC time like OpenSSL's ``ASN1_TIME_print``: ``Nov  4 19:35:42 2026 GMT``."""
    return (
        f"{_MONTHS[moment.month - 1]} {moment.day:2d} "
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} {moment.year} GMT"
    )


@dataclass(frozen=True)
class CertificateDetails:
    """What DCMTK's verbose output shows about a certificate.

    Attributes
    ----------
    version : int
        X.509 version number (3 for ``X.509v3``).
    subject, issuer : str
        Names in ``X509_NAME_oneline`` form.
    serial : int
        The serial number as a C ``long``: -1 if it does not fit (DCMTK prints it as is).
    not_before, not_after : str
        Validity bounds as ``ASN1_UTCTIME_print`` writes them; empty when the time is a
        GeneralizedTime (years from 2050), which that OpenSSL function refuses to print.
    public_key : str
        :func:`describe_public_key` of the certificate.
    """

    version: int
    subject: str
    issuer: str
    serial: int
    not_before: str
    not_after: str
    public_key: str


def _utctime_text(moment: datetime) -> str:
    return format_asn1_time(moment) if 1950 <= moment.year < 2050 else ""


def certificate_details(cert: x509.Certificate) -> CertificateDetails:
    """Collect the verbose description of ``cert`` (see :class:`CertificateDetails`)."""
    serial = cert.serial_number
    if not -(2**63) <= serial < 2**63:
        serial = -1
    return CertificateDetails(
        version=cert.version.value + 1,
        subject=name_oneline(cert.subject),
        issuer=name_oneline(cert.issuer),
        serial=serial,
        not_before=_utctime_text(cert.not_valid_before_utc),
        not_after=_utctime_text(cert.not_valid_after_utc),
        public_key=describe_public_key(cert),
    )
