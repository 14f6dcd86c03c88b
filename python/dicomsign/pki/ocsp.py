"""Revocation checked live: OCSP (RFC 6960) for the signer certificate.

An :class:`OcspChecker` asks the certificate's OCSP responder (the first OCSP URL of its
Authority Information Access extension, or the one given as ``url``) whether the certificate
is revoked: one POST (``application/ocsp-request``, standard library HTTP, proxies from the
environment as :mod:`urllib` takes them) with a fresh nonce, SHA-1 certificate IDs (what every
responder answers, RFC 5019). :mod:`cryptography`'s :mod:`~cryptography.x509.ocsp` encodes and
decodes; the checks of the response are ours (:func:`check_response`), in this order:

1. the response status is ``successful`` (else ``tryLater``, ``internalError``... is the
   detail);
2. a single response matches the certificate ID asked for (hash algorithm, issuer name hash,
   issuer key hash, serial number);
3. the responder is authorised: the issuing CA itself, or a delegated responder certificate
   carried in the response, issued (and signed) by the issuing CA, with the extended key usage
   ``id-kp-OCSPSigning`` and valid now; the responder ID (name or key hash) names it;
4. the response's signature verifies with that responder's key;
5. the nonce, when the response carries one, is ours (a response without a nonce is accepted,
   as OpenSSL accepts it: many responders serve precomputed responses);
6. freshness: ``thisUpdate`` is not in the future and ``nextUpdate`` not in the past, with a
   clock-skew allowance (``skew``, 300 s as OpenSSL's ``-validity_period``); a response
   without ``nextUpdate`` must have been produced within the skew.

A response that fails any check is no answer at all (:attr:`RevocationState.UNAVAILABLE`): a
forged ``revoked`` is not believed any more than a forged ``good``. Only the signer (leaf)
certificate is checked, not the CAs above it, nor a delegated responder's own certificate.

Each distinct certificate (issuer and serial number) is asked about once per checker, whatever
the answer (so that a responder that is down costs one timeout per run, not one per file); the
cache is thread-safe and concurrent callers for one certificate wait for one query.

What a mode makes of each outcome (:meth:`OcspChecker.verdict`):

==========================  =======  ===========  ====================  ====================
outcome                     off      soft-fail    hard-fail             require
==========================  =======  ===========  ====================  ====================
good                        not      verified     verified              verified
revoked                     asked    revoked      revoked               revoked
unknown (responder)                  verified     revocation-unknown    revocation-unknown
unavailable                          verified     revocation-unknown    revocation-unknown
no responder                         verified     verified              revocation-unknown
==========================  =======  ===========  ====================  ====================

Long-term validation: given the time the signature is proven to have existed (``existed_at``:
the genTime of a verified timestamp), a revocation after that time does not invalidate the
signature, unless its reason is a key compromise (``keyCompromise``, ``cACompromise``,
``aACompromise``), which may have happened long before it was reported.
"""

from __future__ import annotations

import http.client
import os
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import IO, Final

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID

from ..results import RevocationInfo, RevocationState
from ..vocabulary import OcspMode
from .chain import ChainCertificate, IssuerSource, _signature_valid
from .names import canonical_name, name_oneline
from .verify_errors import (
    X509_V_ERR_CERT_REVOKED,
    X509_V_ERR_OCSP_CERT_UNKNOWN,
    X509_V_ERR_OCSP_VERIFY_FAILED,
    ChainFailure,
)

__all__ = [
    "DEFAULT_SKEW",
    "DEFAULT_TIMEOUT",
    "OcspChecker",
    "OcspError",
    "RevocationFailure",
    "RevocationVerdict",
    "check_response",
    "find_issuer",
    "http_post",
    "ocsp_checker",
    "responder_url",
]

