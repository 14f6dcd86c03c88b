"""The RFC 3161 client (:class:`dicomsign.HttpTimestamper`) against the loopback test TSA.

Every fault mode of the TSA with the client's asserted outcome; retries with backoff and
Retry-After; fallback URLs and the one-line cause per URL; credentials sent but never shown;
proxies from the environment; ``openssl ts -verify`` accepts the tokens the client obtained.
"""

from __future__ import annotations

import base64
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dicomsign import HttpTimestamper, TimestampUnavailable
from dicomsign.pki import TrustStore
from dicomsign.tsp.client import accept_token, display_url, obtain
from tsa import OTHER_POLICY, POLICY, ServedTSA

DATA = b"the Signature value to timestamp"


def _trust(tsa: ServedTSA) -> TrustStore:
    store = TrustStore()
    store.add_sources(trusted=[str(tsa.authority.root)])
    return store


def _client(tsa: ServedTSA, *paths: str, **options: object) -> tuple[HttpTimestamper, list[float]]:
    waits: list[float] = []
    urls = [tsa.url + p for p in paths] or [tsa.url]
    options.setdefault("trust", _trust(tsa))
    options.setdefault("sleep", waits.append)
    return HttpTimestamper(urls, **options), waits  # type: ignore[arg-type]


def _cause(tsa: ServedTSA, path: str, **options: object) -> str:
    client, _waits = _client(tsa, path, **options)
    with pytest.raises(TimestampUnavailable) as failure:
        client.obtain(DATA)
    ((url, cause),) = failure.value.causes
    assert url == tsa.url + path
    assert failure.value.message == f"no timestamp: {url}: {cause}"
    assert "\n" not in failure.value.message
    return cause


def test_a_good_answer_is_accepted(tsa: ServedTSA) -> None:
    client, waits = _client(tsa)
    got = client.obtain(DATA)
    assert got.notes == () and waits == []
    assert got.token.policy == POLICY and got.token.hash_algorithm == "sha256"
    assert abs((got.token.gen_time - datetime.now(UTC)).total_seconds()) < 60
    assert accept_token(got.der, DATA).serial_number == got.token.serial_number
    with pytest.raises(Exception, match="does not cover"):
        accept_token(got.der, DATA + b"!")


@pytest.mark.parametrize(
    ("fault", "options", "cause"),
    [
        ("garbage", {}, "not a timestamp response"),
        (
            "reject",
            {},
            (
                "status rejected (Requested policy is not supported.; "
                "the requested TSA policy is not supported by the TSA)"
            ),
        ),
        ("nonce", {}, "the nonce does not match the query"),
        ("imprint", {}, "the imprint does not match the query"),
        (
            "policy",
            {"policy": POLICY},
            f"policy {OTHER_POLICY} instead of {POLICY} that was asked for",
        ),
        ("untrusted", {}, "the token does not verify: certificate verify error"),
        ("expired", {}, "the token does not verify: certificate verify error"),
        (
            "expired",
            {"trust": None},
            "the token does not verify: timestamp created after expiry of TSA certificate.",
        ),
        (
            "early",
            {"trust": None},
            (
                "the token does not verify: timestamp created before start of TSA certificate "
                "validity."
            ),
        ),
    ],
    ids=[
        "garbage",
        "reject",
        "nonce",
        "imprint",
        "policy",
        "untrusted",
        "expired-chain",
        "expired-validity",
        "early",
    ],
)
def test_refused_answers(
    tsa: ServedTSA, fault: str, options: dict[str, object], cause: str
) -> None:
    # A refused answer is not retried: the next URL (here none) is asked.
    before = len(tsa.authority.requests)
    assert _cause(tsa, f"/fault/{fault}", **options) == cause
    assert len(tsa.authority.requests) == before + 1


