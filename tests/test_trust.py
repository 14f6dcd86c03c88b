"""Tests of dicomsign.pki (the trust store and chain validation) against the real OpenSSL and
DCMTK.

Every chain scenario is run three ways and must give the same answer:

* our :class:`TrustStore` in OpenSSL's trusted-first mode against ``openssl verify`` (the same
  ``X509_verify_cert``; its first printed error is the one a stopping callback would get);
* our store in DCMTK's mode (untrusted issuers first) against ``dcmsign`` verifying a file it
  signed with the leaf (when the leaf is valid now, otherwise DCMTK stops at its own time check);
* the expected string written in the table, which documents the behaviour.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import re
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pydicom.data
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from dicomsign.exceptions import TrustFileError
from dicomsign.pki import ChainResult, TrustStore, load_certificate, verify_error_string
from dicomsign.pki.names import canonical_name, name_hash
from dicomsign.pki.verify_errors import (
    ERROR_STRINGS,
)
from pki import DAY, PKI, issue_certificate, make_crl, name, pem, utcnow

CT_SMALL = pydicom.data.get_testdata_file("CT_small.dcm")


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], check=False, capture_output=True, text=True)


# ------------------------------------------------------------------------------------------
# Error strings and names


def test_error_strings_are_libcrypto_s() -> None:
    path = ctypes.util.find_library("crypto")
    assert path is not None
    libcrypto = ctypes.CDLL(path)
    function = libcrypto.X509_verify_cert_error_string
    function.restype = ctypes.c_char_p
    function.argtypes = [ctypes.c_long]
    for code, text in ERROR_STRINGS.items():
        assert function(code).decode() == text, code
    assert verify_error_string(10) == "certificate has expired"


NAMES = {
    "plain": x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test")]),
    "case-and-space": x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "  Some   ORG  "),
            x509.NameAttribute(NameOID.COMMON_NAME, "MiXeD\tCase"),
        ]
    ),
    "printable": x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
            x509.NameAttribute(NameOID.COMMON_NAME, "a"),
        ]
    ),
    "utf8": x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Ünïcödé Straße")]),
    "multi-valued": x509.Name(
        [
            x509.RelativeDistinguishedName(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, "b"),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "a"),
                ]
            ),
            x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.USER_ID, "uid")]),
        ]
    ),
    "email-ia5": x509.Name([x509.NameAttribute(NameOID.EMAIL_ADDRESS, "X@Example.ORG")]),
    "empty": x509.Name([]),
}


@pytest.mark.parametrize("label", list(NAMES))
def test_name_hash_matches_openssl(pki: PKI, tmp_path: Path, label: str) -> None:
    key = pki.ec256.private_key
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    cert = issue_certificate(
        NAMES[label], key.public_key(), pki.ec256.certificate, key,
        not_before=pki.now - DAY, not_after=pki.now + DAY,
    )  # fmt: skip
    path = tmp_path / "c.pem"
    path.write_bytes(pem(cert))
    assert (
        name_hash(cert.subject)
        == run("openssl", "x509", "-hash", "-noout", "-in", path).stdout.strip()
    )


def test_crl_hash_matches_openssl(pki: PKI) -> None:
    crl = x509.load_pem_x509_crl(pki.crl.read_bytes())
    expected = run("openssl", "crl", "-hash", "-noout", "-in", pki.crl).stdout.strip()
    assert name_hash(crl.issuer) == expected


def test_canonical_names_ignore_case_and_white_space() -> None:
    a = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test  Intermediate CA ")])
    b = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test intermediate ca")])
    c = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test intermediate c a")])
    assert canonical_name(a) == canonical_name(b) != canonical_name(c)


# ------------------------------------------------------------------------------------------
# Scenario material


@dataclass
class Material:
    """Files of the scenarios: certificates, keys (for dcmsign), CRLs, signed DICOM files."""

    directory: Path
    files: dict[str, Path] = field(default_factory=dict)
    keys: dict[str, Path] = field(default_factory=dict)
    signed: dict[str, Path] = field(default_factory=dict)


def _write(
    material: Material, label: str, *objects: x509.Certificate | x509.CertificateRevocationList
) -> Path:
    path = material.directory / f"{label}.pem"
    path.write_bytes(pem(*objects))
    material.files[label] = path
    return path


IssuerKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey
Extensions = Sequence[tuple[x509.ExtensionType, bool]]


@pytest.fixture(scope="session")
def material(pki: PKI, tmp_path_factory: pytest.TempPathFactory) -> Material:
    """Extra certificates and CRLs for the scenarios, plus DCMTK-signed files of the leaves."""
    m = Material(tmp_path_factory.mktemp("scenarios"))
    now = utcnow()
    root, root_key = pki.root.certificate, pki.root.private_key
    inter, inter_key = pki.intermediate.certificate, pki.intermediate.private_key
    leaf_key, other_key = pki.rsa2048.private_key, pki.rsa3072.private_key
    assert isinstance(root_key, rsa.RSAPrivateKey) and isinstance(inter_key, rsa.RSAPrivateKey)
    assert isinstance(leaf_key, rsa.RSAPrivateKey) and isinstance(other_key, rsa.RSAPrivateKey)

    def make(
        subject: x509.Name,
        public_key: PublicKey,
        issuer: x509.Certificate | None,
        issuer_key: IssuerKey,
        *,
        ca: bool = False,
        not_before: datetime = now - 7 * DAY,
        not_after: datetime = now + 300 * DAY,
        path_length: int | None = None,
        key_usage: bool = True,
        extra: Extensions = (),
        issuer_name: x509.Name | None = None,
        authority_key_identifier: bool = True,
    ) -> x509.Certificate:
        return issue_certificate(
            subject, public_key, issuer, issuer_key, not_before=not_before, not_after=not_after,
            ca=ca, path_length=path_length, key_usage=key_usage, extra=extra,
            issuer_name=issuer_name, authority_key_identifier=authority_key_identifier,
        )  # fmt: skip

    def leaf_under(
        label: str,
        issuer: x509.Certificate,
        key: IssuerKey,
        *,
        extra: Extensions = (),
        issuer_name: x509.Name | None = None,
        authority_key_identifier: bool = True,
    ) -> None:
        cert = make(
            name(f"Scenario {label}"), leaf_key.public_key(), issuer, key, extra=extra,
            issuer_name=issuer_name, authority_key_identifier=authority_key_identifier,
        )  # fmt: skip
        _write(m, label, cert)
        m.keys[label] = pki.rsa2048.key

    def ca(
        label: str,
        issuer: x509.Certificate | None,
        key: IssuerKey,
        own: IssuerKey,
        *,
        is_ca: bool = True,
        not_after: datetime = now + 300 * DAY,
        path_length: int | None = None,
        extra: Extensions = (),
    ) -> x509.Certificate:
        cert = make(
            name(label), own.public_key(), issuer, key, ca=is_ca, not_after=not_after,
            path_length=path_length, extra=extra, not_before=now - 90 * DAY,
        )  # fmt: skip
        _write(m, label, cert)
        return cert

    def crl(
        issuer: x509.Certificate,
        key: IssuerKey,
        serials: Sequence[int],
        *,
        last_update: datetime = now - DAY,
        next_update: datetime = now + 9 * DAY,
        authority_key_identifier: bool = True,
        extra: Extensions = (),
    ) -> x509.CertificateRevocationList:
        return make_crl(
            issuer, key, serials, last_update=last_update, next_update=next_update,
            authority_key_identifier=authority_key_identifier, extra=extra,
        )  # fmt: skip

    for label, identity in [
        ("root", pki.root), ("intermediate", pki.intermediate), ("rsa2048", pki.rsa2048),
        ("revoked", pki.revoked), ("expired", pki.expired), ("not-yet-valid", pki.not_yet_valid),
        ("self-signed", pki.self_signed), ("ec384", pki.ec384),
    ]:  # fmt: skip
        m.files[label] = identity.cert
        m.keys[label] = identity.key
    m.files["crl"] = pki.crl
    m.files["crl-der"] = pki.crl_der
    for label, identity in [("root", pki.root), ("intermediate", pki.intermediate)]:
        m.files[f"{label}-der"] = identity.cert_der
    for label, identity in [("rsa2048-der", pki.rsa2048), ("revoked-der", pki.revoked)]:
        m.files[label] = identity.cert_der
        m.keys[label] = identity.key_der

    # Expired intermediate, CA without the CA flag, CA with an unknown critical extension.
    ca_key = rsa.generate_private_key(65537, 2048)
    leaf_under(
        "under-expired-ca", ca("Expired CA", root, root_key, ca_key, not_after=now - DAY), ca_key
    )
    leaf_under("under-not-ca", ca("Not a CA", root, root_key, ca_key, is_ca=False), ca_key)
    unknown = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"), b"\x05\x00")
    critical_ca = ca("Critical CA", root, root_key, ca_key, extra=[(unknown, True)])
    leaf_under("under-critical-ca", critical_ca, ca_key)
    leaf_under("critical-leaf", inter, inter_key, extra=[(unknown, True)])
    # A root limited to path length 0 with an intermediate under it.
    short_root_key = rsa.generate_private_key(65537, 2048)
    short_root = ca("Short Root", None, short_root_key, short_root_key, path_length=0)
    short_inter = ca("Short Intermediate", short_root, short_root_key, ca_key)
    leaf_under("under-short-inter", short_inter, ca_key)
    # A CA whose key usage lacks cRLSign, and its CRL.
    cert_sign_only = x509.KeyUsage(False, False, False, False, False, True, False, False, False)
    no_crl_sign = make(
        name("No CRL Sign CA"), ca_key.public_key(), root, root_key, ca=True, key_usage=False,
        extra=[(cert_sign_only, True)],
    )  # fmt: skip
    _write(m, "No CRL Sign CA", no_crl_sign)
    leaf_under("under-no-crl-sign", no_crl_sign, ca_key)
    _write(m, "crl-no-crl-sign", crl(no_crl_sign, ca_key, []))
    # Leaves with a bad signature: without AKID (signature failure), with a wrong AKID.
    leaf_under("bad-signature", inter, other_key, authority_key_identifier=False)
    leaf_under("akid-mismatch", inter, other_key)
    # A leaf naming its issuer in other case and spacing.
    variant = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "DICOMSIGN   Tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, " test intermediate ca"),
        ]
    )
    leaf_under("issuer-name-variant", inter, inter_key, issuer_name=variant)
    # Cross-signed intermediate: an untrusted old root certifies the trusted root's key.
    old_root_key = rsa.generate_private_key(65537, 2048)
    old_root = ca("Old Root", None, old_root_key, old_root_key)
    cross = make(root.subject, root_key.public_key(), old_root, old_root_key, ca=True)
    _write(m, "cross-chain", inter, cross, old_root)
    # A self-signed root look-alike with the same name and another key.
    fake_root = make(root.subject, other_key.public_key(), None, other_key, ca=True)
    _write(m, "fake-and-real-root", fake_root, root)
    # Expired and revoked at once.
    both = make(
        name("Scenario expired-and-revoked"), leaf_key.public_key(), inter, inter_key,
        not_before=now - 60 * DAY, not_after=now - DAY,
    )  # fmt: skip
    _write(m, "expired-and-revoked", both)
    # CRLs of the intermediate (and one of the root).
    serials = [pki.revoked.certificate.serial_number, both.serial_number]
    _write(m, "crl-both", crl(inter, inter_key, serials))
    _write(
        m,
        "crl-expired",
        crl(inter, inter_key, serials, last_update=now - 9 * DAY, next_update=now - DAY),
    )
    _write(m, "crl-future", crl(inter, inter_key, serials, last_update=now + DAY))
    _write(m, "crl-wrong-key", crl(inter, other_key, serials, authority_key_identifier=False))
    _write(m, "crl-wrong-akid", crl(inter, other_key, serials))
    _write(m, "crl-critical", crl(inter, inter_key, serials, extra=[(unknown, True)]))
    _write(m, "crl-of-root", crl(root, root_key, serials))
    # Long chains: 100 and 101 intermediates under an EC root.
    for count in (100, 101):
        keys = [ec.generate_private_key(ec.SECP256R1()) for _ in range(count + 1)]
        issuer_cert = make(name(f"Long Root {count}"), keys[0].public_key(), None, keys[0], ca=True)
        _write(m, f"long-root-{count}", issuer_cert)
        chain: list[x509.Certificate] = []
        for index in range(1, count + 1):
            issuer_cert = make(
                name(f"Long {count} CA {index}"), keys[index].public_key(), issuer_cert,
                keys[index - 1], ca=True,
            )  # fmt: skip
            chain.append(issuer_cert)
        _write(m, f"long-chain-{count}", *reversed(chain))
        leaf_under(f"long-leaf-{count}", issuer_cert, keys[count])
    # DCMTK signs CT_small with every leaf that is valid now.
    assert isinstance(CT_SMALL, str)
    for label, key_path in m.keys.items():
        if label in ("expired", "not-yet-valid", "expired-and-revoked"):
            continue
        out = m.directory / f"signed-{label}.dcm"
        options = ["-der"] if label.endswith("-der") else []
        result = run("dcmsign", *options, "+s", key_path, m.files[label], CT_SMALL, out)
        assert result.returncode == 0, (label, result.stderr)
        m.signed[label] = out
    return m


@dataclass(frozen=True)
class Scenario:
    """One chain check: the dcmsign options, by material label."""

    id: str
    leaf: str
    expected: str | None
    trusted: Sequence[str] = ()
    untrusted: Sequence[str] = ()
    directories: Sequence[str] = ()
    crls: Sequence[str] = ()
    crl_check: bool = False
    der: bool = False
    openssl: bool = True


LOCAL = "unable to get local issuer certificate"
NO_CRL = "unable to get certificate CRL"
CHAIN = ("intermediate",)

SCENARIOS = [
    Scenario("no-anchors", "rsa2048", LOCAL),
    Scenario("root-without-intermediate", "rsa2048", LOCAL, ["root"]),
    Scenario("root-and-untrusted-intermediate", "rsa2048", None, ["root"], CHAIN),
    Scenario("intermediate-as-only-anchor", "rsa2048", "unable to get issuer certificate", ["intermediate"]),
    Scenario("leaf-as-only-anchor", "rsa2048", LOCAL, ["rsa2048"]),
    Scenario("intermediate-given-as-trusted", "rsa2048", None, ["root", "intermediate"]),
    Scenario("everything-untrusted", "rsa2048", "self-signed certificate in certificate chain", (), ["intermediate", "root"]),
    Scenario("root-also-untrusted", "rsa2048", None, ["root"], ["intermediate", "root"]),
    Scenario("self-signed-not-trusted", "self-signed", "self-signed certificate"),
    Scenario("self-signed-trusted", "self-signed", None, ["self-signed"]),
    Scenario("self-signed-trusted-crl-check", "self-signed", NO_CRL, ["self-signed"], crl_check=True),
    Scenario("expired-leaf", "expired", "certificate has expired", ["root"], CHAIN),
    Scenario("not-yet-valid-leaf", "not-yet-valid", "certificate is not yet valid", ["root"], CHAIN),
    Scenario("expired-intermediate", "under-expired-ca", "certificate has expired", ["root"], ["Expired CA"]),
    Scenario("crl-check-without-crl", "rsa2048", NO_CRL, ["root"], CHAIN, crl_check=True),
    Scenario("crl-good", "rsa2048", None, ["root"], CHAIN, crls=["crl"]),
    Scenario("crl-revoked", "revoked", "certificate revoked", ["root"], CHAIN, crls=["crl"]),
    Scenario("crl-revoked-der", "revoked-der", "certificate revoked", ["root-der"], ["intermediate-der"], crls=["crl-der"], der=True, openssl=False),
    Scenario("crl-check-good-der", "rsa2048-der", None, ["root-der"], ["intermediate-der"], crls=["crl-der"], crl_check=True, der=True, openssl=False),
    Scenario("revoked-and-expired", "expired-and-revoked", "certificate revoked", ["root"], CHAIN, crls=["crl-both"]),
    Scenario("crl-expired", "rsa2048", "CRL has expired", ["root"], CHAIN, crls=["crl-expired"]),
    Scenario("crl-not-yet-valid", "rsa2048", "CRL is not yet valid", ["root"], CHAIN, crls=["crl-future"]),
    Scenario("crl-bad-signature", "rsa2048", "CRL signature failure", ["root"], CHAIN, crls=["crl-wrong-key"]),
    Scenario("crl-foreign-key-id", "rsa2048", NO_CRL, ["root"], CHAIN, crls=["crl-wrong-akid"]),
    Scenario("crl-of-another-issuer", "rsa2048", NO_CRL, ["root"], CHAIN, crls=["crl-of-root"]),
    Scenario("crl-unhandled-critical", "rsa2048", "unhandled critical CRL extension", ["root"], CHAIN, crls=["crl-critical"]),
    Scenario("crl-issuer-lacks-crl-sign", "under-no-crl-sign", "key usage does not include CRL signing", ["root"], ["No CRL Sign CA"], crls=["crl-no-crl-sign"]),
    Scenario("crl-in-trusted-file-needs-crl-check", "revoked", None, ["root", "crl"], CHAIN),
    Scenario("crl-in-trusted-file", "revoked", "certificate revoked", ["root", "crl"], CHAIN, crl_check=True),
    Scenario("hashed-directory", "rsa2048", None, directories=["hashed"]),
    Scenario("hashed-directory-crl-good", "rsa2048", None, directories=["hashed"], crl_check=True),
    Scenario("hashed-directory-crl-revoked", "revoked", "certificate revoked", directories=["hashed"], crl_check=True),
    Scenario("hashed-directory-missing", "rsa2048", LOCAL, directories=["missing-dir"], openssl=False),
    Scenario("intermediate-not-a-ca", "under-not-ca", "invalid CA certificate", ["root"], ["Not a CA"]),
    Scenario("intermediate-unhandled-critical", "under-critical-ca", "unhandled critical extension", ["root"], ["Critical CA"]),
    Scenario("leaf-unhandled-critical", "critical-leaf", "unhandled critical extension", ["root"], CHAIN),
    Scenario("path-length-exceeded", "under-short-inter", "path length constraint exceeded", ["Short Root"], ["Short Intermediate"]),
    Scenario("leaf-bad-signature", "bad-signature", "certificate signature failure", ["root"], CHAIN),
    Scenario("leaf-foreign-authority-key-id", "akid-mismatch", LOCAL, ["root"], CHAIN),
    Scenario("issuer-name-in-other-case", "issuer-name-variant", None, ["root"], CHAIN),
    Scenario("cross-signed-alternate-chain", "rsa2048", None, ["root"], ["cross-chain"]),
    Scenario("root-look-alike-first", "rsa2048", None, ["fake-and-real-root"], CHAIN),
    Scenario("ecdsa-leaf", "ec384", None, ["root"], CHAIN),
    Scenario("depth-100-intermediates", "long-leaf-100", None, ["long-root-100"], ["long-chain-100"]),
    Scenario("depth-101-intermediates", "long-leaf-101", "certificate chain too long", ["long-root-101"], ["long-chain-101"]),
]  # fmt: skip


def _path(material: Material, pki: PKI, label: str) -> Path:
    if label == "hashed":
        return pki.hashed_dir
    if label == "missing-dir":
        return material.directory / "no such directory"
    return material.files[label]


def _store(
    material: Material, pki: PKI, scenario: Scenario, *, trusted_first: bool = False
) -> TrustStore:
    warnings: list[str] = []
    store = TrustStore(der=scenario.der, warn=warnings.append, trusted_first=trusted_first)
    for label in scenario.trusted:
        assert store.add_trusted_file(_path(material, pki, label))
    for label in scenario.untrusted:
        assert store.add_untrusted_file(_path(material, pki, label))
    for label in scenario.directories:
        assert store.add_directory(str(_path(material, pki, label)))
    for label in scenario.crls:
        assert store.add_crl_file(_path(material, pki, label))
    store.crl_check = store.crl_check or scenario.crl_check
    assert warnings == []
    return store


def _leaf(material: Material, scenario: Scenario) -> x509.Certificate:
    return load_certificate(material.files[scenario.leaf], der=scenario.der)


def openssl_verify(
    material: Material, pki: PKI, scenario: Scenario, tmp_path: Path, at: datetime | None = None
) -> str | None:
    """First error of ``openssl verify`` with the scenario's files, None when it verifies."""
    args: list[str | Path] = ["openssl", "verify", "-no-CAstore"]
    if scenario.trusted:
        bundle = tmp_path / "trusted.pem"
        bundle.write_bytes(b"".join(_path(material, pki, t).read_bytes() for t in scenario.trusted))
        args += ["-CAfile", bundle]
    else:
        args += ["-no-CAfile"]
    if scenario.directories:
        for directory in scenario.directories:
            args += ["-CApath", _path(material, pki, directory)]
    else:
        args += ["-no-CApath"]
    for label in scenario.untrusted:
        args += ["-untrusted", _path(material, pki, label)]
    for label in scenario.crls:
        args += ["-CRLfile", _path(material, pki, label)]
    if scenario.crl_check or scenario.crls:
        args += ["-crl_check"]
    if at is not None:
        args += ["-attime", str(int(at.timestamp()))]
    result = run(*args, material.files[scenario.leaf])
    match = re.search(r"^error \d+ at \d+ depth lookup: (.*)$", result.stderr, re.MULTILINE)
    if match is None:
        assert result.returncode == 0 and result.stdout.endswith(": OK\n"), result
        return None
    assert result.returncode != 0
    return match.group(1)


