"""Two real OCSP responders on loopback over the test PKI (helper module, no tests here).

- :class:`OpenSslResponder`: ``openssl ocsp -port ... -index ... -CA ... -rsigner ... -rkey
  ...``, the reference peer. It answers for the intermediate CA's certificates from an OpenSSL
  index file (good, revoked with reason and time, unknown for serials it does not list), signs
  with a delegated responder certificate (issued by the intermediate with id-kp-OCSPSigning)
  and echoes the nonce.
- :class:`FaultResponder`: a small HTTP server (``http.server``) that parses each request with
  cryptography and builds the response with ``OCSPResponseBuilder``, signed by chosen keys:
  the faults ``openssl ocsp`` cannot play (tryLater, stale, nonce mismatch, an unauthorised
  signer...). It is a protocol peer, not a mock: our client talks HTTP to it. The URL path
  selects the behaviour (:data:`FAULTS`); it counts the requests per path.

:func:`build_ocsp_pki` issues the extra certificates (leaves whose Authority Information
Access names a responder, the delegated responder, rogue signers) with EC P-256 keys (fast).
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID

import dicomsign
from corpus import element, file_meta
from pki import DAY, PKI, issue_certificate, name, pem, utcnow

HOUR = timedelta(hours=1)


def free_port() -> int:
    """A TCP port nobody listens on right now (the kernel's choice)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class Signed:
    """A certificate, its key and a DICOM file signed with them."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey | None = field(repr=False)
    cert_file: Path
    dicom: Path


@dataclass(frozen=True)
class OcspPki:
    """The test PKI plus what the OCSP tests need (see :func:`build_ocsp_pki`)."""

    pki: PKI
    directory: Path
    openssl_url: str
    fault_url: str
    #: Leaves issued by the intermediate, their AIA naming the openssl responder: listed
    #: good, revoked (keyCompromise), revoked (superseded), and not listed (unknown).
    good: Signed
    revoked: Signed
    superseded: Signed
    unknown: Signed
    #: A leaf whose AIA names the fault responder's ``/counted`` path (a good answer).
    counted: Signed
    #: A leaf whose AIA names a file URL, which is never fetched.
    file_url: Signed
    #: The pki's RSA 2048 leaf: no AIA.
    no_aia: Signed
    delegate: x509.Certificate
    delegate_key: ec.EllipticCurvePrivateKey = field(repr=False)
    revoked_at: datetime = field(default_factory=utcnow)
    superseded_at: datetime = field(default_factory=utcnow)

    @property
    def trust(self) -> dict[str, Any]:
        """The API's trust arguments for every leaf."""
        return {"trusted": self.pki.root.cert, "untrusted": self.pki.intermediate.cert}


def _aia(url: str) -> tuple[x509.ExtensionType, bool]:
    return (
        x509.AuthorityInformationAccess(
            [
                x509.AccessDescription(
                    AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(url)
                )
            ]
        ),
        False,
    )


def _source(directory: Path) -> Path:
    sop_class, sop_instance = "1.2.840.10008.5.1.4.1.1.7", "1.2.826.0.1.3680043.10.1.77"
    body = b"".join(
        [
            element(0x0008, 0x0016, "UI", sop_class.encode() + b"\0"),
            element(0x0008, 0x0018, "UI", sop_instance.encode() + b"\0"),
            element(0x0010, 0x0010, "PN", b"Ocsp^Test "),
        ]
    )
    path = directory / "unsigned.dcm"
    path.write_bytes(file_meta(sop_class, sop_instance, "1.2.840.10008.1.2.1") + body)
    return path


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> Path:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def _signed(
    directory: Path,
    label: str,
    source: Path,
    cert: x509.Certificate,
    key: ec.EllipticCurvePrivateKey,
) -> Signed:
    cert_file = directory / f"{label}-cert.pem"
    cert_file.write_bytes(pem(cert))
    key_file = _write_key(directory / f"{label}-key.pem", key)
    output = directory / f"{label}.dcm"
    dicomsign.sign(source, dicomsign.load_signer(key_file, cert_file), output=output)
    return Signed(cert, key, cert_file, output)


def build_ocsp_pki(pki: PKI, directory: Path, openssl_port: int, fault_port: int) -> OcspPki:
    """Issue the OCSP test certificates and sign a file with each leaf."""
    directory.mkdir(parents=True, exist_ok=True)
    now = utcnow()
    inter, inter_key = pki.intermediate.certificate, pki.intermediate.private_key
    assert isinstance(inter_key, rsa.RSAPrivateKey)
    openssl_url = f"http://127.0.0.1:{openssl_port}/"
    fault_url = f"http://127.0.0.1:{fault_port}"
    source = _source(directory)
    key = ec.generate_private_key(ec.SECP256R1())  # every leaf shares it: fast

    def leaf(label: str, url: str) -> Signed:
        cert = issue_certificate(
            name(f"OCSP leaf {label}"), key.public_key(), inter, inter_key,
            not_before=now - 7 * DAY, not_after=now + 100 * DAY, extra=[_aia(url)],
        )  # fmt: skip
        return _signed(directory, label, source, cert, key)

    delegate_key = ec.generate_private_key(ec.SECP256R1())
    delegate = issue_certificate(
        name("OCSP delegated responder"), delegate_key.public_key(), inter, inter_key,
        not_before=now - 7 * DAY, not_after=now + 100 * DAY,
        extra=[(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), False)],
    )  # fmt: skip
    no_aia = Signed(pki.rsa2048.certificate, None, pki.rsa2048.cert, directory / "no-aia.dcm")
    dicomsign.sign(
        source, dicomsign.load_signer(pki.rsa2048.key, pki.rsa2048.cert), output=no_aia.dicom
    )
    return OcspPki(
        pki=pki,
        directory=directory,
        openssl_url=openssl_url,
        fault_url=fault_url,
        good=leaf("good", openssl_url),
        revoked=leaf("revoked", openssl_url),
        superseded=leaf("superseded", openssl_url),
        unknown=leaf("unknown", openssl_url),
        counted=leaf("counted", f"{fault_url}/counted"),
        file_url=leaf("file-url", "file:///etc/hostname"),
        no_aia=no_aia,
        delegate=delegate,
        delegate_key=delegate_key,
        revoked_at=now - 3 * DAY,
        superseded_at=now - 2 * DAY,
    )


