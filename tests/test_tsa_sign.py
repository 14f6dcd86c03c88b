"""Signing with certified timestamps and long-term validation, end to end.

``dicomsign sign --tsa`` (one file and batches) and ``dicomsign timestamp`` against the
loopback TSA, verified by DCMTK (``+tv``, ``+tr``) and by ours; no output when no TSA answers
acceptably (unless ``--tsa-optional``); credentials never printed or journaled. Long-term
validation: a signer certificate that expires after the timestamp's genTime is
``verified-by-timestamp`` (DCMTK: "extends validity period of expired signature"); an OCSP
revocation after genTime keeps it so, unless for a key compromise.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import dicomsign
from dcmtk import dcmtk, dicomsign_cli
from dicomsign import SignatureStatus, TimestampStatus
from dicomsign.pki import TrustStore
from pki import PKI, Identity, issue_certificate, name, write_identity
from test_ocsp import Responders, responders  # noqa: F401 - the session's OCSP responders
from tsa import POLICY, ServedTSA

SOURCE = Path(__file__).resolve().parents[1] / "examples" / "ct-sample.dcm"


def _key(identity: Identity) -> list[str | Path]:
    return ["--key", identity.key, "--cert", identity.cert]


def _dcmtk_verify(identity: Identity, tsa: ServedTSA, path: Path, *policy: str) -> tuple[int, str]:
    done = dcmtk(
        "dcmsign", *policy, "+cf", identity.root, "+uf", identity.chain, "+cf",
        tsa.authority.root, path,
    )  # fmt: skip
    return done.returncode, done.stderr + done.stdout


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(".dicomsign-"))


def test_sign_with_tsa_as_written(pki: PKI, tsa: ServedTSA, tmp_path: Path) -> None:
    out = tmp_path / "signed.dcm"
    done = dicomsign_cli(
        "sign", *_key(pki.rsa2048), "--mac", "SHA256", "--tsa", tsa.url, SOURCE, "-o", out
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == done.stdout == ""
    for policy in ("+tv", "+tr"):
        code, text = _dcmtk_verify(pki.rsa2048, tsa, out, policy)
        assert code == 0, text
        assert "Timestamp Verification : OK" in text
    report = dicomsign.verify(
        out, trusted=[pki.root.cert, tsa.authority.root], untrusted=pki.rsa2048.chain
    )
    (sig,) = report.signatures
    assert sig.status is SignatureStatus.VALID and sig.timestamp is not None
    assert sig.timestamp.status is TimestampStatus.VALID
    assert sig.timestamp.policy == POLICY and sig.timestamp.hash_algorithm == "sha256"
    assert sig.timestamp.tsa == "/O=dicomsign tests/CN=Test TSA"
    assert sig.timestamp.gen_time is not None
    assert abs(sig.timestamp.gen_time - datetime.now(UTC)) < timedelta(minutes=2)


def test_ec_signature_timestamped_through_the_api(pki: PKI, tsa: ServedTSA) -> None:
    # The imprint covers the DER signature without its pad byte, as DCMTK computes it.
    signer = dicomsign.load_signer(pki.ec384.key, pki.ec384.cert)
    trust = TrustStore()
    trust.add_sources(trusted=[str(tsa.authority.root)])
    stamper = dicomsign.HttpTimestamper(tsa.url, trust=trust, hash_algorithm="SHA384")
    signed = dicomsign.sign(SOURCE, signer, timestamper=stamper)
    assert signed.timestamp is not None and signed.timestamp.status is TimestampStatus.VALID
    assert signed.timestamp.hash_algorithm == "sha384"
    report = dicomsign.verify(
        signed.document, trusted=[pki.root.cert, tsa.authority.root], untrusted=pki.ec384.chain,
        timestamps="require",
    )  # fmt: skip
    assert report.ok and report.signatures[0].timestamp == signed.timestamp


def test_no_acceptable_tsa_means_no_output(pki: PKI, tsa: ServedTSA, tmp_path: Path) -> None:
    out = tmp_path / "signed.dcm"
    bad = [f"{tsa.url}/fault/garbage", f"{tsa.url}/fault/http500"]
    args = ["sign", *_key(pki.rsa2048), "--tsa", bad[0], "--tsa", bad[1], "--tsa-retries", "0"]
    done = dicomsign_cli(*args, SOURCE, "-o", out)
    assert done.returncode == 82
    assert done.stderr == (
        f"{SOURCE}: no timestamp: {bad[0]}: not a timestamp response; "
        f"{bad[1]}: HTTP 500 Internal Server Error\n"
    )
    assert not out.exists() and _leftovers(tmp_path) == []
    done = dicomsign_cli(*args, "--tsa-optional", SOURCE, "-o", out)
    assert done.returncode == 0
    assert done.stderr.startswith(
        f"dicomsign sign: warning: {SOURCE}: signed without a timestamp: no timestamp: "
    )
    assert done.stderr.count("\n") == 1
    code, text = _dcmtk_verify(pki.rsa2048, tsa, out, "+tr")
    assert code == 101 and "absent, but required by timestamp policy" in text
    assert _dcmtk_verify(pki.rsa2048, tsa, out)[0] == 0


def test_batch_sign_and_timestamp_command(pki: PKI, tsa: ServedTSA, tmp_path: Path) -> None:
    tree = tmp_path / "in"
    tree.mkdir()
    for i in range(3):
        (tree / f"{i}.dcm").write_bytes(SOURCE.read_bytes())
    journal = tmp_path / "sign.jsonl"
    done = dicomsign_cli(
        "sign", *_key(pki.rsa2048), tree, "--out", tmp_path / "stamped", "--journal", journal,
        "-j", "2", "--tsa", tsa.url,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in journal.read_text().splitlines()]
    signed = [r for r in records if r["status"] == "signed"]
    assert len(signed) == 3
    for rec in signed:
        assert rec["timestamp"]["policy"] == POLICY and rec["timestamp_error"] is None
        assert rec["timestamp"]["status"] == "not-verified"  # no --tsa-trusted given
        assert _dcmtk_verify(pki.rsa2048, tsa, Path(rec["output"]), "+tr")[0] == 0

    # Old signatures timestamped in bulk, in place.
    plain = tmp_path / "plain"
    done = dicomsign_cli("sign", *_key(pki.rsa2048), tree, "--out", plain)
    assert done.returncode == 0, done.stderr
    files = sorted(plain.iterdir())
    before = {p: p.read_bytes() for p in files}
    failing = dicomsign_cli(
        "timestamp", plain, "--in-place", "--tsa", f"{tsa.url}/fault/nonce", "-q"
    )
    assert failing.returncode == 82
    assert all(p.read_bytes() == before[p] for p in files) and _leftovers(plain) == []
    assert failing.stderr.splitlines()[0].endswith("the nonce does not match the query")
    log = tmp_path / "stamp.jsonl"
    args = ["timestamp", plain, "--in-place", "--tsa", tsa.url, "--tsa-trusted"]
    done = dicomsign_cli(*args, tsa.authority.root, "--journal", log)
    assert done.returncode == 0, done.stderr
    assert sorted(done.stdout.splitlines()) == [f"{p}: TIMESTAMPED (1 signature)" for p in files]
    for path in files:
        assert _dcmtk_verify(pki.rsa2048, tsa, path, "+tr")[0] == 0
        report = dicomsign.verify(path)
        assert report.signatures[0].uid == before_file(tmp_path, path, before)
    stamped = {p: p.read_bytes() for p in files}
    done = dicomsign_cli(*args, tsa.authority.root, "--journal", log)
    assert done.returncode == 0
    assert sorted(done.stdout.splitlines()) == [f"{p}: UNCHANGED" for p in files]
    assert all(p.read_bytes() == stamped[p] for p in files)
    done = dicomsign_cli(*args, tsa.authority.root, "--journal", log, "--resume")
    assert done.returncode == 0 and done.stdout == ""
    last = [json.loads(line) for line in log.read_text().splitlines()][-1]
    assert last["status"] == "unchanged" and last["ok"] is True


def before_file(tmp_path: Path, path: Path, before: dict[Path, bytes]) -> str | None:
    """The signature UID of ``path`` before it was timestamped (the same signature)."""
    copy = tmp_path / "before.dcm"
    copy.write_bytes(before[path])
    return dicomsign.verify(copy).signatures[0].uid


def test_credentials_are_never_printed_or_journaled(
    pki: PKI, tsa: ServedTSA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret_file = tmp_path / "password"
    secret_file.write_text("pa55word\n")
    header_file = tmp_path / "key"
    header_file.write_text("k3y-value\n")
    journal = tmp_path / "j.jsonl"
    monkeypatch.setenv("DICOMSIGN_TSA_PASSWORD", "env-pa55")
    done = dicomsign_cli(
        "sign", *_key(pki.rsa2048), SOURCE, "--out", tmp_path / "out", "--journal", journal,
        "--tsa", f"{tsa.url}/fault/reject", "--tsa", tsa.url, "--tsa-user", "carol",
        "--tsa-password-file", secret_file, "--tsa-header", f"X-Api-Key: @{header_file}",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    path, headers = tsa.authority.requests[-1]
    assert path == "/" and headers["X-Api-Key"] == "k3y-value"
    assert headers["Authorization"] == "Basic Y2Fyb2w6cGE1NXdvcmQ="  # carol:pa55word
    shown = done.stdout + done.stderr + journal.read_text()
    for secret in ("pa55word", "k3y-value", "Y2Fyb2w6cGE1NXdvcmQ", "env-pa55"):
        assert secret not in shown
    done = dicomsign_cli(
        "sign", *_key(pki.rsa2048), SOURCE, "-o", tmp_path / "x.dcm", "--tsa", tsa.url,
        "--tsa-user", "carol",
    )  # fmt: skip
    assert done.returncode == 0
    assert tsa.authority.requests[-1][1]["Authorization"] == "Basic Y2Fyb2w6ZW52LXBhNTU="
    done = dicomsign_cli(
        "sign", *_key(pki.rsa2048), SOURCE, "-o", tmp_path / "y.dcm", "--tsa", tsa.url,
        "--tsa-user", "carol", "--tsa-password-file", tmp_path / "missing",
    )  # fmt: skip
    assert done.returncode == 20 and done.stderr.count("\n") == 1
    assert "--tsa-password-file" in done.stderr and "Traceback" not in done.stderr


# -- long-term validation ------------------------------------------------------------------


def test_expired_signer_is_verified_by_timestamp(pki: PKI, tsa: ServedTSA, tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    expiry = now + timedelta(seconds=4)
    key = pki.rsa2048.private_key
    cert = issue_certificate(
        name("Test leaf expiring soon"), key.public_key(), pki.intermediate.certificate,
        pki.intermediate.private_key, not_before=now - timedelta(days=7), not_after=expiry,
    )  # fmt: skip
    identity = write_identity(
        tmp_path, "expiring", key, cert, [pki.intermediate.certificate], pki.root.certificate
    )
    signer = dicomsign.load_signer(identity.key, identity.cert)
    stamper = dicomsign.HttpTimestamper(tsa.url)
    stamped, plain = tmp_path / "stamped.dcm", tmp_path / "plain.dcm"
    gen_time = dicomsign.sign(SOURCE, signer, output=stamped, timestamper=stamper).timestamp
    dicomsign.sign(SOURCE, signer, output=plain)
    assert gen_time is not None and gen_time.gen_time is not None
    time.sleep(max(0.0, (expiry - datetime.now(UTC)).total_seconds()) + 1.2)
    trust = {"trusted": [pki.root.cert, tsa.authority.root], "untrusted": identity.chain}

    (sig,) = dicomsign.verify(stamped, **trust).signatures
    assert sig.status is SignatureStatus.VALID_BY_TIMESTAMP
    assert sig.message == "OK, extends validity period of expired signature."
    (sig,) = dicomsign.verify(stamped, validation_time="timestamp", **trust).signatures
    assert sig.status is SignatureStatus.VALID_BY_TIMESTAMP
    assert sig.validated_at == gen_time.gen_time
    assert sig.message.startswith("OK, certificate valid at the timestamp's genTime ")
    assert dicomsign.verify(plain, **trust).signatures[0].status is SignatureStatus.EXPIRED
    by_timestamp = dicomsign.verify(plain, validation_time="timestamp", **trust)
    assert by_timestamp.signatures[0].status is SignatureStatus.EXPIRED
    claimed = dicomsign.verify(plain, validation_time="claimed", **trust).signatures[0]
    assert claimed.status is SignatureStatus.VALID and claimed.validated_at is not None

    code, text = _dcmtk_verify(identity, tsa, stamped)
    assert code == 0 and "OK, extends validity period of expired signature." in text
    assert _dcmtk_verify(identity, tsa, plain)[0] == 101

    journal = tmp_path / "run.jsonl"
    done = dicomsign_cli(
        "verify", "--trusted", pki.root.cert, "--trusted", tsa.authority.root, "--untrusted",
        identity.chain, stamped, plain, "--journal", journal, "-j", "1",
    )  # fmt: skip
    assert done.returncode == 101, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"{stamped}: VERIFIED-BY-TIMESTAMP (1 signature; timestamp valid ")
    assert lines[0].endswith(": OK, extends validity period of expired signature.")
    assert lines[1].startswith(f"{plain}: CERTIFICATE-EXPIRED: ")
    first = json.loads(journal.read_text().splitlines()[0])
    assert first["status"] == "verified-by-timestamp" and first["ok"] is True
    (rec,) = first["signatures"]
    assert rec["signature_status"] == "valid-by-timestamp"
    assert rec["timestamp"]["status"] == "valid" and rec["timestamp"]["policy"] == POLICY
    done = dicomsign_cli(
        "verify", "--trusted", pki.root.cert, "--untrusted", identity.chain, plain,
        "--validation-time", "claimed",
    )  # fmt: skip
    assert done.returncode == 0 and done.stdout == f"{plain}: OK (1 signature)\n"


def test_revoked_after_the_timestamp(responders: Responders, tsa: ServedTSA) -> None:  # noqa: F811
    env = responders.env
    # genTime 5 days ago: after the leaves were issued (7 days), before their revocations
    # (keyCompromise 3 days ago, superseded 2 days ago).
    stamper = dicomsign.HttpTimestamper(f"{tsa.url}/fault/aged", max_clock_skew=6 * 86400)
    trust = {
        "trusted": [env.pki.root.cert, tsa.authority.root],
        "untrusted": env.pki.intermediate.cert,
        "ocsp": "hard-fail",
    }
    superseded = dicomsign.timestamp(env.superseded.dicom, stamper).document
    (sig,) = dicomsign.verify(superseded, **trust).signatures
    assert sig.status is SignatureStatus.VALID_BY_TIMESTAMP, sig.message
    assert sig.revocation is not None and sig.revocation.reason == "superseded"
    assert sig.message.startswith("OK, certificate revoked after the timestamp: ")
    (plain,) = dicomsign.verify(env.superseded.dicom, **trust).signatures
    assert plain.status is SignatureStatus.REVOKED
    compromised = dicomsign.timestamp(env.revoked.dicom, stamper).document
    (sig,) = dicomsign.verify(compromised, **trust).signatures
    assert sig.status is SignatureStatus.REVOKED
    assert sig.timestamp is not None and sig.timestamp.status is TimestampStatus.VALID
