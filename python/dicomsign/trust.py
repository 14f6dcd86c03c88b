"""Certificate trust: DCMTK's certificate store and OpenSSL's chain validation outcomes.

DCMTK ``dcmsign`` checks a signer certificate with OpenSSL's ``X509_verify_cert`` against a
store built from ``+cf`` (trusted certificates), ``+uf`` (untrusted intermediates), ``+cd``
(an OpenSSL hashed directory) and ``+cr`` (CRLs; also turns on ``+cl``, the CRL check of the
leaf only), with verification depth 100, no purpose, no partial chains and the current time.
It prints the OpenSSL error string of the first failure.

:mod:`cryptography`'s own verifier is web-PKI strict and cannot check CRLs, so this module
re-implements the part of OpenSSL 3.0's algorithm that these settings exercise: chain building
(untrusted issuers first, then the trust store, with OpenSSL's alternative chains), trust
anchors that must be self-signed, the extension checks (unhandled critical extensions, CA
flags, path length), the CRL check of the leaf (CRL selection by score, CRL issuer key usage,
validity and signature, revocation) and the signature and validity checks of the chain, each
reporting the error OpenSSL would report first. Name constraints and certificate policies,
which OpenSSL would evaluate after all of these, are not evaluated.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.hazmat.primitives.serialization import Encoding

from .crypto import trim_der
from .keys import NameEntry, name_entries, pem_blocks

__all__ = [
    "ERROR_STRINGS",
    "X509_V_ERR_CERT_HAS_EXPIRED",
    "ChainResult",
    "TrustStore",
    "name_hash",
    "verify_error_string",
]

_log = logging.getLogger(__name__)

# OpenSSL 3.0 verification error codes (x509_vfy.h) that this module can report.
X509_V_OK: Final = 0
X509_V_ERR_UNSPECIFIED: Final = 1
X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT: Final = 2
X509_V_ERR_UNABLE_TO_GET_CRL: Final = 3
X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: Final = 6
X509_V_ERR_CERT_SIGNATURE_FAILURE: Final = 7
X509_V_ERR_CRL_SIGNATURE_FAILURE: Final = 8
X509_V_ERR_CERT_NOT_YET_VALID: Final = 9
X509_V_ERR_CERT_HAS_EXPIRED: Final = 10
X509_V_ERR_CRL_NOT_YET_VALID: Final = 11
X509_V_ERR_CRL_HAS_EXPIRED: Final = 12
X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT: Final = 18
X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN: Final = 19
X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY: Final = 20
X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE: Final = 21
X509_V_ERR_CERT_CHAIN_TOO_LONG: Final = 22
X509_V_ERR_CERT_REVOKED: Final = 23
X509_V_ERR_PATH_LENGTH_EXCEEDED: Final = 25
X509_V_ERR_KEYUSAGE_NO_CERTSIGN: Final = 32
X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION: Final = 34
X509_V_ERR_KEYUSAGE_NO_CRL_SIGN: Final = 35
X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION: Final = 36
X509_V_ERR_DIFFERENT_CRL_SCOPE: Final = 44
X509_V_ERR_INVALID_CA: Final = 79

#: ``X509_verify_cert_error_string`` of OpenSSL 3.0 for every code it knows.
ERROR_STRINGS: Final[dict[int, str]] = {
    0: "ok",
    1: "unspecified certificate verification error",
    2: "unable to get issuer certificate",
    3: "unable to get certificate CRL",
    4: "unable to decrypt certificate's signature",
    5: "unable to decrypt CRL's signature",
    6: "unable to decode issuer public key",
    7: "certificate signature failure",
    8: "CRL signature failure",
    9: "certificate is not yet valid",
    10: "certificate has expired",
    11: "CRL is not yet valid",
    12: "CRL has expired",
    13: "format error in certificate's notBefore field",
    14: "format error in certificate's notAfter field",
    15: "format error in CRL's lastUpdate field",
    16: "format error in CRL's nextUpdate field",
    17: "out of memory",
    18: "self-signed certificate",
    19: "self-signed certificate in certificate chain",
    20: "unable to get local issuer certificate",
    21: "unable to verify the first certificate",
    22: "certificate chain too long",
    23: "certificate revoked",
    24: "issuer certificate doesn't have a public key",
    25: "path length constraint exceeded",
    26: "unsuitable certificate purpose",
    27: "certificate not trusted",
    28: "certificate rejected",
    29: "subject issuer mismatch",
    30: "authority and subject key identifier mismatch",
    31: "authority and issuer serial number mismatch",
    32: "key usage does not include certificate signing",
    33: "unable to get CRL issuer certificate",
    34: "unhandled critical extension",
    35: "key usage does not include CRL signing",
    36: "unhandled critical CRL extension",
    37: "invalid non-CA certificate (has CA markings)",
    38: "proxy path length constraint exceeded",
    39: "key usage does not include digital signature",
    40: "proxy certificates not allowed, please set the appropriate flag",
    41: "invalid or inconsistent certificate extension",
    42: "invalid or inconsistent certificate policy extension",
    43: "no explicit policy",
    44: "different CRL scope",
    45: "unsupported extension feature",
    46: "RFC 3779 resource not subset of parent's resources",
    47: "permitted subtree violation",
    48: "excluded subtree violation",
    49: "name constraints minimum and maximum not supported",
    50: "application verification failure",
    51: "unsupported name constraint type",
    52: "unsupported or invalid name constraint syntax",
    53: "unsupported or invalid name syntax",
    54: "CRL path validation error",
    55: "path loop",
    56: "Suite B: certificate version invalid",
    57: "Suite B: invalid public key algorithm",
    58: "Suite B: invalid ECC curve",
    59: "Suite B: invalid signature algorithm",
    60: "Suite B: curve not allowed for this LOS",
    61: "Suite B: cannot sign P-384 with P-256",
    62: "hostname mismatch",
    63: "email address mismatch",
    64: "IP address mismatch",
    65: "no matching DANE TLSA records",
    66: "EE certificate key too weak",
    67: "CA certificate key too weak",
    68: "CA signature digest algorithm too weak",
    69: "invalid certificate verification context",
    70: "issuer certificate lookup error",
    71: "Certificate Transparency required, but no valid SCTs found",
    72: "proxy subject name violation",
    73: "OCSP verification needed",
    74: "OCSP verification failed",
    75: "OCSP unknown cert",
    76: "Cannot find certificate signature algorithm",
    77: "subject signature algorithm and issuer public key algorithm mismatch",
    78: "cert info signature and signature algorithm mismatch",
    79: "invalid CA certificate",
    80: "Path length invalid for non-CA cert",
    81: "Path length given without key usage keyCertSign",
    82: "Key usage keyCertSign invalid for non-CA cert",
    83: "Issuer name empty",
    84: "Subject name empty",
    85: "Missing Authority Key Identifier",
    86: "Missing Subject Key Identifier",
    87: "Empty Subject Alternative Name extension",
    88: "Subject empty and Subject Alt Name extension not critical",
    89: "Basic Constraints of CA cert not marked critical",
    90: "Authority Key Identifier marked critical",
    91: "Subject Key Identifier marked critical",
    92: "CA cert does not include key usage extension",
    93: "Using cert extension requires at least X509v3",
    94: "Certificate public key has explicit ECC parameters",
}

#: Maximum verification depth DCMTK sets (X509_VERIFY_PARAM_set_depth).
DEFAULT_DEPTH: Final = 100


def verify_error_string(code: int) -> str:
    """Return OpenSSL 3.0's ``X509_verify_cert_error_string(code)``."""
    return ERROR_STRINGS.get(code, f"error number {code}")


