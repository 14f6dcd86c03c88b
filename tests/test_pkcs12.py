"""PKCS#12 files as signers: made by ``openssl pkcs12 -export`` (legacy RC2/3DES and modern
AES) and by cryptography, with and without the chain; DCMTK verifies what they sign; a wrong
password, a damaged file, a file without a matching certificate: one line, exit code 20, no
output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12

import dicomsign
from dcmtk import dcmtk
from dicomsign.exceptions import KeyLoadError
from dicomsign.signers import Pkcs12Signer, load_pkcs12_signer
from pki import PKI, Identity

SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "ct-sample.dcm"
PASSWORD = "p12 pass"


def _openssl(identity: Identity, out: Path, *extra: str, chain: bool = True) -> Path:
    args = ["openssl", "pkcs12", "-export", "-inkey", str(identity.key), "-in", str(identity.cert)]
    if chain:
        args += ["-certfile", str(identity.chain)]
    done = subprocess.run(
        [*args, "-passout", f"pass:{PASSWORD}", "-out", str(out), *extra],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return out


def _cryptography(
    identity: Identity, pki: PKI, out: Path, *, legacy: bool = False, chain: bool = True
) -> Path:
    encryption: serialization.KeySerializationEncryption
    if legacy:
        encryption = (
            serialization.PrivateFormat.PKCS12.encryption_builder()
            .kdf_rounds(2048)
            .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
            .hmac_hash(hashes.SHA1())
            .build(PASSWORD.encode())
        )
    else:
        encryption = serialization.BestAvailableEncryption(PASSWORD.encode())
    out.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"signer",
            identity.private_key,  # type: ignore[arg-type]
            identity.certificate,
            [pki.intermediate.certificate, pki.root.certificate] if chain else None,
            encryption,
        )
    )
    return out


def _dcmtk_verifies(identity: Identity, path: Path) -> None:
    done = dcmtk("dcmsign", "--verify", "+cf", identity.root, "+uf", identity.chain, path)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("maker", "identity", "chain"),
    [
        ("openssl-modern", "rsa2048", True),
        ("openssl-modern", "ec256", False),
        ("openssl-legacy", "rsa3072", True),
        ("openssl-legacy", "ec384", False),
        ("cryptography-modern", "ec256", True),
        ("cryptography-legacy", "rsa2048", False),
    ],
)
def test_pkcs12_signers_dcmtk_verifies(
    pki: PKI, tmp_path: Path, maker: str, identity: str, chain: bool
) -> None:
    ident: Identity = getattr(pki, identity)
    path = tmp_path / "id.p12"
    if maker == "openssl-modern":
        _openssl(ident, path, chain=chain)
    elif maker == "openssl-legacy":
        _openssl(ident, path, "-legacy", chain=chain)
    else:
        _cryptography(ident, pki, path, legacy=maker.endswith("legacy"), chain=chain)
    asked: list[bool] = []

    def ask() -> bytes:
        asked.append(True)
        return PASSWORD.encode()

    signer = load_pkcs12_signer(path, ask=ask)
    assert asked == [True]  # an encrypted file: asked once
    assert isinstance(signer, Pkcs12Signer)
    assert signer.certificate == ident.certificate
    expected = {pki.intermediate.certificate, pki.root.certificate} if chain else set()
    if maker.startswith("openssl"):  # -certfile chain.pem holds the intermediate only
        expected = {pki.intermediate.certificate} if chain else set()
    assert set(signer.chain) == expected
    assert "PRIVATE" not in repr(signer) and PASSWORD not in repr(signer)
    out = tmp_path / "signed.dcm"
    dicomsign.sign(SAMPLE, signer, output=out, algorithm="RIPEMD160")
    _dcmtk_verifies(ident, out)


def test_a_file_without_a_password_is_read_without_asking(pki: PKI, tmp_path: Path) -> None:
    path = tmp_path / "open.p12"
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            None,
            pki.ec256.private_key,  # type: ignore[arg-type]
            pki.ec256.certificate,
            None,
            serialization.NoEncryption(),
        )
    )

    def ask() -> bytes:
        raise AssertionError("asked for a password")

    assert Pkcs12Signer.from_file(path, ask=ask).certificate == pki.ec256.certificate


def test_the_certificate_is_the_key_s_whatever_the_order(pki: PKI, tmp_path: Path) -> None:
    """A file whose certificate bag lists the CA first: the key's certificate is still found."""
    path = tmp_path / "order.p12"
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            None,
            pki.rsa2048.private_key,  # type: ignore[arg-type]
            None,
            [pki.root.certificate, pki.rsa2048.certificate],
            serialization.BestAvailableEncryption(PASSWORD.encode()),
        )
    )
    signer = load_pkcs12_signer(path, password=PASSWORD)
    assert signer.certificate == pki.rsa2048.certificate
    assert signer.chain == (pki.root.certificate,)