def dcmsign_verify(material: Material, pki: PKI, scenario: Scenario) -> str | None:
    """The certificate verdict of ``dcmsign`` on the file the leaf signed."""
    args: list[str | Path] = ["dcmsign"]
    if scenario.der:
        args.append("-der")
    for label in scenario.trusted:
        args += ["+cf", _path(material, pki, label)]
    for label in scenario.untrusted:
        args += ["+uf", _path(material, pki, label)]
    for label in scenario.directories:
        args += ["+cd", _path(material, pki, label)]
    for label in scenario.crls:
        args += ["+cr", _path(material, pki, label)]
    if scenario.crl_check:
        args.append("+cl")
    result = run(*args, material.signed[scenario.leaf])
    if "Signature Verification : OK" in result.stderr:
        assert result.returncode == 0
        return None
    match = re.search(r"certificate verification failed: (.*)$", result.stderr, re.MULTILINE)
    assert match is not None, result.stderr
    assert result.returncode == 101
    return match.group(1)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_scenario_matches_openssl_verify(
    material: Material, pki: PKI, tmp_path: Path, scenario: Scenario
) -> None:
    ours = _store(material, pki, scenario, trusted_first=True).verify_chain(
        _leaf(material, scenario)
    )
    assert ours == scenario.expected
    if scenario.openssl:
        assert openssl_verify(material, pki, scenario, tmp_path) == ours


