"""Tests of DICOM signatures over a MAC digest: MAC names, DER trimming, signing
(``SoftwareSigner``, the engine's ``PrivateKey``) and verifying (the engine's ``PublicKey``).

Independent oracles: ``openssl dgst -verify`` for our signatures over the message, and the real
DCMTK ``dcmsign`` in both directions (we verify what it signs, it verifies what we sign).
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pydicom
import pydicom.data
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, padding, rsa, utils
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from dicomsign import _core
from dicomsign.exceptions import SignatureCreationError
from dicomsign.signers import SoftwareSigner
from dicomsign.vocabulary import MacAlgorithm
from pki import PKI, dh_private_key

MACS = tuple(MacAlgorithm)
HASHLIB = {
    "RIPEMD160": "ripemd160",
    "SHA1": "sha1",
    "MD5": "md5",
    "SHA256": "sha256",
    "SHA384": "sha384",
    "SHA512": "sha512",
}


def digest_of(mac: str, data: bytes) -> bytes:
    return hashlib.new(HASHLIB[mac], data).digest()


def sign_digest(key: PrivateKeyTypes, mac: str, digest: bytes) -> bytes:
    """Sign as the key file signer does (only its key is used)."""
    return SoftwareSigner(key, None).sign_digest(MacAlgorithm(mac), digest)  # type: ignore[arg-type]


def verify_digest(public_key: object, mac: str, digest: bytes, signature: bytes) -> bool:
    """Check a DICOM signature with the engine's rule."""
    spki = public_key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return _core.PublicKey.from_spki(spki).verify_digest(MacAlgorithm(mac), digest, signature)


def der_signature_length_form(signature: bytes) -> int:
    """Second byte of a DER SEQUENCE: the length octet (< 0x80, 0x81 or 0x82)."""
    return signature[1]


# ------------------------------------------------------------------------------------------
# Names and hashes


def test_mac_names_are_the_dicom_terms() -> None:
    assert MACS == ("RIPEMD160", "SHA1", "MD5", "SHA256", "SHA384", "SHA512")


@pytest.mark.parametrize("mac", MACS)
def test_digest_sizes_and_digests_match_hashlib(mac: str) -> None:
    assert MacAlgorithm(mac).digest_size == len(digest_of(mac, b""))
    assert _core.Hasher(MacAlgorithm(mac)).finalize() == digest_of(mac, b"")


@pytest.mark.parametrize("bad", ["sha256", "RIPEMD-160", "SHA224", ""])
def test_unknown_mac_name_is_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match="is not a valid MacAlgorithm"):
        MacAlgorithm(bad)


def test_digest_of_wrong_length_is_rejected(pki: PKI) -> None:
    key = pki.rsa2048.private_key
    assert isinstance(key, rsa.RSAPrivateKey)
    with pytest.raises(ValueError, match="SHA256 digest has 32 bytes"):
        sign_digest(key, "SHA256", b"\x00" * 20)
    assert not verify_digest(key.public_key(), "SHA1", b"\x00" * 32, b"")


# ------------------------------------------------------------------------------------------
# DER trimming


@pytest.mark.parametrize(
    ("encoded", "expected"),
    [
        (bytes.fromhex("3003020101"), bytes.fromhex("3003020101")),
        (bytes.fromhex("300302010100"), bytes.fromhex("3003020101")),
        (bytes.fromhex("0400"), bytes.fromhex("0400")),
        (bytes.fromhex("040000"), bytes.fromhex("0400")),
        (b"\x30\x81\x80" + b"\x01" * 128 + b"\x00", b"\x30\x81\x80" + b"\x01" * 128),
        (b"\x30\x82\x01\x00" + b"\x02" * 256 + b"\x00", b"\x30\x82\x01\x00" + b"\x02" * 256),
        (
            b"\x30\x83\x00\x01\x00" + b"\x03" * 256 + b"\x00",
            b"\x30\x83\x00\x01\x00" + b"\x03" * 256,
        ),
        (b"\x1f\x81\x01\x01\xaa\x00", b"\x1f\x81\x01\x01\xaa"),  # high tag number form
    ],
    ids=["short", "short+pad", "empty", "empty+pad", "0x81+pad", "0x82+pad", "0x83+pad", "tag"],
)
def test_trim_der_cuts_after_the_outer_tlv(encoded: bytes, expected: bytes) -> None:
    assert _core.trim_der(encoded) == expected