def _cli(
    *args: str | Path, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "DICOMSIGN_KEY_PASSWORD"}
    return subprocess.run(
        [sys.executable, "-m", "dicomsign.cli.dicomsign", "sign", *map(str, args)],
        capture_output=True,
        text=True,
        input=stdin,
        env={**base, **(env or {})},
        check=False,
    )


def test_dicomsign_sign_pkcs12_password_from_file_environment_and_prompt(
    pki: PKI, tmp_path: Path
) -> None:
    path = _openssl(pki.rsa2048, tmp_path / "id.p12")
    password_file = tmp_path / "pw"
    password_file.write_text(f"{PASSWORD}\n")
    runs = {
        "file": _cli("--pkcs12", path, "--password-file", password_file, SAMPLE, "-o", tmp_path / "a.dcm"),
        "environment": _cli(
            "--pkcs12", path, SAMPLE, "-o", tmp_path / "b.dcm",
            env={"DICOMSIGN_KEY_PASSWORD": PASSWORD},
        ),
        "prompt": _cli("--pkcs12", path, SAMPLE, "-o", tmp_path / "c.dcm", stdin=f"{PASSWORD}\n"),
    }  # fmt: skip
    for how, done in runs.items():
        assert done.returncode == 0, (how, done.stderr)
        assert PASSWORD not in done.stderr + done.stdout
    assert runs["prompt"].stderr == "Enter Import Password:\n"
    for name in "abc":
        _dcmtk_verifies(pki.rsa2048, tmp_path / f"{name}.dcm")


@pytest.mark.parametrize(
    ("case", "words"),
    [
        ("wrong-password", "wrong password, or the file is damaged"),
        ("no-password", "no password given"),
        ("garbage", "not a PKCS#12 file"),
        ("truncated", "not a PKCS#12 file"),
        ("flipped", "wrong password, or the file is damaged"),
        ("missing", "No such file or directory"),
        ("no-matching-certificate", "no certificate in it matches its private key"),
    ],
)
def test_bad_pkcs12_one_line_exit_20_no_output(
    pki: PKI, tmp_path: Path, case: str, words: str
) -> None:
    path = _openssl(pki.rsa2048, tmp_path / "id.p12")
    data = path.read_bytes()
    env = {"DICOMSIGN_KEY_PASSWORD": PASSWORD}
    if case == "wrong-password":
        env = {"DICOMSIGN_KEY_PASSWORD": "not it"}
    elif case == "no-password":
        env = {}
    elif case == "garbage":
        path.write_bytes(b"not a PKCS#12 file at all\n")
    elif case == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif case == "flipped":
        middle = len(data) // 2
        path.write_bytes(data[:middle] + bytes([data[middle] ^ 0x55]) + data[middle + 1 :])
    elif case == "missing":
        path = tmp_path / "absent.p12"
    else:
        path.write_bytes(
            pkcs12.serialize_key_and_certificates(
                None,
                pki.rsa3072.private_key,  # type: ignore[arg-type]
                None,
                [pki.rsa2048.certificate],
                serialization.BestAvailableEncryption(PASSWORD.encode()),
            )
        )
    out = tmp_path / "out.dcm"
    done = _cli("--pkcs12", path, SAMPLE, "-o", out, env=env)
    assert done.returncode == 20, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    if case == "no-password":  # asked, and nothing came (end of input)
        assert lines[0] == "Enter Import Password:"
        lines = lines[1:]
    assert lines == [
        f"dicomsign sign: error: file cannot be read: while loading PKCS#12 file '{path}': {words}"
    ]
    assert not out.exists()
    with pytest.raises(KeyLoadError) as caught:
        load_pkcs12_signer(path, password=env.get("DICOMSIGN_KEY_PASSWORD", ""))
    assert caught.value.exit_code == 20


def test_pkcs12_options_exclude_the_others(pki: PKI, tmp_path: Path) -> None:
    path = _openssl(pki.rsa2048, tmp_path / "id.p12")
    out = tmp_path / "out.dcm"
    for extra in (["--cert", pki.rsa2048.cert], ["--key", pki.rsa2048.key], ["--pin-file", path]):
        done = _cli("--pkcs12", path, *extra, SAMPLE, "-o", out)
        assert done.returncode == 2, (extra, done.stderr)
        assert "error:" in done.stderr
    done = _cli(SAMPLE, "-o", out)
    assert done.returncode == 2
    assert "give --key (with --cert) or --pkcs12" in done.stderr
    assert not out.exists()