@pytest.mark.parametrize(
    "scenario",
    [s for s in SCENARIOS if s.leaf not in ("expired", "not-yet-valid", "expired-and-revoked")],
    ids=[
        s.id for s in SCENARIOS if s.leaf not in ("expired", "not-yet-valid", "expired-and-revoked")
    ],
)
def test_scenario_matches_dcmsign(material: Material, pki: PKI, scenario: Scenario) -> None:
    ours = _store(material, pki, scenario).verify_chain(_leaf(material, scenario))
    assert ours == scenario.expected
    assert dcmsign_verify(material, pki, scenario) == ours


# ------------------------------------------------------------------------------------------
# Results, time, and the store API


def test_result_details(material: Material, pki: PKI) -> None:
    store = TrustStore.from_options(
        trusted_files=[pki.root.cert], untrusted_files=[pki.rsa2048.chain]
    )
    good = store.verify(pki.rsa2048.certificate)
    assert good.ok and good.error is None and good.depth == -1
    assert good.chain == (
        pki.rsa2048.certificate,
        pki.intermediate.certificate,
        pki.root.certificate,
    )
    expired = store.verify(pki.expired.certificate)
    assert expired.expired_only and expired.depth == 0
    assert expired.error == "certificate has expired"
    intermediate = TrustStore.from_options(
        trusted_files=[pki.root.cert], untrusted_files=[material.files["Expired CA"]]
    ).verify(load_certificate(material.files["under-expired-ca"]))
    assert intermediate.expired_only and intermediate.depth == 1
    revoked = TrustStore.from_options(
        trusted_files=[pki.root.cert], untrusted_files=[pki.rsa2048.chain], crl_files=[pki.crl]
    ).verify(pki.revoked.certificate)
    assert not revoked.expired_only and revoked.error == "certificate revoked"
    assert ChainResult(23).error == "certificate revoked"


