"""Verifying a timestamp token as DCMTK ``dcmsign +tv`` does (dcmsign-behaviour.md §7.3).

DCMTK runs OpenSSL's ``TS_RESP_verify_signature`` (the token's CMS signature and the TSA's
certificate chain, against the same trust store as the signatures, the ``+uf`` certificates
and those embedded in the token untrusted), checks that genTime lies within the TSA
certificate's validity, runs ``TS_RESP_verify_token`` (version, the imprint of the signature's
bytes, the TSA name against the TSA certificate) and finally checks that genTime lies within
the signer certificate's validity. This module re-implements those steps in that order, with
:mod:`asn1crypto` for the ASN.1, the engine and :mod:`cryptography` for digests and signatures,
and :mod:`dicomsign.pki` for the chain (OpenSSL's ``X509_verify_cert`` with the timestamping
purpose: the TSA certificate needs a critical extendedKeyUsage of timeStamping only).

A failure is reported with the reason DCMTK prints: OpenSSL's reason string of the failing
step (``certificate verify error``, ``signer certificate not found``, ``message imprint
mismatch``...) or DCMTK's own text for the genTime checks. DCMTK 3.6.7 prints the *oldest*
error of OpenSSL's error queue, which can be a leftover of earlier work (in verbose mode,
printing a certificate whose serial number exceeds 64 bits leaves ``too large``); we always
print the failing step's own reason (a deliberate difference, see the README).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from asn1crypto import cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .. import _core
from ..pki.chain import ChainCertificate, ChainVerifier
from ..pki.crl import CrlChecker
from ..pki.store import TrustStore
from ..pki.verify_errors import ChainFailure
from ..vocabulary import MacAlgorithm
from .query import ALGORITHMS_BY_OID, digest
from .reply import token_info

__all__ = [
    "TimestampToken",
    "TimestampVerification",
    "check_token",
    "read_token",
    "token_signer",
    "verify_token",
]

_SIGNED_DATA = "1.2.840.113549.1.7.2"
_TIME_STAMPING = "1.3.6.1.5.5.7.3.8"
_EKU = "2.5.29.37"

# OpenSSL's long names (OBJ_nid2ln) of digest algorithms, as DCMTK prints the imprint's.
_DIGEST_NAMES = {
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
    "2.16.840.1.101.3.4.2.4": "sha224",
    "1.3.36.3.2.1": "ripemd160",
    "1.3.14.3.2.26": "sha1",
    "1.2.840.113549.2.5": "md5",
}

_CRYPTOGRAPHY_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "2.16.840.1.101.3.4.2.4": hashes.SHA224,
    "2.16.840.1.101.3.4.2.8": hashes.SHA3_256,
    "2.16.840.1.101.3.4.2.9": hashes.SHA3_384,
    "2.16.840.1.101.3.4.2.10": hashes.SHA3_512,
}

# Short names (OBJ_nid2sn) for XN_FLAG_ONELINE, as GENERAL_NAME_print writes a DirName.
_SHORT_NAMES = {
    "2.5.4.3": "CN",
    "2.5.4.4": "SN",
    "2.5.4.5": "serialNumber",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.12": "title",
    "2.5.4.42": "GN",
    "0.9.2342.19200300.100.1.1": "UID",
    "0.9.2342.19200300.100.1.25": "DC",
    "1.2.840.113549.1.9.1": "emailAddress",
}


class _Failure(Exception):
    """One verification step failed with ``reason``; ``logged`` when DCMTK also prints it as
    an error line (its own genTime checks)."""

    def __init__(self, reason: str, *, logged: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.logged = logged


@dataclass(frozen=True)
class TimestampToken:
    """A readable Certified Timestamp (a CMS ``SignedData`` holding a ``TSTInfo``).

    Attributes
    ----------
    der : bytes
        The token as stored (pad byte removed).
    info : asn1crypto.tsp.TSTInfo
        The signed content.
    """

    der: bytes = field(repr=False)
    content_info: cms.ContentInfo = field(repr=False)
    info: tsp.TSTInfo = field(repr=False)

    @property
    def version(self) -> int:
        """The TSTInfo version (1)."""
        return int(core.Integer.load(self.info["version"].dump()).native)

    @property
    def policy(self) -> str:
        """The TSA policy (dotted OID)."""
        return str(self.info["policy"].dotted)

    @property
    def hash_algorithm(self) -> str:
        """The imprint's algorithm as OpenSSL names it (``sha256``), else the dotted OID."""
        oid = str(self.info["message_imprint"]["hash_algorithm"]["algorithm"].dotted)
        return _DIGEST_NAMES.get(oid, oid)

    @property
    def serial_number(self) -> int:
        """The TSA's serial number of this token."""
        return int(self.info["serial_number"].native)

    @property
    def nonce(self) -> int | None:
        """The nonce, when any."""
        nonce = self.info["nonce"]
        return None if isinstance(nonce, core.Void) else int(nonce.native)

    @property
    def gen_time_text(self) -> str:
        """genTime as encoded (``YYYYMMDDhhmmss[.f]Z``)."""
        return bytes(self.info["gen_time"].contents).decode("ascii", "replace")

    @property
    def gen_time(self) -> datetime:
        """genTime (UTC)."""
        value = self.info["gen_time"].native
        assert isinstance(value, datetime)
        return value.astimezone(UTC)

    @property
    def ordering(self) -> bool:
        """The ordering flag."""
        return bool(self.info["ordering"].native)

    @property
    def tsa_name(self) -> str | None:
        """The TSA name as OpenSSL's ``GENERAL_NAME_print`` writes it, when present."""
        tsa = self.info["tsa"]
        if isinstance(tsa, core.Void):
            return None
        return _general_name_text(tsa)

    @property
    def accuracy(self) -> str | None:
        """The accuracy in DCMTK's form (``1.500100s``), when present."""
        acc = self.info["accuracy"]
        if isinstance(acc, core.Void):
            return None

        def part(name: str) -> int:
            value = acc[name]
            return 0 if isinstance(value, core.Void) else int(value.native)

        seconds, millis, micros = part("seconds"), part("millis"), part("micros")
        if seconds < 0:
            return None
        if micros > 0:
            return f"{seconds}.{millis:03d}{micros:03d}s"
        return f"{seconds}.{millis:03d}s"

    @property
    def extensions(self) -> tuple[str, ...]:
        """The TSTInfo extensions (dotted OIDs, ``critical`` marked)."""
        exts = self.info["extensions"]
        if isinstance(exts, core.Void):
            return ()
        return tuple(
            e["extn_id"].dotted + (": critical" if e["critical"].native else "") for e in exts
        )

    def details(self) -> list[str]:
        """DCMTK's ``-v`` lines about the token (after ``Certified timestamp``)."""
        serial = self.serial_number
        nonce = self.nonce
        ext = self.extensions
        lines = [
            f"      Policy OID              : {self.policy}",
            f"      Imprint MAC algorithm   : {self.hash_algorithm}",
            f"      Serial number           : {_hex(serial)}",
            f"      Nonce                   : {'none' if nonce is None else _hex(nonce)}",
            f"      TSA Name                : {self.tsa_name or 'none'}",
            f"      Ordering                : {'true' if self.ordering else 'false'}",
            f"      Accuracy                : {self.accuracy or 'not specified'}",
            f"      Timestamp               : {self.gen_time_text}",
        ]
        if not ext:
            lines.append("      Extensions              : none")
        else:
            lines.append("      Extensions              :")
            lines.extend(f"        - {e}" for e in ext)
        return lines


