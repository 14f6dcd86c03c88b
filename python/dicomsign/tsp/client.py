"""Obtaining certified timestamps: an RFC 3161 client over HTTP(S).

A :class:`Timestamper` turns the bytes to timestamp (the Signature value, the DER pad byte of
a DSA or ECDSA signature removed) into a DER ``TimeStampToken``. :class:`HttpTimestamper` is
the one this package brings: it sends a ``TimeStampReq`` (:func:`dicomsign.tsp.query.build_query`:
the hash, a nonce, ``certReq``, a policy when asked for) as ``POST``
``application/timestamp-query`` to each of its URLs in order, until one answers acceptably.
Anyone may implement :class:`Timestamper` (a TSA behind another protocol, a test double); the
token it returns is still checked against the data before it is inserted
(:func:`accept_token`).

Network behaviour: HTTP through the standard library (:mod:`urllib`), proxies from the
environment (``HTTPS_PROXY``, ``HTTP_PROXY``, ``NO_PROXY``, either case), a CA bundle for
HTTPS (``ca_bundle``; else the system's), separate connect and read timeouts, no redirects
(a TSA does not redirect a POST; a redirect is a cause like any other, and credentials are
never sent to another host). A connection error, a timeout, HTTP 5xx and 429 are retried
``retries`` times with exponential backoff (``backoff`` × 2\\ :sup:`n`, at most
``max_backoff``), honouring ``Retry-After`` up to ``max_retry_after`` seconds. Other answers
are not retried: the next URL is asked.

Every answer is validated before it is accepted (:meth:`HttpTimestamper.validate`): a
``TimeStampResp`` whose status grants a timestamp (``granted``; ``grantedWithMods`` is
accepted once every check below passes, and said so), version 1, the imprint (algorithm and
digest) and the nonce of the query, the policy asked for, the TSA certificate embedded when
``certReq`` asked for it, the CMS signature and the ESS signing certificate, the TSA
certificate's extendedKeyUsage (critical, timeStamping only), its chain when a TSA trust
anchor is given (``trust``), genTime within the TSA certificate's validity and within
``max_clock_skew`` of the local clock.

Credentials (HTTP Basic ``username``/``password``, ``headers`` such as an API key) are sent
to the TSA's URLs only; they are never part of a message, an exception or a ``repr``. A URL
is shown without its user information and query (:func:`display_url`).
"""

from __future__ import annotations

import base64
import email.utils
import http.client
import os
import random
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final, Protocol, runtime_checkable

from asn1crypto import core

from ..exceptions import TimestampError
from ..exitcodes import ExitCode
from ..vocabulary import MacAlgorithm
from .query import ALGORITHMS_BY_OID, DIGEST_OIDS, TimestampQuery, build_query, digest
from .reply import parse_response, status_messages
from .verify import TimestampToken, check_token, read_token

if TYPE_CHECKING:
    from cryptography import x509

    from ..pki import TrustStore

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_READ_TIMEOUT",
    "HttpTimestamper",
    "ObtainedTimestamp",
    "TimestampUnavailable",
    "Timestamper",
    "accept_token",
    "display_url",
    "obtain",
]

#: Seconds to wait for a connection to the TSA.
DEFAULT_CONNECT_TIMEOUT: Final = 10.0
#: Seconds to wait for each read of the TSA's answer.
DEFAULT_READ_TIMEOUT: Final = 30.0
#: The largest answer read (a reply is a few kilobytes).
MAX_RESPONSE: Final = 1 << 20
_TIMESTAMP_QUERY = "application/timestamp-query"
_TIMESTAMP_REPLY = "application/timestamp-reply"


@runtime_checkable
class Timestamper(Protocol):
    """Anything that obtains an RFC 3161 timestamp token for some bytes.

    ``stamp(data)`` returns the DER ``TimeStampToken`` (a CMS ``ContentInfo`` holding a
    ``TSTInfo``) whose message imprint is a digest of ``data``, or raises
    :class:`~dicomsign.exceptions.TimestampError` (preferably
    :class:`TimestampUnavailable`) with a one-line reason. It may be called from several
    threads at once.
    """

    def stamp(self, data: bytes) -> bytes:
        """The DER ``TimeStampToken`` over ``data``."""
        ...


