"""Signing with a key that never leaves a PKCS#11 token (smart card, USB token, HSM):
:class:`Pkcs11Signer`, the optional extra ``dicomsign[pkcs11]`` (python-pkcs11).

The engine computes the MAC digest (any algorithm, RIPEMD-160 included, which tokens do not
offer); the token signs only that digest:

* RSA: the DER ``DigestInfo`` of the digest with ``CKM_RSA_PKCS`` (the token pads), which is
  PKCS#1 v1.5 as DCMTK writes it;
* ECDSA: ``CKM_ECDSA`` over the digest (cut to the curve's order, as ECDSA does), the raw
  ``r || s`` converted to DER, and signed again while the DER length is odd (DCMTK pads an
  odd-length DER and cannot always remove the pad).

One session is opened and logged in once; every signature of a batch is made in it, one at a
time (a lock: a session runs one operation at once). The PIN is tried once: a wrong PIN is
reported, never tried again, so that a run cannot lock a card. Objects are named by PKCS#11
URIs (:mod:`.pkcs11uri`); the certificate is read from the token (the one with the key's
CKA_ID, else its label) unless one is given, and the token's CA certificates on the path to
it are kept as :attr:`Pkcs11Signer.chain` (a signature holds the signer's certificate only,
as DCMTK writes it).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, Self

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from ..exceptions import SignatureCreationError, TokenError
from ..pki.certificates import load_certificate, public_key_facts
from ..vocabulary import KeyType, MacAlgorithm
from .passwords import read_password_from_console
from .pkcs11uri import Pkcs11Uri, Pkcs11UriError

if TYPE_CHECKING:
    from .. import _core

__all__ = ["DIGEST_INFO_PREFIX", "MISSING_EXTRA", "Pkcs11Signer", "pin_prompt"]

#: The one line shown when python-pkcs11 is not installed.
MISSING_EXTRA: Final = "PKCS#11 tokens need the extra: pip install 'dicomsign[pkcs11]'"

#: The DER of ``DigestInfo`` before the digest (RFC 8017 section 9.2, note 1; RIPEMD-160 with
#: the TeleTrusT OID 1.3.36.3.2.1 that OpenSSL and so DCMTK use), parameters NULL.
DIGEST_INFO_PREFIX: Final[dict[MacAlgorithm, bytes]] = {
    MacAlgorithm.MD5: bytes.fromhex("3020300c06082a864886f70d020505000410"),
    MacAlgorithm.SHA1: bytes.fromhex("3021300906052b0e03021a05000414"),
    MacAlgorithm.RIPEMD160: bytes.fromhex("3021300906052b2403020105000414"),
    MacAlgorithm.SHA256: bytes.fromhex("3031300d060960864801650304020105000420"),
    MacAlgorithm.SHA384: bytes.fromhex("3041300d060960864801650304020205000430"),
    MacAlgorithm.SHA512: bytes.fromhex("3051300d060960864801650304020305000440"),
}

#: Attempts at an even-length ECDSA DER; each succeeds with a probability of about one half.
_EVEN_ATTEMPTS: Final = 64


def pin_prompt(token_label: str) -> str:
    """The prompt for a token's PIN."""
    return f"Enter PIN for token '{token_label}':"


def _reason(exc: BaseException) -> str:
    """A python-pkcs11 error in words: its message, else the name of its class."""
    text = str(exc).strip()
    return text or type(exc).__name__


def _module_reason(path: str, exc: BaseException) -> str:
    if not os.path.exists(path):
        return os.strerror(2)  # ENOENT
    if os.path.isdir(path):
        return os.strerror(21)  # EISDIR
    text = _reason(exc)
    return text.rsplit(f"{path}: ", 1)[-1]