@dataclass(frozen=True)
class TimestampVerification:
    """The verdict on a timestamp token.

    Attributes
    ----------
    ok : bool
        True when every check passed.
    reason : str or None
        DCMTK's reason of the failure (after ``timestamp signature verification failed: ``).
    errors : tuple of str
        DCMTK's error lines printed before the verdict (its own genTime checks).
    token : TimestampToken
        The token.
    tsa_certificate : cryptography.x509.Certificate or None
        The TSA's certificate, when the token's CMS signature verified.
    """

    ok: bool
    reason: str | None
    errors: tuple[str, ...]
    token: TimestampToken
    tsa_certificate: x509.Certificate | None = field(default=None, repr=False)

    @property
    def gen_time(self) -> datetime:
        """When the TSA says the signature existed."""
        return self.token.gen_time


def _hex(value: int) -> str:
    # OpenSSL's BN_print: upper-case hex, no leading zeros, "-" before negatives.
    return f"0x-{-value:X}" if value < 0 else f"0x{value:X}"


def _oneline_value(value: str) -> str:
    out = []
    for i, ch in enumerate(value):
        if ch in ',+"\\<>;' or (ch == "#" and i == 0) or (ch == " " and i in (0, len(value) - 1)):
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\{ord(ch):02X}")
        else:
            out.append(ch)
    return "".join(out)


