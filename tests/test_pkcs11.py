"""Keys that never leave a PKCS#11 token (SoftHSM2): DCMTK verifies what the token signed, for
RSA and ECDSA and every MAC (RIPEMD-160 included, which tokens do not offer); one session and
one login serve a batch; a wrong PIN, a missing module, a URI that names nothing or several
objects, a key that is not the certificate's: one line, DCMTK's exit code, no output, and the
PIN is tried once (the token is not locked after it)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

import dicomsign
from dcmtk import dcmtk
from dicomsign.cli.dicomsign import main
from dicomsign.exceptions import SignatureCreationError, TokenError
from dicomsign.signers import SoftwareSigner
from dicomsign.signers.pkcs11 import MISSING_EXTRA, Pkcs11Signer
from dicomsign.signers.pkcs11uri import Pkcs11Uri, Pkcs11UriError
from dicomsign.vocabulary import MacAlgorithm
from pki import PKI, Identity
from softhsm import LABEL, OTHER_PIN, PIN, SoftToken

SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "ct-sample.dcm"
KEY = f"pkcs11:token={LABEL};object=signer"


def _cli(
    softhsm: SoftToken, *args: str | Path, pin: str | None = PIN, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``dicomsign sign`` in a new process, with the PIN in the environment (or not)."""
    env = {k: v for k, v in os.environ.items() if k != "DICOMSIGN_PKCS11_PIN"}
    env.update(softhsm.env())
    if pin is not None:
        env["DICOMSIGN_PKCS11_PIN"] = pin
    return subprocess.run(
        [sys.executable, "-m", "dicomsign.cli.dicomsign", "sign", *map(str, args)],
        capture_output=True,
        text=True,
        input=stdin if stdin is not None else "",
        env=env,
        check=False,
    )


def _dcmtk_verifies(identity: Identity, path: Path) -> None:
    done = dcmtk("dcmsign", "--verify", "+cf", identity.root, "+uf", identity.chain, path)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def signers(softhsm: SoftToken) -> Iterator[dict[str, Pkcs11Signer]]:
    """One open signer per key on the token, for the module's tests."""
    opened = {
        label: Pkcs11Signer.open(softhsm.module, f"pkcs11:token={LABEL};object={label}", pin=PIN)
        for label in ("signer", "ecsigner", "ec384")
    }
    yield opened
    for signer in opened.values():
        signer.close()


# --------------------------------------------------------------------------------------------
# URIs


def test_uri_attributes_are_percent_decoded() -> None:
    uri = Pkcs11Uri.parse(
        "pkcs11:token=Radio%20logy;object=a%3Bb;id=%01%ff;type=private;slot-id=3"
        "?module-path=/usr/lib/softhsm/libsofthsm2.so"
    )
    assert (uri.token, uri.object, uri.id, uri.type, uri.slot_id) == (
        "Radio logy",
        "a;b",
        b"\x01\xff",
        "private",
        3,
    )
    assert uri.module_path == "/usr/lib/softhsm/libsofthsm2.so"
    assert Pkcs11Uri.parse("PKCS11:").token is None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("file:key.pem", "not a PKCS#11 URI"),
        ("pkcs11:token=A;token=B", "given twice"),
        ("pkcs11:colour=blue", "not supported: 'colour'"),
        ("pkcs11:type=secret", "type must be one of"),
        ("pkcs11:slot-id=one", "slot-id must be"),
        ("pkcs11:object", "without a value"),
        ("pkcs11:token=A?pin-value=1234", "a PIN in a PKCS#11 URI"),
    ],
)
def test_uri_errors_are_one_line_without_the_pin(text: str, words: str) -> None:
    with pytest.raises(Pkcs11UriError) as caught:
        Pkcs11Uri.parse(text)
    assert words in str(caught.value)
    assert "1234" not in str(caught.value)


# --------------------------------------------------------------------------------------------
# Signatures made on the token


@pytest.mark.parametrize(
    ("label", "identity", "mac"),
    [
        ("signer", "rsa2048", MacAlgorithm.RIPEMD160),
        ("signer", "rsa2048", MacAlgorithm.SHA256),
        ("signer", "rsa2048", MacAlgorithm.SHA512),
        ("signer", "rsa2048", MacAlgorithm.MD5),
        ("ecsigner", "ec256", MacAlgorithm.RIPEMD160),
        ("ecsigner", "ec256", MacAlgorithm.SHA384),
        ("ecsigner", "ec256", MacAlgorithm.SHA512),
        ("ec384", "ec384", MacAlgorithm.SHA512),
        ("ec384", "ec384", MacAlgorithm.SHA1),
    ],
)
def test_dcmtk_verifies_what_the_token_signed(
    signers: dict[str, Pkcs11Signer],
    pki: PKI,
    tmp_path: Path,
    label: str,
    identity: str,
    mac: MacAlgorithm,
) -> None:
    ident: Identity = getattr(pki, identity)
    signer = signers[label]
    assert signer.certificate == ident.certificate  # read from the token
    out = tmp_path / "signed.dcm"
    dicomsign.sign(SAMPLE, signer, output=out, algorithm=mac)
    _dcmtk_verifies(ident, out)
    (result,) = dicomsign.verify(out, trusted=[ident.root], untrusted=[ident.chain]).signatures
    assert result.mac_algorithm == mac


