"""Private keys, certificates and signers, loaded and described the way DCMTK ``dcmsign`` does.

Loading follows DCMTK 3.6.7 on OpenSSL 3.0:

* ``-pem`` (default): a private key is the first PEM block holding a private key (traditional,
  PKCS#8, encrypted PKCS#8 or encrypted traditional ``Proc-Type: 4,ENCRYPTED``); a certificate
  is the first ``CERTIFICATE`` (or ``X509 CERTIFICATE``) block. Other blocks are skipped.
* ``-der``: one PKCS#8 or traditional private key, never encrypted; one certificate. Bytes after
  the DER object are ignored, as OpenSSL's BIO readers do.
* Every failure is reported with DCMTK's single text, ``file cannot be read: while loading
  private key file 'x'`` or ``... certificate file 'x'``.

Passwords follow ``+ps`` / ``+pw`` / ``-pw``: see :class:`Password`. The password is asked
for only when the selected PEM block really is encrypted.

Signing goes through the small :class:`Signer` protocol so that a hardware (PKCS#11) signer can
be added later without touching its callers; :class:`SoftwareSigner` is the implementation for a
key held in memory.
"""

from __future__ import annotations

import base64
import binascii
import getpass
import os
import re
import sys
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Final, Literal, Protocol, runtime_checkable

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dh, dsa, ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificatePublicKeyTypes,
    PrivateKeyTypes,
)
from cryptography.utils import CryptographyDeprecationWarning

from . import crypto
from .exceptions import CertificateLoadError, KeyLoadError, SignatureCreationError
from .vocabulary import KeyType

__all__ = [
    "PASSWORD_PROMPT",
    "CertificateDetails",
    "KeyType",
    "NameEntry",
    "Password",
    "PemBlock",
    "Signer",
    "SoftwareSigner",
    "certificate_details",
    "check_key_matches_certificate",
    "describe_public_key",
    "format_asn1_time",
    "is_weak_key",
    "key_bits",
    "key_type",
    "load_certificate",
    "load_private_key",
    "name_entries",
    "name_oneline",
    "pem_blocks",
    "read_password_from_console",
    "weak_key_warning",
]

# Finite-field DH is deprecated in newer cryptography releases: look the classes up once, quietly.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", CryptographyDeprecationWarning)
    _DH_KEY_TYPES: Final = (dh.DHPublicKey, dh.DHPrivateKey)

#: OpenSSL's default pass phrase prompt, as printed by ``dcmsign``.
PASSWORD_PROMPT: Final = "Enter PEM pass phrase:"