def _name_text(name: asn1_x509.Name) -> str:
    """``X509_NAME_print_ex(..., XN_FLAG_ONELINE)``: ``C = DE, O = x, CN = y``."""
    rdns = []
    for rdn in name.chosen:
        parts = []
        for attribute in rdn:
            oid = attribute["type"].dotted
            short = _SHORT_NAMES.get(oid, oid)
            native = attribute["value"].native
            text = native if isinstance(native, str) else str(native)
            parts.append(f"{short} = {_oneline_value(text)}")
        rdns.append(" + ".join(parts))
    return ", ".join(rdns)


def _general_name_text(name: asn1_x509.GeneralName) -> str:
    kind = name.name
    value = name.chosen
    if kind == "directory_name":
        return "DirName:" + _name_text(value)
    if kind == "rfc822_name":
        return f"email:{value.native}"
    if kind == "dns_name":
        return f"DNS:{value.native}"
    if kind == "uniform_resource_identifier":
        return f"URI:{value.native}"
    if kind == "ip_address":
        return f"IP Address:{value.native}"
    if kind == "registered_id":
        return f"Registered ID:{value.dotted}"
    return "othername:<unsupported>"


def read_token(
    timestamp_type: str | None, token: bytes | None
) -> tuple[TimestampToken | None, tuple[str, ...]]:
    """Read a signature's Certified Timestamp as DCMTK's ``SiTimeStamp::read``.

    Returns the token (None when absent or unreadable) and DCMTK's warnings, which it prints
    when it selects the signature, before its ``Signature #n`` line.
    """
    if timestamp_type is None:
        return None, ()
    kind = timestamp_type.rstrip(" ")
    if kind != "CMS_TSP":
        return None, (
            f"unknown certified timestamp type: {kind}",
            "unknown certified timestamp type while reading timestamp.",
        )
    if token is None:
        return None, ()
    data = _core.trim_der(token)
    unreadable = "certified timestamp in dataset cannot be read while reading timestamp."
    try:
        content_info = cms.ContentInfo.load(data, strict=False)
        if content_info["content_type"].dotted == _SIGNED_DATA:
            signed = content_info["content"]
            signed.native  # noqa: B018 - parses every field, as d2i_PKCS7 does
            for signer in signed["signer_infos"]:
                if signer["sid"].name != "issuer_and_serial_number":
                    raise ValueError("PKCS#7 cannot read this signer info")
        else:
            content_info.native  # noqa: B018
    except (ValueError, TypeError, KeyError, OverflowError, AttributeError):
        return None, ("unable to read certified timestamp in dataset", unreadable)
    try:
        info = token_info(content_info)
    except ValueError:
        return None, ("unable to read certified timestamp ticket in dataset", unreadable)
    return TimestampToken(data, content_info, info), ()