#: Seconds to wait for the responder (connecting, and each read), ``--ocsp-timeout``.
DEFAULT_TIMEOUT: Final = 10.0
#: The clock-skew allowance for thisUpdate and nextUpdate (OpenSSL's default, 5 minutes).
DEFAULT_SKEW: Final = timedelta(minutes=5)
#: The largest response read (a response is a few kilobytes).
MAX_RESPONSE: Final = 1 << 20
#: Revocation reasons that invalidate a signature whenever it was made.
COMPROMISE: Final = frozenset(
    {
        x509.ReasonFlags.key_compromise,
        x509.ReasonFlags.ca_compromise,
        x509.ReasonFlags.aa_compromise,
    }
)

_RESPONSE_STATUS: Final = {
    ocsp.OCSPResponseStatus.MALFORMED_REQUEST: "malformedRequest",
    ocsp.OCSPResponseStatus.INTERNAL_ERROR: "internalError",
    ocsp.OCSPResponseStatus.TRY_LATER: "tryLater",
    ocsp.OCSPResponseStatus.SIG_REQUIRED: "sigRequired",
    ocsp.OCSPResponseStatus.UNAUTHORIZED: "unauthorized",
}


class OcspError(Exception):
    """Why there is no usable answer, in one line."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class RevocationFailure(StrEnum):
    """How a revocation check fails a signature."""

    REVOKED = "revoked"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class RevocationVerdict:
    """What a mode makes of a revocation check (:meth:`OcspChecker.verdict`).

    Attributes
    ----------
    info : RevocationInfo
        What the check found.
    failure : RevocationFailure or None
        ``revoked`` (the word ``certificate-revoked``), ``unknown`` (``revocation-unknown``),
        or None when the signature stays valid.
    text : str
        One line describing the outcome (the signature's message when it fails).
    """

    info: RevocationInfo
    failure: RevocationFailure | None
    text: str


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def describe(info: RevocationInfo) -> str:
    """One line for a revocation check, e.g. ``OCSP http://ocsp.example/: revoked
    (keyCompromise) at 2025-01-31T12:00:00Z``."""
    where = f"OCSP {info.responder}" if info.responder else "OCSP"
    if info.state is RevocationState.REVOKED:
        why = info.reason or "no reason given"
        when = f" at {_utc(info.revoked_at)}" if info.revoked_at is not None else ""
        return f"{where}: revoked ({why}){when}"
    if info.state is RevocationState.GOOD:
        return f"{where}: good"
    if info.state is RevocationState.UNKNOWN:
        return f"{where}: the responder does not know the certificate (unknown)"
    return f"{where}: {info.detail or info.state.value}"


def responder_url(cert: x509.Certificate) -> str | None:
    """The first OCSP URL of the certificate's Authority Information Access, or None."""
    try:
        access = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess)
    except (x509.ExtensionNotFound, ValueError):
        return None
    for description in access.value:
        location = description.access_location
        if description.access_method == AuthorityInformationAccessOID.OCSP and isinstance(
            location, x509.UniformResourceIdentifier
        ):
            return location.value
    return None


def find_issuer(store: IssuerSource, cert: x509.Certificate) -> x509.Certificate | None:
    """The certificate among the store's (untrusted, then trusted) that issued and signed
    ``cert``; None when there is none or ``cert`` is self-issued."""
    subject = ChainCertificate(cert)
    if subject.self_issued:
        return None
    for candidate in (*store.untrusted, *store.trusted_issuers(subject)):
        if candidate.likely_issued(subject) and candidate.signed(subject):
            return candidate.cert
    return None