_KEY_LABELS: Final = frozenset(
    {"PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "RSA PRIVATE KEY", "DSA PRIVATE KEY", "EC PRIVATE KEY"}
)
_CERT_LABELS: Final = frozenset({"CERTIFICATE", "X509 CERTIFICATE"})


# Subject public key algorithms that OpenSSL maps to DCMTK's key classes (EVP_PKEY_type).
_SPKI_KEY_TYPES: Final[dict[str, KeyType]] = {
    "1.2.840.113549.1.1.1": KeyType.RSA,  # rsaEncryption
    "2.5.8.1.1": KeyType.RSA,  # rsa (X.500 alias)
    "1.2.840.10040.4.1": KeyType.DSA,  # id-dsa
    "1.3.14.3.2.12": KeyType.DSA,  # dsa (OIW alias)
    "1.2.840.10045.2.1": KeyType.EC,  # id-ecPublicKey
    "1.2.840.113549.1.3.1": KeyType.DH,  # dhKeyAgreement (PKCS #3)
}

# OpenSSL short names of the curves whose cryptography name differs.
_CURVE_SHORT_NAMES: Final[dict[str, str]] = {
    "secp192r1": "prime192v1",
    "secp256r1": "prime256v1",
}


# --------------------------------------------------------------------------------------------
# PEM


@dataclass(frozen=True)
class PemBlock:
    """One ``-----BEGIN label-----`` ... ``-----END label-----`` block of a PEM file.

    Attributes
    ----------
    label : str
        The type label, e.g. ``"CERTIFICATE"`` or ``"ENCRYPTED PRIVATE KEY"``.
    headers : dict[str, str]
        RFC 1421 headers such as ``Proc-Type`` and ``DEK-Info`` (traditional encrypted keys).
    data : bytes | None
        The base64-decoded body, or None if the body is not valid base64.
    text : bytes
        The block exactly as it appears in the file, BEGIN and END lines included.
    """

    label: str
    headers: dict[str, str]
    data: bytes | None = field(repr=False)
    text: bytes = field(repr=False)

    @property
    def encrypted(self) -> bool:
        """True for an encrypted private key (PKCS#8 or traditional ``Proc-Type``)."""
        if self.label == "ENCRYPTED PRIVATE KEY":
            return True
        return "ENCRYPTED" in self.headers.get("Proc-Type", "").upper()


_BEGIN: Final = re.compile(rb"^-----BEGIN ([^-\r\n]*)-----\s*$")
_END: Final = re.compile(rb"^-----END ([^-\r\n]*)-----\s*$")


def pem_blocks(content: bytes) -> Iterator[PemBlock]:
    """Yield the PEM blocks of ``content`` in file order, as OpenSSL's PEM reader finds them.

    Text outside blocks is ignored. A block without its END line ends the iteration.

    Parameters
    ----------
    content : bytes
        The whole file.

    Yields
    ------
    PemBlock
        Each complete block.
    """
    lines = content.splitlines(keepends=True)
    index = 0
    while index < len(lines):
        begin = _BEGIN.match(lines[index])
        if begin is None:
            index += 1
            continue
        label = begin.group(1).decode("latin-1")
        start = index
        index += 1
        body: list[bytes] = []
        headers: dict[str, str] = {}
        in_headers = index < len(lines) and b":" in lines[index]
        end = None
        while index < len(lines):
            line = lines[index]
            end = _END.match(line)
            if end is not None:
                break
            stripped = line.strip()
            if in_headers:
                if not stripped:
                    in_headers = False
                elif b":" in stripped:
                    name, _, value = stripped.partition(b":")
                    headers[name.decode("latin-1").strip()] = value.decode("latin-1").strip()
            else:
                body.append(stripped)
            index += 1
        if end is None:
            return
        index += 1
        text = b"".join(lines[start:index])
        if end.group(1).decode("latin-1") != label:
            yield PemBlock(label, headers, None, text)
            continue
        try:
            data: bytes | None = base64.b64decode(b"".join(body), validate=True)
        except (binascii.Error, ValueError):
            data = None
        yield PemBlock(label, headers, data, text)


def _first_block(content: bytes, labels: frozenset[str]) -> PemBlock | None:
    for block in pem_blocks(content):
        if block.label in labels:
            return block
    return None


# --------------------------------------------------------------------------------------------
# Passwords


@dataclass(frozen=True)
class Password:
    """How to get the pass phrase of an encrypted PEM key (dcmsign ``+ps`` / ``+pw`` / ``-pw``).

    Attributes
    ----------
    mode : {"prompt", "given", "empty"}
        ``prompt`` (``+ps``, the default): ask on the terminal if standard input is one,
        otherwise read one line from standard input; ``given`` (``+pw PW``): use ``value``;
        ``empty`` (``-pw``): use the empty pass phrase.
    value : str
        The pass phrase for ``given``; never shown in ``repr``.
    """

    mode: Literal["prompt", "given", "empty"] = "prompt"
    value: str = field(default="", repr=False)

    @classmethod
    def prompt(cls) -> Password:
        """Ask for the pass phrase when it is needed (``+ps``)."""
        return cls("prompt")

    @classmethod
    def given(cls, value: str) -> Password:
        """Use the given pass phrase (``+pw``)."""
        return cls("given", value)

    @classmethod
    def empty(cls) -> Password:
        """Use the empty pass phrase (``-pw``)."""
        return cls("empty")


def read_password_from_console() -> bytes | None:
    """Read a pass phrase the way OpenSSL's default PEM callback does.

    On a terminal the prompt ``Enter PEM pass phrase:`` is shown and the answer is read without
    echo. Otherwise the prompt goes to standard error and one line is read from standard input.

    Returns
    -------
    bytes | None
        The pass phrase without its line end, or None at end of input.
    """
    if sys.stdin is not None and sys.stdin.isatty():
        try:
            return os.fsencode(getpass.getpass(PASSWORD_PROMPT))
        except (EOFError, KeyboardInterrupt):
            return None
    sys.stderr.write(PASSWORD_PROMPT)
    sys.stderr.flush()
    stream = sys.stdin.buffer if sys.stdin is not None else None
    line = stream.readline() if stream is not None else b""
    sys.stderr.write("\n")
    sys.stderr.flush()
    if not line:
        return None
    return line.rstrip(b"\r\n")


def _password_bytes(password: Password, ask: Callable[[], bytes | None]) -> bytes | None:
    if password.mode == "given":
        return os.fsencode(password.value)
    if password.mode == "empty":
        return b""
    return ask()


# --------------------------------------------------------------------------------------------
# Loading


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def load_private_key(
    path: str | os.PathLike[str],
    *,
    der: bool = False,
    password: Password | None = None,
    ask: Callable[[], bytes | None] = read_password_from_console,
) -> PrivateKeyTypes:
    """Load a private key file as ``dcmsign`` does.

    Parameters
    ----------
    path : str or os.PathLike
        The key file.
    der : bool, default False
        ``-der``: the file is one DER private key (PKCS#8 or traditional, never encrypted);
        otherwise PEM.
    password : Password, optional
        Pass phrase source for an encrypted PEM key; default :meth:`Password.prompt`.
    ask : callable, optional
        Returns the pass phrase in prompt mode, or None if there is none; default
        :func:`read_password_from_console`. Called only for an encrypted key.

    Returns
    -------
    PrivateKeyTypes
        The key (any type OpenSSL can read; see :func:`key_type` for what can sign).

    Raises
    ------
    KeyLoadError
        ``file cannot be read: while loading private key file '<path>'`` for a missing or
        unreadable file, garbage, a wrong or missing pass phrase, or a PEM/DER mix-up.
    """
    path = Path(path)
    error = KeyLoadError(f"file cannot be read: while loading private key file '{path}'")
    content = _read(path)
    if content is None:
        raise error
    try:
        # Like OpenSSL's PEM_read_bio_PrivateKey (DCMTK), do not run the RSA key consistency
        # check (tens of milliseconds); the key is checked against its certificate instead.
        if der:
            return serialization.load_der_private_key(
                crypto.trim_der(content), None, unsafe_skip_rsa_key_validation=True
            )
        block = _first_block(content, _KEY_LABELS)
        if block is None or block.data is None:
            raise error
        secret: bytes | None = None
        if block.encrypted:
            secret = _password_bytes(password or Password.prompt(), ask)
            if secret is None:
                raise error
        return serialization.load_pem_private_key(
            block.text, secret, unsafe_skip_rsa_key_validation=True
        )
    except (ValueError, TypeError, UnicodeError) as exc:
        raise error from exc
    except Exception as exc:  # cryptography raises UnsupportedAlgorithm and Rust panics too
        raise error from exc


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
        block = _first_block(content, _CERT_LABELS)
        data = None if block is None else block.data
    if not data:
        raise error
    try:
        return x509.load_der_x509_certificate(crypto.trim_der(data))
    except Exception as exc:  # ValueError for garbage; anything else is unreadable too
        raise error from exc


# --------------------------------------------------------------------------------------------
# Classification and description


def _certificate_public_key(cert: x509.Certificate) -> CertificatePublicKeyTypes | None:
    try:
        return cert.public_key()
    except (ValueError, UnsupportedAlgorithm):  # unsupported or malformed (explicit EC params)
        return None


def key_type(obj: x509.Certificate | CertificatePublicKeyTypes | PrivateKeyTypes) -> KeyType:
    """Classify a certificate's (or key's) public key algorithm as DCMTK does.

    For a certificate the subject public key algorithm OID decides, so RSA-PSS and X9.42 DH
    keys are :attr:`KeyType.NONE` as in DCMTK. A bare key object carries no OID:
    :mod:`cryptography` loads RSA-PSS keys as RSA keys, so classify the certificate where it
    matters.

    Parameters
    ----------
    obj : Certificate or public key or private key

    Returns
    -------
    KeyType
    """
    if isinstance(obj, x509.Certificate):
        kind = _SPKI_KEY_TYPES.get(obj.public_key_algorithm_oid.dotted_string, KeyType.NONE)
        if kind is KeyType.NONE or _certificate_public_key(obj) is None:
            return KeyType.NONE
        return kind
    if isinstance(obj, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        return KeyType.RSA
    if isinstance(obj, dsa.DSAPublicKey | dsa.DSAPrivateKey):
        return KeyType.DSA
    if isinstance(obj, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        return KeyType.EC
    if isinstance(obj, _DH_KEY_TYPES):
        return KeyType.DH
    return KeyType.NONE


def _public(obj: x509.Certificate | CertificatePublicKeyTypes | PrivateKeyTypes) -> object:
    if isinstance(obj, x509.Certificate):
        return _certificate_public_key(obj)
    public_key = getattr(obj, "public_key", None)
    return public_key() if callable(public_key) else obj


def key_bits(obj: x509.Certificate | CertificatePublicKeyTypes | PrivateKeyTypes) -> int:
    """Return ``EVP_PKEY_bits``: modulus/prime bits for RSA, DSA and DH, order bits for EC.

    Returns 0 for keys of other types or that cannot be read.
    """
    key = _public(obj)
    if isinstance(key, rsa.RSAPublicKey | dsa.DSAPublicKey | _DH_KEY_TYPES[0]):
        return key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        order = getattr(key.curve, "group_order", None)
        return order.bit_length() if isinstance(order, int) else key.curve.key_size
    return 0


def _curve_name(key: ec.EllipticCurvePublicKey) -> str:
    name = key.curve.name
    return _CURVE_SHORT_NAMES.get(name, name)


def describe_public_key(obj: x509.Certificate | CertificatePublicKeyTypes | PrivateKeyTypes) -> str:
    """Describe a public key like DCMTK's verbose ``Public key`` line.

    Examples: ``RSA, 2048 bits``, ``DSA, 2048 bits``, ``EC, curve prime256v1, 256 bits``,
    ``DH, 1024 bits``; ``unknown type`` for anything else.
    """
    kind = key_type(obj)
    if kind is KeyType.NONE:
        return "unknown type"
    bits = key_bits(obj)
    key = _public(obj)
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC, curve {_curve_name(key)}, {bits} bits"
    return f"{kind.value}, {bits} bits"


def is_weak_key(obj: x509.Certificate | CertificatePublicKeyTypes | PrivateKeyTypes) -> bool:
    """DCMTK's weak key test: RSA, DSA and DH below 1024 bits, EC below 256 bits.

    Keys of other types count as weak, as in DCMTK (which never gets to ask for them).
    """
    kind = key_type(obj)
    bits = key_bits(obj)
    if kind in (KeyType.RSA, KeyType.DSA, KeyType.DH):
        return bits < 1024
    if kind is KeyType.EC:
        return bits < 256
    return True


def weak_key_warning(
    obj: x509.Certificate | CertificatePublicKeyTypes | PrivateKeyTypes,
) -> str | None:
    """Return DCMTK's warning for a weak key, or None if the key is strong enough.

    The text is ``Certificate contains a weak key: RSA, 768 bits`` (no curve name for EC;
    ``unknown type`` for other key types).
    """
    if not is_weak_key(obj):
        return None
    kind = key_type(obj)
    if kind is KeyType.NONE:
        return "Certificate contains a weak key: unknown type"
    return f"Certificate contains a weak key: {kind.value}, {key_bits(obj)} bits"


def check_key_matches_certificate(key: PrivateKeyTypes, cert: x509.Certificate) -> None:
    """Raise unless ``key`` is the private half of ``cert``'s public key (X509_check_private_key).

    Raises
    ------
    SignatureCreationError
        ``certificate and private key do not match`` (DCMTK appends the location, e.g.
        `` while creating signature in main dataset``; exit 85).
    """
    public = _certificate_public_key(cert)
    try:
        matches = public is not None and key.public_key() == public
    except (ValueError, TypeError, UnsupportedAlgorithm):  # keys that cannot be compared
        matches = False
    if not matches:
        raise SignatureCreationError("certificate and private key do not match")


# OpenSSL short names (OBJ_nid2sn) of name attributes, for X509_NAME_oneline.
_ATTRIBUTE_SHORT_NAMES: Final[dict[str, str]] = {
    "2.5.4.3": "CN",
    "2.5.4.4": "SN",
    "2.5.4.5": "serialNumber",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.9": "street",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.12": "title",
    "2.5.4.13": "description",
    "2.5.4.15": "businessCategory",
    "2.5.4.17": "postalCode",
    "2.5.4.41": "name",
    "2.5.4.42": "GN",
    "2.5.4.43": "initials",
    "2.5.4.44": "generationQualifier",
    "2.5.4.45": "x500UniqueIdentifier",
    "2.5.4.46": "dnQualifier",
    "2.5.4.65": "pseudonym",
    "2.5.4.97": "organizationIdentifier",
    "0.9.2342.19200300.100.1.1": "UID",
    "0.9.2342.19200300.100.1.25": "DC",
    "1.2.840.113549.1.9.1": "emailAddress",
    "1.2.840.113549.1.9.2": "unstructuredName",
    "1.3.6.1.4.1.311.60.2.1.1": "jurisdictionL",
    "1.3.6.1.4.1.311.60.2.1.2": "jurisdictionST",
    "1.3.6.1.4.1.311.60.2.1.3": "jurisdictionC",
}


@dataclass(frozen=True)
class NameEntry:
    """One attribute of a distinguished name, as encoded.

    Attributes
    ----------
    oid : str
        Dotted attribute type.
    tag : int
        The universal ASN.1 tag number of the value (12 UTF8String, 19 PrintableString, 30
        BMPString...).
    value : bytes
        The raw value contents (e.g. UTF-8 bytes of a UTF8String).
    """

    oid: str
    tag: int
    value: bytes


def name_entries(name: x509.Name) -> list[list[NameEntry]]:
    """Split a name into its RDNs and their attributes, keeping the encoded string types."""
    rdns: list[list[NameEntry]] = []
    # asn1crypto is imported here only: this runs for verbose output, not on the hot path.
    from asn1crypto import core as asn1_core
    from asn1crypto import x509 as asn1_x509

    for rdn in asn1_x509.Name.load(name.public_bytes()).chosen:
        entries: list[NameEntry] = []
        for attribute in rdn:
            value = asn1_core.load(attribute["value"].dump())
            entries.append(NameEntry(attribute["type"].dotted, value.tag, value.contents or b""))
        rdns.append(entries)
    return rdns


def _oneline_char(octet: int) -> str:
    if octet < 0x20 or octet > 0x7E:
        return f"\\x{octet:02X}"
    if octet in (0x2F, 0x2B):  # "/" and "+" are escaped with a backslash
        return "\\" + chr(octet)
    return chr(octet)


def name_oneline(name: x509.Name) -> str:
    """Format a distinguished name like OpenSSL's ``X509_NAME_oneline`` (``/C=DE/CN=x``).

    The raw string bytes are written; bytes outside printable ASCII become ``\\xHH`` and
    ``/`` and ``+`` are escaped with a backslash.
    """
    parts: list[str] = []
    for rdn in name_entries(name):
        for entry in rdn:
            short = _ATTRIBUTE_SHORT_NAMES.get(entry.oid, entry.oid)
            text = "".join(_oneline_char(octet) for octet in entry.value)
            parts.append(f"/{short}={text}")
    return "".join(parts)


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


# --------------------------------------------------------------------------------------------
# Signers


@runtime_checkable
class Signer(Protocol):
    """Something that signs MAC digests for one certificate (software key, token, HSM)."""

    @property
    def certificate(self) -> x509.Certificate:
        """The signer's certificate, written to Certificate of Signer (0400,0115)."""
        ...

    @property
    def key_type(self) -> KeyType:
        """The key class, which signature profiles check."""
        ...

    def sign_digest(self, algorithm: str, digest: bytes) -> bytes:
        """Sign ``digest``, computed with the DICOM MAC ``algorithm``; see crypto.sign_digest."""
        ...


@dataclass(frozen=True)
class SoftwareSigner:
    """A :class:`Signer` over a private key held in memory.

    Attributes
    ----------
    private_key : PrivateKeyTypes
        The key; never shown in ``repr``.
    certificate : cryptography.x509.Certificate
        The matching certificate.
    """

    private_key: PrivateKeyTypes = field(repr=False)
    certificate: x509.Certificate

    @property
    def key_type(self) -> KeyType:
        """The certificate's :class:`KeyType`."""
        return key_type(self.certificate)

    def sign_digest(self, algorithm: str, digest: bytes) -> bytes:
        """Sign a precomputed digest (see :func:`dicomsign.crypto.sign_digest`)."""
        return crypto.sign_digest(self.private_key, algorithm, digest)

    def check_matches(self) -> None:
        """Raise :class:`SignatureCreationError` unless the key matches the certificate."""
        check_key_matches_certificate(self.private_key, self.certificate)

    @classmethod
    def from_files(
        cls,
        key_path: str | os.PathLike[str],
        cert_path: str | os.PathLike[str],
        *,
        der: bool = False,
        password: Password | None = None,
        ask: Callable[[], bytes | None] = read_password_from_console,
    ) -> SoftwareSigner:
        """Load the certificate, then the key (DCMTK's order, so its error comes first).

        The key/certificate match is not checked here: DCMTK reports it later, while creating
        the signature (call :meth:`check_matches`).

        Raises
        ------
        CertificateLoadError, KeyLoadError
            See :func:`load_certificate` and :func:`load_private_key`.
        """
        certificate = load_certificate(cert_path, der=der)
        key = load_private_key(key_path, der=der, password=password, ask=ask)
        return cls(key, certificate)