# -- TS_RESP_verify_signature -------------------------------------------------------------------


class _Issuers:
    """The trust store with more untrusted certificates (those embedded in the token)."""

    def __init__(self, store: TrustStore, extra: Sequence[ChainCertificate]) -> None:
        self._store = store
        self._untrusted = [*store.untrusted, *extra]

    @property
    def untrusted(self) -> Sequence[ChainCertificate]:
        return self._untrusted

    def trusted_issuers(self, cert: ChainCertificate) -> list[ChainCertificate]:
        return self._store.trusted_issuers(cert)


def _timestamping_purpose(cert: x509.Certificate) -> bool:
    """OpenSSL's ``check_purpose_timestamp_sign`` for the TSA (leaf) certificate."""
    try:
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        ku = None
    if ku is not None:
        usages = {
            "digital_signature": ku.digital_signature,
            "content_commitment": ku.content_commitment,
            "key_encipherment": ku.key_encipherment,
            "data_encipherment": ku.data_encipherment,
            "key_agreement": ku.key_agreement,
            "key_cert_sign": ku.key_cert_sign,
            "crl_sign": ku.crl_sign,
        }
        allowed = {"digital_signature", "content_commitment"}
        if any(v for k, v in usages.items() if k not in allowed):
            return False
        if not (ku.digital_signature or ku.content_commitment):
            return False
    try:
        eku = cert.extensions.get_extension_for_oid(x509.ObjectIdentifier(_EKU))
    except x509.ExtensionNotFound:
        return False
    value = eku.value
    assert isinstance(value, x509.ExtendedKeyUsage)
    if [u.dotted_string for u in value] != [_TIME_STAMPING]:
        return False
    return bool(eku.critical)


def _certificates(signed: cms.SignedData) -> list[x509.Certificate]:
    out: list[x509.Certificate] = []
    certs = signed["certificates"]
    if isinstance(certs, core.Void):
        return out
    for choice in certs:
        if choice.name != "certificate":
            continue
        try:
            out.append(x509.load_der_x509_certificate(choice.chosen.dump()))
        except ValueError:
            continue
    return out


def _find_signer(
    sid: cms.IssuerAndSerialNumber, pools: Sequence[Sequence[x509.Certificate]]
) -> x509.Certificate | None:
    issuer = sid["issuer"]
    serial = int(sid["serial_number"].native)
    for pool in pools:
        for cert in pool:
            if cert.serial_number != serial:
                continue
            if asn1_x509.Name.load(cert.issuer.public_bytes()) == issuer:
                return cert
    return None


