"""Unit tests of :mod:`dicomsign.tsp`: the query DCMTK writes, the response checks, reading a
token, the UID file and OpenSSL's RSA failure reasons (the interop tests run DCMTK)."""

from __future__ import annotations

from pathlib import Path

import pytest
from asn1crypto import core, tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from dicomsign import _core
from dicomsign.exceptions import TimestampError
from dicomsign.exitcodes import ExitCode
from dicomsign.tsp import HEALED, TimestampJudgement
from dicomsign.tsp.query import build_query, digest, parse_policy_oid
from dicomsign.tsp.reply import check_response, parse_query, parse_response
from dicomsign.tsp.uidfile import read_uid_file, uid_file_bytes, write_uid_file
from dicomsign.tsp.verify import _rsa_reason, read_token
from dicomsign.vocabulary import MacAlgorithm, TimestampPolicy
from tsa import TestTSA

SHA256_OID = bytes.fromhex("0609608648016503040201")


def test_query_bytes_are_dcmtks() -> None:
    data = b"signature bytes"
    query = build_query(data, nonce=0x1122334455667788)
    expected = (
        bytes.fromhex("3043020101303130 0d".replace(" ", ""))
        + SHA256_OID
        + bytes.fromhex("05000420")
        + digest(MacAlgorithm.SHA256, data)
        + bytes.fromhex("02081122334455667788 0101ff".replace(" ", ""))
    )
    assert query.der == expected


def test_query_options() -> None:
    query = build_query(b"x", algorithm=MacAlgorithm.RIPEMD160, nonce=False, certificate=False)
    req = tsp.TimeStampReq.load(query.der)
    assert req["message_imprint"]["hash_algorithm"]["algorithm"].dotted == "1.3.36.3.2.1"
    assert req["message_imprint"]["hash_algorithm"]["parameters"].dump() == b"\x05\x00"
    assert isinstance(req["nonce"], core.Void) and not query.der.endswith(b"\x01\x01\xff")
    assert query.nonce is None and not query.certificate_requested
    with_policy = build_query(b"x", policy="1.2.3.4.5")
    assert with_policy.policy == "1.2.3.4.5" and with_policy.nonce is not None


def test_nonce_drops_leading_zero_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("secrets.token_bytes", lambda n: b"\0\0\x80" + b"\1" * (n - 3))
    der = build_query(b"x").der
    # Six bytes left, the first with its high bit set: DER adds a zero sign byte.
    assert bytes.fromhex("020700800101010101") in der


@pytest.mark.parametrize(
    ("text", "result"),
    [("1.2", "1.2"), ("2.999.1", "2.999.1"), ("1.2.0840", "1.2.840"), ("0.39", "0.39")],
)
def test_policy_oids(text: str, result: str) -> None:
    assert parse_policy_oid(text) == result


@pytest.mark.parametrize("text", ["foo", "1", "3.1", "1.40", "1..2", "", "1.2.", "sha256", "+1.2"])
def test_policy_oids_refused(text: str) -> None:
    with pytest.raises(TimestampError, match=r"^Cannot convert .* to OID\.$"):
        parse_policy_oid(text)


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> TestTSA:
    return TestTSA(tmp_path_factory.mktemp("tsa-unit"))


def test_response_checks(authority: TestTSA) -> None:
    signature = b"\x01\x02\x03\x04 a signature"
    cert = Path(__file__).parent / "vectors" / "cert.pem"
    der = _core.pem_blocks(cert.read_bytes())[0].data
    assert der is not None
    query = build_query(signature, policy="1.2.3.4.5")
    good = parse_response(authority.reply(query.der))
    check_response(query, good, signature, der)
    cases = {
        "nonce": "nonces are not equal in timestamp query and response",
        "imprint": "message digests do not match in timestamp query and response",
        "policy": "policy OIDs are not equal in timestamp query and response",
    }
    for fault, message in cases.items():
        with pytest.raises(TimestampError) as error:
            check_response(query, parse_response(authority.reply(query.der, fault)), signature, der)
        assert error.value.message == f"timestamp response validation failed: {message}"
        assert error.value.exit_code == ExitCode.TS_CONSISTENCY_CHECK_FAILED
    with pytest.raises(TimestampError, match="do not match in DICOM dataset"):
        check_response(query, good, signature + b"!", der)
    with pytest.raises(TimestampError, match="signature in DICOM dataset not found"):
        check_response(query, good, b"\1", der)
    with pytest.raises(TimestampError, match="certificate in DICOM dataset not found"):
        check_response(query, good, signature, b"not a certificate")
    warnings: list[str] = []
    modified = parse_response(authority.reply(query.der, "modified"))
    check_response(query, modified, signature, der, warn=warnings.append)
    assert warnings == ["timestamp response status: granted with modifications"]
    with pytest.raises(TimestampError) as error:
        check_response(query, parse_response(authority.reply(query.der, "reject")), signature, der)
    assert error.value.message == "timestamp response status: rejected"
    assert error.value.notes[-1].endswith("the requested TSA policy is not supported by the TSA")