class _HttpRedirectsOnly(urllib.request.HTTPRedirectHandler):
    """Follows redirects to http and https only (never to ftp)."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        if urllib.parse.urlsplit(newurl).scheme not in ("http", "https"):
            return None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def http_post(url: str, body: bytes, timeout: float) -> bytes:
    """POST an OCSP request (``application/ocsp-request``) and return the response body.

    Proxies come from the environment (``http_proxy``, ``no_proxy``...) as :mod:`urllib`
    takes them. Only ``http`` and ``https`` URLs are asked.

    Raises
    ------
    OcspError
        The responder cannot be asked or did not answer with HTTP 200, in one line.
    """
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise OcspError(f"unsupported responder URL (not http or https): {url}")
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/ocsp-request",
            "Accept": "application/ocsp-response",
        },
    )
    opener = urllib.request.build_opener(_HttpRedirectsOnly)
    try:
        with opener.open(request, timeout=timeout) as reply:
            data: bytes = reply.read(MAX_RESPONSE + 1)
    except urllib.error.HTTPError as exc:
        raise OcspError(f"HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise OcspError(_network_reason(exc.reason, timeout)) from None
    except (OSError, ValueError) as exc:  # read timeouts, resets, bad URLs, bad HTTP
        raise OcspError(_network_reason(exc, timeout)) from None
    if len(data) > MAX_RESPONSE:
        raise OcspError(f"response larger than {MAX_RESPONSE} bytes")
    return data


def _network_reason(reason: object, timeout: float) -> str:
    if isinstance(reason, TimeoutError | socket.timeout):
        return f"no answer within {timeout:g} s"
    if isinstance(reason, OSError) and reason.strerror:
        return f"cannot reach the responder: {reason.strerror}"
    text = str(reason) or type(reason).__name__
    return f"cannot reach the responder: {' '.join(text.split())}"


def _key_hash(cert: x509.Certificate) -> bytes | None:
    """SHA-1 of the certificate's subjectPublicKey bits (ResponderID byKey, CertID)."""
    try:
        return x509.SubjectKeyIdentifier.from_public_key(cert.public_key()).digest
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return None


def _names(cert: x509.Certificate) -> str:
    return name_oneline(cert.subject)


def _authorised_signer(
    response: ocsp.OCSPResponse, issuer: x509.Certificate, now: datetime
) -> x509.Certificate:
    """The certificate that signed the response, if it may answer for ``issuer``'s
    certificates: the issuer itself, or a delegated responder (RFC 6960 §4.2.2.2)."""
    candidates = [issuer, *response.certificates]
    named = response.responder_name
    key_hash = response.responder_key_hash
    signer: x509.Certificate | None = None
    for candidate in candidates:
        if named is not None:
            if canonical_name(candidate.subject) == canonical_name(named):
                signer = candidate
                break
        elif key_hash is not None and _key_hash(candidate) == key_hash:
            signer = candidate
            break
    if signer is None:
        who = name_oneline(named) if named is not None else f"key {(key_hash or b'').hex()}"
        raise OcspError(
            f"response signed by an unauthorised responder: {who} is neither the issuer nor "
            "a certificate in the response"
        )
    if signer == issuer:
        return signer
    what = f"response signed by an unauthorised responder: {_names(signer)}"
    delegate, authority = ChainCertificate(signer), ChainCertificate(issuer)
    if not (authority.likely_issued(delegate) and authority.signed(delegate)):
        raise OcspError(f"{what} is not issued by the certificate's issuer")
    try:
        usage = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except (x509.ExtensionNotFound, ValueError):
        usage = None
    if usage is None or ExtendedKeyUsageOID.OCSP_SIGNING not in usage:
        raise OcspError(f"{what} lacks the extended key usage OCSPSigning")
    if not signer.not_valid_before_utc <= now <= signer.not_valid_after_utc:
        raise OcspError(f"{what} is outside its validity period")
    return signer


def _signature_ok(response: ocsp.OCSPResponse, signer: x509.Certificate) -> bool:
    try:
        key = signer.public_key()
        algorithm = response.signature_hash_algorithm
    except (ValueError, UnsupportedAlgorithm):
        return False
    return _signature_valid(key, response.signature, response.tbs_response_bytes, algorithm, None)


def _response_nonce(response: ocsp.OCSPResponse) -> bytes | None:
    try:
        return response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    except x509.ExtensionNotFound:
        return None


def _single(
    response: ocsp.OCSPResponse, cert: x509.Certificate, issuer: x509.Certificate
) -> ocsp.OCSPSingleResponse:
    """The single response for ``cert``'s ID (SHA-1, as asked)."""
    wanted = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA1()).build()
    for single in response.responses:
        if (
            isinstance(single.hash_algorithm, hashes.SHA1)
            and single.issuer_name_hash == wanted.issuer_name_hash
            and single.issuer_key_hash == wanted.issuer_key_hash
            and single.serial_number == wanted.serial_number
        ):
            return single
    raise OcspError("the response does not answer for the certificate asked about")