def _ess_check(signer_info: cms.SignerInfo, chain: Sequence[x509.Certificate]) -> None:
    """OpenSSL 3.0's ``OSSL_ESS_check_signing_certs`` with the signing certificate required."""
    ids_v1: list[tuple[str, bytes, cms.IssuerSerial | None]] = []
    ids_v2: list[tuple[str, bytes, cms.IssuerSerial | None]] = []
    found_v1 = found_v2 = False
    attrs = signer_info["signed_attrs"]
    if not isinstance(attrs, core.Void):
        for attr in attrs:
            kind = attr["type"].dotted
            if kind == "1.2.840.113549.1.9.16.2.12":  # signingCertificate
                found_v1 = True
                for cert_id in attr["values"][0]["certs"]:
                    serial = cert_id["issuer_serial"]
                    ids_v1.append(
                        (
                            "1.3.14.3.2.26",
                            cert_id["cert_hash"].native,
                            None if isinstance(serial, core.Void) else serial,
                        )
                    )
            elif kind == "1.2.840.113549.1.9.16.2.47":  # signingCertificateV2
                found_v2 = True
                for cert_id in attr["values"][0]["certs"]:
                    alg = cert_id["hash_algorithm"]
                    oid = (
                        "2.16.840.1.101.3.4.2.1"
                        if isinstance(alg, core.Void)
                        else alg["algorithm"].dotted
                    )
                    serial = cert_id["issuer_serial"]
                    ids_v2.append(
                        (
                            oid,
                            cert_id["cert_hash"].native,
                            None if isinstance(serial, core.Void) else serial,
                        )
                    )
    if not found_v1 and not found_v2:
        raise _Failure("missing signing certificate attribute")
    if (found_v1 and not ids_v1) or (found_v2 and not ids_v2):
        raise _Failure("empty ess cert id list")

    def position(
        ids: list[tuple[str, bytes, cms.IssuerSerial | None]], cert: x509.Certificate
    ) -> int:
        der = cert.public_bytes(Encoding.DER)
        for index, (oid, cert_hash, serial) in enumerate(ids):
            algorithm = ALGORITHMS_BY_OID.get(oid)
            if algorithm is None:
                raise _Failure("ess digest alg unknown")
            if digest(algorithm, der) != cert_hash:
                continue
            if serial is not None:
                if int(serial["serial_number"].native) != cert.serial_number:
                    continue
                issuer = asn1_x509.Name.load(cert.issuer.public_bytes())
                names = serial["issuer"]
                if not any(n.name == "directory_name" and n.chosen == issuer for n in names):
                    continue
            return index
        return -1

    for ids in (ids_v1, ids_v2):
        if not ids:
            continue
        for depth, cert in enumerate(chain if len(ids) > 1 else chain[:1]):
            index = position(ids, cert)
            if index < 0:
                raise _Failure("ess cert id not found")
            if depth == 0 and index != 0:
                raise _Failure("ess cert id wrong order")


def _rsa_reason(key: rsa.RSAPublicKey, signature: bytes) -> str:
    """The first error OpenSSL's RSA PKCS#1 v1.5 verification raises for a bad signature."""
    numbers = key.public_numbers()
    k = (numbers.n.bit_length() + 7) // 8
    if len(signature) > k:
        return "data greater than mod len"
    s = int.from_bytes(signature, "big")
    if s >= numbers.n:
        return "data too large for modulus"
    m = pow(s, numbers.e, numbers.n).to_bytes(k, "big")
    if m[0] != 0:
        return "invalid padding"
    if m[1] != 1:
        return "block type is not 01"
    j = 2
    while j < k and m[j] == 0xFF:
        j += 1
    if j == k:
        return "null before block missing"
    if m[j] != 0:
        return "bad fixed header decryption"
    if j - 2 < 8:
        return "bad pad byte count"
    return "bad signature"


def _verify_signature_value(
    cert: x509.Certificate, digest_oid: str, data: bytes, signature: bytes
) -> None:
    """Verify ``signature`` over ``data`` (hashed with ``digest_oid``) by ``cert``'s key."""
    key = cert.public_key()
    algorithm = ALGORITHMS_BY_OID.get(digest_oid)
    if algorithm is not None:
        spki = key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        try:
            ok = _core.PublicKey.from_spki(spki).verify_digest(
                MacAlgorithm(algorithm), digest(algorithm, data), signature
            )
        except ValueError:
            ok = False
    else:
        hash_type = _CRYPTOGRAPHY_HASHES.get(digest_oid)
        if hash_type is None:
            raise _Failure("unknown digest type")
        try:
            if isinstance(key, rsa.RSAPublicKey):
                key.verify(signature, data, padding.PKCS1v15(), hash_type())
            elif isinstance(key, ec.EllipticCurvePublicKey):
                key.verify(signature, data, ec.ECDSA(hash_type()))
            elif isinstance(key, dsa.DSAPublicKey):
                key.verify(signature, data, hash_type())
            else:
                raise InvalidSignature
            ok = True
        except InvalidSignature:
            ok = False
    if not ok:
        if isinstance(key, rsa.RSAPublicKey):
            raise _Failure(_rsa_reason(key, signature))
        raise _Failure("signature failure")