def test_untrusted_tsa_passes_without_a_trust_anchor_but_not_with_one(tsa: ServedTSA) -> None:
    # Without a TSA trust anchor the chain is not checked (signature, ESS, EKU are).
    client, _waits = _client(tsa, "/fault/untrusted", trust=None)
    assert client.obtain(DATA).token.policy == POLICY
    other = TrustStore()
    other.add_sources(trusted=[str(tsa.authority.untrusted_root)])
    client, _waits = _client(tsa, "/fault/untrusted", trust=other)
    assert client.obtain(DATA).token.policy == POLICY


def test_a_backdated_token_is_refused_by_the_clock_check(tsa: ServedTSA) -> None:
    cause = _cause(tsa, "/fault/backdated")
    assert cause.startswith("genTime ") and cause.endswith(" s from this computer's clock")
    client, _waits = _client(tsa, "/fault/backdated", max_clock_skew=11 * 86400)
    assert client.obtain(DATA).token.policy == POLICY


def test_granted_with_modifications_is_accepted_and_said(tsa: ServedTSA) -> None:
    client, _waits = _client(tsa, "/fault/modified")
    got = client.obtain(DATA)
    assert got.notes == ("timestamp response status: granted with modifications",)


def test_http_500_is_retried_with_exponential_backoff(tsa: ServedTSA) -> None:
    before = len(tsa.authority.requests)
    client, waits = _client(tsa, "/fault/http500", retries=3, backoff=0.25, max_backoff=0.6)
    with pytest.raises(TimestampUnavailable) as failure:
        client.obtain(DATA)
    assert failure.value.causes[0][1] == "HTTP 500 Internal Server Error (4 attempts)"
    assert len(tsa.authority.requests) == before + 4
    assert len(waits) == 3
    for wait, base in zip(waits, (0.25, 0.5, 0.6), strict=True):
        assert base <= wait <= base * 1.1


def test_429_honours_retry_after(tsa: ServedTSA) -> None:
    client, waits = _client(tsa, "/fault/busy", retries=1, backoff=0.01)
    with pytest.raises(TimestampUnavailable) as failure:
        client.obtain(DATA)
    assert failure.value.causes[0][1] == "HTTP 429 Too Many Requests (2 attempts)"
    assert waits == [1.0]  # Retry-After: 1, longer than the backoff
    client, waits = _client(tsa, "/fault/busy", retries=1, max_retry_after=0.5)
    with pytest.raises(TimestampUnavailable) as failure:
        client.obtain(DATA)
    assert failure.value.causes[0][1] == (
        "HTTP 429 Too Many Requests, Retry-After 1 s is longer than 0.5 s"
    )
    assert waits == []


def test_a_slow_answer_times_out_and_is_retried(tsa: ServedTSA) -> None:
    client, waits = _client(tsa, "/fault/slow", read_timeout=0.3, retries=1, backoff=0.01)
    started = time.monotonic()
    with pytest.raises(TimestampUnavailable) as failure:
        client.obtain(DATA)
    assert failure.value.causes[0][1] == "no answer within 0.3 s (2 attempts)"
    assert time.monotonic() - started < 1.5
    assert len(waits) == 1


def test_nothing_listening_is_a_connection_error(tsa: ServedTSA) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = HttpTimestamper(f"http://127.0.0.1:{port}/", retries=0)
    with pytest.raises(TimestampUnavailable) as failure:
        client.obtain(DATA)
    assert failure.value.causes[0][1] == "cannot connect: Connection refused"


def test_fallback_urls_in_order_and_one_line_naming_each(tsa: ServedTSA) -> None:
    client, _waits = _client(tsa, "/fault/garbage", "/fault/nonce", "", retries=0)
    assert client.obtain(DATA).token.policy == POLICY
    client, _waits = _client(tsa, "/fault/garbage", "/fault/http500", retries=0)
    with pytest.raises(TimestampUnavailable) as failure:
        client.obtain(DATA)
    assert failure.value.message == (
        f"no timestamp: {tsa.url}/fault/garbage: not a timestamp response; "
        f"{tsa.url}/fault/http500: HTTP 500 Internal Server Error"
    )
    assert failure.value.exit_code == 82


