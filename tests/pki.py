"""A throw-away test PKI made with :mod:`cryptography` (helper module, no tests here).

Layout: a root CA, an intermediate CA under it, and leaves issued by the intermediate (RSA 2048,
RSA 3072, DSA 2048, ECDSA P-256, ECDSA P-384, a revoked one, an expired one, a not yet valid
one, one with an odd RSA modulus length), plus a self-signed leaf. Every certificate's
notBefore lies days in the past because DCMTK compares the signature time with it naively and to
the second. Each identity is written as PEM and DER, plain and encrypted (see :class:`Identity`);
the intermediate's CRL revokes the ``revoked`` leaf; ``hashed_dir`` is an OpenSSL hashed
directory (``openssl rehash``) with both CA certificates and that CRL.

Keys are reused where a scenario allows it (the revoked, expired and not yet valid leaves share
the RSA 2048 leaf's key) and the DSA parameters are generated once.
"""

from __future__ import annotations

import subprocess
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dh, dsa, ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificateIssuerPrivateKeyTypes,
    PrivateKeyTypes,
)
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import NameOID

PASSWORD = "test pass phrase"
DAY = timedelta(days=1)


def utcnow() -> datetime:
    """Now in UTC, to the second (X.509 times have no fractions)."""
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class Identity:
    """Files and objects of one key pair and its certificate.

    ``chain`` holds the untrusted intermediate certificates (PEM, empty when there are none)
    and ``root`` the trust anchor to give ``+cf`` (the certificate itself when self-signed).
    """

    name: str
    key: Path
    cert: Path
    chain: Path
    root: Path
    key_der: Path
    key_der_traditional: Path
    key_traditional: Path
    cert_der: Path
    key_encrypted_pkcs8: Path
    key_encrypted_traditional: Path
    password: str
    private_key: PrivateKeyTypes = field(repr=False, compare=False)
    certificate: x509.Certificate = field(repr=False, compare=False)


@dataclass(frozen=True)
class PKI:
    """The whole test PKI (see the module docstring)."""

    directory: Path
    now: datetime
    password: str
    root: Identity
    intermediate: Identity
    rsa2048: Identity
    rsa3072: Identity
    dsa2048: Identity
    ec256: Identity
    ec384: Identity
    revoked: Identity
    expired: Identity
    not_yet_valid: Identity
    self_signed: Identity
    rsa_odd: Identity
    crl: Path
    crl_der: Path
    hashed_dir: Path
    dsa_parameters: dsa.DSAParameters = field(repr=False, compare=False)

    @property
    def leaves(self) -> dict[str, Identity]:
        """The valid signing identities issued by the intermediate CA, by name."""
        return {
            i.name: i for i in (self.rsa2048, self.rsa3072, self.dsa2048, self.ec256, self.ec384)
        }


