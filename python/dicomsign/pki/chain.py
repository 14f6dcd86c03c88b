"""OpenSSL 3.0's ``X509_verify_cert`` as DCMTK configures it, re-implemented.

DCMTK ``dcmsign`` checks a signer certificate with OpenSSL's ``X509_verify_cert`` against a
store built from ``+cf`` (trusted certificates), ``+uf`` (untrusted intermediates), ``+cd``
(an OpenSSL hashed directory) and ``+cr`` (CRLs; also turns on ``+cl``, the CRL check of the
leaf only), with verification depth 100, no purpose, no partial chains and the current time.
It prints the OpenSSL error string of the first failure.

:mod:`cryptography`'s own verifier is web-PKI strict and cannot check CRLs, so this module
re-implements the part of OpenSSL 3.0's algorithm that these settings exercise: chain building
(untrusted issuers first, then the trust store, with OpenSSL's alternative chains), trust
anchors that must be self-signed, the extension checks (unhandled critical extensions, CA
flags, path length), revocation (a :class:`~dicomsign.pki.revocation.RevocationChecker`: for
DCMTK's options the CRL check of :mod:`dicomsign.pki.crl`), and the signature and validity
checks of the chain, each reporting the error OpenSSL would report first. Name constraints and
certificate policies, which OpenSSL would evaluate after all of these, are not evaluated.

The certificates come from a :class:`~dicomsign.pki.store.TrustStore`. The engine's quick
chain check (``rust/src/pki/chain.rs``) accepts only chains this emulation surely accepts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final, Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.hazmat.primitives.serialization import Encoding

from .names import canonical_name
from .verify_errors import (
    X509_V_ERR_CERT_CHAIN_TOO_LONG,
    X509_V_ERR_CERT_HAS_EXPIRED,
    X509_V_ERR_CERT_NOT_YET_VALID,
    X509_V_ERR_CERT_SIGNATURE_FAILURE,
    X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT,
    X509_V_ERR_INVALID_CA,
    X509_V_ERR_KEYUSAGE_NO_CERTSIGN,
    X509_V_ERR_PATH_LENGTH_EXCEEDED,
    X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
    X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY,
    X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT,
    X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
    X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE,
    X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION,
    X509_V_ERR_UNSPECIFIED,
    X509_V_OK,
    ChainFailure,
)

if TYPE_CHECKING:
    from .revocation import RevocationChecker

__all__ = [
    "KU_CRL_SIGN",
    "KU_KEY_CERT_SIGN",
    "ChainCertificate",
    "ChainVerifier",
    "IssuerSource",
    "KeyId",
    "akid_ok",
    "parse_akid",
    "timestamp",
]


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
# Key usage bits as OpenSSL stores them (KU_*).
KU_KEY_CERT_SIGN: Final = 0x0004
KU_CRL_SIGN: Final = 0x0002
_KU_ALL: Final = 0xFFFFFFFF

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
class KeyId:
    """An authority key identifier (keyid, issuer names, serial), parsed."""

    key_identifier: bytes | None
    issuer_names: tuple[bytes, ...] | None
    serial: int | None


def timestamp(moment: datetime) -> int:
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


class ChainCertificate:
    """A certificate with the facts OpenSSL's ``x509v3_cache_extensions`` derives."""

    def __init__(self, cert: x509.Certificate) -> None:
        self.cert = cert
        self.der = cert.public_bytes(Encoding.DER)
        self.subject = canonical_name(cert.subject)
        self.issuer = canonical_name(cert.issuer)
        self.serial = cert.serial_number
        self.not_before = timestamp(cert.not_valid_before_utc)
        self.not_after = timestamp(cert.not_valid_after_utc)
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
        self.akid: KeyId | None = None
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
            and akid_ok(self, self.akid)
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
                self.key_usage = (KU_KEY_CERT_SIGN if value.key_cert_sign else 0) | (
                    KU_CRL_SIGN if value.crl_sign else 0
                )
            elif isinstance(value, x509.SubjectKeyIdentifier):
                self.skid = value.digest
            elif isinstance(value, x509.AuthorityKeyIdentifier):
                self.akid = parse_akid(value)
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
        if self.rejects_usage(KU_KEY_CERT_SIGN):
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

    def _signature_matches(self, subject: ChainCertificate) -> bool:
        """check_sig_alg_match: does this key's type fit ``subject``'s signature algorithm?"""
        if self.public_key is None or subject.signature_family is None:
            return False
        if self.key_family == subject.signature_family:
            return True
        return self.key_family == "RSA" and subject.signature_family == "RSA-PSS"

    def likely_issued(self, subject: ChainCertificate) -> bool:
        """ossl_x509_likely_issued(self, subject) == X509_V_OK."""
        if self.subject != subject.issuer or self.invalid or subject.invalid:
            return False
        return akid_ok(self, subject.akid) and self._signature_matches(subject)

    def signed(self, subject: ChainCertificate) -> bool:
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


def parse_akid(value: x509.AuthorityKeyIdentifier) -> KeyId:
    names: tuple[bytes, ...] | None = None
    if value.authority_cert_issuer is not None:
        names = tuple(
            canonical_name(general.value)
            for general in value.authority_cert_issuer
            if isinstance(general, x509.DirectoryName)
        )
    return KeyId(value.key_identifier, names, value.authority_cert_serial_number)