@pytest.mark.parametrize(
    ("leaf", "offset_days", "expected"),
    [
        ("expired", -10, None),
        ("expired", -70, "certificate is not yet valid"),
        ("not-yet-valid", 5, None),
        ("rsa2048", 2000, "certificate has expired"),
        ("revoked", -0.5, "certificate revoked"),
        ("revoked", -3, "CRL is not yet valid"),
        ("revoked", 40, "CRL has expired"),
    ],
)
def test_validation_at_another_time_matches_openssl_attime(
    material: Material,
    pki: PKI,
    tmp_path: Path,
    leaf: str,
    offset_days: float,
    expected: str | None,
) -> None:
    scenario = Scenario(
        "at", leaf, expected, ["root"], CHAIN, crls=["crl"] if leaf == "revoked" else []
    )
    at = pki.now + offset_days * DAY
    store = _store(material, pki, scenario, trusted_first=True)
    assert store.verify_chain(_leaf(material, scenario), at=at) == expected
    assert store.verify_chain(_leaf(material, scenario), at=at.replace(tzinfo=None)) == expected
    assert openssl_verify(material, pki, scenario, tmp_path, at=at) == expected


def test_programmatic_store(pki: PKI) -> None:
    store = TrustStore()
    store.add_trusted_certificate(pki.root.certificate)
    store.add_untrusted_certificate(pki.intermediate.certificate)
    assert store.verify_chain(pki.revoked.certificate) is None
    store.add_crl(x509.load_der_x509_crl(pki.crl_der.read_bytes()))
    assert store.verify_chain(pki.revoked.certificate) is None  # adding a CRL does not enable +cl
    store.crl_check = True
    assert store.verify_chain(pki.revoked.certificate) == "certificate revoked"
    assert store.verify_chain(pki.rsa2048.certificate) is None