@pytest.mark.parametrize(
    "malformed",
    [b"", b"\x30", b"\x30\x05\x01", b"\x30\x80\x00\x00", b"\x30\x84\x00", b"\x30\xff\x00"],
    ids=["empty", "tag-only", "truncated", "indefinite", "short-long-length", "reserved"],
)
def test_trim_der_leaves_malformed_data_alone(malformed: bytes) -> None:
    assert _core.trim_der(malformed) == malformed


def test_trim_der_on_a_padded_certificate(pki: PKI) -> None:
    der = pki.rsa2048.certificate.public_bytes(serialization.Encoding.DER)
    assert _core.trim_der(der + b"\x00") == der
    assert _core.trim_der(der) == der


# ------------------------------------------------------------------------------------------
# Signing


@pytest.mark.parametrize("mac", MACS)
@pytest.mark.parametrize("identity_name", ["rsa2048", "rsa3072", "dsa2048", "ec256", "ec384"])
def test_sign_verify_round_trip(pki: PKI, identity_name: str, mac: str) -> None:
    identity = pki.leaves[identity_name]
    digest = digest_of(mac, b"the MAC stream")
    signature = sign_digest(identity.private_key, mac, digest)
    public_key = identity.certificate.public_key()
    assert len(signature) % 2 == 0
    assert verify_digest(public_key, mac, digest, signature)
    assert not verify_digest(public_key, mac, digest_of(mac, b"tampered"), signature)
    other = pki.rsa3072 if identity_name != "rsa3072" else pki.rsa2048
    assert not verify_digest(other.certificate.public_key(), mac, digest, signature)


def test_rsa_signature_is_modulus_long_pkcs1(pki: PKI) -> None:
    digest = digest_of("SHA256", b"x")
    for identity, size in ((pki.rsa2048, 256), (pki.rsa3072, 384)):
        assert len(sign_digest(identity.private_key, "SHA256", digest)) == size


