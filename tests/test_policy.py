"""The signing and verification policy (``--policy strict|FILE``): loading, verification
(``policy-violation``, distinct from a broken signature: DCMTK still verifies such files), and
signing (refused before any file, one line, exit 102, no output)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import dicomsign
from conftest_archive import Archive
from dcmtk import dcmtk, dicomsign_cli
from dicomsign.archive import Verifier
from dicomsign.policy import DEFAULT, STRICT, SigningPolicyError, load_policy
from pki import PKI


def _signed(pki: PKI, archive: Archive, path: Path, label: str, mac: str) -> Path:
    identity = getattr(pki, label)
    source = archive.root / "study1" / "unsigned.dcm"
    signer = dicomsign.load_signer(identity.key, identity.cert)
    dicomsign.sign(source, signer, output=path, algorithm=mac)
    return path


def _trust(archive: Archive) -> dict[str, list[Path]]:
    return {"trusted": archive.trust["trusted"], "untrusted": archive.trust["untrusted"]}


def test_loading(tmp_path: Path) -> None:
    assert load_policy(None) is DEFAULT and load_policy("default") is DEFAULT
    assert load_policy("strict") is STRICT
    assert {str(m) for m in STRICT.forbidden_mac_algorithms} == {"MD5", "SHA1", "RIPEMD160"}
    good = tmp_path / "p.toml"
    good.write_text(
        '[policy]\nforbidden_mac_algorithms = ["md5"]\nmin_rsa_bits = 3072\n'
        'require_timestamp = true\nrequire_profile = "creator-rsa"\n'
    )
    policy = load_policy(good)
    assert (policy.min_rsa_bits, policy.require_timestamp) == (3072, True)
    assert str(policy.require_profile) == "creator-rsa" and policy.name == "p.toml"
    bad = {
        "missing": (None, "cannot be read: No such file or directory"),
        "not-toml": ("[policy\n", "is not TOML"),
        "no-table": ("x = 1\n", "has no [policy] table"),
        "unknown": ("[policy]\nmin_rsa = 1\n", "unknown policy setting 'min_rsa'"),
        "bad-mac": ('[policy]\nforbidden_mac_algorithms = ["SHA3"]\n', "SHA3"),
        "bad-bits": ('[policy]\nmin_ec_bits = "256"\n', "min_ec_bits must be a whole number"),
        "bad-profile": ('[policy]\nrequire_profile = "x"\n', "unknown profile 'x'"),
    }
    for name, (text, message) in bad.items():
        path = tmp_path / f"{name}.toml"
        if text is not None:
            path.write_text(text)
        with pytest.raises(SigningPolicyError, match=message.replace("[", r"\[")) as caught:
            load_policy(path)
        assert "\n" not in caught.value.message and caught.value.exit_code == 102


def test_verification_reports_a_policy_violation_of_its_own(
    pki: PKI, archive: Archive, tmp_path: Path
) -> None:
    sha1 = _signed(pki, archive, tmp_path / "sha1.dcm", "rsa2048", "SHA1")
    sha256 = _signed(pki, archive, tmp_path / "sha256.dcm", "ec256", "SHA256")
    strict = Verifier(**_trust(archive), rules="strict")  # type: ignore[arg-type]
    result = strict.verify(sha1)
    assert (result.status, result.exit_code) == ("policy-violation", 102)
    assert "MAC algorithm SHA1 is forbidden by policy strict" in (result.reason or "")
    assert strict.verify(sha256).status == "verified"
    assert Verifier(**_trust(archive)).verify(sha1).status == "verified"  # type: ignore[arg-type]
    # A policy violation is not a broken signature: DCMTK verifies the file.
    done = dcmtk("dcmsign", "--verify", "+cf", pki.root.cert, "+uf", pki.rsa2048.chain, sha1)
    assert done.returncode == 0, done.stderr
    # Key sizes and timestamps, from a policy file.
    rules = tmp_path / "big-keys.toml"
    rules.write_text("[policy]\nmin_rsa_bits = 3072\nrequire_timestamp = true\n")
    checked = Verifier(**_trust(archive), rules=rules).verify(sha1)  # type: ignore[arg-type]
    assert checked.status == "policy-violation"
    reason = checked.reason or ""
    assert "RSA key of 2048 bits is below the 3072 bits of policy big-keys.toml" in reason
    assert "a certified timestamp is required by policy big-keys.toml" in reason


def test_the_command_line(pki: PKI, archive: Archive, tmp_path: Path) -> None:
    sha1 = _signed(pki, archive, tmp_path / "sha1.dcm", "rsa2048", "SHA1")
    journal = tmp_path / "run.jsonl"
    trust = [f"--trusted={pki.root.cert}", f"--untrusted={pki.rsa2048.chain}"]
    done = dicomsign_cli("verify", *trust, "--policy", "strict", "--journal", journal, sha1)
    assert done.returncode == 101, done.stderr
    assert "POLICY-VIOLATION" in done.stdout
    rec = json.loads(journal.read_text().splitlines()[-1])
    assert (rec["status"], rec["exit_code"]) == ("policy-violation", 102)
    assert rec["signatures"][0]["status"] == "policy-violation"
    missing = dicomsign_cli("verify", *trust, "--policy", tmp_path / "none.toml", sha1)
    assert missing.returncode == 102 and "Traceback" not in missing.stderr
    assert missing.stderr.count("\n") == 1, missing.stderr
    # Signing: refused before any file, one line, exit 102, no output.
    key = ["--key", pki.rsa2048.key, "--cert", pki.rsa2048.cert]
    out = tmp_path / "out.dcm"
    source = archive.root / "study1" / "unsigned.dcm"
    refused = dicomsign_cli("sign", *key, "--policy", "strict", "--mac", "SHA1", source, "-o", out)
    assert refused.returncode == 102 and not out.exists()
    assert "MAC algorithm SHA1 is forbidden by policy strict" in refused.stderr
    assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    rules = tmp_path / "creator.toml"
    rules.write_text('[policy]\nrequire_profile = "creator-rsa"\n')
    profile = dicomsign_cli("sign", *key, "--policy", rules, source, "-o", out)
    assert profile.returncode == 102 and "profile creator-rsa is required" in profile.stderr
    allowed = dicomsign_cli("sign", *key, "--policy", "strict", source, "-o", out)
    assert allowed.returncode == 0, allowed.stderr
    assert dicomsign.verify(out).signatures[0].mac_algorithm == "SHA256"
