"""Certificate revocation lists as OpenSSL 3.0 uses them with ``X509_V_FLAG_CRL_CHECK`` (the
CRL check of the leaf that DCMTK's ``+cl`` and ``+cr`` turn on): the facts OpenSSL derives from
a CRL, the choice of a CRL by score, its scope, validity and signature, and revocation."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from .chain import KU_CRL_SIGN, ChainCertificate, KeyId, akid_ok, parse_akid, timestamp
from .names import canonical_name
from .verify_errors import (
    X509_V_ERR_CERT_REVOKED,
    X509_V_ERR_CRL_HAS_EXPIRED,
    X509_V_ERR_CRL_NOT_YET_VALID,
    X509_V_ERR_CRL_SIGNATURE_FAILURE,
    X509_V_ERR_DIFFERENT_CRL_SCOPE,
    X509_V_ERR_KEYUSAGE_NO_CRL_SIGN,
    X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY,
    X509_V_ERR_UNABLE_TO_GET_CRL,
    X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION,
    X509_V_OK,
    ChainFailure,
)

#: The public keys that can sign a CRL.
_ISSUER_KEYS = (
    rsa.RSAPublicKey,
    dsa.DSAPublicKey,
    ec.EllipticCurvePublicKey,
    ed25519.Ed25519PublicKey,
    ed448.Ed448PublicKey,
)

__all__ = ["Crl", "CrlChecker", "CrlSource"]

# Critical CRL extensions OpenSSL handles.
_SUPPORTED_CRITICAL_CRL: Final = frozenset({"2.5.29.28", "2.5.29.35", "2.5.29.27"})


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


@dataclass(frozen=True)
class _RevokedEntry:
    reason: x509.ReasonFlags | None
    issuers: tuple[bytes, ...] | None


class Crl:
    """A CRL with the facts OpenSSL's ``crl_cb`` derives."""

    def __init__(self, crl: x509.CertificateRevocationList) -> None:
        self.crl = crl
        self.der = crl.public_bytes(Encoding.DER)
        self.issuer = canonical_name(crl.issuer)
        self.last_update = timestamp(crl.last_update_utc)
        next_update = crl.next_update_utc
        self.next_update = None if next_update is None else timestamp(next_update)
        self.critical = False
        self.delta = False
        self.akid: KeyId | None = None
        self.idp: x509.IssuingDistributionPoint | None = None
        self.idp_invalid = False
        self.idp_reasons = _ALL_REASONS
        for extension in crl.extensions:
            oid = extension.oid.dotted_string
            if extension.critical and oid not in _SUPPORTED_CRITICAL_CRL:
                self.critical = True
            value = extension.value
            if isinstance(value, x509.AuthorityKeyIdentifier):
                self.akid = parse_akid(value)
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

    def revokes(self, cert: ChainCertificate) -> bool:
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


class CrlSource(Protocol):
    """Where the CRL checker finds CRLs: a :class:`~dicomsign.pki.store.TrustStore`."""

    def crls_for(self, cert: ChainCertificate) -> list[Crl]:
        """The CRLs whose issuer is ``cert``'s issuer."""
        ...


class CrlChecker:
    """The revocation check of DCMTK's options (a
    :class:`~dicomsign.pki.revocation.RevocationChecker`): OpenSSL's ``check_revocation``
    with ``X509_V_FLAG_CRL_CHECK``, which checks the leaf only."""

    def __init__(self, source: CrlSource) -> None:
        self.source = source

    def check(self, chain: Sequence[ChainCertificate], now: int) -> None:
        """check_revocation with X509_V_FLAG_CRL_CHECK: the leaf's CRL (check_cert)."""
        leaf = chain[0]
        reasons = 0
        while reasons != _ALL_REASONS:
            last_reasons = reasons
            selected = self._select_crl(chain, leaf, reasons, now)
            if selected is None:
                raise ChainFailure(X509_V_ERR_UNABLE_TO_GET_CRL, 0)
            crl, issuer, score, reasons = selected
            self._check_crl(crl, issuer, score, now)
            if crl.critical:
                raise ChainFailure(X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION, 0)
            if crl.revokes(leaf):
                raise ChainFailure(X509_V_ERR_CERT_REVOKED, 0)
            if last_reasons == reasons:
                raise ChainFailure(X509_V_ERR_UNABLE_TO_GET_CRL, 0)

    def _select_crl(
        self, chain: Sequence[ChainCertificate], cert: ChainCertificate, reasons: int, now: int
    ) -> tuple[Crl, ChainCertificate, int, int] | None:
        """get_crl_sk: the best-scoring CRL for ``cert`` (newest on ties)."""
        best: tuple[Crl, ChainCertificate, int, int] | None = None
        for crl in self.source.crls_for(cert):
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
    def _check_crl(crl: Crl, issuer: ChainCertificate, score: int, now: int) -> None:
        """check_crl: CRL issuer key usage, scope, validity and signature."""
        if not crl.delta:
            if issuer.has_key_usage and not issuer.key_usage & KU_CRL_SIGN:
                raise ChainFailure(X509_V_ERR_KEYUSAGE_NO_CRL_SIGN, 0)
            if not score & _CRL_SCORE_SCOPE:
                raise ChainFailure(X509_V_ERR_DIFFERENT_CRL_SCOPE, 0)
        if not score & _CRL_SCORE_TIME:
            error = crl.time_error(now)
            if error != X509_V_OK:
                raise ChainFailure(error, 0)
        key = issuer.public_key
        if key is None:
            raise ChainFailure(X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY, 0)
        valid = False
        if isinstance(key, _ISSUER_KEYS):  # keys that cannot sign (X25519...) verify nothing
            try:
                valid = crl.crl.is_signature_valid(key)
            except (TypeError, ValueError, UnsupportedAlgorithm):
                valid = False
        if not valid:
            raise ChainFailure(X509_V_ERR_CRL_SIGNATURE_FAILURE, 0)


# CRL scores (x509_vfy.c).
_CRL_SCORE_NOCRITICAL: Final = 0x100
_CRL_SCORE_SCOPE: Final = 0x080
_CRL_SCORE_TIME: Final = 0x040
_CRL_SCORE_ISSUER_NAME: Final = 0x020
_CRL_SCORE_ISSUER_CERT: Final = 0x018
_CRL_SCORE_SAME_PATH: Final = 0x008
_CRL_SCORE_AKID: Final = 0x004


def _crl_score(
    chain: Sequence[ChainCertificate], cert: ChainCertificate, crl: Crl, reasons: int, now: int
) -> tuple[ChainCertificate, int, int] | None:
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
    issuer: ChainCertificate | None = None
    if akid_ok(chain[index], crl.akid):
        issuer = chain[index]
        score |= _CRL_SCORE_AKID | _CRL_SCORE_ISSUER_CERT
    else:
        for candidate in chain[index + 1 :]:
            if candidate.subject == crl.issuer and akid_ok(candidate, crl.akid):
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


def _crl_scope(cert: ChainCertificate, crl: Crl, score: int) -> int | None:
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