def check_response(
    der: bytes,
    cert: x509.Certificate,
    issuer: x509.Certificate,
    *,
    nonce: bytes | None,
    now: datetime,
    skew: timedelta = DEFAULT_SKEW,
    responder: str | None = None,
) -> RevocationInfo:
    """Check an OCSP response for ``cert`` (issued by ``issuer``) and read its verdict.

    Parameters
    ----------
    der : bytes
        The response as received.
    cert, issuer : cryptography.x509.Certificate
        The certificate asked about and its issuing CA.
    nonce : bytes or None
        The nonce sent with the request; a response carrying another one is refused.
    now : datetime
        The time of the check (aware).
    skew : timedelta
        The clock-skew allowance for thisUpdate and nextUpdate.
    responder : str, optional
        The responder's URL, recorded in the result.

    Returns
    -------
    RevocationInfo
        ``good``, ``revoked`` (with reason and time) or ``unknown``.

    Raises
    ------
    OcspError
        The response fails a check (see the module), in one line.
    """
    try:
        response = ocsp.load_der_ocsp_response(der)
    except ValueError as exc:
        raise OcspError(f"malformed response: {' '.join(str(exc).split())}") from None
    try:
        return _read(response, cert, issuer, nonce=nonce, now=now, skew=skew, responder=responder)
    except (
        ValueError,
        TypeError,
        UnsupportedAlgorithm,
        x509.DuplicateExtension,
        x509.UnsupportedGeneralNameType,
    ) as exc:  # cryptography decodes parts of a response lazily, when they are read
        raise OcspError(f"malformed response: {' '.join(str(exc).split())}") from None


def _read(
    response: ocsp.OCSPResponse,
    cert: x509.Certificate,
    issuer: x509.Certificate,
    *,
    nonce: bytes | None,
    now: datetime,
    skew: timedelta,
    responder: str | None,
) -> RevocationInfo:
    if response.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
        name = _RESPONSE_STATUS.get(response.response_status, str(response.response_status))
        raise OcspError(f"the responder answered {name}")
    single = _single(response, cert, issuer)
    signer = _authorised_signer(response, issuer, now)
    if not _signature_ok(response, signer):
        raise OcspError(f"response signature invalid (signer {_names(signer)})")
    echoed = _response_nonce(response)
    if nonce is not None and echoed is not None and echoed != nonce:
        raise OcspError("nonce mismatch: the response is not an answer to this request")
    this_update, next_update = single.this_update_utc, single.next_update_utc
    if this_update > now + skew:
        raise OcspError(f"response not yet valid: thisUpdate {_utc(this_update)}")
    if next_update is not None and next_update < now - skew:
        raise OcspError(f"stale response: nextUpdate {_utc(next_update)}")
    if next_update is None and this_update < now - skew:
        raise OcspError(f"stale response: thisUpdate {_utc(this_update)} and no nextUpdate")
    state, reason, revoked_at, detail = RevocationState.UNKNOWN, None, None, None
    status = single.certificate_status
    if status is ocsp.OCSPCertStatus.GOOD:
        state = RevocationState.GOOD
    elif status is ocsp.OCSPCertStatus.REVOKED:
        state, revoked_at = RevocationState.REVOKED, single.revocation_time_utc
        if single.revocation_reason is not None:
            reason = single.revocation_reason.value
    else:
        detail = "the responder does not know the certificate"
    return RevocationInfo(
        state,
        responder=responder,
        reason=reason,
        revoked_at=revoked_at,
        detail=detail,
        this_update=this_update,
        next_update=next_update,
    )


