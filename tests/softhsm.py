"""A SoftHSM2 token holding keys of the test PKI (helper module, no tests here).

The tokens live in a directory of their own, named by a SoftHSM2 configuration file that
``SOFTHSM2_CONF`` points at; they are initialised with ``softhsm2-util`` and the keys and
certificates put on them with OpenSC's ``pkcs11-tool``, as a user would (see the README).
Like DCMTK for the interop tests, SoftHSM2 and OpenSC are installed by ``scripts/setup.sh``:
without them these tests fail, they never skip.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from pki import PKI

#: Where Debian's softhsm2 (libsofthsm2) puts the module, and where other systems do.
MODULE_CANDIDATES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib64/pkcs11/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
)

#: OpenSC's PKCS#11 spy: logs every call to the module named by ``PKCS11SPY``.
SPY_CANDIDATES = (
    "/usr/lib/x86_64-linux-gnu/pkcs11/pkcs11-spy.so",
    "/usr/lib/x86_64-linux-gnu/pkcs11-spy.so",
    "/usr/lib/pkcs11/pkcs11-spy.so",
)

LABEL = "Radiology"
PIN = "1234"
SO_PIN = "5678"
OTHER_LABEL = "Archive"
OTHER_PIN = "4321"


def _first(candidates: tuple[str, ...], what: str) -> str:
    for path in candidates:
        if Path(path).is_file():
            return path
    raise RuntimeError(f"{what} not found (apt-get install softhsm2 opensc, or scripts/setup.sh)")


@dataclass(frozen=True)
class SoftToken:
    """The session's tokens: ``Radiology`` (PIN 1234) and ``Archive`` (PIN 4321).

    Objects on ``Radiology`` (label, CKA_ID: what):

    * ``signer``, 01: the RSA 2048 leaf's key and certificate;
    * ``ecsigner``, 02: the P-256 leaf's key and certificate;
    * ``ec384``, 03: the P-384 leaf's key and certificate;
    * ``twin``, 04 and 05: two keys with one label (RSA 3072, P-384), no certificate;
    * ``mismatch``, 06: the RSA 3072 key with the RSA 2048 leaf's certificate;
    * ``ecmismatch``, 07: the P-256 key with the P-384 leaf's certificate;
    * ``intermediate``, 10 and ``root``, 11: the CA certificates.

    ``Archive`` holds the RSA 2048 leaf's key and certificate again as ``signer``, 01.
    """

    conf: Path
    module: str
    spy: str
    directory: Path

    def env(self) -> dict[str, str]:
        """The environment variables that select these tokens."""
        return {"SOFTHSM2_CONF": str(self.conf)}


def _tool(module: str, conf: Path, *args: str | Path) -> None:
    done = subprocess.run(
        ["pkcs11-tool", "--module", module, *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        env={"SOFTHSM2_CONF": str(conf), "PATH": "/usr/bin:/bin"},
    )
    if done.returncode != 0:
        raise RuntimeError(f"pkcs11-tool {args}: {done.stderr}")


def _der_key(directory: Path, name: str, key: PrivateKeyTypes) -> Path:
    path = directory / f"{name}.key.der"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def _der_cert(directory: Path, name: str, cert: x509.Certificate) -> Path:
    path = directory / f"{name}.cert.der"
    path.write_bytes(cert.public_bytes(serialization.Encoding.DER))
    return path


def build_tokens(directory: Path, pki: PKI) -> SoftToken:
    """Initialise the tokens in ``directory`` and put the objects of :class:`SoftToken` on
    them (about a second)."""
    if shutil.which("softhsm2-util") is None or shutil.which("pkcs11-tool") is None:
        raise RuntimeError(
            "softhsm2-util or pkcs11-tool not found (scripts/setup.sh installs them)"
        )
    module = _first(MODULE_CANDIDATES, "the SoftHSM2 module")
    spy = _first(SPY_CANDIDATES, "OpenSC's pkcs11-spy")
    tokens = directory / "tokens"
    tokens.mkdir(parents=True)
    conf = directory / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n"
        "slots.removable = false\n"
    )
    env = {"SOFTHSM2_CONF": str(conf), "PATH": "/usr/bin:/bin"}
    for label, pin in ((LABEL, PIN), (OTHER_LABEL, OTHER_PIN)):
        subprocess.run(
            ["softhsm2-util", "--init-token", "--free", "--label", label]
            + ["--pin", pin, "--so-pin", SO_PIN],
            capture_output=True,
            check=True,
            env=env,
        )
    files = directory / "objects"
    files.mkdir()

    def put(token: str, pin: str, kind: str, path: Path, object_id: str, label: str) -> None:
        _tool(
            module, conf, "--token-label", token, "--login", "--pin", pin,
            "--write-object", path, "--type", kind, "--id", object_id, "--label", label,
        )  # fmt: skip

    keys = {
        name: _der_key(files, name, identity.private_key)
        for name, identity in (
            ("rsa2048", pki.rsa2048),
            ("rsa3072", pki.rsa3072),
            ("ec256", pki.ec256),
            ("ec384", pki.ec384),
        )
    }
    certs = {
        name: _der_cert(files, name, identity.certificate)
        for name, identity in (
            ("rsa2048", pki.rsa2048),
            ("ec256", pki.ec256),
            ("ec384", pki.ec384),
            ("intermediate", pki.intermediate),
            ("root", pki.root),
        )
    }
    for kind, source, object_id, label in (
        ("privkey", keys["rsa2048"], "01", "signer"),
        ("cert", certs["rsa2048"], "01", "signer"),
        ("privkey", keys["ec256"], "02", "ecsigner"),
        ("cert", certs["ec256"], "02", "ecsigner"),
        ("privkey", keys["ec384"], "03", "ec384"),
        ("cert", certs["ec384"], "03", "ec384"),
        ("privkey", keys["rsa3072"], "04", "twin"),
        ("privkey", keys["ec384"], "05", "twin"),
        ("privkey", keys["rsa3072"], "06", "mismatch"),
        ("cert", certs["rsa2048"], "06", "mismatch"),
        ("privkey", keys["ec256"], "07", "ecmismatch"),
        ("cert", certs["ec384"], "07", "ecmismatch"),
        ("cert", certs["intermediate"], "10", "intermediate"),
        ("cert", certs["root"], "11", "root"),
    ):
        put(LABEL, PIN, kind, source, object_id, label)
    put(OTHER_LABEL, OTHER_PIN, "privkey", keys["rsa2048"], "01", "signer")
    put(OTHER_LABEL, OTHER_PIN, "cert", certs["rsa2048"], "01", "signer")
    for path in files.iterdir():  # the keys are on the tokens now, and only there
        path.unlink()
    return SoftToken(conf=conf, module=module, spy=spy, directory=directory)