@pytest.mark.parametrize("mac", MACS)
@pytest.mark.parametrize("identity_name", ["rsa2048", "dsa2048", "ec256"])
def test_openssl_verifies_our_signature_over_the_message(
    pki: PKI, tmp_path: Path, identity_name: str, mac: str
) -> None:
    identity = pki.leaves[identity_name]
    message = tmp_path / "message"
    message.write_bytes(b"stream fed into the MAC " * 10)
    signature = tmp_path / "signature"
    signature.write_bytes(
        sign_digest(identity.private_key, mac, digest_of(mac, message.read_bytes()))
    )
    public = tmp_path / "public.pem"
    public.write_bytes(
        identity.certificate.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    result = subprocess.run(
        [
            "openssl",
            "dgst",
            f"-{HASHLIB[mac]}",
            "-verify",
            public,
            "-signature",
            signature,
            message,
        ],
        check=False,
        capture_output=True,
        text=True,
    )
    assert result.stdout.strip() == "Verified OK", result.stderr


@pytest.mark.parametrize(
    "curve", [ec.SECP256R1(), ec.SECP384R1(), ec.SECP521R1()], ids=lambda curve: curve.name
)
def test_ecdsa_signatures_always_have_even_der_length(curve: ec.EllipticCurve) -> None:
    key = ec.generate_private_key(curve)
    digest = digest_of("SHA512", b"m")
    for _ in range(40):
        signature = sign_digest(key, "SHA512", digest)
        assert len(signature) % 2 == 0
        assert _core.trim_der(signature) == signature  # a whole DER, no pad
        key.public_key().verify(signature, digest, ec.ECDSA(utils.Prehashed(hashes.SHA512())))


def test_dsa_signatures_always_have_even_der_length(pki: PKI) -> None:
    key = pki.dsa2048.private_key
    assert isinstance(key, dsa.DSAPrivateKey)
    digest = digest_of("RIPEMD160", b"m")
    lengths = {len(sign_digest(key, "RIPEMD160", digest)) for _ in range(40)}
    assert all(length % 2 == 0 for length in lengths)


def test_rsa_key_with_odd_modulus_length_is_refused(pki: PKI) -> None:
    key = pki.rsa_odd.private_key
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 1032
    with pytest.raises(SignatureCreationError, match="odd modulus length of 129 bytes") as info:
        sign_digest(key, "SHA256", digest_of("SHA256", b""))
    assert info.value.exit_code == 85


def test_dh_and_eddsa_keys_cannot_sign(pki: PKI) -> None:
    digest = digest_of("SHA256", b"")
    dh_key = dh_private_key()
    with pytest.raises(SignatureCreationError, match="^an OpenSSL call has failed$"):
        sign_digest(dh_key, "SHA256", digest)
    with pytest.raises(SignatureCreationError, match="not allowed for the selected"):
        sign_digest(ed25519.Ed25519PrivateKey.generate(), "SHA256", digest)
    assert not verify_digest(
        ed25519.Ed25519PrivateKey.generate().public_key(), "SHA256", digest, b"\x00" * 64
    )


# ------------------------------------------------------------------------------------------
# Lenient verification of padded signatures


def test_verify_accepts_dcmtk_pad_after_ecdsa_der_in_every_length_form() -> None:
    key = ec.generate_private_key(ec.SECP521R1())
    digest = digest_of("SHA256", b"P-521 uses the 0x81 length form")
    prehashed = ec.ECDSA(utils.Prehashed(hashes.SHA256()))
    forms = set()
    for _ in range(20):
        signature = key.sign(digest, prehashed)  # raw cryptography signature, any length
        forms.add(der_signature_length_form(signature))
        padded = signature + b"\x00" if len(signature) % 2 else signature
        assert verify_digest(key.public_key(), "SHA256", digest, padded)
    assert 0x81 in forms


def test_verify_accepts_pad_after_short_form_dsa_der(pki: PKI) -> None:
    key = pki.dsa2048.private_key
    assert isinstance(key, dsa.DSAPrivateKey)
    digest = digest_of("SHA1", b"x")
    signature = key.sign(digest, utils.Prehashed(hashes.SHA1()))
    assert der_signature_length_form(signature) < 0x80
    assert verify_digest(key.public_key(), "SHA1", digest, signature + b"\x00")


def test_verify_accepts_rsa_signature_with_one_zero_pad(pki: PKI) -> None:
    key = pki.rsa_odd.private_key
    assert isinstance(key, rsa.RSAPrivateKey)
    digest = digest_of("SHA256", b"x")
    signature = key.sign(digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
    assert len(signature) == 129
    public_key = key.public_key()
    assert verify_digest(public_key, "SHA256", digest, signature)
    assert verify_digest(public_key, "SHA256", digest, signature + b"\x00")
    assert not verify_digest(public_key, "SHA256", digest, signature + b"\x01")
    assert not verify_digest(public_key, "SHA256", digest, signature + b"\x00\x00")


def test_verify_rejects_garbage(pki: PKI) -> None:
    digest = digest_of("SHA256", b"x")
    for identity in pki.leaves.values():
        public_key = identity.certificate.public_key()
        for garbage in (b"", b"\x30\x00", b"\x00" * 64, b"\x30\x81"):
            assert not verify_digest(public_key, "SHA256", digest, garbage)


# ------------------------------------------------------------------------------------------
# Both directions against the real DCMTK dcmsign


def _dcmsign(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["dcmsign", *map(str, args)], check=False, capture_output=True, text=True)


DCMTK_MAC_OPTION = {
    "RIPEMD160": "+mr",
    "SHA1": "+ms",
    "MD5": "+mm",
    "SHA256": "+m2",
    "SHA384": "+m3",
    "SHA512": "+m5",
}


@pytest.fixture(scope="session")
def dcmtk_signed(pki: PKI, tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """CT_small signed by DCMTK for each leaf and MAC, with the ``+d`` MAC stream dump."""
    source = pydicom.data.get_testdata_file("CT_small.dcm")
    assert isinstance(source, str)
    directory = tmp_path_factory.mktemp("dcmtk-signed")
    files = {}
    for name in ("rsa2048", "dsa2048", "ec256", "ec384"):
        identity = pki.leaves[name]
        for mac in MACS:
            out = directory / f"{name}-{mac}.dcm"
            dump = directory / f"{name}-{mac}.bin"
            result = _dcmsign(
                "+s", identity.key, identity.cert, DCMTK_MAC_OPTION[mac], "+d", dump, source, out
            )
            assert result.returncode == 0, result.stderr
            files[(name, mac)] = out
    return files


def _stored_signature(path: Path) -> tuple[bytes, str]:
    dataset = pydicom.dcmread(path)
    item = dataset.DigitalSignaturesSequence[0]
    mac = dataset.MACParametersSequence[0].MACAlgorithm
    return bytes(item.Signature), str(mac)


@pytest.mark.parametrize("mac", MACS)
@pytest.mark.parametrize("name", ["rsa2048", "dsa2048", "ec256", "ec384"])
def test_we_verify_dcmtk_signatures(
    pki: PKI, dcmtk_signed: dict[tuple[str, str], Path], name: str, mac: str
) -> None:
    path = dcmtk_signed[(name, mac)]
    signature, stored_mac = _stored_signature(path)
    assert stored_mac == mac
    digest = digest_of(mac, path.with_suffix(".bin").read_bytes())
    public_key = pki.leaves[name].certificate.public_key()
    assert verify_digest(public_key, mac, digest, signature)
    assert not verify_digest(public_key, mac, digest_of(mac, b"other"), signature)


def _replace_signature(path: Path, key: PrivateKeyTypes, mac: str, target: Path) -> None:
    """Replace DCMTK's signature by ours over the same MAC stream (same length, patched)."""
    old, _ = _stored_signature(path)
    digest = digest_of(mac, path.with_suffix(".bin").read_bytes())
    if isinstance(key, rsa.RSAPrivateKey):
        # PKCS#1 v1.5 is deterministic: ours must equal DCMTK's byte for byte.
        new = sign_digest(key, mac, digest)
        assert new == old
        target.write_bytes(path.read_bytes())
        return
    for _ in range(500):
        new = sign_digest(key, mac, digest)
        if len(new) == len(old) and new != old:
            break
    else:  # pragma: no cover - lengths of these key types always recur quickly
        raise AssertionError("no signature of the stored length")
    content = path.read_bytes()
    assert content.count(old) == 1
    target.write_bytes(content.replace(old, new))


@pytest.mark.parametrize("mac", MACS)
@pytest.mark.parametrize("name", ["rsa2048", "dsa2048", "ec256", "ec384"])
def test_dcmtk_verifies_our_signatures(
    pki: PKI, dcmtk_signed: dict[tuple[str, str], Path], tmp_path: Path, name: str, mac: str
) -> None:
    identity = pki.leaves[name]
    ours = tmp_path / "ours.dcm"
    _replace_signature(dcmtk_signed[(name, mac)], identity.private_key, mac, ours)
    result = _dcmsign("+cf", identity.root, "+uf", identity.chain, ours)
    assert result.returncode == 0, result.stderr
    assert "Signature Verification : OK" in result.stderr
    # A corrupted signature of ours fails in DCMTK too.
    content = bytearray(ours.read_bytes())
    signature, _ = _stored_signature(ours)
    offset = bytes(content).index(signature) + len(signature) // 2
    content[offset] ^= 0xFF
    ours.write_bytes(bytes(content))
    result = _dcmsign("+cf", identity.root, "+uf", identity.chain, ours)
    assert result.returncode == 101
    assert "signature is invalid (document corrupted)" in result.stderr


def test_dcmtk_cannot_verify_an_odd_rsa_modulus_which_is_why_we_refuse(
    pki: PKI, tmp_path: Path
) -> None:
    source = pydicom.data.get_testdata_file("CT_small.dcm")
    assert isinstance(source, str)
    out = tmp_path / "odd.dcm"
    identity = pki.rsa_odd
    assert _dcmsign("+s", identity.key, identity.cert, source, out).returncode == 0
    result = _dcmsign("+cf", identity.root, "+uf", identity.chain, out)
    assert result.returncode == 101
    assert "signature is invalid (document corrupted)" in result.stderr
    signature, mac = _stored_signature(out)
    assert len(signature) == 130  # 129-byte RSA signature plus DCMTK's pad byte
    dump = tmp_path / "odd.bin"
    assert _dcmsign("+s", identity.key, identity.cert, "+d", dump, source, out).returncode == 0
    signature, mac = _stored_signature(out)
    public_key = identity.certificate.public_key()
    assert verify_digest(public_key, mac, digest_of(mac, dump.read_bytes()), signature)


# ------------------------------------------------------------------------------------------
# Every elliptic curve OpenSSL offers, both directions with DCMTK (the engine checks and makes
# DICOM signatures; see the README for the two curves it cannot sign on)

CURVES = {
    "P-192": ec.SECP192R1(),
    "P-224": ec.SECP224R1(),
    "P-521": ec.SECP521R1(),
    "secp256k1": ec.SECP256K1(),
    "brainpoolP256r1": ec.BrainpoolP256R1(),
    "brainpoolP384r1": ec.BrainpoolP384R1(),
    "brainpoolP512r1": ec.BrainpoolP512R1(),
}


@pytest.fixture(scope="session")
def curve_identities(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """A self-signed certificate and its key (PEM files) on each curve."""
    from datetime import timedelta

    from pki import issue_certificate, name, pem, utcnow

    directory = tmp_path_factory.mktemp("curves")
    made = {}
    for label, curve in CURVES.items():
        key = ec.generate_private_key(curve)
        cert = issue_certificate(
            name(f"Test {label}"), key.public_key(), None, key,
            not_before=utcnow() - timedelta(days=3), not_after=utcnow() + timedelta(days=30),
        )  # fmt: skip
        key_path, cert_path = directory / f"{label}-key.pem", directory / f"{label}-cert.pem"
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        cert_path.write_bytes(pem(cert))
        made[label] = (key_path, cert_path)
    return made


@pytest.mark.parametrize("label", sorted(CURVES))
def test_every_curve_both_directions_with_dcmtk(
    label: str, curve_identities: dict[str, tuple[Path, Path]], tmp_path: Path
) -> None:
    from dcmtk import ours

    key, cert = curve_identities[label]
    source = pydicom.data.get_testdata_file("CT_small.dcm")
    assert isinstance(source, str)
    theirs_file, ours_file = tmp_path / "theirs.dcm", tmp_path / "ours.dcm"
    assert _dcmsign("+s", key, cert, "+m2", source, theirs_file).returncode == 0
    verified = ours("+cf", cert, theirs_file)
    signed = ours("+s", key, cert, "+m2", source, ours_file)
    if label == "brainpoolP512r1":
        # The engine has no arithmetic for this curve: a clear refusal, never a false verdict.
        assert verified.returncode == 101
        assert "cannot be checked by this version" in verified.stderr
        assert "certificate is missing or unreadable" in verified.stderr
    else:
        assert verified.returncode == 0, verified.stderr
        assert "Signature Verification : OK" in verified.stderr
    if label in ("P-192", "brainpoolP512r1"):
        assert signed.returncode == 85
        assert "signing with EC keys on curve " in signed.stderr
        assert not ours_file.exists()
        return
    assert signed.returncode == 0, signed.stderr
    checked = _dcmsign("+cf", cert, ours_file)
    assert checked.returncode == 0, checked.stderr
    assert "Signature Verification : OK" in checked.stderr
    assert ours("+cf", cert, ours_file).returncode == 0