def test_chains_are_judged_again_when_the_store_or_the_time_changes(pki: PKI) -> None:
    """Each distinct chain is judged once per validation time and store content."""
    store = TrustStore()
    leaf = pki.rsa2048.certificate
    assert store.verify_chain(leaf) == "unable to get local issuer certificate"
    store.add_trusted_certificate(pki.root.certificate)
    assert store.verify_chain(leaf) == "unable to get local issuer certificate"
    store.add_untrusted_certificate(pki.intermediate.certificate)
    assert store.verify_chain(leaf) is None
    assert store.verify(leaf) is store.verify(leaf)  # the same answer, not a new judgement
    assert store.verify_chain(leaf, utcnow() + 40 * 365 * DAY) == "certificate has expired"
    assert store.verify_chain(leaf) is None


# ------------------------------------------------------------------------------------------
# Warnings for files that cannot be loaded, compared with dcmsign


def _files_for_warnings(pki: PKI, directory: Path) -> dict[str, Path]:
    garbage = directory / "garbage.txt"
    garbage.write_text("garbage\n")
    empty = directory / "empty.pem"
    empty.write_bytes(b"")
    return {
        "missing": directory / "missing.pem",
        "garbage": garbage,
        "empty": empty,
        "key": pki.rsa2048.key,
        "cert": pki.root.cert,
        "crl": pki.crl,
        "cert-der": pki.root.cert_der,
        "crl-der": pki.crl_der,
    }