# --------------------------------------------------------------------------------------------
# Names: OpenSSL's canonical encoding, comparison and hash


_CANON_TAGS: Final = frozenset({12, 19, 20, 22, 26, 28, 30})  # ASN1_MASK_CANON string types
_SPACES: Final = b" \t\n\v\f\r"


def _decode_string(tag: int, value: bytes) -> bytes:
    """Convert an ASN.1 string to UTF-8 (ASN1_STRING_to_UTF8)."""
    if tag == 30:
        return value.decode("utf-16-be", errors="surrogatepass").encode("utf-8", "surrogatepass")
    if tag == 28:
        return value.decode("utf-32-be", errors="replace").encode("utf-8")
    if tag == 12:
        return value
    return value.decode("latin-1").encode("utf-8")


def _canonical_value(tag: int, value: bytes) -> tuple[int, bytes]:
    if tag not in _CANON_TAGS:
        return tag, value
    text = _decode_string(tag, value).strip(_SPACES)
    out = bytearray()
    index = 0
    while index < len(text):
        octet = text[index]
        if octet in _SPACES:
            out.append(0x20)
            while index < len(text) and text[index] in _SPACES:
                index += 1
            continue
        out.append(octet + 32 if 0x41 <= octet <= 0x5A else octet)
        index += 1
    return 12, bytes(out)


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _tlv(tag: int, contents: bytes) -> bytes:
    return bytes([tag]) + _der_length(len(contents)) + contents


def _oid_der(dotted: str) -> bytes:
    arcs = [int(arc) for arc in dotted.split(".")]
    values = [arcs[0] * 40 + arcs[1], *arcs[2:]] if len(arcs) > 1 else arcs
    out = bytearray()
    for value in values:
        chunk = [value & 0x7F]
        value >>= 7
        while value:
            chunk.append(0x80 | (value & 0x7F))
            value >>= 7
        out.extend(reversed(chunk))
    return _tlv(0x06, bytes(out))


def _canonical_rdn(entries: Sequence[NameEntry]) -> bytes:
    items = []
    for entry in entries:
        tag, value = _canonical_value(entry.tag, entry.value)
        items.append(_tlv(0x30, _oid_der(entry.oid) + _tlv(tag, value)))
    items.sort()  # DER SET OF order (lexicographic; equal prefixes sort shorter first)
    return _tlv(0x31, b"".join(items))


def canonical_name(name: x509.Name) -> bytes:
    """OpenSSL's canonical name encoding (``x509_name_canon``), which name comparison uses.

    String values are converted to UTF-8, trimmed, runs of white space collapsed and ASCII
    lower-cased, so ``CN=Foo  Bar`` and ``cn=foo bar`` compare equal.
    """
    return b"".join(_canonical_rdn(rdn) for rdn in name_entries(name))


def name_hash(name: x509.Name) -> str:
    """``X509_NAME_hash`` as ``openssl x509 -hash`` prints it (8 hex digits, hashed dirs)."""
    digest = hashlib.sha1(canonical_name(name), usedforsecurity=False).digest()
    return f"{int.from_bytes(digest[:4], 'little'):08x}"


# --------------------------------------------------------------------------------------------
# Certificates and CRLs with the facts OpenSSL caches about them


# Critical extensions OpenSSL 3.0 handles (X509_supported_extension).
_SUPPORTED_CRITICAL: Final = frozenset(
    {
        "2.16.840.1.113730.1.1",  # Netscape certificate type
        "2.5.29.15",  # key usage
        "2.5.29.17",  # subject alternative name
        "2.5.29.19",  # basic constraints
        "2.5.29.32",  # certificate policies
        "2.5.29.31",  # CRL distribution points
        "2.5.29.37",  # extended key usage
        "1.3.6.1.5.5.7.1.7",  # IP address blocks
        "1.3.6.1.5.5.7.1.8",  # AS identifiers
        "1.3.6.1.5.5.7.48.1.5",  # OCSP no check
        "2.5.29.36",  # policy constraints
        "1.3.6.1.5.5.7.1.14",  # proxy certificate information
        "2.5.29.30",  # name constraints
        "2.5.29.33",  # policy mappings
        "2.5.29.54",  # inhibit any policy
    }
)
# Critical CRL extensions OpenSSL handles.
_SUPPORTED_CRITICAL_CRL: Final = frozenset({"2.5.29.28", "2.5.29.35", "2.5.29.27"})