def _verify_cms(signed: cms.SignedData, content: bytes, signer: x509.Certificate) -> None:
    """OpenSSL's ``PKCS7_signatureVerify`` for the single signer."""
    signer_info = signed["signer_infos"][0]
    digest_oid = signer_info["digest_algorithm"]["algorithm"].dotted
    signature: bytes = signer_info["signature"].native
    attrs = signer_info["signed_attrs"]
    if isinstance(attrs, core.Void) or len(attrs) == 0:
        _verify_signature_value(signer, digest_oid, content, signature)
        return
    message_digest: bytes | None = None
    for attr in attrs:
        if attr["type"].dotted == "1.2.840.113549.1.9.4":
            message_digest = attr["values"][0].native
    if message_digest is None:
        raise _Failure("unable to find message digest")
    algorithm = ALGORITHMS_BY_OID.get(digest_oid)
    if algorithm is not None:
        computed = digest(algorithm, content)
    else:
        hash_type = _CRYPTOGRAPHY_HASHES.get(digest_oid)
        if hash_type is None:
            raise _Failure("unknown digest type")
        h = hashes.Hash(hash_type())
        h.update(content)
        computed = h.finalize()
    if computed != message_digest:
        raise _Failure("digest failure")
    _verify_signature_value(signer, digest_oid, attrs.untag().dump(), signature)


def token_signer(
    token: TimestampToken, untrusted: Sequence[x509.Certificate] = ()
) -> x509.Certificate | None:
    """The TSA certificate of a token: among ``untrusted`` and the certificates embedded in
    the token, the one its signer info names (None when none is); nothing is verified."""
    signed = token.content_info["content"]
    signer_infos = signed["signer_infos"]
    if len(signer_infos) != 1:
        return None
    return _find_signer(signer_infos[0]["sid"].chosen, (untrusted, _certificates(signed)))


def _verify_signature(
    token: TimestampToken,
    store: TrustStore | None,
    untrusted: Sequence[x509.Certificate],
    now: int,
) -> x509.Certificate:
    """``TS_RESP_verify_signature``: returns the TSA certificate or raises the failure.

    Without a ``store`` the TSA's chain is not checked (the timestamping client without a TSA
    trust anchor); its purpose, the ESS signing certificate and the CMS signature are.
    """
    signed = token.content_info["content"]
    signer_infos = signed["signer_infos"]
    if len(signer_infos) != 1:
        raise _Failure("there must be one signer")
    embedded = _certificates(signed)
    signer = _find_signer(signer_infos[0]["sid"].chosen, (untrusted, embedded))
    if signer is None:
        raise _Failure("signer certificate not found")
    chain = [ChainCertificate(signer)]
    if store is not None:
        pool = _Issuers(store, [ChainCertificate(c) for c in (*untrusted, *embedded)])
        verifier = ChainVerifier(
            pool,
            depth=store.depth,
            revocation=CrlChecker(store) if store.crl_check else None,
            trusted_first=store.trusted_first,
        )
        try:
            verifier.verify(chain, now)
        except ChainFailure:
            raise _Failure("certificate verify error") from None
    if not _timestamping_purpose(signer):
        raise _Failure("certificate verify error")
    _ess_check(signer_infos[0], [c.cert for c in chain])
    content = signed["encap_content_info"]["content"]
    raw = content.native if isinstance(content, core.OctetString) else content.contents
    _verify_cms(signed, raw if isinstance(raw, bytes) else content.contents, signer)
    return signer