def test_response_parsing_like_openssl(authority: TestTSA) -> None:
    query = build_query(b"data")
    assert parse_query(query.der).nonce == query.nonce
    granted = authority.reply(query.der)
    resp = parse_response(granted)
    assert resp.status == 0 and resp.token is not None and resp.info is not None
    # A granted status needs a token, a refusal must have none.
    no_token = tsp.TimeStampResp.load(granted)["status"].dump()
    with pytest.raises(ValueError, match="token not present"):
        parse_response(b"\x30" + bytes([len(no_token)]) + no_token)
    for data in (b"", b"\x30\x00", granted[: len(granted) // 2], query.der):
        with pytest.raises(ValueError):
            parse_response(data)


def test_read_token_warnings(authority: TestTSA) -> None:
    token = parse_response(authority.reply(build_query(b"data").der)).token
    assert token is not None
    assert read_token(None, token) == (None, ())
    assert read_token("CMS_TSP", None) == (None, ())
    read, warnings = read_token("CMS_TSP ", token + b"\0")
    assert read is not None and warnings == () and read.version == 1
    assert read.accuracy == "1.500100s" and read.tsa_name is not None
    assert read.tsa_name.startswith("DirName:O = dicomsign tests, CN = Test TSA")
    assert read_token("OTHER", token)[1][0] == "unknown certified timestamp type: OTHER"
    assert read_token("CMS_TSP", b"\x30\x03\x02\x01\x00")[1][0] == (
        "unable to read certified timestamp in dataset"
    )


def test_judgement_texts() -> None:
    absent = TimestampJudgement(TimestampPolicy.REQUIRE, None, None)
    assert absent.absent_but_required and absent.failure is not None and absent.result is None
    expired = TimestampJudgement(TimestampPolicy.REQUIRE, None, None, expired=True)
    assert expired.failure is None and not expired.healed
    assert HEALED == "OK, extends validity period of expired signature."


def test_uid_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "u.dcm"
    write_uid_file(path, "1.2.3.4.5")
    assert read_uid_file(str(path)) == "1.2.3.4.5"
    data = uid_file_bytes("1.2.3")
    assert data[128:132] == b"DICM" and b"1.2.276.0.7230010.3.1.0.1\0" in data
    (tmp_path / "cut.dcm").write_bytes(path.read_bytes()[:150])
    with pytest.raises(TimestampError, match="Cannot load UID file") as error:
        read_uid_file(str(tmp_path / "cut.dcm"))
    assert error.value.exit_code == ExitCode.CANNOT_READ_UID_FILE


def test_rsa_failure_reasons() -> None:
    key = rsa.generate_private_key(65537, 2048)
    public = key.public_key()
    other = key.sign(b"other data", padding.PKCS1v15(), hashes.SHA256())
    assert _rsa_reason(public, other) == "bad signature"
    assert _rsa_reason(public, b"\0" * 256) == "block type is not 01"
    assert _rsa_reason(public, b"\xff" * 256) == "data too large for modulus"
    assert _rsa_reason(public, b"\1" * 257) == "data greater than mod len"
    tampered = bytearray(other)
    tampered[10] ^= 1
    assert _rsa_reason(public, bytes(tampered)) in ("invalid padding", "block type is not 01")


def test_dcmtk_queries_for_padded_ecdsa_signatures_match(authority: TestTSA) -> None:
    """DCMTK keeps the pad byte of a ``30 81 LL`` ECDSA signature (P-521) in its query; we
    trim it everywhere, yet accept such a DCMTK query and its token."""
    from cryptography.hazmat.primitives.serialization import Encoding

    from dicomsign.pki import TrustStore
    from dicomsign.tsp.reply import signature_data_candidates
    from dicomsign.tsp.verify import verify_token
    from pki import build_pki

    pki = build_pki(Path(authority.directory) / "pki")
    cert = pki.ec256.certificate
    der = cert.public_bytes(Encoding.DER)
    signature = b"\x30\x81\x86" + b"\x02" * 134 + b"\0"  # 137 bytes of DER and DICOM's pad
    assert signature_data_candidates(signature, der) == (signature[:-1], signature)
    dcmtk_query = build_query(signature)  # DCMTK hashes the padded value
    response = parse_response(authority.reply(dcmtk_query.der))
    check_response(dcmtk_query, response, signature, der)
    store = TrustStore()
    store.add_trusted_certificate(x509.load_pem_x509_certificate(authority.root.read_bytes()))
    token, _ = read_token("CMS_TSP", response.token)
    assert token is not None
    assert verify_token(token, signature_data_candidates(signature, der), cert, store).ok
    assert verify_token(token, signature[:-1], cert, store).reason == "message imprint mismatch"


def test_timestamping_purpose_like_openssl() -> None:
    """OpenSSL's check_purpose_timestamp_sign: timeStamping as the only, critical EKU; a key
    usage, when present, of digitalSignature and/or nonRepudiation only."""
    from datetime import UTC, datetime, timedelta

    from cryptography.x509.oid import ExtendedKeyUsageOID

    from dicomsign.tsp.verify import _timestamping_purpose
    from pki import issue_certificate, name

    key = rsa.generate_private_key(65537, 2048)
    now = datetime.now(UTC)

    def cert(
        eku: list[x509.ObjectIdentifier] | None, critical: bool, ku: bool = True
    ) -> x509.Certificate:
        extra = [] if eku is None else [(x509.ExtendedKeyUsage(eku), critical)]
        return issue_certificate(
            name("TSA"), key.public_key(), None, key, not_before=now - timedelta(days=1),
            not_after=now + timedelta(days=1), extra=extra, key_usage=ku,
        )  # fmt: skip

    stamping = ExtendedKeyUsageOID.TIME_STAMPING
    assert _timestamping_purpose(cert([stamping], True))
    assert _timestamping_purpose(cert([stamping], True, ku=False))
    assert not _timestamping_purpose(cert([stamping], False))
    assert not _timestamping_purpose(cert([stamping, ExtendedKeyUsageOID.CODE_SIGNING], True))
    assert not _timestamping_purpose(cert(None, True))
    ca = issue_certificate(
        name("TSA CA"), key.public_key(), None, key, not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=1), ca=True, extra=[(x509.ExtendedKeyUsage([stamping]), True)],
    )  # fmt: skip
    assert not _timestamping_purpose(ca)  # keyCertSign is not a TSA's key usage