# Key usage bits as OpenSSL stores them (KU_*).
_KU_KEY_CERT_SIGN: Final = 0x0004
_KU_CRL_SIGN: Final = 0x0002
_KU_ALL: Final = 0xFFFFFFFF

# Reason flags of CRL distribution points (CRLDP_ALL_REASONS and the bit of each flag).
_ALL_REASONS: Final = 0x807F
_REASON_BITS: Final[dict[x509.ReasonFlags, int]] = {
    x509.ReasonFlags.key_compromise: 0x40,
    x509.ReasonFlags.ca_compromise: 0x20,
    x509.ReasonFlags.affiliation_changed: 0x10,
    x509.ReasonFlags.superseded: 0x08,
    x509.ReasonFlags.cessation_of_operation: 0x04,
    x509.ReasonFlags.certificate_hold: 0x02,
    x509.ReasonFlags.privilege_withdrawn: 0x01,
    x509.ReasonFlags.aa_compromise: 0x8000,
}

# Public key algorithm family of each subject public key algorithm OID.
_KEY_FAMILIES: Final[dict[str, str]] = {
    "1.2.840.113549.1.1.1": "RSA",
    "2.5.8.1.1": "RSA",
    "1.2.840.113549.1.1.10": "RSA-PSS",
    "1.2.840.10040.4.1": "DSA",
    "1.3.14.3.2.12": "DSA",
    "1.2.840.10045.2.1": "EC",
    "1.3.101.112": "ED25519",
    "1.3.101.113": "ED448",
}


def _signature_family(oid: str) -> str | None:
    """The public key family a signature algorithm OID needs (OBJ_find_sigid_algs)."""
    if oid.startswith("1.2.840.113549.1.1.") or oid in ("1.3.14.3.2.29", "1.3.36.3.3.1.2"):
        return "RSA-PSS" if oid == "1.2.840.113549.1.1.10" else "RSA"
    if oid.startswith("1.2.840.10045.4."):
        return "EC"
    if oid in ("1.2.840.10040.4.3", "1.3.14.3.2.13", "1.3.14.3.2.27"):
        return "DSA"
    if oid.startswith("2.16.840.1.101.3.4.3."):
        last = int(oid.rsplit(".", 1)[1])
        if 1 <= last <= 8:
            return "DSA"
        if 9 <= last <= 12:
            return "EC"
        if 13 <= last <= 16:
            return "RSA"
    return {"1.3.101.112": "ED25519", "1.3.101.113": "ED448"}.get(oid)


@dataclass(frozen=True)
class _KeyId:
    """An authority key identifier (keyid, issuer names, serial), parsed."""

    key_identifier: bytes | None
    issuer_names: tuple[bytes, ...] | None
    serial: int | None


def _timestamp(moment: datetime) -> int:
    return int(moment.timestamp())