def akid_ok(issuer: ChainCertificate, akid: KeyId | None) -> bool:
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


class IssuerSource(Protocol):
    """Where the chain verifier finds issuers: a :class:`~dicomsign.pki.store.TrustStore`."""

    @property
    def untrusted(self) -> Sequence[ChainCertificate]:
        """The untrusted intermediates (``+uf``), in the order they were added."""
        ...

    def trusted_issuers(self, cert: ChainCertificate) -> list[ChainCertificate]:
        """Trusted certificates whose subject is ``cert``'s issuer."""
        ...


class ChainVerifier:
    """One configuration of OpenSSL's ``X509_verify_cert`` over a store's certificates.

    Parameters
    ----------
    store : IssuerSource
        Trusted and untrusted certificates.
    revocation : RevocationChecker, optional
        Checks the built chain for revocation (OpenSSL's ``check_revocation``); none when
        revocation is not checked.
    trusted_first : bool
        Look for issuers among the trusted certificates first (DCMTK turns this off).
    depth : int
        Maximum number of intermediate certificates.
    """

    def __init__(
        self,
        store: IssuerSource,
        *,
        depth: int,
        revocation: RevocationChecker | None = None,
        trusted_first: bool = False,
    ) -> None:
        self.store = store
        self.revocation = revocation
        self.trusted_first = trusted_first
        self.depth = depth

    def verify(self, chain: list[ChainCertificate], now: int) -> None:
        """Grow ``chain`` (the leaf) to a trust anchor and check it at ``now`` (Unix seconds).

        Raises
        ------
        ChainFailure
            OpenSSL's error code and the depth of the failing certificate.
        """
        self._build_chain(chain, now)
        self._check_extensions(chain)
        if self.revocation is not None:
            self.revocation.check(chain, now)
        self._internal_verify(chain, now)

    @staticmethod
    def _best_issuer(
        cert: ChainCertificate,
        candidates: Iterable[ChainCertificate],
        now: int,
        exclude: Sequence[ChainCertificate] = (),
    ) -> ChainCertificate | None:
        """The first time-valid issuer, else the matching one that expires last."""
        best: ChainCertificate | None = None
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

    def _build_chain(self, chain: list[ChainCertificate], now: int) -> None:
        """OpenSSL's build_chain: grow ``chain`` to a trust anchor or raise the failure."""
        untrusted_first, trusted, alternate = 1, 2, 4
        search = untrusted_first
        may_alternate = False
        if self.trusted_first:
            search |= trusted
        else:
            may_alternate = True
        pool = list(self.store.untrusted)
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
                    issuer = self._best_issuer(current, self.store.trusted_issuers(current), now)
                found = issuer is not None
                if issuer is not None:
                    if current.invalid or current.public_key is None:
                        raise ChainFailure(X509_V_ERR_UNSPECIFIED, num - 1)
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
            raise ChainFailure(X509_V_ERR_CERT_CHAIN_TOO_LONG, num - 1)
        if chain[-1].self_signed:
            code = (
                X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
                if num == 1
                else X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN
            )
            raise ChainFailure(code, num - 1)
        if num_untrusted < num:
            raise ChainFailure(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, num - 1)
        raise ChainFailure(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, num - 1)

    @staticmethod
    def _check_trust(chain: Sequence[ChainCertificate], num_untrusted: int) -> bool:
        """check_trust without partial chains: a trusted certificate must be self-signed."""
        return any(cert.self_signed for cert in chain[num_untrusted:])

    @staticmethod
    def _check_extensions(chain: Sequence[ChainCertificate]) -> None:
        """check_extensions without purpose: critical extensions, CA flags, path length."""
        num = len(chain)
        path_length = 0
        for depth, cert in enumerate(chain):
            if cert.unhandled_critical:
                raise ChainFailure(X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION, depth)
            if depth > 0:
                ca = cert.check_ca()
                if ca == 0 or (depth + 1 < num and ca != 1):
                    raise ChainFailure(X509_V_ERR_INVALID_CA, depth)
            if depth > 1 and cert.path_length != -1 and path_length > cert.path_length:
                raise ChainFailure(X509_V_ERR_PATH_LENGTH_EXCEEDED, depth)
            if depth > 0 and not cert.self_issued:
                path_length += 1

    @staticmethod
    def _internal_verify(chain: Sequence[ChainCertificate], now: int) -> None:
        """internal_verify: signatures and validity periods, from the anchor down."""
        n = len(chain) - 1
        issuer = chain[n]
        if issuer.likely_issued(issuer):
            subject = issuer
        else:
            if n <= 0:
                raise ChainFailure(X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, 0)
            n -= 1
            subject = chain[n]
        while n >= 0:
            if subject is not issuer:
                if issuer.rejects_usage(KU_KEY_CERT_SIGN):
                    raise ChainFailure(X509_V_ERR_KEYUSAGE_NO_CERTSIGN, n + 1)
                if issuer.public_key is None:
                    raise ChainFailure(X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY, n + 1)
                if not issuer.signed(subject):
                    raise ChainFailure(X509_V_ERR_CERT_SIGNATURE_FAILURE, n)
            error = subject.time_error(now)
            if error != X509_V_OK:
                raise ChainFailure(error, n)
            n -= 1
            if n >= 0:
                issuer = subject
                subject = chain[n]