def _seconds(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


def _validity_check(gen_time: datetime, cert: x509.Certificate, whose: str) -> None:
    """DCMTK's comparison of genTime with a certificate's validity (to the second)."""
    moment = _seconds(gen_time)
    if moment < cert.not_valid_before_utc:
        raise _Failure(f"timestamp created before start of {whose} validity.", logged=True)
    if moment > cert.not_valid_after_utc:
        raise _Failure(f"timestamp created after expiry of {whose}.", logged=True)


def _check_tsa_name(token: TimestampToken, tsa: x509.Certificate) -> None:
    name = token.info["tsa"]
    if isinstance(name, core.Void):
        return
    cert = asn1_x509.Certificate.load(tsa.public_bytes(Encoding.DER))
    if name.name == "directory_name":
        if name.chosen == cert.subject:
            return
        raise _Failure("tsa name mismatch")
    alt = cert.subject_alt_name_value
    if alt is not None and any(n.dump() == name.dump() for n in alt):
        return
    raise _Failure("tsa name mismatch")


def verify_token(
    token: TimestampToken,
    data: bytes | Sequence[bytes],
    signer_certificate: x509.Certificate,
    store: TrustStore,
    *,
    at: datetime | None = None,
) -> TimestampVerification:
    """Verify a timestamp token over a signature, as DCMTK does.

    Parameters
    ----------
    token : TimestampToken
        From :func:`read_token`.
    data : bytes or sequence of bytes
        The timestamped bytes: the Signature value, the DER pad byte of a DSA or ECDSA
        signature removed; or the candidates (see
        :func:`dicomsign.tsp.reply.signature_data_candidates`), any of which may match.
    signer_certificate : cryptography.x509.Certificate
        The DICOM signer's certificate (genTime must lie within its validity).
    store : TrustStore
        Trust anchors, untrusted certificates (``+uf``) and CRLs: the TSA's chain must verify
        against it as a signer's does, with the timestamping purpose.
    at : datetime, optional
        The time to verify the TSA chain at; now by default.
    """
    moment = datetime.now(UTC) if at is None else at
    now = int(moment.timestamp())
    untrusted = [c.cert for c in store.untrusted]
    errors: list[str] = []
    tsa: x509.Certificate | None = None
    try:
        tsa = _verify_signature(token, store, untrusted, now)
        _validity_check(token.gen_time, tsa, "TSA certificate")
        if token.version != 1:
            raise _Failure("unsupported version")
        oid = token.info["message_imprint"]["hash_algorithm"]["algorithm"].dotted
        algorithm = ALGORITHMS_BY_OID.get(oid)
        hash_type = _CRYPTOGRAPHY_HASHES.get(oid)
        if algorithm is None and hash_type is None:
            raise _Failure("unsupported md algorithm")
        computed = set()
        for candidate in (data,) if isinstance(data, bytes) else data:
            if algorithm is not None:
                computed.add(digest(algorithm, candidate))
            elif hash_type is not None:
                h = hashes.Hash(hash_type())
                h.update(candidate)
                computed.add(h.finalize())
        if token.info["message_imprint"]["hashed_message"].native not in computed:
            raise _Failure("message imprint mismatch")
        _check_tsa_name(token, tsa)
        _validity_check(token.gen_time, signer_certificate, "signer certificate")
    except _Failure as failure:
        if failure.logged:
            errors.append(failure.reason)
        return TimestampVerification(False, failure.reason, tuple(errors), token, tsa)
    return TimestampVerification(True, None, (), token, tsa)


def check_token(
    token: TimestampToken,
    *,
    trust: TrustStore | None = None,
    at: datetime | None = None,
) -> x509.Certificate:
    """Check a fresh token as the timestamping client accepts it: the CMS signature, the ESS
    signing certificate, the TSA certificate's purpose (a critical extendedKeyUsage of
    timeStamping only), its chain when ``trust`` holds the TSA's trust anchor, and genTime
    within the TSA certificate's validity. Returns the TSA certificate.

    Raises
    ------
    ValueError
        The failing check's reason (OpenSSL's words where it has them).
    """
    moment = datetime.now(UTC) if at is None else at
    untrusted = [c.cert for c in trust.untrusted] if trust is not None else []
    try:
        tsa = _verify_signature(token, trust, untrusted, int(moment.timestamp()))
        _validity_check(token.gen_time, tsa, "TSA certificate")
    except _Failure as failure:
        raise ValueError(failure.reason) from None
    return tsa