def test_credentials_are_sent_and_never_shown(tsa: ServedTSA) -> None:
    host = tsa.url.removeprefix("http://")
    client = HttpTimestamper(
        [f"http://alice:s3cret@{host}/fault/garbage?apikey=k3y", tsa.url],
        headers={"X-Api-Key": "h3ader"},
        retries=0,
    )
    client.obtain(DATA)
    (p1, h1), (p2, h2) = tsa.authority.requests[-2:]
    assert p1 == "/fault/garbage?apikey=k3y" and p2 == "/"
    assert h1["Authorization"] == "Basic " + base64.b64encode(b"alice:s3cret").decode()
    assert "Authorization" not in h2  # the URL's credentials go to that URL only
    assert h1["X-Api-Key"] == h2["X-Api-Key"] == "h3ader"
    assert h1["Content-Type"] == "application/timestamp-query"
    both = HttpTimestamper(tsa.url + "/fault/http500", username="bob", password="pa55", retries=0)
    with pytest.raises(TimestampUnavailable) as failure:
        both.obtain(DATA)
    assert tsa.authority.requests[-1][1]["Authorization"].startswith("Basic ")
    shown = failure.value.message + repr(both) + repr(client)
    for secret in ("s3cret", "k3y", "h3ader", "pa55", "alice", "bob"):
        assert secret not in shown
    assert display_url("https://u:p@tsa.example:8443/x?token=t") == "https://tsa.example:8443/x?…"


def test_proxies_come_from_the_environment(tsa: ServedTSA, monkeypatch: pytest.MonkeyPatch) -> None:
    # The test TSA answers a proxied request (absolute URL) itself: the name below resolves
    # nowhere, so only a request through the proxy can be answered.
    for name in ("no_proxy", "NO_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", tsa.url)
    client = HttpTimestamper("http://tsa.invalid/", retries=0)
    assert client.obtain(DATA).token.policy == POLICY
    assert tsa.authority.requests[-1][0] == "http://tsa.invalid/"
    monkeypatch.setenv("NO_PROXY", "tsa.invalid")
    with pytest.raises(TimestampUnavailable, match="cannot connect"):
        HttpTimestamper("http://tsa.invalid/", retries=0).obtain(DATA)


def test_options_that_cannot_be_used(tsa: ServedTSA, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="http or https"):
        HttpTimestamper("ftp://tsa.example/")
    with pytest.raises(ValueError, match="at least one"):
        HttpTimestamper([])
    with pytest.raises(ValueError, match="dotted OID"):
        HttpTimestamper(tsa.url, policy="sha256")
    with pytest.raises(FileNotFoundError):
        HttpTimestamper(tsa.url, ca_bundle=tmp_path / "missing.pem")


def test_a_timestamper_of_ones_own_is_checked(tsa: ServedTSA) -> None:
    class Wrong:
        def stamp(self, data: bytes) -> bytes:
            return HttpTimestamper(tsa.url).stamp(data + b"other")

    with pytest.raises(Exception, match="does not cover the signature"):
        obtain(Wrong(), DATA)


@pytest.mark.parametrize("hash_algorithm", ["SHA256", "SHA384", "SHA512"])
def test_openssl_verifies_the_tokens_obtained(
    tsa: ServedTSA, tmp_path: Path, hash_algorithm: str
) -> None:
    client, _waits = _client(tsa, hash_algorithm=hash_algorithm, policy=OTHER_POLICY)
    token = client.stamp(DATA)
    (tmp_path / "token.der").write_bytes(token)
    (tmp_path / "data").write_bytes(DATA)
    done = subprocess.run(
        ["openssl", "ts", "-verify", "-data", str(tmp_path / "data"), "-in",
         str(tmp_path / "token.der"), "-token_in", "-CAfile", str(tsa.authority.root)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Verification: OK" in done.stdout
    (tmp_path / "data").write_bytes(DATA + b"!")
    done = subprocess.run(
        ["openssl", "ts", "-verify", "-data", str(tmp_path / "data"), "-in",
         str(tmp_path / "token.der"), "-token_in", "-CAfile", str(tsa.authority.root)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode != 0