class TimestampUnavailable(TimestampError):
    """No timestamp authority answered acceptably.

    Attributes
    ----------
    causes : tuple of (str, str)
        Each URL asked (as :func:`display_url` shows it) and why its answer was not taken.
    """

    exit_code = ExitCode.CANNOT_INSERT_TS

    def __init__(self, causes: Sequence[tuple[str, str]], *, message: str | None = None) -> None:
        self.causes = tuple(causes)
        text = "; ".join(f"{url}: {cause}" for url, cause in self.causes)
        super().__init__(message or f"no timestamp: {text or 'no TSA to ask'}")


def display_url(url: str) -> str:
    """``url`` as it may be shown: without user information, query or fragment."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        return "<invalid URL>"
    query = "?…" if parts.query else ""
    return f"{parts.scheme}://{host}{port}{parts.path}{query}"


@dataclass(frozen=True)
class ObtainedTimestamp:
    """A token accepted for insertion.

    Attributes
    ----------
    der : bytes
        The DER ``TimeStampToken``.
    token : TimestampToken
        The token, read.
    notes : tuple of str
        What was accepted with a remark (``granted with modifications``).
    """

    der: bytes
    token: TimestampToken
    notes: tuple[str, ...] = ()


def accept_token(der: bytes, data: bytes) -> TimestampToken:
    """Read a token a :class:`Timestamper` returned and check that it covers ``data``.

    Raises
    ------
    TimestampError
        The token is unreadable, or its imprint is not a digest of ``data``.
    """
    token, warnings = read_token("CMS_TSP", der)
    if token is None:
        raise TimestampError(f"the timestamp token cannot be read ({'; '.join(warnings)})")
    imprint = token.info["message_imprint"]
    algorithm = ALGORITHMS_BY_OID.get(imprint["hash_algorithm"]["algorithm"].dotted)
    if algorithm is None:
        raise TimestampError(f"the timestamp token's imprint algorithm {token.hash_algorithm}")
    if digest(algorithm, data) != imprint["hashed_message"].native:
        raise TimestampError("the timestamp token does not cover the signature (imprint)")
    return token


def obtain(timestamper: Timestamper, data: bytes) -> ObtainedTimestamp:
    """A token over ``data`` from ``timestamper``, checked (:func:`accept_token`).

    Raises
    ------
    TimestampError
        The timestamper's, or that its token does not cover ``data``.
    """
    if isinstance(timestamper, HttpTimestamper):
        return timestamper.obtain(data)
    der = timestamper.stamp(data)
    return ObtainedTimestamp(der, accept_token(der, data))


class _Retry(Exception):
    """A failure worth another attempt; ``retry_after`` when the TSA said when."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class _Refused(TimestampError):
    """An answer that another attempt at the same URL would not change."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds: a number, or an HTTP date."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _network_reason(reason: object, connect_timeout: float, read_timeout: float) -> str:
    if isinstance(reason, TimeoutError | socket.timeout):
        text = str(reason)
        if "connect" in text:
            return f"no connection within {connect_timeout:g} s"
        return f"no answer within {read_timeout:g} s"
    if isinstance(reason, ssl.SSLError):
        return f"TLS: {reason.reason or reason}"
    if isinstance(reason, OSError) and reason.strerror:
        return f"cannot connect: {reason.strerror}"
    text = str(reason) or type(reason).__name__
    return f"cannot connect: {' '.join(text.split())}"


def _connection(
    base: type[http.client.HTTPConnection], connect: float, read: float
) -> Callable[..., http.client.HTTPConnection]:
    """``base`` connecting within ``connect`` seconds, then reading within ``read``."""

    class Connection(base):  # type: ignore[valid-type,misc]
        def connect(self) -> None:
            self.timeout = connect
            try:
                super().connect()
            except TimeoutError:
                raise TimeoutError("connect timed out") from None
            self.sock.settimeout(read)

    return Connection


class _HttpHandler(urllib.request.HTTPHandler):
    def __init__(self, connect: float, read: float) -> None:
        super().__init__()
        self._connection = _connection(http.client.HTTPConnection, connect, read)

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self._connection, req)


class _HttpsHandler(urllib.request.HTTPSHandler):
    def __init__(self, connect: float, read: float, context: ssl.SSLContext) -> None:
        super().__init__(context=context)
        self._connection = _connection(http.client.HTTPSConnection, connect, read)
        self._tls = context

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self._connection, req, context=self._tls)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class HttpTimestamper:
    """An RFC 3161 client over HTTP(S), trying its URLs in order (see the module).

    Parameters
    ----------
    urls : str or sequence of str
        The TSA URLs (``http`` or ``https``), the first preferred, the others fallbacks.
    hash_algorithm : MacAlgorithm or str
        The imprint's hash (``SHA256`` by default).
    policy : str, optional
        The TSA policy to ask for (dotted OID); the answer must carry it.
    nonce : bool
        Send a random nonce (default), which the answer must echo.
    certificate : bool
        Ask the TSA to embed its certificate (``certReq``, default); the answer must.
    trust : TrustStore, optional
        The TSA's trust anchors (and intermediates): when given, the TSA certificate's chain
        must verify with the timestamping purpose. Without it, the signature, the ESS
        signing certificate and the purpose are still checked.
    connect_timeout, read_timeout : float
        Seconds to wait for the connection, and for each read of the answer.
    retries : int
        More attempts per URL after a connection error, a timeout, HTTP 5xx or 429.
    backoff, max_backoff : float
        The wait before the n-th retry: ``backoff * 2**n`` seconds (with up to 10 % jitter),
        at most ``max_backoff``.
    max_retry_after : float
        The longest ``Retry-After`` honoured; a TSA asking for a longer wait is given up.
    username, password : str, optional
        HTTP Basic credentials.
    headers : mapping of str to str, optional
        Extra request headers (an API key...).
    ca_bundle : path, optional
        The CA certificates (PEM) that HTTPS servers are checked with, instead of the
        system's.
    max_clock_skew : float
        The largest difference in seconds between genTime and the local clock.
    sleep : callable
        Waits between attempts (``time.sleep``; replaceable in tests).
    """

    def __init__(
        self,
        urls: str | Sequence[str],
        *,
        hash_algorithm: MacAlgorithm | str = MacAlgorithm.SHA256,
        policy: str | None = None,
        nonce: bool = True,
        certificate: bool = True,
        trust: TrustStore | None = None,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        retries: int = 2,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        max_retry_after: float = 60.0,
        username: str | None = None,
        password: str | None = None,
        headers: Mapping[str, str] | None = None,
        ca_bundle: str | os.PathLike[str] | None = None,
        max_clock_skew: float = 600.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.urls = (urls,) if isinstance(urls, str) else tuple(urls)
        if not self.urls:
            raise ValueError("give at least one TSA URL")
        # User information in a URL (https://user:password@host/) becomes HTTP Basic
        # credentials for that URL only; the URL asked has none.
        self._targets: list[tuple[str, str | None]] = []
        for url in self.urls:
            try:
                parts = urllib.parse.urlsplit(url)
                parts.port  # noqa: B018 - a port that is not a number raises here
            except ValueError:
                raise ValueError(f"not a URL: {display_url(url)!r}") from None
            if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
                raise ValueError(f"a TSA URL must be http or https, not {display_url(url)!r}")
            auth = None
            if parts.username is not None:
                user = urllib.parse.unquote(parts.username)
                secret = urllib.parse.unquote(parts.password or "")
                auth = "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode("ascii")
                netloc = parts.netloc.rpartition("@")[2]
                url = urllib.parse.urlunsplit(parts._replace(netloc=netloc))
            self._targets.append((url, auth))
        self.hash_algorithm = MacAlgorithm(hash_algorithm)
        if policy is not None:
            from .query import parse_policy_oid

            try:
                policy = parse_policy_oid(policy)
            except TimestampError:
                raise ValueError(f"the TSA policy must be a dotted OID, not {policy!r}") from None
        self.policy = policy
        self.nonce = nonce
        self.certificate = certificate
        self.trust = trust
        for name, value in (("connect_timeout", connect_timeout), ("read_timeout", read_timeout)):
            if not value > 0:
                raise ValueError(f"{name} must be positive, not {value}")
        if retries < 0:
            raise ValueError(f"retries must not be negative, not {retries}")
        self.connect_timeout = float(connect_timeout)
        self.read_timeout = float(read_timeout)
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self.max_clock_skew = timedelta(seconds=max_clock_skew)
        self._sleep = sleep
        extra = dict(headers or {})
        for header, text in extra.items():
            if not header or any(c in header + text for c in "\r\n"):
                raise ValueError("a TSA header needs a name, and no line break")
        if username is not None:
            pair = f"{username}:{password or ''}".encode()
            extra["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        self._headers = extra
        self._tls = ssl.create_default_context(
            cafile=os.fspath(ca_bundle) if ca_bundle is not None else None
        )

    def __repr__(self) -> str:
        urls = ", ".join(display_url(u) for u in self.urls)
        return f"HttpTimestamper([{urls}], hash_algorithm={self.hash_algorithm.value!r})"

    # -- the protocol ---------------------------------------------------------------------

    def stamp(self, data: bytes) -> bytes:
        """The DER ``TimeStampToken`` over ``data`` (see :meth:`obtain`)."""
        return self.obtain(data).der

    def obtain(self, data: bytes) -> ObtainedTimestamp:
        """Ask each URL in order for a timestamp of ``data``; the first acceptable one.

        Raises
        ------
        TimestampUnavailable
            No URL answered acceptably: every URL with its cause, in one line.
        """
        causes: list[tuple[str, str]] = []
        for url, auth in self._targets:
            query = build_query(
                data,
                algorithm=self.hash_algorithm,
                nonce=self.nonce,
                certificate=self.certificate,
                policy=self.policy,
            )
            try:
                body = self._post(url, query.der, auth)
                return self.validate(query, body)
            except (_Retry, _Refused) as exc:
                causes.append((display_url(url), exc.reason))
        raise TimestampUnavailable(causes)

    # -- HTTP -----------------------------------------------------------------------------

    def _post(self, url: str, body: bytes, auth: str | None) -> bytes:
        attempts = self.retries + 1
        for attempt in range(attempts):
            try:
                return self._post_once(url, body, auth)
            except _Retry as exc:
                if attempt + 1 == attempts:
                    suffix = f" ({attempts} attempts)" if attempts > 1 else ""
                    raise _Retry(exc.reason + suffix) from None
                wait = min(self.max_backoff, self.backoff * 2**attempt)
                wait *= 1 + random.random() / 10
                if exc.retry_after is not None:
                    if exc.retry_after > self.max_retry_after:
                        raise _Refused(
                            f"{exc.reason}, Retry-After {exc.retry_after:g} s is longer "
                            f"than {self.max_retry_after:g} s"
                        ) from None
                    wait = max(wait, exc.retry_after)
                self._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _post_once(self, url: str, body: bytes, auth: str | None) -> bytes:
        headers = {**self._headers, "Content-Type": _TIMESTAMP_QUERY, "Accept": _TIMESTAMP_REPLY}
        if auth is not None:
            headers["Authorization"] = auth
        request = urllib.request.Request(url, data=body, method="POST", headers=headers)
        # A new opener for each request: handlers hold their opener, so they are not shared
        # between threads (the TLS context is).
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler(),
            _HttpHandler(self.connect_timeout, self.read_timeout),
            _HttpsHandler(self.connect_timeout, self.read_timeout, self._tls),
            _NoRedirects(),
        )
        try:
            with opener.open(request) as reply:
                data: bytes = reply.read(MAX_RESPONSE + 1)
        except urllib.error.HTTPError as exc:
            text = f"HTTP {exc.code} {exc.reason}".rstrip()
            exc.close()
            if exc.code == 429 or 500 <= exc.code < 600:
                raise _Retry(text, _retry_after(exc.headers.get("Retry-After"))) from None
            if 300 <= exc.code < 400:
                raise _Refused(f"{text} (redirects are not followed)") from None
            raise _Refused(text) from None
        except urllib.error.URLError as exc:
            reason = _network_reason(exc.reason, self.connect_timeout, self.read_timeout)
            raise _Retry(reason) from None
        except (OSError, http.client.HTTPException) as exc:
            reason = _network_reason(exc, self.connect_timeout, self.read_timeout)
            raise _Retry(reason) from None
        if len(data) > MAX_RESPONSE:
            raise _Refused(f"answer larger than {MAX_RESPONSE} bytes")
        return data

    # -- the answer -----------------------------------------------------------------------

    def validate(self, query: TimestampQuery, body: bytes) -> ObtainedTimestamp:
        """Check an answer to ``query`` (see the module); the accepted token.

        Raises
        ------
        TimestampError
            The first check that fails, in one line.
        """
        try:
            response = parse_response(body)
        except ValueError:
            raise _Refused("not a timestamp response") from None
        warnings, error = status_messages(response)
        if error is not None:
            details = "; ".join(
                w.removeprefix("timestamp response status text: ") for w in warnings
            )
            status = error.removeprefix("timestamp response status: ")
            raise _Refused(f"status {status}" + (f" ({details})" if details else ""))
        notes = tuple(w for w in warnings if w.endswith("granted with modifications"))
        assert response.token is not None and response.info is not None
        token, _warnings = read_token("CMS_TSP", response.token)
        if token is None:
            raise _Refused("the timestamp token cannot be read")
        info = token.info
        if token.version != 1:
            raise _Refused(f"unsupported TSTInfo version {token.version}")
        imprint = info["message_imprint"]
        if imprint["hash_algorithm"]["algorithm"].dotted != query.algorithm_oid:
            raise _Refused("the imprint's hash algorithm is not the one asked for")
        if imprint["hashed_message"].native != query.imprint:
            raise _Refused("the imprint does not match the query")
        nonce = info["nonce"]
        if query.nonce is not None:
            if isinstance(nonce, core.Void):
                raise _Refused("the nonce is missing")
            if int(nonce.native) != query.nonce:
                raise _Refused("the nonce does not match the query")
        if query.policy is not None and info["policy"].dotted != query.policy:
            raise _Refused(
                f"policy {info['policy'].dotted} instead of {query.policy} that was asked for"
            )
        if query.certificate_requested and not _embeds_signer(token):
            raise _Refused("the TSA certificate asked for (certReq) is not in the token")
        now = datetime.now(UTC)
        try:
            check_token(token, trust=self.trust, at=now)
        except ValueError as exc:
            raise _Refused(f"the token does not verify: {exc}") from None
        skew = abs(token.gen_time - now)
        if skew > self.max_clock_skew:
            raise _Refused(
                f"genTime {token.gen_time:%Y-%m-%dT%H:%M:%SZ} is {skew.total_seconds():.0f} s "
                f"from this computer's clock"
            )
        return ObtainedTimestamp(response.token, token, notes)


def _embeds_signer(token: TimestampToken) -> bool:
    from .verify import token_signer

    signer: x509.Certificate | None = token_signer(token)
    return signer is not None


#: The imprint algorithms a TSA is commonly asked for (``--tsa-hash``).
HASHES: Final = tuple(str(a) for a in DIGEST_OIDS)
