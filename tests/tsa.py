"""A loopback RFC 3161 timestamp authority for the tests (and the README demo).

The answers are made by ``openssl ts -reply`` with a test TSA: its own root CA and a TSA
certificate with a critical extendedKeyUsage of timeStamping, an ``openssl ts`` configuration
written next to them. :class:`TestTSA` answers queries directly (:meth:`TestTSA.reply`);
:func:`serve` puts it behind a small HTTP server (``http.server`` on 127.0.0.1, an ephemeral
port, a thread) that takes ``POST`` of ``application/timestamp-query`` and answers
``application/timestamp-reply``.

Fault modes, chosen by the URL path ``/fault/NAME`` (or ``fault=`` of :meth:`TestTSA.reply`):

============  ==============================================================================
``http500``   HTTP 500, no body
``busy``      HTTP 429 with ``Retry-After: 1``
``slow``      the answer comes after :attr:`TestTSA.slow_seconds` (past a client's timeout)
``garbage``   HTTP 200 with a body that is not a ``TimeStampResp``
``reject``    a rejection status (the query asks for a policy the TSA does not serve)
``modified``  status "granted with modifications" (1) around a valid token
``nonce``     a valid token for another nonce
``imprint``   a valid token for another imprint (a response to another query)
``policy``    a valid token under another policy than the one asked for
``untrusted`` signed by a TSA under another root
``expired``   signed by a TSA certificate that has expired
``backdated`` genTime 10 days ago: within the TSA's validity, before the test signers'
``aged``      genTime 5 days ago: within the OCSP test leaves' validity, before their
              revocations (long-term validation)
``early``     genTime 40 days ago: before the TSA certificate's validity
============  ==============================================================================

The requests' headers are kept (:attr:`TestTSA.requests`: path and headers of each POST), so
that tests can see what a client sent (credentials, content type).

The backdated ones re-sign the TSTInfo with ``openssl cms -sign -cades`` (which adds the ESS
signing certificate attribute that RFC 3161 asks for), as no TSA backdates on request.

Run as a script to serve until interrupted (``python tests/tsa.py --port 8318 --dir /tmp/tsa``):
it prints the URL and writes ``tsa-root.pem`` (the root to trust) into the directory.
"""

from __future__ import annotations

import argparse
import http.server
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import cms, core, tsp
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from pki import issue_certificate
from pki import name as distinguished_name

__all__ = ["FAULTS", "POLICY", "ServedTSA", "TestTSA", "serve"]

#: The TSA's default policy, and another one it serves.
POLICY = "1.2.3.4.1"
OTHER_POLICY = "1.2.3.4.5"
_UNSERVED_POLICY = "1.2.3.4.99"

FAULTS = (
    "http500",
    "busy",
    "slow",
    "garbage",
    "reject",
    "modified",
    "nonce",
    "imprint",
    "policy",
    "untrusted",
    "expired",
    "backdated",
    "aged",
    "early",
)

_BACKDATE = {
    "backdated": timedelta(days=10),
    "aged": timedelta(days=5),
    "early": timedelta(days=40),
}

_DAY = timedelta(days=1)


def _certificate(
    subject: str,
    key: rsa.RSAPrivateKey,
    issuer: x509.Certificate | None,
    issuer_key: rsa.RSAPrivateKey,
    not_before: datetime,
    not_after: datetime,
    *,
    ca: bool,
) -> x509.Certificate:
    """A TSA root (``ca``) or a TSA certificate: critical extendedKeyUsage timeStamping."""
    purpose = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING])
    return issue_certificate(
        distinguished_name(subject),
        key.public_key(),
        issuer,
        issuer_key,
        not_before=not_before,
        not_after=not_after,
        ca=ca,
        extra=() if ca else [(purpose, True)],
    )


def _pem(*objects: x509.Certificate) -> bytes:
    return b"".join(o.public_bytes(serialization.Encoding.PEM) for o in objects)


_CONFIG = """\
[ tsa ]
default_tsa = tsa_config

[ tsa_config ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa-cert.pem
certs = $dir/tsa-root.pem
signer_key = $dir/tsa-key.pem
signer_digest = sha256
default_policy = {policy}
other_policies = {other}
digests = md5, sha1, sha256, sha384, sha512, ripemd160
accuracy = secs:1, millisecs:500, microsecs:100
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha1
"""


@dataclass(frozen=True)
class _Signer:
    cert: Path
    key: Path
    chain: Path