# -- openssl ocsp ------------------------------------------------------------------------------


def _index_time(moment: datetime) -> str:
    return moment.strftime("%y%m%d%H%M%SZ")


def _index_line(cert: x509.Certificate, revoked: str = "") -> str:
    subject = "".join(
        f"/{attribute.rfc4514_attribute_name}={attribute.value!s}" for attribute in cert.subject
    )  # the subject is informative only: openssl ocsp looks serial numbers up
    status = "R" if revoked else "V"
    serial = f"{cert.serial_number:X}"
    serial = serial if len(serial) % 2 == 0 else "0" + serial
    expiry = _index_time(cert.not_valid_after_utc)
    return f"{status}\t{expiry}\t{revoked}\t{serial}\tunknown\t{subject}\n"


def write_index(env: OcspPki) -> Path:
    """The OpenSSL index: good, revoked (keyCompromise), superseded; ``unknown`` not listed."""
    index = env.directory / "index.txt"
    index.write_text(
        _index_line(env.good.cert)
        + _index_line(env.revoked.cert, f"{_index_time(env.revoked_at)},keyCompromise")
        + _index_line(env.superseded.cert, f"{_index_time(env.superseded_at)},superseded")
    )
    return index


class OpenSslResponder:
    """``openssl ocsp`` serving the index on a port, until :meth:`stop`."""

    def __init__(self, env: OcspPki, port: int) -> None:
        directory = env.directory
        delegate = directory / "delegate-cert.pem"
        delegate.write_bytes(pem(env.delegate))
        delegate_key = _write_key(directory / "delegate-key.pem", env.delegate_key)
        self.log = directory / "openssl-ocsp.log"
        command = [
            "openssl", "ocsp", "-port", str(port), "-index", str(write_index(env)),
            "-CA", str(env.pki.intermediate.cert), "-rsigner", str(delegate),
            "-rkey", str(delegate_key), "-nmin", "60", "-ignore_err",
        ]  # fmt: skip
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )

    def wait_until_answering(self, probe: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until ``probe`` (a real OCSP query) succeeds; fail if openssl exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"openssl ocsp exited: {self.log.read_text()}")
            if probe():
                return
            time.sleep(0.05)
        raise RuntimeError(f"openssl ocsp did not answer in {timeout} s: {self.log.read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# -- the fault responder ---------------------------------------------------------------------


@dataclass
class FaultContext:
    """What the fault responder signs with."""

    issuer: x509.Certificate
    issuer_key: CertificateIssuerPrivateKeyTypes
    delegate: x509.Certificate
    delegate_key: ec.EllipticCurvePrivateKey
    #: A self-signed certificate with id-kp-OCSPSigning (not issued by the CA).
    rogue: x509.Certificate
    rogue_key: ec.EllipticCurvePrivateKey
    #: A self-signed certificate with the CA's own name (another key).
    impostor: x509.Certificate
    impostor_key: ec.EllipticCurvePrivateKey
    #: A certificate issued by the CA without id-kp-OCSPSigning (a signing leaf).
    leaf: x509.Certificate
    leaf_key: ec.EllipticCurvePrivateKey
    counts: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


def fault_context(env: OcspPki) -> FaultContext:
    pki = env.pki
    assert env.good.key is not None
    issuer_key = pki.intermediate.private_key
    assert isinstance(issuer_key, rsa.RSAPrivateKey)
    now = utcnow()
    rogue_key = ec.generate_private_key(ec.SECP256R1())
    rogue = issue_certificate(
        name("Rogue OCSP responder"), rogue_key.public_key(), None, rogue_key,
        not_before=now - DAY, not_after=now + DAY,
        extra=[(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), False)],
    )  # fmt: skip
    impostor_key = ec.generate_private_key(ec.SECP256R1())
    impostor = issue_certificate(
        pki.intermediate.certificate.subject, impostor_key.public_key(), None, impostor_key,
        not_before=now - DAY, not_after=now + DAY, ca=True,
    )  # fmt: skip
    return FaultContext(
        issuer=pki.intermediate.certificate,
        issuer_key=issuer_key,
        delegate=env.delegate,
        delegate_key=env.delegate_key,
        rogue=rogue,
        rogue_key=rogue_key,
        impostor=impostor,
        impostor_key=impostor_key,
        leaf=env.good.cert,
        leaf_key=env.good.key,
    )