def test_rsa_signatures_equal_the_software_key_s(
    signers: dict[str, Pkcs11Signer], pki: PKI
) -> None:
    """PKCS#1 v1.5 is deterministic: the token's signature of every MAC's DigestInfo is the
    one the same key makes in the engine."""
    software = SoftwareSigner(pki.rsa2048.private_key, pki.rsa2048.certificate)
    for mac in MacAlgorithm:
        digest = bytes(range(mac.digest_size))
        assert signers["signer"].sign_digest(mac, digest) == software.sign_digest(mac, digest)


def test_ecdsa_signatures_are_even_length_der_the_certificate_verifies(
    signers: dict[str, Pkcs11Signer], pki: PKI
) -> None:
    public = pki.ec256.certificate.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    digest = bytes(range(32))
    lengths = set()
    for _ in range(40):
        der = signers["ecsigner"].sign_digest(MacAlgorithm.SHA256, digest)
        assert len(der) % 2 == 0
        lengths.add(len(der))
        public.verify(der, digest, ec.ECDSA(Prehashed(hashes.SHA256())))
    with pytest.raises(ValueError, match="a SHA256 digest has 32 bytes"):
        signers["ecsigner"].sign_digest(MacAlgorithm.SHA256, digest[:20])


def test_the_chain_is_read_from_the_token(signers: dict[str, Pkcs11Signer], pki: PKI) -> None:
    assert signers["signer"].chain == (pki.intermediate.certificate, pki.root.certificate)
    assert signers["signer"].token_label == LABEL
    assert "1234" not in repr(signers["signer"])


def test_the_certificate_from_a_file_or_another_uri(softhsm: SoftToken, pki: PKI) -> None:
    with Pkcs11Signer.open(
        None, f"pkcs11:token={LABEL};object=ecsigner?module-path={softhsm.module}", pin=PIN
    ) as signer:  # the module named by the URI
        assert signer.certificate == pki.ec256.certificate
    with Pkcs11Signer.open(
        softhsm.module, f"pkcs11:token={LABEL};id=%02", pki.ec256.cert, pin=PIN
    ) as signer:
        assert signer.certificate == pki.ec256.certificate
        signer.check_matches()
    with Pkcs11Signer.open(
        softhsm.module,
        f"pkcs11:token={LABEL};object=twin;id=%04;type=private",
        f"pkcs11:token={LABEL};object=signer;type=cert",
        pin=lambda: PIN,
    ) as signer:
        assert signer.certificate == pki.rsa2048.certificate
        with pytest.raises(SignatureCreationError, match="do not match"):
            signer.check_matches()


# --------------------------------------------------------------------------------------------
# The command