class TestTSA:
    """The test TSA in ``directory`` (created with its PKI and configuration).

    Attributes
    ----------
    root : Path
        The root certificate to trust (``+cf``).
    certificate : Path
        The TSA's certificate (PEM).
    untrusted_root : Path
        The root of the ``untrusted`` fault's TSA.
    slow_seconds : float
        The delay of the ``slow`` fault.
    """

    __test__ = False  # not a pytest test class

    def __init__(self, directory: Path, *, slow_seconds: float = 3.0) -> None:
        self.directory = directory
        self.slow_seconds = slow_seconds
        directory.mkdir(parents=True, exist_ok=True)
        now = datetime.now(UTC).replace(microsecond=0)
        key = rsa.generate_private_key(65537, 2048)
        root = _certificate(
            "Test TSA Root", key, None, key, now - 30 * _DAY, now + 3650 * _DAY, ca=True
        )
        tsa_key = rsa.generate_private_key(65537, 2048)
        tsa = _certificate(
            "Test TSA", tsa_key, root, key, now - 30 * _DAY, now + 1000 * _DAY, ca=False
        )
        expired = _certificate(
            "Test TSA (expired)", tsa_key, root, key, now - 60 * _DAY, now - 2 * _DAY, ca=False
        )
        other_key = rsa.generate_private_key(65537, 2048)
        other_root = _certificate(
            "Other TSA Root", other_key, None, other_key, now - 30 * _DAY, now + 3650 * _DAY,
            ca=True,
        )  # fmt: skip
        other = _certificate(
            "Other TSA", tsa_key, other_root, other_key, now - 7 * _DAY, now + 1000 * _DAY,
            ca=False,
        )  # fmt: skip

        def write(name: str, data: bytes) -> Path:
            path = directory / name
            path.write_bytes(data)
            return path

        self.root = write("tsa-root.pem", _pem(root))
        self.certificate = write("tsa-cert.pem", _pem(tsa))
        key_pem = tsa_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self.key = write("tsa-key.pem", key_pem)
        self.untrusted_root = write("other-root.pem", _pem(other_root))
        self._signers = {
            "expired": _Signer(write("expired-cert.pem", _pem(expired)), self.key, self.root),
            "untrusted": _Signer(
                write("other-cert.pem", _pem(other)), self.key, self.untrusted_root
            ),
        }
        write("serial", b"01\n")
        self.config = write(
            "tsa.cnf",
            _CONFIG.format(dir=directory, policy=POLICY, other=OTHER_POLICY).encode(),
        )
        self._lock = threading.Lock()
        #: (path, headers) of every POST received over HTTP, in order.
        self.requests: list[tuple[str, dict[str, str]]] = []

    # -- answers ------------------------------------------------------------------------------

    def reply(self, query: bytes, fault: str | None = None) -> bytes:
        """The DER ``TimeStampResp`` to ``query`` (``fault`` among the token faults)."""
        signer = self._signers.get(fault or "")
        query = _rewrite_query(query, fault)
        with self._lock, tempfile.TemporaryDirectory(dir=self.directory) as tmp:
            q, r = Path(tmp) / "q.tsq", Path(tmp) / "r.tsr"
            q.write_bytes(query)
            args = ["openssl", "ts", "-reply", "-config", str(self.config)]
            args += ["-queryfile", str(q), "-out", str(r)]
            if signer is not None:
                args += ["-signer", str(signer.cert), "-inkey", str(signer.key)]
                args += ["-chain", str(signer.chain)]
            done = subprocess.run(args, capture_output=True, check=False)
            if done.returncode != 0:
                raise RuntimeError(done.stderr.decode(errors="replace"))
            answer = r.read_bytes()
        if fault in _BACKDATE:
            answer = self._backdated(answer, _BACKDATE[fault])
        if fault == "modified":
            token = tsp.TimeStampResp.load(answer)["time_stamp_token"]
            modified = {"status": {"status": "granted_with_mods"}, "time_stamp_token": token}
            answer = tsp.TimeStampResp(modified).dump()
        return answer

    def _backdated(self, answer: bytes, age: timedelta) -> bytes:
        token = tsp.TimeStampResp.load(answer)["time_stamp_token"]
        info = token["content"]["encap_content_info"]["content"].parsed
        fields = {name: info[name] for name, *_ in tsp.TSTInfo._fields}
        fields = {k: v for k, v in fields.items() if not isinstance(v, core.Void)}
        fields["gen_time"] = datetime.now(UTC).replace(microsecond=0) - age
        with tempfile.TemporaryDirectory(dir=self.directory) as tmp:
            content, signed = Path(tmp) / "tst.der", Path(tmp) / "token.der"
            content.write_bytes(tsp.TSTInfo(fields).dump())
            subprocess.run(
                ["openssl", "cms", "-sign", "-binary", "-nodetach", "-outform", "DER",
                 "-econtent_type", "1.2.840.113549.1.9.16.1.4", "-in", str(content),
                 "-signer", str(self.certificate), "-inkey", str(self.key), "-md", "sha256",
                 "-cades", "-nosmimecap", "-out", str(signed)],
                capture_output=True, check=True,
            )  # fmt: skip
            new_token = cms.ContentInfo.load(signed.read_bytes())
        return tsp.TimeStampResp(
            {"status": {"status": "granted"}, "time_stamp_token": new_token}
        ).dump()

    def http_answer(self, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body of the HTTP answer to ``POST path``."""
        fault = path.removeprefix("/fault/") if path.startswith("/fault/") else None
        if fault is not None and fault not in FAULTS:
            return 404, {}, b""
        if fault == "http500":
            return 500, {}, b""
        if fault == "busy":
            return 429, {"Retry-After": "1"}, b""
        if fault == "slow":
            time.sleep(self.slow_seconds)
        if fault == "garbage":
            return 200, {"Content-Type": "application/timestamp-reply"}, b"not a timestamp"
        try:
            answer = self.reply(body, fault)
        except (RuntimeError, ValueError):
            return 400, {}, b""
        return 200, {"Content-Type": "application/timestamp-reply"}, answer


def _rewrite_query(query: bytes, fault: str | None) -> bytes:
    """The query the TSA answers for the faults that answer another query."""
    if fault not in ("reject", "nonce", "imprint", "policy"):
        return query
    req = tsp.TimeStampReq.load(query)
    fields = {name: req[name] for name, _spec, *_ in tsp.TimeStampReq._fields}
    fields = {k: v for k, v in fields.items() if not isinstance(v, core.Void)}
    if fault == "reject":
        fields["req_policy"] = core.ObjectIdentifier(_UNSERVED_POLICY)
    elif fault == "nonce":
        nonce = req["nonce"]
        fields["nonce"] = core.Integer(1 if isinstance(nonce, core.Void) else nonce.native + 1)
    elif fault == "imprint":
        imprint = req["message_imprint"]
        hashed = bytearray(imprint["hashed_message"].native)
        hashed[0] ^= 0xFF
        fields["message_imprint"] = tsp.MessageImprint(
            {"hash_algorithm": imprint["hash_algorithm"], "hashed_message": bytes(hashed)}
        )
    else:
        policy = req["req_policy"]
        current = None if isinstance(policy, core.Void) else policy.dotted
        fields["req_policy"] = core.ObjectIdentifier(
            POLICY if current == OTHER_POLICY else OTHER_POLICY
        )
    return tsp.TimeStampReq(fields).dump(force=True)


class _Handler(http.server.BaseHTTPRequestHandler):
    tsa: TestTSA

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        self.tsa.requests.append((self.path, dict(self.headers.items())))
        status, headers, answer = self.tsa.http_answer(self.path, body)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer)))
        try:
            self.end_headers()
            self.wfile.write(answer)
        except (BrokenPipeError, ConnectionResetError):
            pass  # a client that gave up waiting (the slow fault)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@dataclass(frozen=True)
class ServedTSA:
    """A :class:`TestTSA` and the URL it is served at."""

    authority: TestTSA
    url: str

    def post(self, query: bytes, fault: str | None = None, *, timeout: float = 10.0) -> bytes:
        """POST ``query`` (to ``/fault/NAME`` for a fault) and return the answer's body.

        Raises ``urllib.error.HTTPError`` for an HTTP error status and ``TimeoutError`` when
        no answer comes within ``timeout`` seconds.
        """
        import urllib.request

        url = self.url + ("" if fault is None else f"/fault/{fault}")
        request = urllib.request.Request(
            url, data=query, headers={"Content-Type": "application/timestamp-query"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            body: bytes = answer.read()
        return body


@contextmanager
def serve(tsa: TestTSA, port: int = 0) -> Iterator[str]:
    """Serve ``tsa`` over HTTP on 127.0.0.1 (an ephemeral port by default) in a thread;
    yields the base URL (``http://127.0.0.1:PORT``)."""
    handler = type("Handler", (_Handler,), {"tsa": tsa})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def main(argv: list[str] | None = None) -> int:
    """Serve a test TSA until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="TCP port (default: ephemeral)")
    parser.add_argument("--dir", type=Path, required=True, help="where the TSA's files go")
    args = parser.parse_args(argv)
    tsa = TestTSA(args.dir.resolve())
    with serve(tsa, args.port) as url:
        print(f"test TSA at {url} (trust {tsa.root}); faults under {url}/fault/NAME", flush=True)
        print(f"URL={url}", flush=True)
        print(f"ROOT={tsa.root}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