def _respond(context: FaultContext, path: str, body: bytes) -> tuple[int, bytes]:
    """(HTTP status, body) for a request to ``path``."""
    if path == "/http-error":
        return 500, b"internal error"
    if path == "/garbage":
        return 200, b"this is not an OCSP response"
    if path == "/try-later":
        unsuccessful = ocsp.OCSPResponseBuilder.build_unsuccessful(
            ocsp.OCSPResponseStatus.TRY_LATER
        )
        return 200, unsuccessful.public_bytes(serialization.Encoding.DER)
    if path == "/slow":
        time.sleep(1.5)
    request = ocsp.load_der_ocsp_request(body)
    try:
        nonce: bytes | None = request.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    except x509.ExtensionNotFound:
        nonce = None
    now = utcnow()
    this_update, next_update = now - HOUR, now + HOUR
    serial = request.serial_number
    signer, key, certs = context.issuer, context.issuer_key, []
    encoding = ocsp.OCSPResponderEncoding.HASH
    if path == "/stale":
        this_update, next_update = now - 2 * DAY, now - DAY
    elif path == "/not-yet-valid":
        this_update, next_update = now + HOUR, now + 2 * HOUR
    elif path == "/nonce-mismatch":
        nonce = os.urandom(16)
    elif path == "/no-nonce":
        nonce = None
    elif path == "/wrong-certificate":
        serial += 1
    elif path == "/unauthorised":
        signer, key, certs = context.rogue, context.rogue_key, [context.rogue]
    elif path == "/unnamed":
        signer, key = context.rogue, context.rogue_key
    elif path == "/not-delegated":
        signer, key, certs = context.leaf, context.leaf_key, [context.leaf]
    elif path == "/impostor":
        signer, key, encoding = (
            context.impostor,
            context.impostor_key,
            ocsp.OCSPResponderEncoding.NAME,
        )
    elif path == "/delegated":
        signer, key, certs = context.delegate, context.delegate_key, [context.delegate]
    elif path == "/revoked-by-issuer":
        pass
    builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
        request.issuer_name_hash,
        request.issuer_key_hash,
        serial,
        request.hash_algorithm,
        ocsp.OCSPCertStatus.REVOKED if path == "/revoked-by-issuer" else ocsp.OCSPCertStatus.GOOD,
        this_update,
        next_update,
        now - DAY if path == "/revoked-by-issuer" else None,
        x509.ReasonFlags.cessation_of_operation if path == "/revoked-by-issuer" else None,
    )
    builder = builder.responder_id(encoding, signer)
    if certs:
        builder = builder.certificates(certs)
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    response = builder.sign(key, hashes.SHA256())
    return 200, response.public_bytes(serialization.Encoding.DER)


#: The paths of the fault responder, by what they do.
FAULTS = (
    "/counted",  # a good answer signed by the CA itself (AIA of the ``counted`` leaf)
    "/good",  # the same
    "/delegated",  # good, signed by the delegated responder (certificate in the response)
    "/revoked-by-issuer",  # revoked (cessationOfOperation) a day ago, signed by the CA
    "/no-nonce",  # good, without the nonce
    "/try-later",  # responseStatus tryLater
    "/http-error",  # HTTP 500
    "/garbage",  # HTTP 200, not an OCSP response
    "/slow",  # good, after 1.5 s
    "/stale",  # nextUpdate a day ago
    "/not-yet-valid",  # thisUpdate in an hour
    "/nonce-mismatch",  # another nonce
    "/wrong-certificate",  # answers for another serial number
    "/unauthorised",  # signed by a self-signed OCSP signing certificate
    "/unnamed",  # the same, its certificate not in the response
    "/not-delegated",  # signed by a leaf of the CA without id-kp-OCSPSigning
    "/impostor",  # names the CA (byName) but signed by another key
)


class FaultResponder:
    """The fault responder on a free loopback port (:attr:`port`), in a thread, until
    :meth:`stop`; it answers once :attr:`context` is set."""

    def __init__(self) -> None:
        self.context: FaultContext | None = None
        responder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                context = responder.context
                if context is None:
                    self.send_error(503)
                    return
                with context.lock:
                    context.counts[self.path] += 1
                try:
                    status, data = _respond(context, self.path, body)
                except ValueError:
                    status, data = 400, b"bad request"
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/ocsp-response")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up waiting (the timeout cases)
                    pass

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port: int = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def count(self, path: str) -> int:
        """The requests to ``path`` so far."""
        assert self.context is not None
        with self.context.lock:
            return self.context.counts[path]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
