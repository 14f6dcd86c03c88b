"""Tests of key and certificate handling (dicomsign.signers, dicomsign.pki.certificates):
loading, passwords, classification, description, signers.

Error texts, key descriptions and certificate details are compared with what the real DCMTK
``dcmsign`` prints for the same files.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pydicom.data
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa, x25519
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID

from dicomsign import _core
from dicomsign._core import pem_blocks
from dicomsign.exceptions import CertificateLoadError, KeyLoadError, SignatureCreationError
from dicomsign.pki.certificates import (
    certificate_details,
    describe_public_key,
    format_asn1_time,
    is_weak_key,
    key_bits,
    key_type,
    load_certificate,
    weak_key_warning,
)
from dicomsign.pki.names import name_oneline
from dicomsign.signers import (
    PASSWORD_PROMPT,
    Password,
    Signer,
    SoftwareSigner,
    check_key_matches_certificate,
    load_private_key,
)
from dicomsign.vocabulary import KeyType, MacAlgorithm
from pki import (
    DAY,
    PKI,
    Identity,
    dh_private_key,
    issue_certificate,
    name,
    pem,
    utcnow,
    write_identity,
)

CT_SMALL = pydicom.data.get_testdata_file("CT_small.dcm")


def dcmsign(*args: str | Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["dcmsign", *map(str, args)],
        check=False,
        capture_output=True,
        text=True,
        input=stdin if stdin is not None else "",
    )


def dcmsign_sign(
    key: Path, cert: Path, out: Path, *options: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    assert isinstance(CT_SMALL, str)
    return dcmsign(*options, "+s", key, cert, CT_SMALL, out, stdin=stdin)


def never_asked() -> bytes | None:
    raise AssertionError("the password must not be asked for")


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# ------------------------------------------------------------------------------------------
# Private keys


KEY_FILES: list[tuple[str, bool]] = [
    ("key", False),
    ("key_traditional", False),
    ("key_der", True),
    ("key_der_traditional", True),
]


@pytest.mark.parametrize(("attribute", "der"), KEY_FILES)
@pytest.mark.parametrize("identity_name", ["rsa2048", "dsa2048", "ec256"])
def test_plain_keys_load_in_every_format_as_in_dcmtk(
    pki: PKI, tmp_path: Path, identity_name: str, attribute: str, der: bool
) -> None:
    identity = pki.leaves[identity_name]
    path = getattr(identity, attribute)
    key = load_private_key(path, der=der, ask=never_asked)
    assert key.public_key() == identity.certificate.public_key()
    cert, options = (identity.cert_der, ["-der"]) if der else (identity.cert, [])
    result = dcmsign_sign(path, cert, tmp_path / "out.dcm", *options)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("attribute", ["key_encrypted_pkcs8", "key_encrypted_traditional"])
@pytest.mark.parametrize("identity_name", ["rsa2048", "dsa2048", "ec384"])
def test_encrypted_pem_keys_load_with_the_given_password_as_in_dcmtk(
    pki: PKI, tmp_path: Path, identity_name: str, attribute: str
) -> None:
    identity = pki.leaves[identity_name]
    path = getattr(identity, attribute)
    key = load_private_key(path, password=Password.given(identity.password), ask=never_asked)
    assert key.public_key() == identity.certificate.public_key()
    result = dcmsign_sign(path, identity.cert, tmp_path / "out.dcm", "+pw", identity.password)
    assert result.returncode == 0, result.stderr


def test_encrypted_key_prompts_once_and_plain_key_never(pki: PKI) -> None:
    asked: list[int] = []

    def ask() -> bytes | None:
        asked.append(1)
        return pki.password.encode()

    key = load_private_key(pki.rsa2048.key_encrypted_pkcs8, ask=ask)
    assert isinstance(key, rsa.RSAPrivateKey)
    assert asked == [1]
    load_private_key(pki.rsa2048.key, ask=ask)
    load_private_key(pki.rsa2048.key, password=Password.given("ignored"), ask=ask)
    load_private_key(pki.rsa2048.key, password=Password.empty(), ask=ask)
    assert asked == [1]


def test_password_repr_hides_the_secret() -> None:
    assert "s3cret" not in repr(Password.given("s3cret"))


def key_error(path: Path) -> str:
    return f"file cannot be read: while loading private key file '{path}'"


KEY_FAILURES: list[tuple[str, Callable[[PKI, Path], tuple[Path, list[str]]]]] = [
    ("missing", lambda p, d: (d / "missing.pem", [])),
    ("garbage", lambda p, d: (write(d / "garbage.pem", b"not a key\n"), [])),
    ("certificate", lambda p, d: (p.rsa2048.cert, [])),
    ("der-as-pem", lambda p, d: (p.rsa2048.key_der, [])),
    ("pem-as-der", lambda p, d: (p.rsa2048.key, ["-der"])),
    ("wrong-password", lambda p, d: (p.rsa2048.key_encrypted_pkcs8, ["+pw", "wrong"])),
    ("wrong-password-traditional", lambda p, d: (p.ec256.key_encrypted_traditional, ["+pw", "x"])),
    ("empty-password", lambda p, d: (p.rsa2048.key_encrypted_pkcs8, ["-pw"])),
    ("encrypted-der", lambda p, d: (_encrypted_der(p, d), ["-der", "+pw", p.password])),
]


def _encrypted_der(pki: PKI, directory: Path) -> Path:
    key = pki.rsa2048.private_key
    data = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(pki.password.encode()),
    )
    return write(directory / "encrypted.der", data)


def _password_option(options: list[str]) -> Password | None:
    if "+pw" in options:
        return Password.given(options[options.index("+pw") + 1])
    if "-pw" in options:
        return Password.empty()
    return None


@pytest.mark.parametrize(("case", "make"), KEY_FAILURES, ids=[c for c, _ in KEY_FAILURES])
def test_key_load_failures_match_dcmtk(
    pki: PKI, tmp_path: Path, case: str, make: Callable[[PKI, Path], tuple[Path, list[str]]]
) -> None:
    path, options = make(pki, tmp_path)
    der = "-der" in options
    with pytest.raises(KeyLoadError) as info:
        load_private_key(path, der=der, password=_password_option(options), ask=never_asked)
    assert info.value.message == key_error(path)
    assert info.value.exit_code == 20
    cert = pki.rsa2048.cert_der if der else pki.rsa2048.cert
    result = dcmsign_sign(path, cert, tmp_path / "out.dcm", *options)
    assert result.returncode == 20
    assert f"F: {key_error(path)}" in result.stderr.splitlines()


def test_prompt_at_end_of_input_fails(pki: PKI) -> None:
    with pytest.raises(KeyLoadError):
        load_private_key(pki.rsa2048.key_encrypted_pkcs8, ask=lambda: None)


LOAD_WITH_PIPED_STDIN = """
import sys
from dicomsign.signers import load_private_key
key = load_private_key(sys.argv[1])
print(key.key_size)
"""


@pytest.mark.parametrize("answer", ["right", "wrong", "eof"])
def test_prompt_reads_a_line_from_piped_stdin_like_dcmtk(
    pki: PKI, tmp_path: Path, answer: str
) -> None:
    stdin = {"right": pki.password + "\n", "wrong": "nope\n", "eof": ""}[answer]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    ours = subprocess.run(
        [sys.executable, "-c", LOAD_WITH_PIPED_STDIN, str(pki.rsa2048.key_encrypted_traditional)],
        check=False,
        capture_output=True,
        text=True,
        input=stdin,
        env=env,
    )
    theirs = dcmsign_sign(
        pki.rsa2048.key_encrypted_traditional, pki.rsa2048.cert, tmp_path / "o.dcm", stdin=stdin
    )
    assert theirs.stderr.startswith(PASSWORD_PROMPT + "\n")
    assert ours.stderr.startswith(PASSWORD_PROMPT + "\n")
    assert (ours.returncode == 0) == (theirs.returncode == 0) == (answer == "right")
    if answer == "right":
        assert ours.stdout.strip() == "2048"


def run_on_terminal(argv: list[str], answer: bytes) -> bytes:
    """Run ``argv`` with a pseudo-terminal as its terminal, answer the prompt, return output."""
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child process
        os.execvp(argv[0], argv)
    output = b""
    try:
        while PASSWORD_PROMPT.encode() not in output:
            output += os.read(fd, 1024)
        os.write(fd, answer + b"\n")
        while True:
            chunk = os.read(fd, 1024)
            if not chunk:
                break
            output += chunk
    except OSError:  # the terminal closes when the child exits
        pass
    os.waitpid(pid, 0)
    return output


def test_prompt_on_a_terminal_like_dcmtk(pki: PKI, tmp_path: Path) -> None:
    path = pki.ec256.key_encrypted_pkcs8
    code = f"from dicomsign.signers import load_private_key; load_private_key({str(path)!r}); print('OK')"
    env_path = os.pathsep.join(sys.path)
    ours = run_on_terminal(
        ["env", f"PYTHONPATH={env_path}", sys.executable, "-c", code], pki.password.encode()
    )
    assert ours.startswith(PASSWORD_PROMPT.encode())
    assert ours.rstrip().endswith(b"OK")
    assert isinstance(CT_SMALL, str)
    out = tmp_path / "out.dcm"
    theirs = run_on_terminal(
        ["dcmsign", "+s", str(path), str(pki.ec256.cert), CT_SMALL, str(out)],
        pki.password.encode(),
    )
    assert theirs.startswith(PASSWORD_PROMPT.encode())
    assert out.exists()


def test_pem_files_with_other_blocks_before_the_key(pki: PKI, tmp_path: Path) -> None:
    ecparam = subprocess.run(
        ["openssl", "ecparam", "-name", "prime256v1", "-genkey"],
        check=True,
        capture_output=True,
    ).stdout
    assert b"EC PARAMETERS" in ecparam
    key_file = write(tmp_path / "ecparam.pem", ecparam)
    key = load_private_key(key_file, ask=never_asked)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    combined = write(
        tmp_path / "combined.pem", pki.rsa2048.cert.read_bytes() + pki.rsa2048.key.read_bytes()
    )
    assert load_private_key(combined).public_key() == pki.rsa2048.certificate.public_key()
    assert load_certificate(combined) == pki.rsa2048.certificate
    result = dcmsign_sign(combined, combined, tmp_path / "combined.dcm")
    assert result.returncode == 0, result.stderr


def test_pem_blocks_parses_headers_and_bodies(pki: PKI) -> None:
    blocks = list(pem_blocks(pki.rsa2048.key_encrypted_traditional.read_bytes()))
    assert [b.label for b in blocks] == ["RSA PRIVATE KEY"]
    assert blocks[0].encrypted
    assert blocks[0].headers["Proc-Type"] == "4,ENCRYPTED"
    assert "DEK-Info" in blocks[0].headers
    chain = list(pem_blocks(pki.rsa2048.cert.read_bytes() + b"junk\n" + pki.crl.read_bytes()))
    assert [b.label for b in chain] == ["CERTIFICATE", "X509 CRL"]
    assert chain[0].data == pki.rsa2048.cert_der.read_bytes()
    assert not chain[0].encrypted
    broken = b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"
    assert [b.data for b in pem_blocks(broken)] == [None]
    assert list(pem_blocks(b"-----BEGIN CERTIFICATE-----\nAAAA\n")) == []


# ------------------------------------------------------------------------------------------
# Certificates


def cert_error(path: Path) -> str:
    return f"file cannot be read: while loading certificate file '{path}'"


def test_certificates_load_as_pem_der_and_padded_der(pki: PKI, tmp_path: Path) -> None:
    identity = pki.ec256
    assert load_certificate(identity.cert) == identity.certificate
    assert load_certificate(identity.cert_der, der=True) == identity.certificate
    padded = write(tmp_path / "padded.der", identity.cert_der.read_bytes() + b"\x00")
    assert load_certificate(padded, der=True) == identity.certificate
    two = write(tmp_path / "two.pem", identity.cert.read_bytes() + pki.root.cert.read_bytes())
    assert load_certificate(two) == identity.certificate


CERT_FAILURES: list[tuple[str, Callable[[PKI, Path], tuple[Path, bool]]]] = [
    ("missing", lambda p, d: (d / "missing.pem", False)),
    ("garbage", lambda p, d: (write(d / "garbage.pem", b"garbage\n"), False)),
    ("key-only", lambda p, d: (p.rsa2048.key, False)),
    ("pem-as-der", lambda p, d: (p.rsa2048.cert, True)),
    ("der-as-pem", lambda p, d: (p.rsa2048.cert_der, False)),
    ("crl", lambda p, d: (p.crl, False)),
]


@pytest.mark.parametrize(("case", "make"), CERT_FAILURES, ids=[c for c, _ in CERT_FAILURES])
def test_certificate_load_failures_match_dcmtk(
    pki: PKI, tmp_path: Path, case: str, make: Callable[[PKI, Path], tuple[Path, bool]]
) -> None:
    path, der = make(pki, tmp_path)
    with pytest.raises(CertificateLoadError) as info:
        load_certificate(path, der=der)
    assert info.value.message == cert_error(path)
    assert info.value.exit_code == 20
    key = pki.rsa2048.key_der if der else pki.rsa2048.key
    options = ["-der"] if der else []
    result = dcmsign_sign(key, path, tmp_path / "out.dcm", *options)
    assert result.returncode == 20
    assert f"F: {cert_error(path)}" in result.stderr.splitlines()


def test_certificate_is_loaded_before_the_key_as_in_dcmtk(tmp_path: Path) -> None:
    key, cert = tmp_path / "missing.key", tmp_path / "missing.pem"
    with pytest.raises(CertificateLoadError):
        SoftwareSigner.from_files(key, cert)
    result = dcmsign_sign(key, cert, tmp_path / "out.dcm")
    assert f"F: {cert_error(cert)}" in result.stderr.splitlines()


# ------------------------------------------------------------------------------------------
# Key/certificate match and signers


def test_key_certificate_mismatch_matches_dcmtk(pki: PKI, tmp_path: Path) -> None:
    check_key_matches_certificate(pki.rsa2048.private_key, pki.rsa2048.certificate)
    # The revoked leaf shares the RSA 2048 key: it matches too.
    check_key_matches_certificate(pki.rsa2048.private_key, pki.revoked.certificate)
    for key, cert in [(pki.rsa3072, pki.rsa2048), (pki.ec256, pki.rsa2048), (pki.ec256, pki.ec384)]:
        with pytest.raises(SignatureCreationError) as info:
            check_key_matches_certificate(key.private_key, cert.certificate)
        assert info.value.message == "certificate and private key do not match"
        assert info.value.exit_code == 85
    result = dcmsign_sign(pki.rsa3072.key, pki.rsa2048.cert, tmp_path / "out.dcm")
    assert result.returncode == 85
    assert (
        "E: certificate and private key do not match while creating signature in main dataset"
        in result.stderr
    )


@pytest.mark.parametrize("identity_name", ["rsa2048", "dsa2048", "ec256"])
def test_software_signer(pki: PKI, identity_name: str) -> None:
    identity = pki.leaves[identity_name]
    signer = SoftwareSigner.from_files(identity.key, identity.cert)
    assert isinstance(signer, Signer)
    signer.check_matches()
    assert signer.key_type is key_type(identity.certificate)
    assert signer.certificate == identity.certificate
    digest = bytes(32)
    signature = signer.sign_digest("SHA256", digest)
    key = _core.Certificate(identity.certificate.public_bytes(serialization.Encoding.DER))
    assert key.public_key.verify_digest(MacAlgorithm.SHA256, digest, signature)
    assert "PrivateKey" not in repr(signer)
    mismatched = SoftwareSigner(pki.rsa3072.private_key, identity.certificate)
    with pytest.raises(SignatureCreationError):
        mismatched.check_matches()


def test_encrypted_signer_from_der_files(pki: PKI) -> None:
    signer = SoftwareSigner.from_files(pki.ec384.key_der, pki.ec384.cert_der, der=True)
    assert signer.key_type is KeyType.EC
    signer = SoftwareSigner.from_files(
        pki.ec384.key_encrypted_pkcs8, pki.ec384.cert, password=Password.given(pki.password)
    )
    signer.check_matches()


# ------------------------------------------------------------------------------------------
# Classification and description, compared with dcmsign -v


def test_key_types(pki: PKI) -> None:
    assert key_type(pki.rsa2048.certificate) is KeyType.RSA
    assert key_type(pki.rsa2048.private_key) is KeyType.RSA
    assert key_type(pki.dsa2048.certificate) is KeyType.DSA
    assert key_type(pki.ec384.private_key) is KeyType.EC
    assert key_type(pki.ec384.certificate.public_key()) is KeyType.EC
    assert key_type(dh_private_key()) is KeyType.DH
    assert key_type(ed25519.Ed25519PrivateKey.generate()) is KeyType.NONE
    assert key_type(x25519.X25519PrivateKey.generate().public_key()) is KeyType.NONE


def _openssl(*args: str | Path) -> bytes:
    return subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True).stdout


def small_rsa_key(bits: int) -> rsa.RSAPrivateKey:
    """An RSA key below cryptography's 1024-bit generation minimum, made by openssl."""
    pem_key = _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", f"rsa_keygen_bits:{bits}")
    key = serialization.load_pem_private_key(pem_key, None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


@pytest.fixture(scope="session")
def unsupported_certificates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Self-signed RSA-PSS and Ed25519 certificates (made with the openssl command)."""
    directory = tmp_path_factory.mktemp("unsupported")
    made = {}
    for label, algorithm in (("pss", "RSA-PSS"), ("ed25519", "ED25519")):
        key, cert = directory / f"{label}.key", directory / f"{label}.pem"
        _openssl("genpkey", "-algorithm", algorithm, "-out", key)
        _openssl("req", "-x509", "-key", key, "-out", cert, "-days", "30", "-subj", f"/CN={label}")
        made[label] = cert
    return made


def test_rsa_pss_and_eddsa_certificates_are_key_type_none(
    unsupported_certificates: dict[str, Path],
) -> None:
    for path in unsupported_certificates.values():
        cert = load_certificate(path)
        assert key_type(cert) is KeyType.NONE
        assert describe_public_key(cert) == "unknown type"
        assert weak_key_warning(cert) == "Certificate contains a weak key: unknown type"


def test_rsa_pss_and_eddsa_keys_are_refused_by_dcmtk_too(tmp_path: Path) -> None:
    for algorithm in ("RSA-PSS", "ED25519"):
        key, cert = tmp_path / "k.pem", tmp_path / "c.pem"
        _openssl("genpkey", "-algorithm", algorithm, "-out", key)
        _openssl("req", "-x509", "-key", key, "-out", cert, "-days", "30", "-subj", "/CN=x")
        result = dcmsign_sign(key, cert, tmp_path / "o.dcm")
        assert result.returncode == 85
        assert "signature algorithm not allowed for the selected security profile" in (
            result.stderr
        )
        assert key_type(load_certificate(cert)) is KeyType.NONE


def verbose_certificate_lines(signed: Path) -> dict[str, str]:
    """The certificate block of ``dcmsign -v`` for the first signature of ``signed``."""
    result = dcmsign("-v", signed)
    lines: dict[str, str] = {}
    for line in result.stderr.splitlines():
        text = line[3:].strip()
        if ":" in text and text.split(":", 1)[0].strip() in (
            "Subject",
            "Issued by",
            "Serial no.",
            "Public key",
        ):
            field, value = text.split(":", 1)
            lines[field.strip()] = value.strip()
        elif text.startswith("Validity"):
            value = text.split(":", 1)[1].strip()
            lines["not before" if value.startswith("not before") else "not after"] = value
        elif text.startswith("X.509v"):
            lines["version"] = text
        elif text.startswith("Certificate contains a weak key"):
            lines["weak"] = text
    return lines


@pytest.fixture(scope="session")
def described(pki: PKI, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Identity]:
    """Leaves plus weak and oddly named self-signed identities, for the description tests."""
    directory = tmp_path_factory.mktemp("described")
    now = utcnow()
    identities = dict(pki.leaves)
    odd_name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Ünïcödé/a+b, c=d"),
            x509.NameAttribute(NameOID.EMAIL_ADDRESS, "x@example.org"),
        ]
    )
    extra: dict[str, tuple[rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, x509.Name, int]] = {
        "rsa768": (small_rsa_key(768), name("weak RSA"), 17),
        "ec224": (ec.generate_private_key(ec.SECP224R1()), name("weak EC"), 2**62),
        "odd-name": (ec.generate_private_key(ec.SECP521R1()), odd_name, 2**70),
    }
    for label, (key, subject, serial) in extra.items():
        cert = issue_certificate(
            subject, key.public_key(), None, key,
            not_before=now - 3 * DAY, not_after=now + 40 * DAY, ca=True, serial=serial,
        )  # fmt: skip
        identities[label] = write_identity(directory, label, key, cert, [], cert)
    return identities


@pytest.fixture(scope="session")
def dcmtk_verbose(
    described: dict[str, Identity], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, str]]:
    directory = tmp_path_factory.mktemp("verbose")
    lines = {}
    for label, identity in described.items():
        out = directory / f"{label}.dcm"
        result = dcmsign_sign(identity.key, identity.cert, out)
        assert result.returncode == 0, result.stderr
        lines[label] = verbose_certificate_lines(out)
    return lines


@pytest.mark.parametrize(
    "label", ["rsa2048", "rsa3072", "dsa2048", "ec256", "ec384", "rsa768", "ec224", "odd-name"]
)
def test_certificate_details_match_dcmsign_verbose(
    described: dict[str, Identity], dcmtk_verbose: dict[str, dict[str, str]], label: str
) -> None:
    theirs = dcmtk_verbose[label]
    details = certificate_details(described[label].certificate)
    assert theirs["version"] == f"X.509v{details.version}"
    assert theirs["Subject"] == details.subject
    assert theirs["Issued by"] == details.issuer
    assert theirs["Serial no."] == str(details.serial)
    assert theirs["not before"] == f"not before {details.not_before}"
    assert theirs["not after"] == f"not after {details.not_after}"
    assert theirs["Public key"] == details.public_key
    assert theirs.get("weak") == weak_key_warning(described[label].certificate)


def test_descriptions(pki: PKI) -> None:
    assert describe_public_key(pki.rsa3072.certificate) == "RSA, 3072 bits"
    assert describe_public_key(pki.ec256.private_key) == "EC, curve prime256v1, 256 bits"
    assert describe_public_key(pki.ec384.certificate) == "EC, curve secp384r1, 384 bits"
    assert describe_public_key(pki.dsa2048.certificate) == "DSA, 2048 bits"
    dh_key = dh_private_key()
    assert describe_public_key(dh_key) == "DH, 512 bits"
    assert key_bits(ec.generate_private_key(ec.SECP521R1())) == 521
    assert certificate_details(pki.rsa2048.certificate).serial == -1  # 159-bit random serial


@pytest.mark.parametrize(
    ("key", "weak"),
    [
        (lambda: rsa.generate_private_key(65537, 1024), False),
        (lambda: small_rsa_key(1016), True),
        (lambda: ec.generate_private_key(ec.SECP256R1()), False),
        (lambda: ec.generate_private_key(ec.SECP224R1()), True),
        (lambda: dh_private_key(), True),
    ],
    ids=["rsa1024", "rsa1016", "p256", "p224", "dh512"],
)
def test_weak_key_thresholds(key: Callable[[], PrivateKeyTypes], weak: bool) -> None:
    made = key()
    assert key_type(made) in (KeyType.RSA, KeyType.EC, KeyType.DH)
    assert is_weak_key(made) is weak
    assert (weak_key_warning(made) is not None) is weak


def test_asn1_time_format() -> None:
    assert format_asn1_time(datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)) == "Mar  4 05:06:07 2026 GMT"
    assert format_asn1_time(datetime(2031, 12, 24, 23, 0, 0, tzinfo=UTC)) == (
        "Dec 24 23:00:00 2031 GMT"
    )


def test_generalized_time_validity_prints_empty_like_dcmtk(pki: PKI) -> None:
    key = pki.ec256.private_key
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    cert = issue_certificate(
        name("far"), key.public_key(), None, key,
        not_before=utcnow() - DAY, not_after=datetime(2051, 1, 1, tzinfo=UTC), ca=True,
    )  # fmt: skip
    details = certificate_details(cert)
    assert details.not_after == ""
    assert details.not_before != ""


def test_name_oneline_escapes() -> None:
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "a/b+c\u00e9"),
            x509.NameAttribute(x509.ObjectIdentifier("1.2.3.4"), "v"),
        ]
    )
    assert name_oneline(subject) == "/CN=a\\/b\\+c\\xC3\\xA9/1.2.3.4=v"
    bmp = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "A", _type=_ASN1Type.BMPString)])
    assert name_oneline(bmp) == "/CN=\\x00A"


def test_pem_round_trip_of_generated_identity(pki: PKI, tmp_path: Path) -> None:
    cert = pki.rsa2048.certificate
    path = write(tmp_path / "c.pem", pem(cert))
    assert load_certificate(path).fingerprint(hashes.SHA256()) == cert.fingerprint(hashes.SHA256())


@pytest.mark.parametrize("algorithm", list(MacAlgorithm))
def test_rsa_signatures_are_the_engines_bytes_whichever_library_signs(
    pki: PKI, algorithm: MacAlgorithm
) -> None:
    """RSA digests are signed by OpenSSL (faster) except RIPEMD-160 (the engine): PKCS#1 v1.5
    is deterministic, so both give the same bytes."""
    signer = SoftwareSigner.from_files(pki.rsa2048.key, pki.rsa2048.cert)
    der = signer.private_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    digest = bytes(range(algorithm.digest_size))
    engine = _core.PrivateKey.from_pkcs8(der).sign_digest(algorithm, digest)
    assert signer.sign_digest(algorithm, digest) == engine