def _signature_valid(
    public_key: CertificatePublicKeyTypes | None,
    signature: bytes,
    data: bytes,
    algorithm: hashes.HashAlgorithm | None,
    parameters: object,
) -> bool:
    try:
        if isinstance(public_key, rsa.RSAPublicKey) and algorithm is not None:
            scheme = parameters if isinstance(parameters, padding.AsymmetricPadding) else None
            public_key.verify(signature, data, scheme or padding.PKCS1v15(), algorithm)
        elif isinstance(public_key, ec.EllipticCurvePublicKey) and algorithm is not None:
            public_key.verify(signature, data, ec.ECDSA(algorithm))
        elif isinstance(public_key, dsa.DSAPublicKey) and algorithm is not None:
            public_key.verify(signature, data, algorithm)
        elif isinstance(public_key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            public_key.verify(signature, data)
        else:
            return False
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False
    return True


class _Cert:
    """A certificate with the facts OpenSSL's ``x509v3_cache_extensions`` derives."""

    def __init__(self, cert: x509.Certificate) -> None:
        self.cert = cert
        self.der = cert.public_bytes(Encoding.DER)
        self.subject = canonical_name(cert.subject)
        self.issuer = canonical_name(cert.issuer)
        self.serial = cert.serial_number
        self.not_before = _timestamp(cert.not_valid_before_utc)
        self.not_after = _timestamp(cert.not_valid_after_utc)
        self.version = cert.version.value + 1
        try:
            self.public_key: CertificatePublicKeyTypes | None = cert.public_key()
        except (ValueError, UnsupportedAlgorithm):
            self.public_key = None
        self.key_family = _KEY_FAMILIES.get(cert.public_key_algorithm_oid.dotted_string)
        self.signature_family = _signature_family(cert.signature_algorithm_oid.dotted_string)
        self.invalid = False
        self.unhandled_critical = False
        self.basic_constraints: x509.BasicConstraints | None = None
        self.key_usage = _KU_ALL
        self.has_key_usage = False
        self.netscape_ca = False
        self.skid: bytes | None = None
        self.akid: _KeyId | None = None
        self.crl_distribution_points: list[x509.DistributionPoint] = []
        try:
            self._cache_extensions(cert.extensions)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            self.invalid = True
        self.self_issued = self.subject == self.issuer
        # EXFLAG_SS, as X509_self_signed reports it (never for a certificate it cannot cache).
        self.self_signed = (
            not self.invalid
            and self.self_issued
            and _akid_ok(self, self.akid)
            and self._signature_matches(self)
        )

    def _cache_extensions(self, extensions: x509.Extensions) -> None:
        for extension in extensions:
            oid = extension.oid.dotted_string
            if extension.critical and oid not in _SUPPORTED_CRITICAL:
                self.unhandled_critical = True
            value = extension.value
            if isinstance(value, x509.BasicConstraints):
                self.basic_constraints = value
            elif isinstance(value, x509.KeyUsage):
                self.has_key_usage = True
                self.key_usage = (_KU_KEY_CERT_SIGN if value.key_cert_sign else 0) | (
                    _KU_CRL_SIGN if value.crl_sign else 0
                )
            elif isinstance(value, x509.SubjectKeyIdentifier):
                self.skid = value.digest
            elif isinstance(value, x509.AuthorityKeyIdentifier):
                self.akid = _parse_akid(value)
            elif isinstance(value, x509.CRLDistributionPoints):
                self.crl_distribution_points = list(value)
            elif oid == "2.16.840.1.113730.1.1" and isinstance(value, x509.UnrecognizedExtension):
                bits = value.value
                self.netscape_ca = len(bits) >= 4 and bool(bits[3] & 0x07)

    @property
    def is_ca(self) -> bool:
        """EXFLAG_CA: basic constraints with cA set."""
        return self.basic_constraints is not None and self.basic_constraints.ca

    @property
    def path_length(self) -> int:
        """ex_pathlen: -1 when unconstrained."""
        if self.basic_constraints is None or self.basic_constraints.path_length is None:
            return -1
        return self.basic_constraints.path_length

    def rejects_usage(self, usage: int) -> bool:
        """ku_reject: a key usage extension is present and lacks ``usage``."""
        return self.has_key_usage and not self.key_usage & usage

    def check_ca(self) -> int:
        """X509_check_ca's return value (0: not a CA; 1: proper CA; 3-5: tolerated)."""
        if self.rejects_usage(_KU_KEY_CERT_SIGN):
            return 0
        if self.basic_constraints is not None:
            return 1 if self.basic_constraints.ca else 0
        if self.version == 1 and self.self_signed:
            return 3
        if self.has_key_usage:
            return 4
        if self.netscape_ca:
            return 5
        return 0

    def _signature_matches(self, subject: _Cert) -> bool:
        """check_sig_alg_match: does this key's type fit ``subject``'s signature algorithm?"""
        if self.public_key is None or subject.signature_family is None:
            return False
        if self.key_family == subject.signature_family:
            return True
        return self.key_family == "RSA" and subject.signature_family == "RSA-PSS"

    def likely_issued(self, subject: _Cert) -> bool:
        """ossl_x509_likely_issued(self, subject) == X509_V_OK."""
        if self.subject != subject.issuer or self.invalid or subject.invalid:
            return False
        return _akid_ok(self, subject.akid) and self._signature_matches(subject)

    def signed(self, subject: _Cert) -> bool:
        """X509_verify(subject, self's public key)."""
        cert = subject.cert
        try:
            algorithm = cert.signature_hash_algorithm
            parameters = cert.signature_algorithm_parameters
        except UnsupportedAlgorithm:
            return False
        return _signature_valid(
            self.public_key, cert.signature, cert.tbs_certificate_bytes, algorithm, parameters
        )

    def time_error(self, now: int) -> int:
        """ossl_x509_check_cert_time: the validity error at ``now`` (or X509_V_OK)."""
        if self.not_before > now:
            return X509_V_ERR_CERT_NOT_YET_VALID
        if self.not_after <= now:
            return X509_V_ERR_CERT_HAS_EXPIRED
        return X509_V_OK


def _parse_akid(value: x509.AuthorityKeyIdentifier) -> _KeyId:
    names: tuple[bytes, ...] | None = None
    if value.authority_cert_issuer is not None:
        names = tuple(
            canonical_name(general.value)
            for general in value.authority_cert_issuer
            if isinstance(general, x509.DirectoryName)
        )
    return _KeyId(value.key_identifier, names, value.authority_cert_serial_number)


def _akid_ok(issuer: _Cert, akid: _KeyId | None) -> bool:
    """X509_check_akid(issuer, akid) == X509_V_OK."""
    if akid is None:
        return True
    if (
        akid.key_identifier is not None
        and issuer.skid is not None
        and akid.key_identifier != issuer.skid
    ):
        return False
    if akid.serial is not None and akid.serial != issuer.serial:
        return False
    if akid.issuer_names:  # only the first directory name counts
        return akid.issuer_names[0] == issuer.issuer
    return True


@dataclass(frozen=True)
class _RevokedEntry:
    reason: x509.ReasonFlags | None
    issuers: tuple[bytes, ...] | None


class _Crl:
    """A CRL with the facts OpenSSL's ``crl_cb`` derives."""

    def __init__(self, crl: x509.CertificateRevocationList) -> None:
        self.crl = crl
        self.der = crl.public_bytes(Encoding.DER)
        self.issuer = canonical_name(crl.issuer)
        self.last_update = _timestamp(crl.last_update_utc)
        next_update = crl.next_update_utc
        self.next_update = None if next_update is None else _timestamp(next_update)
        self.critical = False
        self.delta = False
        self.akid: _KeyId | None = None
        self.idp: x509.IssuingDistributionPoint | None = None
        self.idp_invalid = False
        self.idp_reasons = _ALL_REASONS
        for extension in crl.extensions:
            oid = extension.oid.dotted_string
            if extension.critical and oid not in _SUPPORTED_CRITICAL_CRL:
                self.critical = True
            value = extension.value
            if isinstance(value, x509.AuthorityKeyIdentifier):
                self.akid = _parse_akid(value)
            elif isinstance(value, x509.DeltaCRLIndicator):
                self.delta = True
            elif isinstance(value, x509.IssuingDistributionPoint):
                self.idp = value
                only = [
                    value.only_contains_user_certs,
                    value.only_contains_ca_certs,
                    value.only_contains_attribute_certs,
                ]
                self.idp_invalid = sum(only) > 1
                if value.only_some_reasons:
                    self.idp_reasons = _reason_bits(value.only_some_reasons)
        self.entries: dict[int, list[_RevokedEntry]] = {}
        issuers: tuple[bytes, ...] | None = None
        for revoked in crl:
            reason: x509.ReasonFlags | None = None
            for extension in revoked.extensions:
                value = extension.value
                if isinstance(value, x509.CertificateIssuer):
                    issuers = tuple(
                        canonical_name(general.value)
                        for general in value
                        if isinstance(general, x509.DirectoryName)
                    )
                elif isinstance(value, x509.CRLReason):
                    reason = value.reason
                elif extension.critical:
                    self.critical = True
            entry = _RevokedEntry(reason, issuers)
            self.entries.setdefault(revoked.serial_number, []).append(entry)

    @property
    def indirect(self) -> bool:
        return self.idp is not None and self.idp.indirect_crl

    def time_error(self, now: int) -> int:
        """check_crl_time: the validity error at ``now`` (or X509_V_OK)."""
        if self.last_update > now:
            return X509_V_ERR_CRL_NOT_YET_VALID
        if self.next_update is not None and self.next_update <= now:
            return X509_V_ERR_CRL_HAS_EXPIRED
        return X509_V_OK

    def revokes(self, cert: _Cert) -> bool:
        """X509_CRL_get0_by_cert, where an entry with reason removeFromCRL does not count."""
        for entry in self.entries.get(cert.serial, []):
            if entry.issuers is None:
                matches = cert.issuer == self.issuer
            else:
                matches = cert.issuer in entry.issuers
            if matches:
                return entry.reason is not x509.ReasonFlags.remove_from_crl
        return False


def _reason_bits(flags: Iterable[x509.ReasonFlags]) -> int:
    bits = 0
    for flag in flags:
        bits |= _REASON_BITS.get(flag, 0)
    return bits


# --------------------------------------------------------------------------------------------
# The result


@dataclass(frozen=True)
class ChainResult:
    """Outcome of :meth:`TrustStore.verify`.

    Attributes
    ----------
    code : int
        OpenSSL's ``X509_V_ERR_*`` code of the first failure, 0 when the chain is valid.
    depth : int
        Chain position of the failing certificate (0 = leaf), -1 when valid.
    chain : tuple[cryptography.x509.Certificate, ...]
        The chain as built, leaf first (the trust anchor last when complete).
    """

    code: int
    depth: int = -1
    chain: tuple[x509.Certificate, ...] = field(default=(), repr=False)

    @property
    def ok(self) -> bool:
        """True when the chain is valid."""
        return self.code == X509_V_OK

    @property
    def error(self) -> str | None:
        """The OpenSSL error string, None when the chain is valid."""
        return None if self.ok else verify_error_string(self.code)

    @property
    def expired_only(self) -> bool:
        """True when the failure is ``certificate has expired`` (DCMTK's timestamp healing)."""
        return self.code == X509_V_ERR_CERT_HAS_EXPIRED


class _Failure(Exception):
    """Internal: the first verification error, which ends verification."""

    def __init__(self, code: int, depth: int) -> None:
        super().__init__(code)
        self.code = code
        self.depth = depth


# --------------------------------------------------------------------------------------------
# The store


Warn = Callable[[str], None]


class TrustStore:
    """DCMTK's certificate verifier: trusted and untrusted certificates, CRLs and options.

    Parameters
    ----------
    der : bool, default False
        ``-der``: files are DER (one object per file); otherwise PEM.
    warn : callable, optional
        Receives DCMTK's warning for each file that cannot be loaded (default: this
        module's logger).
    trusted_first : bool, default False
        Look for issuers in the trust store before the untrusted certificates. DCMTK replaces
        OpenSSL's default parameters, which turns this off; the ``openssl verify`` command
        has it on. Both reach a valid chain when one exists.
    depth : int, default 100
        Maximum number of intermediate certificates (DCMTK sets 100).
    """

    def __init__(
        self,
        *,
        der: bool = False,
        warn: Warn | None = None,
        trusted_first: bool = False,
        depth: int = DEFAULT_DEPTH,
    ) -> None:
        self.der = der
        self.warn: Warn = warn if warn is not None else _log.warning
        self.trusted_first = trusted_first
        self.depth = depth
        self.crl_check = False
        self._trusted: list[_Cert] = []
        self._untrusted: list[_Cert] = []
        self._crls: list[_Crl] = []
        self._directories: list[Path] = []
        self._dir_certs: dict[str, list[_Cert]] = {}
        self._dir_crls: dict[str, list[_Crl]] = {}

    @classmethod
    def from_options(
        cls,
        *,
        trusted_files: Iterable[str | os.PathLike[str]] = (),
        untrusted_files: Iterable[str | os.PathLike[str]] = (),
        directories: Iterable[str] = (),
        crl_files: Iterable[str | os.PathLike[str]] = (),
        crl_check: bool = False,
        der: bool = False,
        warn: Warn | None = None,
    ) -> TrustStore:
        """Build the store from dcmsign's options, in dcmsign's order and with its warnings.

        ``+cf`` files, then ``+uf``, ``+cd`` and ``+cr``; ``+cl`` is ``crl_check`` (which
        any loaded ``+cr`` file turns on as well).
        """
        store = cls(der=der, warn=warn)
        for path in trusted_files:
            store.add_trusted_file(path)
        for path in untrusted_files:
            store.add_untrusted_file(path)
        for directory in directories:
            store.add_directory(directory)
        for path in crl_files:
            store.add_crl_file(path)
        if crl_check:
            store.crl_check = True
        return store

    # -- loading ---------------------------------------------------------------------------

    def add_trusted_certificate(self, cert: x509.Certificate) -> None:
        """Trust ``cert`` (it anchors chains only if it is self-signed)."""
        self._trusted.append(_Cert(cert))

    def add_untrusted_certificate(self, cert: x509.Certificate) -> None:
        """Offer ``cert`` as an untrusted intermediate."""
        self._untrusted.append(_Cert(cert))

    def add_crl(self, crl: x509.CertificateRevocationList) -> None:
        """Add a CRL (does not enable CRL checking by itself)."""
        self._crls.append(_Crl(crl))

    def add_trusted_file(self, path: str | os.PathLike[str]) -> bool:
        """``+cf``: trusted certificates (PEM: all certificates and CRLs; DER: one certificate).

        Returns False, after the warning ``unable to load certificate file 'x', ignoring``,
        when the file yields nothing.
        """
        loaded = self._read_objects(Path(path), crls_too=True)
        if loaded is None or not (loaded[0] or loaded[1]):
            self.warn(f"unable to load certificate file '{os.fspath(path)}', ignoring")
            return False
        self._trusted.extend(_Cert(cert) for cert in loaded[0])
        self._crls.extend(_Crl(crl) for crl in loaded[1])
        return True

    def add_untrusted_file(self, path: str | os.PathLike[str]) -> bool:
        """``+uf``: untrusted certificates (PEM: all certificates, possibly none; DER: one).

        Returns False, after the warning ``unable to load certificate file 'x', ignoring``,
        when the file cannot be read or parsed. A PEM file without certificates is accepted
        silently, as in DCMTK.
        """
        loaded = self._read_objects(Path(path), crls_too=False)
        if loaded is None or (self.der and not loaded[0]):
            self.warn(f"unable to load certificate file '{os.fspath(path)}', ignoring")
            return False
        self._untrusted.extend(_Cert(cert) for cert in loaded[0])
        return True

    def add_directory(self, path: str) -> bool:
        """``+cd``: an OpenSSL hashed directory (``<hash>.<n>`` certificates, ``.r<n>`` CRLs).

        Like OpenSSL, several directories may be joined with ``os.pathsep``, and a missing
        directory is not an error; only an empty path gives the warning ``unable to load
        certificates from directory 'x', ignoring``.
        """
        directories = [Path(part) for part in path.split(os.pathsep) if part]
        if not directories:
            self.warn(f"unable to load certificates from directory '{path}', ignoring")
            return False
        for directory in directories:
            if directory not in self._directories:
                self._directories.append(directory)
        return True

    def add_crl_file(self, path: str | os.PathLike[str]) -> bool:
        """``+cr``: one CRL (the first in a PEM file); enables CRL checking.

        Returns False, after the warning ``unable to load CRL file 'x', ignoring``, when the
        file yields no CRL.
        """
        crl = self._read_crl(Path(path))
        if crl is None:
            self.warn(f"unable to load CRL file '{os.fspath(path)}', ignoring")
            return False
        self._crls.append(_Crl(crl))
        self.crl_check = True
        return True

    def _read_objects(
        self, path: Path, *, crls_too: bool
    ) -> tuple[list[x509.Certificate], list[x509.CertificateRevocationList]] | None:
        try:
            content = path.read_bytes()
        except OSError:
            return None
        try:
            if self.der:
                return [x509.load_der_x509_certificate(trim_der(content))], []
            certs: list[x509.Certificate] = []
            crls: list[x509.CertificateRevocationList] = []
            for block in pem_blocks(content):
                if block.label in ("CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"):
                    if block.data is None:
                        return None
                    certs.append(x509.load_der_x509_certificate(trim_der(block.data)))
                elif block.label == "X509 CRL" and crls_too:
                    if block.data is None:
                        return None
                    crls.append(x509.load_der_x509_crl(trim_der(block.data)))
            return certs, crls
        except ValueError:
            return None

    def _read_crl(self, path: Path) -> x509.CertificateRevocationList | None:
        try:
            content = path.read_bytes()
        except OSError:
            return None
        try:
            if self.der:
                return x509.load_der_x509_crl(trim_der(content))
            for block in pem_blocks(content):
                if block.label == "X509 CRL" and block.data is not None:
                    return x509.load_der_x509_crl(trim_der(block.data))
        except ValueError:
            return None
        return None

    def _directory_files(self, digest: str, crl: bool) -> Iterable[Path]:
        for directory in self._directories:
            index = 0
            while True:
                candidate = directory / f"{digest}.{'r' if crl else ''}{index}"
                if not candidate.exists():
                    break
                yield candidate
                index += 1

    def _directory_certs(self, name: x509.Name) -> list[_Cert]:
        digest = name_hash(name)
        if digest not in self._dir_certs:
            found: list[_Cert] = []
            for path in self._directory_files(digest, crl=False):
                loaded = self._read_objects(path, crls_too=False)
                if loaded is not None:
                    found.extend(_Cert(cert) for cert in loaded[0])
            self._dir_certs[digest] = found
        return self._dir_certs[digest]

    def _directory_crls(self, name: x509.Name) -> list[_Crl]:
        digest = name_hash(name)
        if digest not in self._dir_crls:
            found: list[_Crl] = []
            for path in self._directory_files(digest, crl=True):
                crl = self._read_crl(path)
                if crl is not None:
                    found.append(_Crl(crl))
            self._dir_crls[digest] = found
        return self._dir_crls[digest]

    # -- lookups ----------------------------------------------------------------------------

    def _trusted_candidates(self, cert: _Cert) -> list[_Cert]:
        """Trusted certificates whose subject is ``cert``'s issuer (store first, then dirs)."""
        found = [c for c in self._trusted if c.subject == cert.issuer]
        if found or not self._directories:
            return found
        return [c for c in self._directory_certs(cert.cert.issuer) if c.subject == cert.issuer]

    def _crl_candidates(self, cert: _Cert) -> list[_Crl]:
        crls = [c for c in self._crls if c.issuer == cert.issuer]
        if self._directories:
            seen = {c.der for c in crls}
            for crl in self._directory_crls(cert.cert.issuer):
                if crl.issuer == cert.issuer and crl.der not in seen:
                    crls.append(crl)
        return crls

    @staticmethod
    def _best_issuer(
        cert: _Cert, candidates: Iterable[_Cert], now: int, exclude: Sequence[_Cert] = ()
    ) -> _Cert | None:
        """The first time-valid issuer, else the matching one that expires last."""
        best: _Cert | None = None
        for candidate in candidates:
            if exclude and any(candidate.der == c.der for c in exclude):
                continue
            if not candidate.likely_issued(cert):
                continue
            if candidate.time_error(now) == X509_V_OK:
                return candidate
            if best is None or candidate.not_after > best.not_after:
                best = candidate
        return best

    # -- verification -------------------------------------------------------------------------

    def verify_chain(self, leaf: x509.Certificate, at: datetime | None = None) -> str | None:
        """Validate ``leaf`` like DCMTK: None if fine, else OpenSSL's error string.

        Parameters
        ----------
        leaf : cryptography.x509.Certificate
            The signer certificate.
        at : datetime, optional
            The time to validate at (aware, or naive UTC); default now.

        Returns
        -------
        str | None
            E.g. ``"unable to get local issuer certificate"``, ``"certificate has expired"``.
        """
        return self.verify(leaf, at).error

    def verify(self, leaf: x509.Certificate, at: datetime | None = None) -> ChainResult:
        """Validate ``leaf`` like OpenSSL's ``X509_verify_cert``; see :class:`ChainResult`."""
        moment = datetime.now(UTC) if at is None else at
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        now = int(moment.timestamp())
        chain: list[_Cert] = [_Cert(leaf)]
        try:
            self._build_chain(chain, now)
            self._check_extensions(chain)
            if self.crl_check:
                self._check_revocation(chain, now)
            self._internal_verify(chain, now)
        except _Failure as failure:
            return ChainResult(failure.code, failure.depth, tuple(c.cert for c in chain))
        return ChainResult(X509_V_OK, -1, tuple(c.cert for c in chain))

    def _build_chain(self, chain: list[_Cert], now: int) -> None:
        """OpenSSL's build_chain: grow ``chain`` to a trust anchor or raise the failure."""
        untrusted_first, trusted, alternate = 1, 2, 4
        search = untrusted_first
        may_alternate = False
        if self.trusted_first:
            search |= trusted
        else:
            may_alternate = True
        pool = list(self._untrusted)
        num_untrusted = 1
        alt_untrusted = 0
        is_trusted = False
        max_depth = self.depth + 1

        while search:
            num = len(chain)
            if search & trusted:
                index = alt_untrusted if search & alternate else num
                current = chain[index - 1]
                issuer = None
                if num <= max_depth:
                    issuer = self._best_issuer(current, self._trusted_candidates(current), now)
                found = issuer is not None
                if issuer is not None:
                    if current.invalid or current.public_key is None:
                        raise _Failure(X509_V_ERR_UNSPECIFIED, num - 1)
                    self_signed = current.self_signed
                    if search & alternate:
                        search &= ~alternate
                        del chain[index:]
                        num = index
                        num_untrusted = num
                    if not self_signed:
                        chain.append(issuer)
                        self_signed = issuer.self_signed
                    elif current.der != issuer.der:
                        found = False  # a self-signed look-alike of a trust anchor
                    else:
                        num -= 1
                        num_untrusted = num
                        chain[num] = issuer
                    if found:
                        search &= ~untrusted_first
                        if self._check_trust(chain, num):
                            is_trusted = True
                            break
                        if not self_signed:
                            continue
                if not search & untrusted_first:
                    if search & alternate:
                        alt_untrusted -= 1
                        if alt_untrusted > 0:
                            continue
                    if not may_alternate or search & alternate or num_untrusted < 2:
                        break
                    search |= alternate
                    alt_untrusted = num_untrusted - 1
            if search & untrusted_first:
                num = len(chain)
                current = chain[num - 1]
                issuer = None
                if not current.self_signed and num <= max_depth:
                    exclude = () if current.self_issued and num == 1 else chain
                    issuer = self._best_issuer(current, pool, now, exclude)
                if issuer is None:
                    search &= ~untrusted_first
                    search |= trusted
                    continue
                pool.remove(issuer)
                chain.append(issuer)
                num_untrusted += 1

        num = len(chain)
        if not is_trusted and num <= max_depth and num == num_untrusted:
            is_trusted = self._check_trust(chain, num)
        if is_trusted:
            return
        if num > max_depth:
            raise _Failure(X509_V_ERR_CERT_CHAIN_TOO_LONG, num - 1)
        if chain[-1].self_signed:
            code = (
                X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
                if num == 1
                else X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN
            )
            raise _Failure(code, num - 1)
        if num_untrusted < num:
            raise _Failure(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, num - 1)
        raise _Failure(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, num - 1)

    @staticmethod
    def _check_trust(chain: Sequence[_Cert], num_untrusted: int) -> bool:
        """check_trust without partial chains: a trusted certificate must be self-signed."""
        return any(cert.self_signed for cert in chain[num_untrusted:])

    @staticmethod
    def _check_extensions(chain: Sequence[_Cert]) -> None:
        """check_extensions without purpose: critical extensions, CA flags, path length."""
        num = len(chain)
        path_length = 0
        for depth, cert in enumerate(chain):
            if cert.unhandled_critical:
                raise _Failure(X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION, depth)
            if depth > 0:
                ca = cert.check_ca()
                if ca == 0 or (depth + 1 < num and ca != 1):
                    raise _Failure(X509_V_ERR_INVALID_CA, depth)
            if depth > 1 and cert.path_length != -1 and path_length > cert.path_length:
                raise _Failure(X509_V_ERR_PATH_LENGTH_EXCEEDED, depth)
            if depth > 0 and not cert.self_issued:
                path_length += 1

    def _check_revocation(self, chain: Sequence[_Cert], now: int) -> None:
        """check_revocation with X509_V_FLAG_CRL_CHECK: the leaf's CRL (check_cert)."""
        leaf = chain[0]
        reasons = 0
        while reasons != _ALL_REASONS:
            last_reasons = reasons
            selected = self._select_crl(chain, leaf, reasons, now)
            if selected is None:
                raise _Failure(X509_V_ERR_UNABLE_TO_GET_CRL, 0)
            crl, issuer, score, reasons = selected
            self._check_crl(crl, issuer, score, now)
            if crl.critical:
                raise _Failure(X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION, 0)
            if crl.revokes(leaf):
                raise _Failure(X509_V_ERR_CERT_REVOKED, 0)
            if last_reasons == reasons:
                raise _Failure(X509_V_ERR_UNABLE_TO_GET_CRL, 0)

    def _select_crl(
        self, chain: Sequence[_Cert], cert: _Cert, reasons: int, now: int
    ) -> tuple[_Crl, _Cert, int, int] | None:
        """get_crl_sk: the best-scoring CRL for ``cert`` (newest on ties)."""
        best: tuple[_Crl, _Cert, int, int] | None = None
        for crl in self._crl_candidates(cert):
            scored = _crl_score(chain, cert, crl, reasons, now)
            if scored is None:
                continue
            issuer, score, new_reasons = scored
            if best is not None:
                if score < best[2]:
                    continue
                if score == best[2] and crl.last_update <= best[0].last_update:
                    continue
            best = (crl, issuer, score, new_reasons)
        return best

    @staticmethod
    def _check_crl(crl: _Crl, issuer: _Cert, score: int, now: int) -> None:
        """check_crl: CRL issuer key usage, scope, validity and signature."""
        if not crl.delta:
            if issuer.has_key_usage and not issuer.key_usage & _KU_CRL_SIGN:
                raise _Failure(X509_V_ERR_KEYUSAGE_NO_CRL_SIGN, 0)
            if not score & _CRL_SCORE_SCOPE:
                raise _Failure(X509_V_ERR_DIFFERENT_CRL_SCOPE, 0)
        if not score & _CRL_SCORE_TIME:
            error = crl.time_error(now)
            if error != X509_V_OK:
                raise _Failure(error, 0)
        if issuer.public_key is None:
            raise _Failure(X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY, 0)
        try:
            valid = crl.crl.is_signature_valid(issuer.public_key)  # type: ignore[arg-type]
        except (TypeError, ValueError, UnsupportedAlgorithm):
            valid = False
        if not valid:
            raise _Failure(X509_V_ERR_CRL_SIGNATURE_FAILURE, 0)

    @staticmethod
    def _internal_verify(chain: Sequence[_Cert], now: int) -> None:
        """internal_verify: signatures and validity periods, from the anchor down."""
        n = len(chain) - 1
        issuer = chain[n]
        if issuer.likely_issued(issuer):
            subject = issuer
        else:
            if n <= 0:
                raise _Failure(X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, 0)
            n -= 1
            subject = chain[n]
        while n >= 0:
            if subject is not issuer:
                if issuer.rejects_usage(_KU_KEY_CERT_SIGN):
                    raise _Failure(X509_V_ERR_KEYUSAGE_NO_CERTSIGN, n + 1)
                if issuer.public_key is None:
                    raise _Failure(X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY, n + 1)
                if not issuer.signed(subject):
                    raise _Failure(X509_V_ERR_CERT_SIGNATURE_FAILURE, n)
            error = subject.time_error(now)
            if error != X509_V_OK:
                raise _Failure(error, n)
            n -= 1
            if n >= 0:
                issuer = subject
                subject = chain[n]


# CRL scores (x509_vfy.c).
_CRL_SCORE_NOCRITICAL: Final = 0x100
_CRL_SCORE_SCOPE: Final = 0x080
_CRL_SCORE_TIME: Final = 0x040
_CRL_SCORE_ISSUER_NAME: Final = 0x020
_CRL_SCORE_ISSUER_CERT: Final = 0x018
_CRL_SCORE_SAME_PATH: Final = 0x008
_CRL_SCORE_AKID: Final = 0x004


def _crl_score(
    chain: Sequence[_Cert], cert: _Cert, crl: _Crl, reasons: int, now: int
) -> tuple[_Cert, int, int] | None:
    """get_crl_score without extended CRL support: (CRL issuer, score, reasons) or None."""
    if crl.idp_invalid:
        return None
    if crl.indirect or crl.idp_reasons != _ALL_REASONS:
        return None
    if cert.issuer != crl.issuer:
        return None
    score = _CRL_SCORE_ISSUER_NAME
    if not crl.critical:
        score |= _CRL_SCORE_NOCRITICAL
    if crl.time_error(now) == X509_V_OK:
        score |= _CRL_SCORE_TIME
    # crl_akid_check: the certificate's issuer, else a matching certificate higher up.
    index = 0 if len(chain) == 1 else 1
    issuer: _Cert | None = None
    if _akid_ok(chain[index], crl.akid):
        issuer = chain[index]
        score |= _CRL_SCORE_AKID | _CRL_SCORE_ISSUER_CERT
    else:
        for candidate in chain[index + 1 :]:
            if candidate.subject == crl.issuer and _akid_ok(candidate, crl.akid):
                issuer = candidate
                score |= _CRL_SCORE_AKID | _CRL_SCORE_SAME_PATH
                break
    if issuer is None:
        return None
    scope = _crl_scope(cert, crl, score)
    if scope is not None:
        if not scope & ~reasons:
            return None
        reasons |= scope
        score |= _CRL_SCORE_SCOPE
    return issuer, score, reasons


def _crl_scope(cert: _Cert, crl: _Crl, score: int) -> int | None:
    """crl_crldp_check: the reasons the CRL covers for ``cert``, or None if out of scope."""
    idp = crl.idp
    if idp is not None:
        if idp.only_contains_attribute_certs:
            return None
        if cert.is_ca and idp.only_contains_user_certs:
            return None
        if not cert.is_ca and idp.only_contains_ca_certs:
            return None
    for point in cert.crl_distribution_points:
        if point.crl_issuer is None:
            issuer_ok = bool(score & _CRL_SCORE_ISSUER_NAME)
        else:
            issuer_ok = any(
                isinstance(general, x509.DirectoryName)
                and canonical_name(general.value) == crl.issuer
                for general in point.crl_issuer
            )
        if not issuer_ok:
            continue
        if idp is None or _distribution_points_match(point, idp):
            point_reasons = _ALL_REASONS if point.reasons is None else _reason_bits(point.reasons)
            return crl.idp_reasons & point_reasons
    if (idp is None or (idp.full_name is None and idp.relative_name is None)) and (
        score & _CRL_SCORE_ISSUER_NAME
    ):
        return crl.idp_reasons
    return None


def _distribution_points_match(
    point: x509.DistributionPoint, idp: x509.IssuingDistributionPoint
) -> bool:
    """idp_check_dp: true if either side has no name, or the full names share one."""
    if point.full_name is None and point.relative_name is None:
        return True
    if idp.full_name is None and idp.relative_name is None:
        return True
    if point.full_name is not None and idp.full_name is not None:
        return any(name in idp.full_name for name in point.full_name)
    return False