def dh_private_key(bits: int = 512) -> dh.DHPrivateKey:
    """A finite-field DH key (deprecated in newer cryptography releases, hence no warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        return dh.generate_parameters(2, bits).generate_private_key()


def name(common_name: str) -> x509.Name:
    """A test distinguished name ``O=dicomsign tests, CN=<common_name>``."""
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "dicomsign tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def issue_certificate(
    subject: x509.Name,
    public_key: rsa.RSAPublicKey | dsa.DSAPublicKey | ec.EllipticCurvePublicKey,
    issuer: x509.Certificate | None,
    issuer_key: CertificateIssuerPrivateKeyTypes,
    *,
    not_before: datetime,
    not_after: datetime,
    ca: bool = False,
    path_length: int | None = None,
    key_usage: bool = True,
    serial: int | None = None,
    extra: Iterable[tuple[x509.ExtensionType, bool]] = (),
    issuer_name: x509.Name | None = None,
    authority_key_identifier: bool = True,
) -> x509.Certificate:
    """Issue a certificate (self-signed when ``issuer`` is None), signed with SHA-256.

    CA certificates get keyCertSign and cRLSign, leaves digitalSignature and nonRepudiation.
    ``issuer_name`` overrides the issuer's subject; the authority key identifier (of
    ``issuer_key``) can be left out.
    """
    if issuer_name is None:
        issuer_name = subject if issuer is None else issuer.subject
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(public_key)
        .serial_number(serial if serial is not None else x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    if key_usage:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=not ca,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    authority_key = issuer_key.public_key()
    if authority_key_identifier and isinstance(
        authority_key, rsa.RSAPublicKey | dsa.DSAPublicKey | ec.EllipticCurvePublicKey
    ):
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(authority_key), critical=False
        )
    for extension, critical in extra:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(issuer_key, hashes.SHA256())


def make_crl(
    issuer: x509.Certificate,
    issuer_key: CertificateIssuerPrivateKeyTypes,
    revoked_serials: Sequence[int],
    *,
    last_update: datetime,
    next_update: datetime,
    authority_key_identifier: bool = True,
    extra: Iterable[tuple[x509.ExtensionType, bool]] = (),
) -> x509.CertificateRevocationList:
    """Issue a CRL listing ``revoked_serials`` (revoked a day before ``last_update``).

    It is signed with ``issuer_key``, whose key identifier it carries unless told not to.
    """
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.subject)
        .last_update(last_update)
        .next_update(next_update)
        .add_extension(x509.CRLNumber(1), critical=False)
    )
    if authority_key_identifier:
        public_key = issuer_key.public_key()
        assert isinstance(
            public_key, rsa.RSAPublicKey | dsa.DSAPublicKey | ec.EllipticCurvePublicKey
        )
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key), critical=False
        )
    for extension, critical in extra:
        builder = builder.add_extension(extension, critical=critical)
    for serial in revoked_serials:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(serial)
            .revocation_date(last_update - DAY)
            .build()
        )
    return builder.sign(issuer_key, hashes.SHA256())


def pem(*objects: x509.Certificate | x509.CertificateRevocationList) -> bytes:
    """Concatenated PEM of certificates and CRLs."""
    return b"".join(o.public_bytes(serialization.Encoding.PEM) for o in objects)


def write_identity(
    directory: Path,
    label: str,
    key: PrivateKeyTypes,
    certificate: x509.Certificate,
    chain: Sequence[x509.Certificate],
    root: x509.Certificate,
    password: str = PASSWORD,
) -> Identity:
    """Write every file of an identity into ``directory`` under the prefix ``label``."""
    encryption = serialization.BestAvailableEncryption(password.encode())
    pkcs8 = serialization.PrivateFormat.PKCS8
    traditional = serialization.PrivateFormat.TraditionalOpenSSL
    none = serialization.NoEncryption()
    pem_encoding = serialization.Encoding.PEM
    der_encoding = serialization.Encoding.DER

    def write(suffix: str, data: bytes) -> Path:
        path = directory / f"{label}{suffix}"
        path.write_bytes(data)
        return path

    return Identity(
        name=label,
        key=write("-key.pem", key.private_bytes(pem_encoding, pkcs8, none)),
        cert=write("-cert.pem", pem(certificate)),
        chain=write("-chain.pem", pem(*chain)),
        root=write("-root.pem", pem(root)),
        key_der=write("-key.der", key.private_bytes(der_encoding, pkcs8, none)),
        key_der_traditional=write(
            "-key-traditional.der", key.private_bytes(der_encoding, traditional, none)
        ),
        key_traditional=write(
            "-key-traditional.pem", key.private_bytes(pem_encoding, traditional, none)
        ),
        cert_der=write("-cert.der", certificate.public_bytes(der_encoding)),
        key_encrypted_pkcs8=write(
            "-key-encrypted.pem", key.private_bytes(pem_encoding, pkcs8, encryption)
        ),
        key_encrypted_traditional=write(
            "-key-encrypted-traditional.pem",
            key.private_bytes(pem_encoding, traditional, encryption),
        ),
        password=password,
        private_key=key,
        certificate=certificate,
    )


def rehash(directory: Path) -> None:
    """Make ``directory`` an OpenSSL hashed directory (``<hash>.N`` / ``<hash>.rN`` links)."""
    subprocess.run(["openssl", "rehash", str(directory)], check=True, capture_output=True)


def build_pki(directory: Path) -> PKI:
    """Generate the whole PKI into ``directory`` (about a second)."""
    directory.mkdir(parents=True, exist_ok=True)
    now = utcnow()
    long_ago, far_ahead = now - 30 * DAY, now + 3650 * DAY
    leaf_start, leaf_end = now - 7 * DAY, now + 1000 * DAY

    root_key = rsa.generate_private_key(65537, 2048)
    root_cert = issue_certificate(
        name("Test Root CA"), root_key.public_key(), None, root_key,
        not_before=long_ago, not_after=far_ahead, ca=True,
    )  # fmt: skip
    inter_key = rsa.generate_private_key(65537, 2048)
    inter_cert = issue_certificate(
        name("Test Intermediate CA"), inter_key.public_key(), root_cert, root_key,
        not_before=long_ago, not_after=far_ahead, ca=True, path_length=0,
    )  # fmt: skip

    def leaf(
        label: str,
        key: rsa.RSAPrivateKey | dsa.DSAPrivateKey | ec.EllipticCurvePrivateKey,
        not_before: datetime = leaf_start,
        not_after: datetime = leaf_end,
    ) -> Identity:
        cert = issue_certificate(
            name(f"Test leaf {label}"), key.public_key(), inter_cert, inter_key,
            not_before=not_before, not_after=not_after,
        )  # fmt: skip
        return write_identity(directory, label, key, cert, [inter_cert], root_cert)

    rsa2048_key = rsa.generate_private_key(65537, 2048)
    dsa_parameters = dsa.generate_parameters(2048)
    self_key = rsa.generate_private_key(65537, 2048)
    self_cert = issue_certificate(
        name("Test self-signed"), self_key.public_key(), None, self_key,
        not_before=leaf_start, not_after=leaf_end, ca=True,
    )  # fmt: skip

    revoked = leaf("revoked", rsa2048_key)
    crl = make_crl(
        inter_cert, inter_key, [revoked.certificate.serial_number],
        last_update=now - DAY, next_update=now + 30 * DAY,
    )  # fmt: skip
    crl_path = directory / "intermediate-crl.pem"
    crl_path.write_bytes(pem(crl))
    crl_der = directory / "intermediate-crl.der"
    crl_der.write_bytes(crl.public_bytes(serialization.Encoding.DER))

    hashed_dir = directory / "hashed"
    hashed_dir.mkdir(exist_ok=True)
    (hashed_dir / "root.pem").write_bytes(pem(root_cert))
    (hashed_dir / "intermediate.pem").write_bytes(pem(inter_cert))
    (hashed_dir / "intermediate.crl").write_bytes(pem(crl))
    rehash(hashed_dir)

    return PKI(
        directory=directory,
        now=now,
        password=PASSWORD,
        root=write_identity(directory, "root", root_key, root_cert, [], root_cert),
        intermediate=write_identity(
            directory, "intermediate", inter_key, inter_cert, [], root_cert
        ),
        rsa2048=leaf("rsa2048", rsa2048_key),
        rsa3072=leaf("rsa3072", rsa.generate_private_key(65537, 3072)),
        dsa2048=leaf("dsa2048", dsa_parameters.generate_private_key()),
        ec256=leaf("ec256", ec.generate_private_key(ec.SECP256R1())),
        ec384=leaf("ec384", ec.generate_private_key(ec.SECP384R1())),
        revoked=revoked,
        expired=leaf("expired", rsa2048_key, now - 60 * DAY, now - 2 * DAY),
        not_yet_valid=leaf("not-yet-valid", rsa2048_key, now + 2 * DAY, leaf_end),
        self_signed=write_identity(directory, "self-signed", self_key, self_cert, [], self_cert),
        rsa_odd=leaf("rsa-odd", rsa.generate_private_key(65537, 1032)),
        crl=crl_path,
        crl_der=crl_der,
        hashed_dir=hashed_dir,
        dsa_parameters=dsa_parameters,
    )