WARNING_CASES = [
    ("+cf", "missing", False), ("+cf", "garbage", False), ("+cf", "empty", False),
    ("+cf", "key", False), ("+cf", "crl", False), ("+cf", "cert", False), ("+cf", "cert", True),
    ("+cf", "cert-der", True), ("+uf", "missing", False), ("+uf", "garbage", False),
    ("+uf", "empty", False), ("+uf", "garbage", True), ("+uf", "cert", True),
    ("+cr", "missing", False), ("+cr", "garbage", False), ("+cr", "cert", False),
    ("+cr", "crl-der", False), ("+cr", "crl-der", True), ("+cr", "crl", True),
    ("+cd", "", False), ("+cd", "missing", False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("option", "file", "der"),
    WARNING_CASES,
    ids=[f"{o}-{f}-{'der' if d else 'pem'}" for o, f, d in WARNING_CASES],
)
def test_load_warnings_match_dcmsign(
    material: Material, pki: PKI, tmp_path: Path, option: str, file: str, der: bool
) -> None:
    files = _files_for_warnings(pki, tmp_path)
    argument = str(files[file]) if file else ""
    warnings: list[str] = []
    store = TrustStore(der=der, warn=warnings.append)
    loaders: dict[str, Callable[[str], bool]] = {
        "+cf": store.add_trusted_file,
        "+uf": store.add_untrusted_file,
        "+cr": store.add_crl_file,
        "+cd": store.add_directory,
    }
    loaded = loaders[option](argument)
    assert loaded == (warnings == [])
    result = run(
        "dcmsign", *(["-der"] if der else []), option, argument, material.signed["rsa2048"]
    )
    theirs = [
        line[3:] for line in result.stderr.splitlines() if line.startswith("W: unable to load")
    ]
    assert warnings == theirs


STRICT_CASES = [(o, f, d) for o, f, d in WARNING_CASES if o != "+cd"]


@pytest.mark.parametrize(
    ("option", "file", "der"),
    STRICT_CASES,
    ids=[f"{o}-{f}-{'der' if d else 'pem'}" for o, f, d in STRICT_CASES],
)
def test_strict_loading_raises_for_every_file_of_the_wrong_kind(
    pki: PKI, tmp_path: Path, option: str, file: str, der: bool
) -> None:
    """The API's loading: a file loads only when it holds what it is given as (a certificate
    for ``trusted``/``untrusted``, a CRL for ``crls``), with no warning; otherwise it raises
    with the file and the reason, even where ``dcmsign`` accepts it silently (a ``+uf`` PEM
    file without certificates, a ``+cf`` file of CRLs only)."""
    path = _files_for_warnings(pki, tmp_path)[file]
    warnings: list[str] = []
    store = TrustStore(der=der, warn=warnings.append)
    loaders: dict[str, tuple[Callable[..., bool], str]] = {
        "+cf": (store.add_trusted_file, "trusted certificate"),
        "+uf": (store.add_untrusted_file, "untrusted certificate"),
        "+cr": (store.add_crl_file, "CRL"),
    }
    load, kind = loaders[option]
    wanted = ("crl" if option == "+cr" else "cert") + ("-der" if der else "")
    if file == wanted:
        assert load(path, strict=True) and warnings == []
        assert store.crl_check == (option == "+cr")
        return
    with pytest.raises(TrustFileError) as err:
        load(path, strict=True)
    assert err.value.message.startswith(f"{kind} file '{path}' not loaded: ")
    assert err.value.path == str(path) and warnings == [] and not store.crl_check


def test_from_options_warns_in_dcmsign_order(pki: PKI, tmp_path: Path) -> None:
    warnings: list[str] = []
    store = TrustStore.from_options(
        trusted_files=[tmp_path / "a"],
        untrusted_files=[tmp_path / "b"],
        directories=[""],
        crl_files=[tmp_path / "c"],
        warn=warnings.append,
    )
    assert warnings == [
        f"unable to load certificate file '{tmp_path / 'a'}', ignoring",
        f"unable to load certificate file '{tmp_path / 'b'}', ignoring",
        "unable to load certificates from directory '', ignoring",
        f"unable to load CRL file '{tmp_path / 'c'}', ignoring",
    ]
    assert not store.crl_check
    store = TrustStore.from_options(trusted_files=[pki.root.cert], crl_files=[pki.crl])
    assert store.crl_check


def test_alternate_chain_replaces_the_untrusted_cross_signed_path(
    material: Material, pki: PKI
) -> None:
    """DCMTK's untrusted-first search reaches Old Root, then falls back to the trusted root."""
    scenario = next(s for s in SCENARIOS if s.id == "cross-signed-alternate-chain")
    for trusted_first in (False, True):
        result = _store(material, pki, scenario, trusted_first=trusted_first).verify(
            pki.rsa2048.certificate
        )
        assert result.ok
        assert result.chain == (
            pki.rsa2048.certificate,
            pki.intermediate.certificate,
            pki.root.certificate,
        )


# ------------------------------------------------------------------------------------------
# The engine's quick chain check (rust/src/pki/chain.rs) must be sound: whenever it is sure
# that a chain is valid, the complete emulation (and DCMTK) must accept it too.


def _fast_path(material: Material, pki: PKI, scenario: Scenario) -> list[str] | None:
    from dicomsign import _core
    from dicomsign.api import open_document

    checks = open_document(material.signed[scenario.leaf]).check_signatures()
    anchors = _core.TrustAnchors(
        [str(_path(material, pki, label)) for label in scenario.trusted],
        [str(_path(material, pki, label)) for label in scenario.untrusted],
        der=scenario.der,
    )
    if not checks.surely_valid(anchors):
        return None
    return [check.signature.uid or "" for check in checks.checks]


FAST_PATH_SCENARIOS = [
    s
    for s in SCENARIOS
    if not (s.directories or s.crls or s.crl_check)
    and s.leaf not in ("expired", "not-yet-valid", "expired-and-revoked")
]


@pytest.mark.parametrize("scenario", FAST_PATH_SCENARIOS, ids=[s.id for s in FAST_PATH_SCENARIOS])
def test_fast_path_is_sound(material: Material, pki: PKI, scenario: Scenario) -> None:
    sure = _fast_path(material, pki, scenario)
    if sure is not None:
        assert scenario.expected is None, f"fast path accepted a chain OpenSSL rejects: {scenario}"
        assert len(sure) == 1


def test_fast_path_accepts_the_common_chains(material: Material, pki: PKI) -> None:
    accepted = {
        s.id for s in FAST_PATH_SCENARIOS if s.expected is None and _fast_path(material, pki, s)
    }
    assert {
        "root-and-untrusted-intermediate",
        "intermediate-given-as-trusted",
        "root-also-untrusted",
        "ecdsa-leaf",
    } <= accepted