def _quote_list(names: list[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)


class Pkcs11Signer:
    """A :class:`~dicomsign.signers.Signer` whose private key stays on a PKCS#11 token.

    Make one with :meth:`open`; close it (or use it as a context manager) to log out. It may be
    shared by threads (:func:`dicomsign.batch.sign_many`): signatures are made one at a time
    in its one session.
    """

    def __init__(
        self,
        *,
        shared: _SharedSession,
        key: Any,
        certificate: x509.Certificate,
        chain: tuple[x509.Certificate, ...],
        token_label: str,
        key_uri: str,
    ) -> None:
        self._shared = shared
        self._key = key
        self._certificate = certificate
        self._chain = chain
        self._token_label = token_label
        self._key_uri = key_uri
        self._lock = shared.lock
        self._closed = False
        self._match: bool | None = None
        self._facts: _core.PublicKey = public_key_facts(certificate)

    def __repr__(self) -> str:
        return f"Pkcs11Signer(token={self._token_label!r}, key={self._key_uri!r})"

    @property
    def certificate(self) -> x509.Certificate:
        """The signer's certificate (from the token, or as given)."""
        return self._certificate

    @property
    def chain(self) -> tuple[x509.Certificate, ...]:
        """The token's CA certificates on the path from the signer's certificate up, nearest
        first (empty when the token holds none)."""
        return self._chain

    @property
    def key_type(self) -> KeyType:
        """The certificate's :class:`~dicomsign.vocabulary.KeyType`."""
        return self._facts.key_type

    @property
    def token_label(self) -> str:
        """The label of the token that holds the key."""
        return self._token_label

    @classmethod
    def open(
        cls,
        module: str | os.PathLike[str] | None,
        key_uri: str | Pkcs11Uri,
        cert: str | os.PathLike[str] | Pkcs11Uri | x509.Certificate | None = None,
        *,
        pin: str | Callable[[], str | None] | None = None,
        der: bool = False,
    ) -> Pkcs11Signer:
        """Open a session on the token that holds ``key_uri``'s key, and log in.

        Parameters
        ----------
        module : str or os.PathLike, optional
            The PKCS#11 module (``/usr/lib/softhsm/libsofthsm2.so``); when None, the key URI's
            ``module-path``.
        key_uri : str or Pkcs11Uri
            The private key: ``pkcs11:token=Radiology;object=signer`` (exactly one must match).
        cert : str, os.PathLike, Pkcs11Uri or cryptography.x509.Certificate, optional
            The certificate: a ``pkcs11:`` URI of a certificate on the same token, a
            certificate file (PEM, or DER with ``der``) or the certificate. By default the
            token's certificate with the key's CKA_ID (else its label).
        pin : str or callable, optional
            The user PIN, or a function returning it (None: no PIN); by default it is asked on
            the terminal (or read as a line from standard input). Not asked when the token needs
            no login, has its own PIN pad, or is logged in by another signer of this process
            already (a login belongs to the process: the signers share its session). Tried
            once.
        der : bool
            A certificate file is DER.

        Raises
        ------
        ImportError
            python-pkcs11 is not installed (:data:`MISSING_EXTRA`).
        TokenError
            One line, exit code 20: the module cannot be loaded, no token or several match, no
            PIN, a wrong or locked PIN, no key or several match, no certificate for the key.
        Pkcs11UriError
            A URI that cannot be parsed (a ValueError).
        CertificateLoadError
            A certificate file that cannot be loaded.
        """
        uri = key_uri if isinstance(key_uri, Pkcs11Uri) else Pkcs11Uri.parse(key_uri)
        if uri.type not in (None, "private"):
            raise Pkcs11UriError(f"the key's URI names type={uri.type}, not a private key")
        cert_uri: Pkcs11Uri | None = None
        if isinstance(cert, str) and Pkcs11Uri.is_uri(cert):
            cert = Pkcs11Uri.parse(cert)
        if isinstance(cert, Pkcs11Uri):
            cert_uri = cert
            if cert_uri.type not in (None, "cert"):
                raise Pkcs11UriError(
                    f"the certificate's URI names type={cert_uri.type}, not a certificate"
                )
        path = os.fspath(module) if module is not None else uri.module_path
        if not path:
            hint = (
                f" (module-name={uri.module_name} is not searched for)" if uri.module_name else ""
            )
            raise TokenError(f"no PKCS#11 module given for '{uri.text}'{hint}")
        given_cert: x509.Certificate | None = None
        if isinstance(cert, x509.Certificate):
            given_cert = cert
        elif cert is not None and not isinstance(cert, Pkcs11Uri):
            given_cert = load_certificate(cert, der=der)
        try:
            import pkcs11
        except ImportError as exc:
            raise ImportError(MISSING_EXTRA) from exc
        try:
            lib = pkcs11.lib(path)
        except RuntimeError as exc:  # PKCS11Error (0.9 on) or RuntimeError (0.8)
            raise TokenError(
                f"cannot load PKCS#11 module '{path}': {_module_reason(path, exc)}"
            ) from None
        token = _find_token(pkcs11, lib, uri, path)
        shared = _acquire(pkcs11, path, token, pin)
        session = shared.session
        try:
            with shared.lock:  # other signers of the token may be signing in the session
                key = _one_object(pkcs11, session, uri, "private key", token.label)
                if given_cert is not None:
                    certificate = given_cert
                else:
                    certificate = _token_certificate(pkcs11, session, key, cert_uri, token)
                chain = _token_chain(pkcs11, session, certificate)
        except BaseException:
            _release(shared)
            raise
        return cls(
            shared=shared,
            key=key,
            certificate=certificate,
            chain=chain,
            token_label=token.label,
            key_uri=uri.text,
        )

    # ----------------------------------------------------------------------------------------
    # Signing

    def _sign_raw(self, data: bytes, mechanism: Any) -> bytes:
        """One C_Sign in the session (the caller holds the lock)."""
        if self._closed:
            raise SignatureCreationError(f"the session on token '{self._token_label}' is closed")
        try:
            return bytes(self._key.sign(data, mechanism=mechanism))
        except RuntimeError as exc:  # python-pkcs11's PKCS11Error
            raise SignatureCreationError(
                f"token '{self._token_label}' could not sign: {_reason(exc)}"
            ) from exc

    def sign_digest(self, algorithm: MacAlgorithm, digest: bytes) -> bytes:
        """Have the token sign a MAC digest, in DCMTK's signature format.

        Raises
        ------
        SignatureCreationError
            A key type the token cannot sign DICOM signatures with here (DSA and others), an
            RSA key whose modulus has an odd number of bytes (DCMTK could never verify its
            signatures), or the token failed (exit code 85).
        ValueError
            If ``digest`` does not have the algorithm's length.
        """
        algorithm = MacAlgorithm(algorithm)
        if len(digest) != algorithm.digest_size:
            raise ValueError(
                f"a {algorithm} digest has {algorithm.digest_size} bytes, got {len(digest)}"
            )
        with self._lock:
            return self._sign_locked(algorithm, digest)

    def _sign_locked(self, algorithm: MacAlgorithm, digest: bytes) -> bytes:
        """:meth:`sign_digest` with the lock held."""
        from pkcs11 import Mechanism

        public = self._certificate.public_key()
        if isinstance(public, rsa.RSAPublicKey):
            size = (public.key_size + 7) // 8
            if size % 2:
                raise SignatureCreationError(
                    f"RSA key of {public.key_size} bits has an odd modulus length of {size} "
                    "bytes: DCMTK pads such signatures and can never verify them; use a key "
                    "whose size is a multiple of 16 bits (e.g. 2048 or 3072)"
                )
            return self._sign_raw(DIGEST_INFO_PREFIX[algorithm] + digest, Mechanism.RSA_PKCS)
        if isinstance(public, ec.EllipticCurvePublicKey):
            order_bits = public.curve.key_size
            if order_bits % 8 == 0 and len(digest) * 8 > order_bits:
                digest = digest[: order_bits // 8]  # ECDSA uses the leftmost bits only
            for _ in range(_EVEN_ATTEMPTS):
                raw = self._sign_raw(digest, Mechanism.ECDSA)
                half = len(raw) // 2
                der = encode_dss_signature(
                    int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big")
                )
                if len(der) % 2 == 0:
                    return der
            raise SignatureCreationError(
                f"token '{self._token_label}' gave no ECDSA signature of even DER length"
            )
        raise SignatureCreationError(self._unsupported())

    def check_matches(self) -> None:
        """Raise :class:`SignatureCreationError` unless the token's key is the private half of
        the certificate's public key (checked once; later calls repeat the answer).

        An RSA key's modulus and exponent are compared with the certificate's; a key whose
        public half the token does not show (EC private keys) signs a random digest once,
        which the certificate's key must verify. A certificate whose key is neither RSA nor EC
        raises the "not supported" error.
        """
        with self._lock:
            if self._match is None:
                self._match = self._matches()
        if not self._match:
            raise SignatureCreationError("certificate and private key do not match")

    def _matches(self) -> bool:
        import pkcs11
        from pkcs11 import Attribute

        public = self._certificate.public_key()
        key_type = self._key.key_type
        if isinstance(public, rsa.RSAPublicKey):
            if key_type != pkcs11.KeyType.RSA:
                return False
            try:
                modulus = int.from_bytes(self._key[Attribute.MODULUS], "big")
                exponent = int.from_bytes(self._key[Attribute.PUBLIC_EXPONENT], "big")
            except pkcs11.PKCS11Error:
                return self._proves_key()
            numbers = public.public_numbers()
            return (modulus, exponent) == (numbers.n, numbers.e)
        if isinstance(public, ec.EllipticCurvePublicKey):
            return key_type == pkcs11.KeyType.EC and self._proves_key()
        raise SignatureCreationError(self._unsupported())

    def _unsupported(self) -> str:
        return (
            f"signing with {self._facts.description} keys on a PKCS#11 token is not supported "
            "(RSA and ECDSA are)"
        )

    def _proves_key(self) -> bool:
        """Sign a random SHA-256 digest and verify it with the certificate (lock held)."""
        digest = os.urandom(MacAlgorithm.SHA256.digest_size)
        try:
            signature = self._sign_locked(MacAlgorithm.SHA256, digest)
        except SignatureCreationError:
            return False
        return bool(self._facts.verify_digest(MacAlgorithm.SHA256, digest, signature))

    # ----------------------------------------------------------------------------------------
    # Life cycle

    def close(self) -> None:
        """Close this signer (again: nothing); the last signer of the token in this process
        closes the session and logs out."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        _release(self._shared)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------------------------
# Sessions: one per token and process, logged in once


class _SharedSession:
    """A logged-in session on one token, shared by this process's signers of that token.

    A PKCS#11 login belongs to the application, not to a session: a second login to a token
    fails (CKR_USER_ALREADY_LOGGED_IN) and a logout ends every session's. So the signers of one
    token share one session, its lock (one operation at a time) and its login; the last one
    closed logs out.
    """

    def __init__(self, key: tuple[str, int, bytes], session: Any) -> None:
        self.key = key
        self.session = session
        self.lock = threading.Lock()
        self.users = 1


_SESSIONS: dict[tuple[str, int, bytes], _SharedSession] = {}
_SESSIONS_LOCK = threading.Lock()


def _acquire(
    pkcs11: Any, module: str, token: Any, pin: str | Callable[[], str | None] | None
) -> _SharedSession:
    """The process's session on ``token``: a new one, logged in with ``pin`` (tried once), or
    the one already open."""
    key = (os.path.realpath(module), int(token.slot.slot_id), bytes(token.serial))
    with _SESSIONS_LOCK:
        shared = _SESSIONS.get(key)
        if shared is not None:
            shared.users += 1
            return shared
        shared = _SharedSession(key, _log_in(pkcs11, token, pin))
        _SESSIONS[key] = shared
        return shared


def _release(shared: _SharedSession) -> None:
    with _SESSIONS_LOCK:
        shared.users -= 1
        if shared.users > 0:
            return
        _SESSIONS.pop(shared.key, None)
    with shared.lock:
        _close(shared.session)


# --------------------------------------------------------------------------------------------
# Finding the token, logging in, finding the objects


def _find_token(pkcs11: Any, lib: Any, uri: Pkcs11Uri, module: str) -> Any:
    """The one initialised token ``uri`` names."""
    library_checks = (
        (uri.library_manufacturer, lambda: lib.manufacturer_id),
        (uri.library_description, lambda: lib.library_description),
        (uri.library_version, lambda: tuple(lib.library_version)),
    )
    if any(want is not None and want != get() for want, get in library_checks):
        raise TokenError(f"the PKCS#11 module '{module}' is not the one '{uri.text}' names")
    try:
        slots = list(lib.get_slots(token_present=True))
    except pkcs11.PKCS11Error as exc:
        raise TokenError(f"cannot list the slots of '{module}': {_reason(exc)}") from None
    found: list[Any] = []
    labels: list[str] = []
    for slot in slots:
        try:
            token = slot.get_token()
        except pkcs11.PKCS11Error:
            continue
        if not token.flags & pkcs11.TokenFlag.TOKEN_INITIALIZED:
            continue
        labels.append(token.label)
        serial = token.serial.decode("ascii", "replace").strip()
        checks = (
            (uri.token, token.label),
            (uri.manufacturer, token.manufacturer_id),
            (uri.model, token.model),
            (uri.serial, serial),
            (uri.slot_id, slot.slot_id),
            (uri.slot_description, slot.slot_description),
            (uri.slot_manufacturer, slot.manufacturer_id),
        )
        if all(want is None or want == have for want, have in checks):
            found.append(token)
    if not found:
        seen = f"tokens there: {_quote_list(sorted(labels))}" if labels else "it has no token"
        raise TokenError(f"no token matches '{uri.text}' in '{module}' ({seen})")
    if len(found) > 1:
        raise TokenError(
            f"several tokens match '{uri.text}': {_quote_list(sorted(t.label for t in found))}; "
            "name one with token=, serial= or slot-id="
        )
    return found[0]


def _log_in(pkcs11: Any, token: Any, pin: str | Callable[[], str | None] | None) -> Any:
    """A session on ``token``, logged in as the user when the token wants a login; the PIN is
    tried once."""
    flags = token.flags
    label = token.label
    try:
        if not flags & pkcs11.TokenFlag.LOGIN_REQUIRED:
            return token.open()
        if flags & pkcs11.TokenFlag.USER_PIN_LOCKED:
            raise TokenError(f"the user PIN of token '{label}' is locked")
        if flags & pkcs11.TokenFlag.PROTECTED_AUTHENTICATION_PATH and pin is None:
            return token.open(user_pin=pkcs11.PROTECTED_AUTH)
        if callable(pin):
            value = pin()
        elif pin is None:
            answer = read_password_from_console(pin_prompt(label))
            value = None if answer is None else os.fsdecode(answer)
        else:
            value = pin
        if value is None:
            raise TokenError(f"no PIN given for token '{label}'")
        return token.open(user_pin=value)
    except pkcs11.PinIncorrect:
        raise TokenError(
            f"wrong PIN for token '{label}' (not tried again{_tries_left(pkcs11, token)})"
        ) from None
    except pkcs11.PinLocked:
        raise TokenError(f"the user PIN of token '{label}' is locked") from None
    except (pkcs11.PinLenRange, pkcs11.PinInvalid):
        raise TokenError(f"the PIN has a length or characters token '{label}' refuses") from None
    except pkcs11.PKCS11Error as exc:
        raise TokenError(f"cannot log in to token '{label}': {_reason(exc)}") from None


def _tries_left(pkcs11: Any, token: Any) -> str:
    """What the token says of the tries left, after a wrong PIN."""
    try:
        flags = token.slot.get_token().flags
    except pkcs11.PKCS11Error:
        return ""
    if flags & pkcs11.TokenFlag.USER_PIN_LOCKED:
        return "; the PIN is now locked"
    if flags & pkcs11.TokenFlag.USER_PIN_FINAL_TRY:
        return "; one more wrong PIN locks it"
    if flags & pkcs11.TokenFlag.USER_PIN_COUNT_LOW:
        return "; few tries are left"
    return ""


def _template(pkcs11: Any, uri: Pkcs11Uri, object_class: Any) -> dict[Any, Any]:
    template: dict[Any, Any] = {pkcs11.Attribute.CLASS: object_class}
    if uri.object is not None:
        template[pkcs11.Attribute.LABEL] = uri.object
    if uri.id is not None:
        template[pkcs11.Attribute.ID] = uri.id
    return template


def _search(pkcs11: Any, session: Any, template: dict[Any, Any]) -> list[Any]:
    try:
        return list(session.get_objects(template))
    except pkcs11.PKCS11Error as exc:
        raise TokenError(f"cannot search the token: {_reason(exc)}") from None


def _one_object(pkcs11: Any, session: Any, uri: Pkcs11Uri, what: str, label: str) -> Any:
    """The one object of the class ``what`` names that ``uri`` matches."""
    object_class = (
        pkcs11.ObjectClass.PRIVATE_KEY if what == "private key" else pkcs11.ObjectClass.CERTIFICATE
    )
    found = _search(pkcs11, session, _template(pkcs11, uri, object_class))
    if not found:
        raise TokenError(f"no {what} matches '{uri.text}' on token '{label}'")
    if len(found) > 1:
        raise TokenError(
            f"{len(found)} {what}s match '{uri.text}' on token '{label}': name one with "
            "object= (its label) or id="
        )
    return found[0]


def _certificate(pkcs11: Any, obj: Any) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(bytes(obj[pkcs11.Attribute.VALUE]))
    except (ValueError, pkcs11.PKCS11Error) as exc:  # damaged, or the token cannot read it
        raise TokenError(f"a certificate on the token cannot be read: {_reason(exc)}") from exc


def _token_certificate(
    pkcs11: Any, session: Any, key: Any, cert_uri: Pkcs11Uri | None, token: Any
) -> x509.Certificate:
    """The certificate ``cert_uri`` names, else the one with the key's id (else label)."""
    label = token.label
    if cert_uri is not None:
        if cert_uri.token is not None and cert_uri.token != label:
            raise TokenError(
                f"the certificate's URI '{cert_uri.text}' names another token than the key's "
                f"('{label}'): give the certificate as a file"
            )
        return _certificate(pkcs11, _one_object(pkcs11, session, cert_uri, "certificate", label))
    certificate_class = pkcs11.ObjectClass.CERTIFICATE
    key_id = bytes(key.id or b"")
    found: list[Any] = []
    if key_id:
        found = _search(
            pkcs11,
            session,
            {pkcs11.Attribute.CLASS: certificate_class, pkcs11.Attribute.ID: key_id},
        )
    if not found and key.label:
        found = _search(
            pkcs11,
            session,
            {pkcs11.Attribute.CLASS: certificate_class, pkcs11.Attribute.LABEL: key.label},
        )
    if not found:
        raise TokenError(
            f"no certificate with the key's id or label on token '{label}': give the "
            "certificate (a pkcs11: URI or a file)"
        )
    if len(found) > 1:
        raise TokenError(
            f"{len(found)} certificates have the key's id or label on token '{label}': give the "
            "certificate (a pkcs11: URI or a file)"
        )
    return _certificate(pkcs11, found[0])


def _token_chain(
    pkcs11: Any, session: Any, certificate: x509.Certificate
) -> tuple[x509.Certificate, ...]:
    """The token's certificates on the issuer path above ``certificate``, nearest first."""
    others: list[x509.Certificate] = []
    for obj in _search(pkcs11, session, {pkcs11.Attribute.CLASS: pkcs11.ObjectClass.CERTIFICATE}):
        try:
            others.append(x509.load_der_x509_certificate(bytes(obj[pkcs11.Attribute.VALUE])))
        except (ValueError, pkcs11.PKCS11Error):  # cannot be read: not on the path
            continue
    chain: list[x509.Certificate] = []
    current = certificate
    while current.issuer != current.subject:
        issuer = next(
            (c for c in others if c.subject == current.issuer and c not in chain and c != current),
            None,
        )
        if issuer is None:
            break
        chain.append(issuer)
        current = issuer
    return tuple(chain)


def _close(session: Any) -> None:
    """Close a session (logging out first, as python-pkcs11 does), errors ignored."""
    try:
        session.close()
    except RuntimeError:  # python-pkcs11's PKCS11Error: the token may be gone
        return
