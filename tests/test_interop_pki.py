"""Keys, certificates and trust, both directions against DCMTK: key formats and passwords,
certificate chains, CRLs, expired and not-yet-valid signers, and the verbose report."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dcmtk import dcmtk, ours
from pki import PKI, Identity


@pytest.fixture(scope="module")
def source(dicom_corpus: dict[str, Path]) -> Path:
    return dicom_corpus["explicit_le"]


def _sign_both(
    identity: Identity, source: Path, tmp: Path, *extra: str | Path
) -> tuple[Path, Path, str, str]:
    mine, theirs = tmp / f"{identity.name}-ours.dcm", tmp / f"{identity.name}-dcmtk.dcm"
    a = ours("+s", identity.key, identity.cert, *extra, source, mine)
    b = dcmtk("dcmsign", "+s", identity.key, identity.cert, *extra, source, theirs)
    assert a.returncode == b.returncode == 0, (a.stderr, b.stderr)
    return mine, theirs, a.stderr, b.stderr


def _same_verdict(args: list[str | Path], *files: Path) -> tuple[int, str]:
    """Verify each file with both tools: same exit code and same text; returns them."""
    results = set()
    for path in files:
        theirs = dcmtk("dcmsign", *args, path)
        mine = ours(*args, path)
        uid = re.compile(r"UID=\S+")
        assert mine.returncode == theirs.returncode, (mine.stderr, theirs.stderr)
        assert uid.sub("UID=*", mine.stderr) == uid.sub("UID=*", theirs.stderr)
        results.add((mine.returncode, uid.sub("UID=*", mine.stderr)))
    assert len(results) == 1
    return results.pop()


def test_revoked_signer(pki: PKI, source: Path, tmp_path: Path) -> None:
    mine, theirs, _, _ = _sign_both(pki.revoked, source, tmp_path)
    trust = ["+cf", pki.root.cert, "+uf", pki.revoked.chain]
    code, text = _same_verdict([*trust, "+cr", pki.crl], mine, theirs)
    assert code == 101 and "certificate revoked" in text
    code, text = _same_verdict([*trust, "+cl"], mine, theirs)
    assert code == 101 and "unable to get certificate CRL" in text
    code, _ = _same_verdict(trust, mine, theirs)
    assert code == 0


def test_expired_and_not_yet_valid_signers(pki: PKI, source: Path, tmp_path: Path) -> None:
    for identity, warning, reason in (
        (pki.expired, "W: Certificate has expired", "expired at signature creation date"),
        (
            pki.not_yet_valid,
            "W: Certificate is not yet valid, validity starts",
            "not yet valid at signature creation date",
        ),
    ):
        mine, theirs, mine_err, their_err = _sign_both(identity, source, tmp_path)
        assert mine_err.startswith(warning) and mine_err == their_err
        code, text = _same_verdict(["+cf", pki.root.cert, "+uf", identity.chain], mine, theirs)
        assert code == 101 and reason in text


def test_self_signed_signer(pki: PKI, source: Path, tmp_path: Path) -> None:
    mine, theirs, _, _ = _sign_both(pki.self_signed, source, tmp_path)
    code, text = _same_verdict([], mine, theirs)
    assert code == 101 and "self-signed certificate" in text
    code, _ = _same_verdict(["+cf", pki.self_signed.cert], mine, theirs)
    assert code == 0


def test_trust_anchor_must_be_a_root(pki: PKI, source: Path, tmp_path: Path) -> None:
    mine, theirs, _, _ = _sign_both(pki.rsa2048, source, tmp_path)
    code, text = _same_verdict(["+cf", pki.intermediate.cert], mine, theirs)
    assert code == 101 and "unable to get issuer certificate" in text
    code, _ = _same_verdict(["+cf", pki.root.cert, "+cf", pki.intermediate.cert], mine, theirs)
    assert code == 0
    code, _ = _same_verdict(["+cd", pki.hashed_dir], mine, theirs)
    assert code == 0


@pytest.mark.parametrize(
    ("key_attr", "extra"),
    [
        ("key_traditional", []),
        ("key_der", ["-der"]),
        ("key_der_traditional", ["-der"]),
        ("key_encrypted_pkcs8", ["+pw", "PASSWORD"]),
        ("key_encrypted_traditional", ["+pw", "PASSWORD"]),
    ],
)
def test_key_formats_and_passwords(
    key_attr: str, extra: list[str], pki: PKI, source: Path, tmp_path: Path
) -> None:
    identity = pki.ec256
    key = getattr(identity, key_attr)
    cert = identity.cert_der if "-der" in extra else identity.cert
    extra = [pki.password if e == "PASSWORD" else e for e in extra]
    out = tmp_path / "out.dcm"
    done = ours("+s", key, cert, *extra, source, out)
    assert done.returncode == 0, done.stderr
    assert dcmtk("dcmsign", "+cf", identity.root, "+uf", identity.chain, out).returncode == 0


def test_password_from_stdin(pki: PKI, source: Path, tmp_path: Path) -> None:
    identity = pki.rsa2048
    out = tmp_path / "out.dcm"
    done = ours(
        "+s",
        identity.key_encrypted_pkcs8,
        identity.cert,
        source,
        out,
        stdin=(pki.password + "\n").encode(),
    )
    assert done.returncode == 0, done.stderr
    assert pki.password.encode() not in done.stderr
    theirs = dcmtk(
        "dcmsign",
        "+s",
        identity.key_encrypted_pkcs8,
        identity.cert,
        source,
        tmp_path / "d.dcm",
        stdin=b"wrong\n",
    )
    mine = ours(
        "+s",
        identity.key_encrypted_pkcs8,
        identity.cert,
        source,
        tmp_path / "o.dcm",
        stdin=b"wrong\n",
    )
    assert theirs.returncode == mine.returncode == 20
    assert mine.stderr == theirs.stderr


def test_verbose_report_matches_dcmtk(pki: PKI, source: Path, tmp_path: Path) -> None:
    """`-v` prints the same details: location, MAC, signed elements, purpose, certificate."""
    for identity in pki.leaves.values():
        _, theirs, _, _ = _sign_both(identity, source, tmp_path, "+m3", "+sp", "13")
        args = ["-v", "+cf", identity.root, "+uf", identity.chain, theirs]
        a, b = ours(*args), dcmtk("dcmsign", *args)
        assert a.returncode == b.returncode == 0
        assert a.stderr == b.stderr


def _unreadable_crl_files(pki: PKI, directory: Path) -> list[Path]:
    """CRL files DCMTK cannot load: missing, garbage, a certificate, a directory and a
    dangling symbolic link."""
    garbage = directory / "garbage.crl"
    garbage.write_bytes(b"not a CRL\n")
    folder = directory / "folder.crl"
    folder.mkdir()
    dangling = directory / "dangling.crl"
    dangling.symlink_to(directory / "nowhere" / "none.crl")
    return [directory / "missing.crl", garbage, pki.intermediate.cert, folder, dangling]


def test_unreadable_crl_file_warns_and_leaves_the_check_off(
    pki: PKI, source: Path, tmp_path: Path
) -> None:
    """DCMTK warns about a ``+cr`` file it cannot load and does not turn the CRL check on
    for it: a revoked signer then verifies OK, unless ``+cl`` or a CRL that loads asks for
    the check."""
    mine, theirs, _, _ = _sign_both(pki.revoked, source, tmp_path)
    trust = ["+cf", pki.root.cert, "+uf", pki.revoked.chain]
    for crl in _unreadable_crl_files(pki, tmp_path):
        warning = f"W: unable to load CRL file '{crl}', ignoring\n"
        code, text = _same_verdict([*trust, "+cr", crl], mine, theirs)
        assert code == 0 and text.startswith(warning) and "Verification : OK" in text
        code, text = _same_verdict([*trust, "+cr", crl, "+cl"], mine, theirs)
        assert code == 101 and text.startswith(warning)
        assert "unable to get certificate CRL" in text
        code, text = _same_verdict([*trust, "+cr", crl, "+cr", pki.crl], mine, theirs)
        assert code == 101 and text.startswith(warning) and "certificate revoked" in text


def test_trust_file_warnings_come_while_the_options_are_read(
    pki: PKI, source: Path, tmp_path: Path
) -> None:
    """DCMTK loads ``+cf``/``+uf``/``+cr`` files while it reads its options: their warnings
    come before ``I: open input file``, and also when the input cannot be read."""
    _, theirs, _, _ = _sign_both(pki.rsa2048, source, tmp_path)
    missing_cert, missing_crl = tmp_path / "missing.pem", tmp_path / "missing.crl"
    trust = ["+cf", pki.root.cert, "+uf", pki.rsa2048.chain, "+cf", missing_cert]
    cases: list[list[str | Path]] = [
        ["-v", *trust, "+cr", missing_crl, theirs],
        ["-d", *trust, "+cr", missing_crl, theirs],
        [*trust, "+cr", missing_crl, tmp_path / "missing.dcm"],
        [*trust, "+cr", missing_crl, tmp_path],
    ]
    for args in cases:
        a, b = ours(*args), dcmtk("dcmsign", *args)
        assert a.returncode == b.returncode, (args, a.stderr, b.stderr)
        mine_lines = [line for line in a.stderr.splitlines() if not line.startswith("D:")]
        their_lines = [line for line in b.stderr.splitlines() if not line.startswith("D:")]
        assert mine_lines == their_lines, args
        assert mine_lines[:2] == [
            f"W: unable to load certificate file '{missing_cert}', ignoring",
            f"W: unable to load CRL file '{missing_crl}', ignoring",
        ]
