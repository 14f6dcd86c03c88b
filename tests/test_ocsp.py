"""Revocation checked live with OCSP (:mod:`dicomsign.pki.ocsp`), against real responders on
loopback: ``openssl ocsp`` over the test PKI (good, revoked, unknown; a delegated responder),
and a small Python responder for the faults openssl cannot play (see :mod:`ocsp_responders`).
Every case is asserted under every mode (off, soft-fail, hard-fail, require), through the API,
the archive engine (its quick path too) and the command line; the checks of a response are
also tested one by one."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

import dicomsign
from dcmtk import dicomsign_cli
from dicomsign.archive import Verifier, verify_many
from dicomsign.pki import TrustStore
from dicomsign.pki.chain import ChainCertificate, ChainVerifier
from dicomsign.pki.ocsp import (
    OcspChecker,
    OcspError,
    RevocationFailure,
    check_response,
    judge,
    ocsp_checker,
)
from dicomsign.pki.verify_errors import ChainFailure
from dicomsign.results import RevocationInfo, RevocationState
from dicomsign.vocabulary import OcspMode
from ocsp_responders import (
    FaultResponder,
    OcspPki,
    OpenSslResponder,
    build_ocsp_pki,
    fault_context,
    free_port,
)
from pki import DAY, PKI, issue_certificate, name, utcnow

MODES = ("off", "soft-fail", "hard-fail", "require")


@dataclass(frozen=True)
class Responders:
    env: OcspPki
    fault: FaultResponder
    openssl: OpenSslResponder

    def url(self, path: str) -> str:
        return self.env.fault_url + path


@pytest.fixture(scope="session")
def responders(pki: PKI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Responders]:
    """Both responders, started once per session (a free port each; openssl is asked a real
    query until it answers) and stopped at the end."""
    saved = {k: os.environ.get(k) for k in ("no_proxy", "NO_PROXY")}
    # Loopback never goes through a proxy from the environment (also in the CLI's children).
    os.environ["no_proxy"] = os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    fault = FaultResponder()
    base = tmp_path_factory.mktemp("ocsp")
    openssl: OpenSslResponder | None = None
    try:
        for attempt in range(3):  # a port taken between the choice and openssl's bind
            port = free_port()
            env = build_ocsp_pki(pki, base / str(attempt), port, fault.port)
            openssl = OpenSslResponder(env, port)
            issuer = pki.intermediate.certificate

            def answers(env: OcspPki = env, issuer: x509.Certificate = issuer) -> bool:
                probe = OcspChecker("hard-fail", timeout=1)  # a new one: asks again each time
                return probe.status(env.good.cert, issuer).state is RevocationState.GOOD

            try:
                openssl.wait_until_answering(answers)
                break
            except RuntimeError:
                openssl.stop()
                if attempt == 2:
                    raise
        assert openssl is not None
        fault.context = fault_context(env)
        yield Responders(env, fault, openssl)
    finally:
        fault.stop()
        if openssl is not None:
            openssl.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# -- every case under every mode ---------------------------------------------------------------

VERIFIED = "verified"
REVOKED = "certificate-revoked"
UNKNOWN = "revocation-unknown"
#: The words of the README's table, per outcome: off, soft-fail, hard-fail, require.
TABLE = {
    "good": (VERIFIED, VERIFIED, VERIFIED, VERIFIED),
    "revoked": (VERIFIED, REVOKED, REVOKED, REVOKED),
    "unknown": (VERIFIED, VERIFIED, UNKNOWN, UNKNOWN),
    "unavailable": (VERIFIED, VERIFIED, UNKNOWN, UNKNOWN),
    "no-responder": (VERIFIED, VERIFIED, VERIFIED, UNKNOWN),
}


@dataclass(frozen=True)
class Case:
    leaf: str  # the OcspPki attribute of the signer
    path: str | None  # the fault responder's path as --ocsp-url, or None: the AIA
    state: RevocationState
    detail: str  # in the detail (or the reason, for revoked)


CASES = {
    "good (openssl, delegated responder)": Case("good", None, RevocationState.GOOD, ""),
    "revoked (openssl)": Case("revoked", None, RevocationState.REVOKED, "keyCompromise"),
    "unknown (openssl)": Case("unknown", None, RevocationState.UNKNOWN, "does not know"),
    "good, signed by the CA itself": Case("good", "/good", RevocationState.GOOD, ""),
    "good, delegated responder": Case("good", "/delegated", RevocationState.GOOD, ""),
    "good, no nonce in the response": Case("good", "/no-nonce", RevocationState.GOOD, ""),
    "responder down": Case(
        "good", "down", RevocationState.UNAVAILABLE, "cannot reach the responder"
    ),
    "tryLater": Case("good", "/try-later", RevocationState.UNAVAILABLE, "answered tryLater"),
    "HTTP error": Case("good", "/http-error", RevocationState.UNAVAILABLE, "HTTP 500"),
    "not OCSP": Case("good", "/garbage", RevocationState.UNAVAILABLE, "malformed response"),
    "timeout": Case("good", "/slow", RevocationState.UNAVAILABLE, "no answer within 0.5 s"),
    "stale": Case("good", "/stale", RevocationState.UNAVAILABLE, "stale response: nextUpdate"),
    "not yet valid": Case(
        "good", "/not-yet-valid", RevocationState.UNAVAILABLE, "response not yet valid"
    ),
    "nonce mismatch": Case("good", "/nonce-mismatch", RevocationState.UNAVAILABLE, "nonce"),
    "another certificate's answer": Case(
        "good", "/wrong-certificate", RevocationState.UNAVAILABLE, "does not answer for"
    ),
    "signed by an unauthorised key": Case(
        "good", "/unauthorised", RevocationState.UNAVAILABLE, "not issued by the certificate's"
    ),
    "signed by a key the response does not carry": Case(
        "good", "/unnamed", RevocationState.UNAVAILABLE, "neither the issuer nor"
    ),
    "signed by a CA leaf without OCSPSigning": Case(
        "good", "/not-delegated", RevocationState.UNAVAILABLE, "lacks the extended key usage"
    ),
    "the CA's name, another key": Case(
        "good", "/impostor", RevocationState.UNAVAILABLE, "response signature invalid"
    ),
    "no responder (no AIA)": Case(
        "no_aia", None, RevocationState.NO_RESPONDER, "names none and none was given"
    ),
    "a file URL in the AIA": Case(
        "file_url", None, RevocationState.UNAVAILABLE, "unsupported responder URL"
    ),
}


def _outcome(state: RevocationState) -> str:
    return "unknown" if state is RevocationState.UNKNOWN else state.value


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("label", list(CASES))
def test_every_case_under_every_mode(responders: Responders, label: str, mode: str) -> None:
    case = CASES[label]
    env = responders.env
    signed = getattr(env, case.leaf)
    url = None
    if case.path == "down":
        url = f"http://127.0.0.1:{free_port()}/"
    elif case.path is not None:
        url = responders.url(case.path)
    options: dict[str, Any] = {}
    if mode != "off":
        options = {"ocsp": mode, "ocsp_url": url, "ocsp_timeout": 0.5}
    report = dicomsign.verify(signed.dicom, **env.trust, **options)
    (sig,) = report.signatures
    expected = TABLE[_outcome(case.state)][MODES.index(mode)]
    word = dicomsign.archive.status.signature_status(sig)
    assert word == expected, sig.message
    assert report.exit_code == (0 if expected == VERIFIED else 101)
    if mode == "off":
        assert sig.revocation is None and sig.message == "OK"
        return
    info = sig.revocation
    assert info is not None and info.state is case.state and info.method == "ocsp"
    if case.state is RevocationState.REVOKED:
        assert info.reason == case.detail
        assert info.revoked_at == env.revoked_at
        assert sig.message.startswith(
            "signature is OK but certificate verification failed: certificate revoked: OCSP "
        )
        assert "keyCompromise" in sig.message and env.revoked_at.strftime("%Y-%m-%d") in sig.message
    elif case.state is RevocationState.GOOD:
        assert info.detail is None and info.reason is None and info.revoked_at is None
        assert info.this_update is not None and info.next_update is not None
        assert info.responder == (url or env.openssl_url)
    else:
        assert info.detail is not None and case.detail in info.detail, info.detail
    if expected == UNKNOWN:
        assert sig.message.startswith(
            "signature is OK but the certificate's revocation status is unknown: OCSP"
        )
        assert sig.status is dicomsign.SignatureStatus.REVOCATION_UNKNOWN
    if expected == VERIFIED:
        assert sig.message == "OK"


def test_a_failed_chain_is_not_asked_about(responders: Responders) -> None:
    counted = responders.env.counted
    before = responders.fault.count("/counted")
    report = dicomsign.verify(counted.dicom, trusted=responders.env.pki.root.cert, ocsp="require")
    (sig,) = report.signatures
    assert sig.status is dicomsign.SignatureStatus.UNTRUSTED and sig.revocation is None
    assert responders.fault.count("/counted") == before


# -- the archive engine: one query per certificate, the quick path, threads ---------------------


def _copies(directory: Path, files: dict[str, Path], n: int) -> Path:
    directory.mkdir()
    for label, source in files.items():
        for i in range(n):
            (directory / f"{label}-{i}.dcm").write_bytes(source.read_bytes())
    return directory


def test_one_query_per_certificate_per_run(responders: Responders, tmp_path: Path) -> None:
    env = responders.env
    tree = _copies(tmp_path / "tree", {"counted": env.counted.dicom, "good": env.good.dicom}, 6)
    before = responders.fault.count("/counted")
    checker = OcspChecker("hard-fail")
    results = list(verify_many(tree, **env.trust, ocsp=checker, jobs=2))
    assert len(results) == 12 and {r.status for r in results} == {"verified"}
    # Two certificates: two queries (one to the fault responder by the AIA, one to openssl).
    assert checker.queries == 2
    assert responders.fault.count("/counted") == before + 1
    for result in results:
        assert result.report is not None
        info = result.report.signatures[0].revocation
        assert info is not None and info.state is RevocationState.GOOD
    # Off: nothing is fetched at all.
    results = list(verify_many(tree, **env.trust, jobs=2))
    assert {r.status for r in results} == {"verified"}
    assert all(r.report and r.report.signatures[0].revocation is None for r in results)
    assert responders.fault.count("/counted") == before + 1


def test_a_responder_that_is_down_costs_one_query(responders: Responders, tmp_path: Path) -> None:
    env = responders.env
    tree = _copies(tmp_path / "tree", {"good": env.good.dicom}, 5)
    checker = OcspChecker("soft-fail", url=f"http://127.0.0.1:{free_port()}/", timeout=0.5)
    results = list(verify_many(tree, **env.trust, ocsp=checker, jobs=2))
    assert {r.status for r in results} == {"verified"} and checker.queries == 1
    assert all(r.reason is None for r in results)


def test_concurrent_callers_share_one_query(responders: Responders) -> None:
    env = responders.env
    checker = OcspChecker("hard-fail", url=responders.url("/slow"), timeout=5)
    issuer = env.pki.intermediate.certificate
    before = responders.fault.count("/slow")
    found: list[RevocationInfo] = []

    def ask() -> None:
        found.append(checker.status(env.good.cert, issuer))

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 6 and all(info is found[0] for info in found)
    assert found[0].state is RevocationState.GOOD
    assert responders.fault.count("/slow") == before + 1 and checker.queries == 1


def test_the_quick_path_still_checks_revocation(responders: Responders) -> None:
    env = responders.env
    # Certificate files only, no CRL: the Rust engine judges the chain alone ("surely valid").
    plain = Verifier(**env.trust)
    assert plain.anchors is not None
    before = plain.verify(env.revoked.dicom)
    assert (before.status, before.fallback) == ("verified", False)
    checked = Verifier(**env.trust, ocsp="soft-fail")
    result = checked.verify(env.revoked.dicom)
    assert (result.status, result.fallback) == ("certificate-revoked", False)
    assert result.reason is not None and "keyCompromise" in result.reason
    assert result.exit_code == 101
    # On the engine's threads too.
    (threaded,) = dicomsign.archive.verify_stream([str(env.revoked.dicom)], checked, jobs=2)
    assert (threaded.status, threaded.fallback) == ("certificate-revoked", False)


# -- long-term validation, the revocation seam -------------------------------------------------


def test_a_revocation_after_the_signature_existed(responders: Responders) -> None:
    env = responders.env
    issuer = env.pki.intermediate.certificate
    checker = OcspChecker("hard-fail")
    # superseded, revoked two days ago: a signature proven to exist before stays valid ...
    before = env.superseded_at - DAY
    kept = checker.verdict(env.superseded.cert, issuer, existed_at=before)
    assert kept.failure is None and kept.info.reason == "superseded"
    assert "after the signature existed" in kept.text
    # ... one proven only after the revocation, or not at all, is revoked.
    after = checker.verdict(env.superseded.cert, issuer, existed_at=env.superseded_at + DAY)
    assert after.failure is RevocationFailure.REVOKED
    assert checker.verdict(env.superseded.cert, issuer).failure is RevocationFailure.REVOKED
    # A key compromise invalidates whenever the signature was made.
    early = env.revoked_at - 10 * DAY
    compromised = checker.verdict(env.revoked.cert, issuer, existed_at=early)
    assert compromised.failure is RevocationFailure.REVOKED
    assert compromised.info.reason == "keyCompromise"
    assert checker.queries == 2


def test_judge_follows_the_table() -> None:
    now = utcnow()
    for outcome, words in TABLE.items():
        state = RevocationState("unknown" if outcome == "unknown" else outcome)
        info = RevocationInfo(state, revoked_at=now if outcome == "revoked" else None)
        for mode, word in zip(MODES[1:], words[1:], strict=True):
            failure = judge(info, OcspMode(mode)).failure
            expected = {VERIFIED: None, REVOKED: "revoked", UNKNOWN: "unknown"}[word]
            assert failure == expected, (outcome, mode)
    for reason in ("keyCompromise", "cACompromise", "aACompromise"):
        info = RevocationInfo(RevocationState.REVOKED, reason=reason, revoked_at=now)
        assert judge(info, OcspMode.SOFT_FAIL, existed_at=now - DAY).failure == "revoked"
    reasons: tuple[str | None, ...] = (None, "unspecified", "superseded", "cessationOfOperation")
    for other in reasons:
        info = RevocationInfo(RevocationState.REVOKED, reason=other, revoked_at=now)
        naive = (now - DAY).replace(tzinfo=None)  # naive times are UTC
        assert judge(info, OcspMode.SOFT_FAIL, existed_at=naive).failure is None
        assert judge(info, OcspMode.SOFT_FAIL, existed_at=now).failure == "revoked"


def test_the_revocation_checker_protocol(responders: Responders) -> None:
    env = responders.env
    store = TrustStore()
    store.add_sources(**env.trust)
    now = int(datetime.now(UTC).timestamp())

    def run(signed: x509.Certificate, checker: OcspChecker) -> int:
        verifier = ChainVerifier(store, depth=100, revocation=checker)
        try:
            verifier.verify([ChainCertificate(signed)], now)
        except ChainFailure as failure:
            assert failure.depth == 0
            return failure.code
        return 0

    hard = OcspChecker("hard-fail", timeout=0.5)
    assert run(env.good.cert, hard) == 0
    assert run(env.revoked.cert, hard) == 23  # certificate revoked
    assert run(env.unknown.cert, hard) == 75  # OCSP unknown cert
    assert run(env.no_aia.cert, hard) == 0
    assert run(env.no_aia.cert, OcspChecker("require")) == 74  # OCSP verification failed
    assert run(env.unknown.cert, OcspChecker("soft-fail")) == 0
    assert run(env.good.cert, OcspChecker("off")) == 0


# -- the checks of a response, one by one ------------------------------------------------------


@pytest.fixture(scope="module")
def parts(responders: Responders) -> dict[str, object]:
    env = responders.env
    return {
        "cert": env.good.cert,
        "issuer": env.pki.intermediate.certificate,
        "issuer_key": env.pki.intermediate.private_key,
        "delegate": env.delegate,
        "delegate_key": env.delegate_key,
    }


def _response(
    parts: dict[str, object],
    *,
    now: datetime,
    this_update: datetime | None = None,
    next_update: datetime | None | str = "default",
    nonce: bytes | None = b"n" * 16,
    signer: str = "issuer",
    delegate: x509.Certificate | None = None,
    delegate_key: ec.EllipticCurvePrivateKey | None = None,
    status: ocsp.OCSPCertStatus = ocsp.OCSPCertStatus.GOOD,
) -> bytes:
    cert, issuer = parts["cert"], parts["issuer"]
    assert isinstance(cert, x509.Certificate) and isinstance(issuer, x509.Certificate)
    this = now - timedelta(minutes=1) if this_update is None else this_update
    nxt = now + timedelta(hours=1) if next_update == "default" else next_update
    assert nxt is None or isinstance(nxt, datetime)
    revoked = status is ocsp.OCSPCertStatus.REVOKED
    builder = ocsp.OCSPResponseBuilder().add_response(
        cert, issuer, hashes.SHA1(), status, this, nxt, now - DAY if revoked else None, None
    )
    if signer == "issuer":
        responder, key, certs = issuer, parts["issuer_key"], []
    else:
        responder = delegate or parts["delegate"]  # type: ignore[assignment]
        key = delegate_key or parts["delegate_key"]
        certs = [responder]
    builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, responder)
    if certs:
        builder = builder.certificates(certs)
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)  # type: ignore[arg-type]


def _check(parts: dict[str, object], der: bytes, now: datetime, **kw: object) -> RevocationInfo:
    return check_response(
        der,
        parts["cert"],  # type: ignore[arg-type]
        parts["issuer"],  # type: ignore[arg-type]
        nonce=kw.pop("nonce", b"n" * 16),  # type: ignore[arg-type]
        now=now,
        **kw,  # type: ignore[arg-type]
    )


def test_freshness_with_the_clock_skew(parts: dict[str, object]) -> None:
    now, skew, second = utcnow(), timedelta(minutes=5), timedelta(seconds=1)
    # thisUpdate up to the skew in the future.
    ahead = _response(parts, now=now, this_update=now + skew - second)
    assert _check(parts, ahead, now).state is RevocationState.GOOD
    too_far = _response(parts, now=now, this_update=now + skew + second)
    with pytest.raises(OcspError, match="response not yet valid: thisUpdate"):
        _check(parts, too_far, now)
    # nextUpdate up to the skew in the past.
    old = now - DAY
    late = _response(parts, now=now, this_update=old, next_update=now - skew + second)
    assert _check(parts, late, now).state is RevocationState.GOOD
    stale = _response(parts, now=now, this_update=old, next_update=now - skew - second)
    with pytest.raises(OcspError, match="stale response: nextUpdate"):
        _check(parts, stale, now)
    # Without nextUpdate, the response must be from within the skew.
    fresh = _response(parts, now=now, this_update=now - skew + second, next_update=None)
    assert _check(parts, fresh, now).next_update is None
    aged = _response(parts, now=now, this_update=now - skew - second, next_update=None)
    with pytest.raises(OcspError, match="and no nextUpdate"):
        _check(parts, aged, now)
    # A wider allowance accepts it.
    assert _check(parts, aged, now, skew=timedelta(minutes=10)).state is RevocationState.GOOD


def test_nonce(parts: dict[str, object]) -> None:
    now = utcnow()
    ours = _response(parts, now=now, nonce=b"n" * 16)
    assert _check(parts, ours, now).state is RevocationState.GOOD
    with pytest.raises(OcspError, match="nonce mismatch"):
        _check(parts, ours, now, nonce=b"m" * 16)
    without = _response(parts, now=now, nonce=None)
    assert _check(parts, without, now).state is RevocationState.GOOD
    # No nonce asked for: any nonce is fine.
    assert _check(parts, ours, now, nonce=None).state is RevocationState.GOOD


def test_the_certificate_id(parts: dict[str, object], responders: Responders) -> None:
    now = utcnow()
    der = _response(parts, now=now)
    other = {**parts, "cert": responders.env.unknown.cert}
    with pytest.raises(OcspError, match="does not answer for the certificate"):
        _check(other, der, now)
    # Another issuer (same serial asked about): the issuer hashes differ.
    root = responders.env.pki.root.certificate
    with pytest.raises(OcspError, match="does not answer for the certificate"):
        check_response(der, parts["cert"], root, nonce=None, now=now)  # type: ignore[arg-type]


def test_the_delegated_responder(parts: dict[str, object], responders: Responders) -> None:
    now = utcnow()
    delegated = _response(parts, now=now, signer="delegate")
    assert _check(parts, delegated, now).state is RevocationState.GOOD
    pki = responders.env.pki
    key = ec.generate_private_key(ec.SECP256R1())
    ocsp_signing = (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), False)
    root_key = pki.root.private_key
    # Issued by the root, not by the certificate's issuer (the intermediate).
    by_root = issue_certificate(
        name("OCSP responder of the root"), key.public_key(), pki.root.certificate, root_key,  # type: ignore[arg-type]
        not_before=now - DAY, not_after=now + DAY, extra=[ocsp_signing],
    )  # fmt: skip
    der = _response(parts, now=now, signer="delegate", delegate=by_root, delegate_key=key)
    with pytest.raises(OcspError, match="is not issued by the certificate's issuer"):
        _check(parts, der, now)
    # Issued by the intermediate with OCSPSigning, but expired.
    inter_key = pki.intermediate.private_key
    expired = issue_certificate(
        name("Expired OCSP responder"), key.public_key(), pki.intermediate.certificate,
        inter_key, not_before=now - 3 * DAY, not_after=now - DAY, extra=[ocsp_signing],  # type: ignore[arg-type]
    )  # fmt: skip
    der = _response(parts, now=now, signer="delegate", delegate=expired, delegate_key=key)
    with pytest.raises(OcspError, match="outside its validity period"):
        _check(parts, der, now)
    # Issued by the intermediate without OCSPSigning.
    plain = issue_certificate(
        name("Plain leaf"), key.public_key(), pki.intermediate.certificate, inter_key,  # type: ignore[arg-type]
        not_before=now - DAY, not_after=now + DAY,
    )  # fmt: skip
    der = _response(parts, now=now, signer="delegate", delegate=plain, delegate_key=key)
    with pytest.raises(OcspError, match="lacks the extended key usage OCSPSigning"):
        _check(parts, der, now)


def test_a_response_changed_in_transit(parts: dict[str, object]) -> None:
    now = utcnow()
    der = bytearray(_response(parts, now=now, nonce=None))
    der[-1] ^= 0x01  # the last byte of the signature (no certificates follow it)
    with pytest.raises(OcspError, match="response signature invalid"):
        _check(parts, bytes(der), now, nonce=None)


def test_revoked_reason_and_time(parts: dict[str, object]) -> None:
    now = utcnow()
    der = _response(parts, now=now, status=ocsp.OCSPCertStatus.REVOKED)
    info = _check(parts, der, now)
    assert info.state is RevocationState.REVOKED and info.reason is None
    assert info.revoked_at == now - DAY


# -- options and errors --------------------------------------------------------------------------


def test_api_arguments(responders: Responders) -> None:
    env = responders.env
    with pytest.raises(ValueError, match="need an OCSP mode other than 'off'"):
        dicomsign.verify(env.good.dicom, ocsp_url="http://127.0.0.1/")
    with pytest.raises(ValueError, match="unknown OCSP mode 'sometimes'"):
        dicomsign.verify(env.good.dicom, ocsp="sometimes")
    with pytest.raises(ValueError, match="must be http or https"):
        dicomsign.verify(env.good.dicom, ocsp="soft-fail", ocsp_url="file:///etc/passwd")
    with pytest.raises(ValueError, match="must be positive"):
        list(verify_many([env.good.dicom], ocsp="soft-fail", ocsp_timeout=0))
    with pytest.raises(ValueError, match="not a checker"):
        Verifier(ocsp=OcspChecker(), ocsp_url="http://127.0.0.1/")
    # A prepared checker shares its answers between calls.
    checker = OcspChecker("require")
    for _ in range(3):
        report = dicomsign.verify(env.revoked.dicom, **env.trust, ocsp=checker)
        assert report.signatures[0].status is dicomsign.SignatureStatus.REVOKED
    assert checker.queries == 1
    assert ocsp_checker(OcspChecker("off")) is None


def test_command_line(responders: Responders, tmp_path: Path) -> None:
    env = responders.env
    tree = tmp_path / "tree"
    tree.mkdir()
    for label in ("good", "revoked", "unknown", "no_aia"):
        (tree / f"{label}.dcm").write_bytes(getattr(env, label).dicom.read_bytes())
    trust: list[str | Path] = [
        "--trusted",
        env.pki.root.cert,
        "--untrusted",
        env.pki.intermediate.cert,
    ]
    journal = tmp_path / "run.jsonl"
    done = dicomsign_cli("verify", "-j1", *trust, "--ocsp", "hard-fail", tree, "--journal", journal)
    assert done.returncode == 101, done.stderr
    lines = {line.split(":", 1)[0]: line for line in done.stdout.splitlines()}
    assert lines[str(tree / "good.dcm")] == f"{tree / 'good.dcm'}: OK (1 signature)"
    assert lines[str(tree / "no_aia.dcm")].endswith(
        "OK (1 signature; revocation not confirmed: no OCSP responder: the certificate names "
        "none and none was given)"
    )
    revoked = lines[str(tree / "revoked.dcm")]
    assert revoked.startswith(f"{tree / 'revoked.dcm'}: CERTIFICATE-REVOKED: signature #1 ")
    assert f"certificate revoked: OCSP {env.openssl_url}: revoked (keyCompromise) at " in revoked
    unknown = lines[str(tree / "unknown.dcm")]
    assert unknown.startswith(f"{tree / 'unknown.dcm'}: REVOCATION-UNKNOWN: signature #1 ")
    assert "Traceback" not in done.stderr
    records = {Path(r["path"]).name: r for r in map(json.loads, journal.read_text().splitlines())}
    assert {name: r["status"] for name, r in records.items()} == {
        "good.dcm": "verified",
        "revoked.dcm": "certificate-revoked",
        "unknown.dcm": "revocation-unknown",
        "no_aia.dcm": "verified",
    }
    revocation = records["revoked.dcm"]["signatures"][0]["revocation"]
    assert revocation["state"] == "revoked" and revocation["reason"] == "keyCompromise"
    assert revocation["revoked_at"] == env.revoked_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert revocation["responder"] == env.openssl_url and revocation["method"] == "ocsp"
    assert "keyCompromise" in records["revoked.dcm"]["reason"]
    assert records["unknown.dcm"]["signatures"][0]["revocation"]["state"] == "unknown"
    assert records["good.dcm"]["signatures"][0]["revocation"]["next_update"].endswith("Z")
    assert records["good.dcm"]["reason"] is None
    # Soft-fail: only the revoked certificate fails.
    done = dicomsign_cli("verify", "-q", "--json", *trust, "--ocsp", "soft-fail", tree)
    assert done.returncode == 101
    report = json.loads(done.stdout)
    words = {Path(f["path"]).name: f["status"] for f in report["files"]}
    assert words == {
        "good.dcm": "verified",
        "revoked.dcm": "certificate-revoked",
        "unknown.dcm": "verified",
        "no_aia.dcm": "verified",
    }
    # Off (the default): nothing is fetched, the revoked certificate verifies.
    done = dicomsign_cli("verify", *trust, tree)
    assert done.returncode == 0, done.stdout
    # The responder down, a short timeout: revocation-unknown under require.
    down = f"http://127.0.0.1:{free_port()}/"
    done = dicomsign_cli(
        "verify", *trust, "--ocsp", "require", "--ocsp-url", down, "--ocsp-timeout", "0.5",
        tree / "good.dcm",
    )  # fmt: skip
    assert done.returncode == 101
    assert "REVOCATION-UNKNOWN" in done.stdout and "cannot reach the responder" in done.stdout


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--ocsp-url", "http://127.0.0.1/"], "--ocsp-url and --ocsp-timeout need --ocsp"),
        (["--ocsp-timeout", "3"], "--ocsp-url and --ocsp-timeout need --ocsp"),
        (["--ocsp", "sometimes"], "invalid choice: 'sometimes'"),
        (["--ocsp", "require", "--ocsp-url", "ldap://x/"], "must be an http or https URL"),
        (["--ocsp", "require", "--ocsp-timeout", "0"], "must be more than 0, not 0"),
        (["--ocsp", "require", "--ocsp-timeout", "soon"], "not a number: 'soon'"),
    ],
)
def test_command_line_errors(tmp_path: Path, options: list[str], message: str) -> None:
    done = dicomsign_cli("verify", *options, tmp_path)
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