class _Pending:
    """One certificate's query: a lock held while it runs, then its result."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.result: RevocationInfo | None = None


class OcspChecker:
    """Checks signer certificates with OCSP, one query per distinct certificate.

    Parameters
    ----------
    mode : OcspMode or str
        ``soft-fail`` (default), ``hard-fail`` or ``require`` (see the module's table);
        ``off`` checks nothing and asks no one.
    url : str, optional
        Ask this responder for every certificate instead of the one each names in its
        Authority Information Access.
    timeout : float
        Seconds to wait for the responder (connecting, and each read).
    skew : timedelta
        The clock-skew allowance for a response's thisUpdate and nextUpdate.

    It is also a :class:`~dicomsign.pki.revocation.RevocationChecker` (:meth:`check`), for
    OpenSSL's chain verification.
    """

    def __init__(
        self,
        mode: OcspMode | str = OcspMode.SOFT_FAIL,
        *,
        url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        skew: timedelta = DEFAULT_SKEW,
    ) -> None:
        if not timeout > 0:
            raise ValueError(f"the OCSP timeout must be positive, not {timeout}")
        self.mode = OcspMode(mode)
        self.url = url
        self.timeout = timeout
        self.skew = skew
        self._lock = threading.Lock()
        self._results: dict[tuple[bytes, int], _Pending] = {}
        self._issuers: dict[bytes, x509.Certificate | None] = {}
        #: The number of requests sent (one per distinct certificate asked about).
        self.queries = 0

    def issuer_of(
        self, cert: x509.Certificate, store: IssuerSource | None
    ) -> x509.Certificate | None:
        """The issuer of ``cert`` in ``store`` (:func:`find_issuer`), looked up once."""
        key = cert.public_bytes(Encoding.DER)
        with self._lock:
            if key in self._issuers:
                return self._issuers[key]
        found = find_issuer(store, cert) if store is not None else None
        with self._lock:
            self._issuers[key] = found
        return found

    def status(self, cert: x509.Certificate, issuer: x509.Certificate | None) -> RevocationInfo:
        """What the responder says about ``cert``, asked once per checker (thread-safe).

        Never raises for the responder's sake: problems are in the result
        (:attr:`RevocationState.UNAVAILABLE` with the detail).
        """
        if self.mode is OcspMode.OFF:
            raise ValueError("OCSP is off: nothing is asked")
        if issuer is None:
            return RevocationInfo(
                RevocationState.NO_RESPONDER,
                detail="no issuer certificate to ask about (self-signed, or not found)",
            )
        key = (issuer.public_bytes(Encoding.DER), cert.serial_number)
        with self._lock:
            pending = self._results.get(key)
            if pending is None:
                pending = self._results[key] = _Pending()
        with pending.lock:
            if pending.result is None:
                pending.result = self._query(cert, issuer)
            return pending.result

    def _query(self, cert: x509.Certificate, issuer: x509.Certificate) -> RevocationInfo:
        url = self.url or responder_url(cert)
        if url is None:
            return RevocationInfo(
                RevocationState.NO_RESPONDER,
                detail="no OCSP responder: the certificate names none and none was given",
            )
        nonce = os.urandom(16)
        request = (
            ocsp.OCSPRequestBuilder()
            .add_certificate(cert, issuer, hashes.SHA1())
            .add_extension(x509.OCSPNonce(nonce), critical=False)
            .build()
        )
        with self._lock:
            self.queries += 1
        try:
            der = http_post(url, request.public_bytes(Encoding.DER), self.timeout)
            return check_response(
                der,
                cert,
                issuer,
                nonce=nonce,
                now=datetime.now(UTC),
                skew=self.skew,
                responder=url,
            )
        except OcspError as exc:
            return RevocationInfo(RevocationState.UNAVAILABLE, responder=url, detail=exc.detail)

    def verdict(
        self,
        cert: x509.Certificate,
        issuer: x509.Certificate | None,
        *,
        existed_at: datetime | None = None,
    ) -> RevocationVerdict:
        """Check ``cert`` and judge the outcome under the checker's mode.

        Parameters
        ----------
        cert, issuer : cryptography.x509.Certificate
            The signer certificate and its issuing CA (None when there is none).
        existed_at : datetime, optional
            When the signature is proven to have existed (the genTime of a verified
            timestamp): a revocation after it, for a reason other than a key compromise,
            does not fail the signature.
        """
        return judge(self.status(cert, issuer), self.mode, existed_at=existed_at)

    def check(self, chain: Sequence[ChainCertificate], now: int) -> None:
        """The :class:`~dicomsign.pki.revocation.RevocationChecker` protocol: the leaf of
        ``chain`` (its issuer is the next certificate) checked under the mode.

        Raises
        ------
        ChainFailure
            ``certificate revoked`` (23), or for a status the mode does not accept ``OCSP
            unknown cert`` (75) when the responder does not know it and ``OCSP verification
            failed`` (74) when it cannot be had.
        """
        if self.mode is OcspMode.OFF:
            return
        issuer = chain[1].cert if len(chain) > 1 and not chain[0].self_issued else None
        found = self.verdict(chain[0].cert, issuer)
        if found.failure is RevocationFailure.REVOKED:
            raise ChainFailure(X509_V_ERR_CERT_REVOKED, 0)
        if found.failure is RevocationFailure.UNKNOWN:
            code = X509_V_ERR_OCSP_CERT_UNKNOWN
            if found.info.state is not RevocationState.UNKNOWN:
                code = X509_V_ERR_OCSP_VERIFY_FAILED
            raise ChainFailure(code, 0)


def judge(
    info: RevocationInfo, mode: OcspMode, *, existed_at: datetime | None = None
) -> RevocationVerdict:
    """The verdict of ``mode`` on a revocation check (the module's table), with long-term
    validation when ``existed_at`` is given."""
    text = describe(info)
    state = info.state
    if existed_at is not None and existed_at.tzinfo is None:
        existed_at = existed_at.replace(tzinfo=UTC)
    if state is RevocationState.GOOD:
        return RevocationVerdict(info, None, text)
    if state is RevocationState.REVOKED:
        reason = x509.ReasonFlags(info.reason) if info.reason is not None else None
        if (
            existed_at is not None
            and info.revoked_at is not None
            and info.revoked_at > existed_at
            and reason not in COMPROMISE
        ):
            return RevocationVerdict(
                info, None, f"{text}, after the signature existed ({_utc(existed_at)})"
            )
        return RevocationVerdict(info, RevocationFailure.REVOKED, text)
    demanded = mode is OcspMode.REQUIRE or (
        mode is OcspMode.HARD_FAIL and state is not RevocationState.NO_RESPONDER
    )
    return RevocationVerdict(info, RevocationFailure.UNKNOWN if demanded else None, text)


def ocsp_checker(
    ocsp_mode: OcspMode | str | OcspChecker,
    *,
    url: str | None = None,
    timeout: float | None = None,
) -> OcspChecker | None:
    """The checker of the API's ``ocsp``, ``ocsp_url`` and ``ocsp_timeout`` arguments; None
    for ``off`` (nothing is ever fetched).

    Raises
    ------
    ValueError
        An unknown mode, a timeout that is not positive, or ``url``/``timeout`` with ``off``
        or with a prepared checker.
    """
    if isinstance(ocsp_mode, OcspChecker):
        if url is not None or timeout is not None:
            raise ValueError("ocsp_url and ocsp_timeout go with an OCSP mode, not a checker")
        return None if ocsp_mode.mode is OcspMode.OFF else ocsp_mode
    try:
        mode = OcspMode(ocsp_mode)
    except ValueError:
        choices = ", ".join(repr(m.value) for m in OcspMode)
        raise ValueError(f"unknown OCSP mode {ocsp_mode!r} (one of {choices})") from None
    if mode is OcspMode.OFF:
        if url is not None or timeout is not None:
            raise ValueError("ocsp_url and ocsp_timeout need an OCSP mode other than 'off'")
        return None
    if url is not None and urllib.parse.urlsplit(url).scheme.lower() not in ("http", "https"):
        raise ValueError(f"the OCSP responder URL must be http or https, not {url!r}")
    return OcspChecker(mode, url=url, timeout=DEFAULT_TIMEOUT if timeout is None else timeout)