def test_dicomsign_sign_with_a_token_key_dcmtk_verifies(
    softhsm: SoftToken, pki: PKI, tmp_path: Path
) -> None:
    out = tmp_path / "signed.dcm"
    done = _cli(
        softhsm, "--pkcs11-module", softhsm.module, "--key", KEY, "--mac", "RIPEMD160",
        SAMPLE, "-o", out,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert PIN not in done.stderr + done.stdout
    _dcmtk_verifies(pki.rsa2048, out)


def test_the_pin_from_a_file_and_from_the_prompt(
    softhsm: SoftToken, pki: PKI, tmp_path: Path
) -> None:
    pin_file = tmp_path / "pin"
    pin_file.write_text(f"{PIN}\n")
    out = tmp_path / "a.dcm"
    key = f"pkcs11:token={LABEL};object=ecsigner"
    done = _cli(
        softhsm, "--pkcs11-module", softhsm.module, "--key", key, "--pin-file", pin_file,
        SAMPLE, "-o", out, pin="0000",  # the file wins over the environment
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    _dcmtk_verifies(pki.ec256, out)
    out = tmp_path / "b.dcm"
    done = _cli(
        softhsm, "--pkcs11-module", softhsm.module, "--key", key, "--cert", pki.ec256.cert,
        SAMPLE, "-o", out, pin=None, stdin=f"{PIN}\n",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"Enter PIN for token '{LABEL}':" in done.stderr
    assert PIN not in done.stderr
    _dcmtk_verifies(pki.ec256, out)


def _calls(log: Path) -> list[str]:
    """The PKCS#11 functions called, in order, from pkcs11-spy's log (``13: C_OpenSession``)."""
    return re.findall(r"(?m)^\d+: (C_\w+)$", log.read_text())


def test_a_batch_uses_one_session_and_one_login(
    softhsm: SoftToken, pki: PKI, tmp_path: Path
) -> None:
    """OpenSC's pkcs11-spy logs every call the command makes to the module."""
    tree = tmp_path / "in"
    tree.mkdir()
    for i in range(20):
        (tree / f"{i:02d}.dcm").write_bytes(SAMPLE.read_bytes())
    log = tmp_path / "spy.log"
    os.environ["PKCS11SPY"] = softhsm.module
    os.environ["PKCS11SPY_OUTPUT"] = str(log)
    try:
        done = _cli(
            softhsm, "--pkcs11-module", softhsm.spy, "--key", KEY, tree, "--out",
            tmp_path / "out", "-j", "2", "-q",
        )  # fmt: skip
    finally:
        del os.environ["PKCS11SPY"], os.environ["PKCS11SPY_OUTPUT"]
    assert done.returncode == 0, done.stderr
    calls = _calls(log)
    assert calls.count("C_OpenSession") == 1
    assert calls.count("C_Login") == 1
    assert calls.count("C_SignInit") == 20  # one signature per file (no key check: RSA)
    assert calls[-3:] == ["C_Logout", "C_CloseSession", "C_Finalize"]
    signed = sorted((tmp_path / "out").iterdir())
    assert len(signed) == 20
    for path in signed[::7]:
        _dcmtk_verifies(pki.rsa2048, path)


def _fails(done: subprocess.CompletedProcess[str], code: int, words: str, out: Path) -> None:
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert words in lines[0], lines[0]
    assert PIN not in lines[0]
    assert not out.exists()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]


def test_a_wrong_pin_is_tried_once_and_locks_nothing(
    softhsm: SoftToken, pki: PKI, tmp_path: Path
) -> None:
    out = tmp_path / "signed.dcm"
    log = tmp_path / "spy.log"
    os.environ["PKCS11SPY"] = softhsm.module
    os.environ["PKCS11SPY_OUTPUT"] = str(log)
    try:
        done = _cli(
            softhsm, "--pkcs11-module", softhsm.spy, "--key", KEY, SAMPLE, "-o", out, pin="9999"
        )
    finally:
        del os.environ["PKCS11SPY"], os.environ["PKCS11SPY_OUTPUT"]
    _fails(done, 20, f"wrong PIN for token '{LABEL}' (not tried again", out)
    calls = _calls(log)
    assert calls.count("C_Login") == 1
    # The token still takes its PIN.
    done = _cli(softhsm, "--pkcs11-module", softhsm.module, "--key", KEY, SAMPLE, "-o", out)
    assert done.returncode == 0, done.stderr
    _dcmtk_verifies(pki.rsa2048, out)


@pytest.mark.parametrize(
    ("case", "code", "words"),
    [
        ("missing-module", 20, "cannot load PKCS#11 module '/nonexistent/libtoken.so': No such"),
        ("not-a-module", 20, "cannot load PKCS#11 module"),
        ("no-token", 20, "no token matches 'pkcs11:token=Cardiology;object=signer' in '"),
        ("no-token-seen", 20, "(tokens there: 'Archive', 'Radiology')"),
        (
            "several-tokens",
            20,
            "several tokens match 'pkcs11:object=signer': 'Archive', 'Radiology'",
        ),
        ("no-object", 20, f"no private key matches 'pkcs11:token={LABEL};object=nothing'"),
        ("several-objects", 20, "2 private keys match"),
        ("no-certificate", 20, "no certificate with the key's id or label"),
        ("rsa-mismatch", 85, "certificate and private key do not match"),
        ("ec-mismatch", 85, "certificate and private key do not match"),
        ("dsa", 85, "signing with DSA, 2048 bits keys on a PKCS#11 token is not supported"),
        ("no-pin", 20, f"no PIN given for token '{LABEL}'"),
        ("missing-pin-file", 20, "--pin-file: No such file or directory"),
        ("bad-uri", 2, "not supported: 'label'"),
        ("no-module", 2, "needs --pkcs11-module PATH"),
    ],
)
def test_failures_are_one_line_with_dcmtk_s_code_and_no_output(
    softhsm: SoftToken, pki: PKI, tmp_path: Path, case: str, code: int, words: str
) -> None:
    out = tmp_path / "signed.dcm"
    module: str = softhsm.module
    key = KEY
    pin: str | None = PIN
    if case == "missing-module":
        module = "/nonexistent/libtoken.so"
    elif case == "not-a-module":
        module = str(SAMPLE)
    elif case.startswith("no-token"):
        key = "pkcs11:token=Cardiology;object=signer"
    elif case == "several-tokens":
        key = "pkcs11:object=signer"
    elif case == "no-object":
        key = f"pkcs11:token={LABEL};object=nothing"
    elif case == "several-objects":
        key = f"pkcs11:token={LABEL};object=twin"
    elif case == "no-certificate":
        key = f"pkcs11:token={LABEL};object=twin;id=%05"
    elif case == "rsa-mismatch":
        key = f"pkcs11:token={LABEL};object=mismatch"
    elif case == "ec-mismatch":
        key = f"pkcs11:token={LABEL};object=ecmismatch"
    elif case == "dsa":
        key = f"pkcs11:token={LABEL};object=ecsigner"
    elif case == "no-pin":
        pin = None
    elif case == "bad-uri":
        key = f"pkcs11:token={LABEL};label=signer"
    args: list[str | Path] = ["--key", key, SAMPLE, "-o", out]
    if case == "dsa":
        args += ["--cert", pki.dsa2048.cert]
    elif case == "missing-pin-file":
        args += ["--pin-file", tmp_path / "absent"]
    if case != "no-module":
        args = ["--pkcs11-module", module, *args]
    done = _cli(softhsm, *args, pin=pin)
    if case == "no-pin":  # asked, and nothing came (end of input)
        prompt = f"Enter PIN for token '{LABEL}':\n"
        assert done.stderr.startswith(prompt)
        done.stderr = done.stderr[len(prompt) :]
    if code == 2:
        assert done.returncode == 2
        assert words in done.stderr
        assert not out.exists()
        return
    _fails(done, code, words, out)


def test_the_other_token_is_chosen_by_its_label(
    softhsm: SoftToken, pki: PKI, tmp_path: Path
) -> None:
    out = tmp_path / "signed.dcm"
    done = _cli(
        softhsm, "--pkcs11-module", softhsm.module, "--key", "pkcs11:token=Archive;object=signer",
        SAMPLE, "-o", out, pin=OTHER_PIN,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    _dcmtk_verifies(pki.rsa2048, out)


def test_without_the_extra_one_line_and_exit_2(
    softhsm: SoftToken,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setitem(sys.modules, "pkcs11", None)  # import pkcs11 raises ImportError
    monkeypatch.setenv("DICOMSIGN_PKCS11_PIN", PIN)
    out = tmp_path / "signed.dcm"
    code = main(
        ["sign", "--pkcs11-module", softhsm.module, "--key", KEY, str(SAMPLE), "-o", str(out)]
    )
    assert code == 2
    assert capsys.readouterr().err == f"dicomsign sign: error: {MISSING_EXTRA}\n"
    assert not out.exists()
    with pytest.raises(ImportError, match=r"dicomsign\[pkcs11\]"):
        Pkcs11Signer.open(softhsm.module, KEY, pin=PIN)


def test_the_api_errors_are_token_errors(softhsm: SoftToken) -> None:
    with pytest.raises(TokenError, match="wrong PIN for token 'Archive'") as caught:
        Pkcs11Signer.open(softhsm.module, "pkcs11:token=Archive;object=signer", pin="0000")
    assert caught.value.exit_code == 20
    with pytest.raises(Pkcs11UriError, match="not a certificate"):
        Pkcs11Signer.open(softhsm.module, KEY, f"pkcs11:token={LABEL};type=private", pin=PIN)


def test_signers_of_one_token_share_its_session_and_login(
    softhsm: SoftToken, signers: dict[str, Pkcs11Signer], pki: PKI
) -> None:
    """A login belongs to the process: a second signer of a token logged in already uses the
    same session; closing it leaves the others working."""
    second = Pkcs11Signer.open(softhsm.module, f"pkcs11:token={LABEL};object=ec384", pin=PIN)
    digest = bytes(48)
    second.sign_digest(MacAlgorithm.SHA384, digest)
    second.close()
    second.close()  # again: nothing
    with pytest.raises(SignatureCreationError, match="is closed"):
        second.sign_digest(MacAlgorithm.SHA384, digest)
    software = SoftwareSigner(pki.rsa2048.private_key, pki.rsa2048.certificate)
    assert signers["signer"].sign_digest(MacAlgorithm.SHA384, digest) == software.sign_digest(
        MacAlgorithm.SHA384, digest
    )
