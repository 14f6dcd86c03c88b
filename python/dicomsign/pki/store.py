"""DCMTK's certificate store: trusted and untrusted certificates, CRLs and OpenSSL hashed
directories, loaded from files as ``dcmsign`` loads them (with its warnings), and the
validation of a signer certificate against them (:mod:`dicomsign.pki.chain`)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from .. import _core
from .chain import ChainCertificate, ChainVerifier
from .crl import Crl, CrlChecker
from .names import name_hash
from .verify_errors import DEFAULT_DEPTH, X509_V_OK, ChainFailure, ChainResult

__all__ = ["CertificateSource", "CrlSource", "TrustStore", "trust_sources"]

_log = logging.getLogger(__name__)


Warn = Callable[[str], None]
T = TypeVar("T")
#: A certificate of the API's trust arguments: a PEM file or a loaded certificate.
CertificateSource = str | os.PathLike[str] | x509.Certificate
#: A CRL of the API's ``crls`` arguments: a PEM file or a loaded CRL.
CrlSource = str | os.PathLike[str] | x509.CertificateRevocationList
_Object = TypeVar("_Object", x509.Certificate, x509.CertificateRevocationList)


def trust_sources(
    value: str | os.PathLike[str] | _Object | Iterable[str | os.PathLike[str] | _Object] | None,
    kind: type[_Object],
    argument: str,
) -> list[str | os.PathLike[str] | _Object]:
    """The files and objects of one of the API's trust arguments: one path (``str`` or
    ``os.PathLike``) or one ``kind`` object, or an iterable of them (a ``str`` is one path,
    never iterated character by character).

    Raises
    ------
    TypeError
        For anything else, e.g. ``bytes`` or a certificate given as a CRL.
    """
    if value is None:
        return []
    items: list[object]
    if isinstance(value, (str, os.PathLike, kind)):
        items = [value]
    elif isinstance(value, (bytes, bytearray, memoryview)) or not isinstance(value, Iterable):
        raise TypeError(
            f"{argument} takes a path (str or os.PathLike) or a {kind.__name__}, or an "
            f"iterable of them, not {type(value).__name__}"
        )
    else:
        items = list(value)
    out: list[str | os.PathLike[str] | _Object] = []
    for item in items:
        if not isinstance(item, (str, os.PathLike, kind)):
            raise TypeError(
                f"{argument} takes paths (str or os.PathLike) or {kind.__name__} objects, "
                f"not {type(item).__name__}"
            )
        out.append(item)
    return out


class _Unloadable(Exception):
    """Why a trust file yields nothing, in words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _decode(block: _core.PemBlock, load: Callable[[bytes], T], kind: str) -> T:
    """The object of a PEM block; a damaged block spoils the whole file, as in OpenSSL."""
    try:
        if block.data is None:
            raise ValueError("bad base64")
        return load(_core.trim_der(block.data))
    except ValueError:
        raise _Unloadable(f"its {block.label} block is not a valid {kind}") from None


class TrustStore:
    """DCMTK's certificate verifier: trusted and untrusted certificates, CRLs and options.

    Parameters
    ----------
    der : bool, default False
        ``-der``: files are DER (one object per file); otherwise PEM.
    warn : callable, optional
        Receives DCMTK's warning for each file that cannot be loaded (default: this
        module's logger).
    trusted_first : bool, default False
        Look for issuers in the trust store before the untrusted certificates. DCMTK replaces
        OpenSSL's default parameters, which turns this off; the ``openssl verify`` command
        has it on. Both reach a valid chain when one exists.
    depth : int, default 100
        Maximum number of intermediate certificates (DCMTK sets 100).
    """

    def __init__(
        self,
        *,
        der: bool = False,
        warn: Warn | None = None,
        trusted_first: bool = False,
        depth: int = DEFAULT_DEPTH,
    ) -> None:
        self.der = der
        self.warn: Warn = warn if warn is not None else _log.warning
        self.trusted_first = trusted_first
        self.depth = depth
        self.crl_check = False
        self._trusted: list[ChainCertificate] = []
        self._untrusted: list[ChainCertificate] = []
        self._crls: list[Crl] = []
        self._directories: list[Path] = []
        self._dir_certs: dict[str, list[ChainCertificate]] = {}
        self._dir_crls: dict[str, list[Crl]] = {}
        #: The chains already judged: (the store's state and the validation time, results by
        #: leaf DER). An archive has few signers: each distinct chain is built once per
        #: second of validation time, not once per file.
        self._judged: tuple[tuple[object, ...], dict[bytes, ChainResult]] = ((), {})

    @classmethod
    def from_options(
        cls,
        *,
        trusted_files: Iterable[str | os.PathLike[str]] = (),
        untrusted_files: Iterable[str | os.PathLike[str]] = (),
        directories: Iterable[str] = (),
        crl_files: Iterable[str | os.PathLike[str]] = (),
        crl_check: bool = False,
        der: bool = False,
        warn: Warn | None = None,
    ) -> TrustStore:
        """Build the store from dcmsign's options, in dcmsign's order and with its warnings.

        ``+cf`` files, then ``+uf``, ``+cd`` and ``+cr``; ``+cl`` is ``crl_check`` (which
        any loaded ``+cr`` file turns on as well).
        """
        store = cls(der=der, warn=warn)
        for path in trusted_files:
            store.add_trusted_file(path)
        for path in untrusted_files:
            store.add_untrusted_file(path)
        for directory in directories:
            store.add_directory(directory)
        for path in crl_files:
            store.add_crl_file(path)
        if crl_check:
            store.crl_check = True
        return store

    # -- loading ---------------------------------------------------------------------------

    def add_sources(
        self,
        *,
        trusted: CertificateSource | Iterable[CertificateSource] | None = None,
        untrusted: CertificateSource | Iterable[CertificateSource] | None = None,
        crls: CrlSource | Iterable[CrlSource] | None = None,
    ) -> None:
        """Add the API's trust arguments: each one path or object, or an iterable of them.

        Unlike ``dcmsign``'s options, every file must load (``strict``): a file that yields
        no certificate, or a CRL file that yields no CRL, raises instead of being skipped
        with a warning. A CRL (file or object) turns the CRL check on.

        Raises
        ------
        TrustFileError
            A file cannot be loaded; the message names it and the reason (exit code 20).
        TypeError
            An argument is neither a path, nor the right object, nor an iterable of them
            (raised before anything is added).
        """
        certificates = trust_sources(trusted, x509.Certificate, "trusted")
        intermediates = trust_sources(untrusted, x509.Certificate, "untrusted")
        revocations = trust_sources(crls, x509.CertificateRevocationList, "crls")
        for cert in certificates:
            if isinstance(cert, x509.Certificate):
                self.add_trusted_certificate(cert)
            else:
                self.add_trusted_file(cert, strict=True)
        for cert in intermediates:
            if isinstance(cert, x509.Certificate):
                self.add_untrusted_certificate(cert)
            else:
                self.add_untrusted_file(cert, strict=True)
        for crl in revocations:
            if isinstance(crl, x509.CertificateRevocationList):
                self.add_crl(crl)
                self.crl_check = True
            else:
                self.add_crl_file(crl, strict=True)

    def add_trusted_certificate(self, cert: x509.Certificate) -> None:
        """Trust ``cert`` (it anchors chains only if it is self-signed)."""
        self._trusted.append(ChainCertificate(cert))

    def add_untrusted_certificate(self, cert: x509.Certificate) -> None:
        """Offer ``cert`` as an untrusted intermediate."""
        self._untrusted.append(ChainCertificate(cert))

    def add_crl(self, crl: x509.CertificateRevocationList) -> None:
        """Add a CRL (does not enable CRL checking by itself)."""
        self._crls.append(Crl(crl))

    def add_trusted_file(self, path: str | os.PathLike[str], *, strict: bool = False) -> bool:
        """``+cf``: trusted certificates (PEM: all certificates and CRLs; DER: one certificate).

        Returns False, after the warning ``unable to load certificate file 'x', ignoring``,
        when the file yields nothing. With ``strict``, a file that yields no certificate
        raises :class:`~dicomsign.exceptions.TrustFileError` instead.
        """
        try:
            certs, crls = self._read_objects(Path(path), crls_too=True)
            if not certs and (strict or not crls):
                raise _Unloadable(
                    self._nothing_found(Path(path), certificate=True, other_found=bool(crls))
                )
        except _Unloadable as exc:
            return self._unloadable("trusted certificate", "certificate", path, exc, strict)
        self._trusted.extend(ChainCertificate(cert) for cert in certs)
        self._crls.extend(Crl(crl) for crl in crls)
        return True

    def add_untrusted_file(self, path: str | os.PathLike[str], *, strict: bool = False) -> bool:
        """``+uf``: untrusted certificates (PEM: all certificates, possibly none; DER: one).

        Returns False, after the warning ``unable to load certificate file 'x', ignoring``,
        when the file cannot be read or parsed. A PEM file without certificates is accepted
        silently, as in DCMTK; with ``strict``, it raises
        :class:`~dicomsign.exceptions.TrustFileError`, as any file that cannot be loaded.
        """
        try:
            certs, _ = self._read_objects(Path(path), crls_too=False)
            if not certs and (strict or self.der):
                raise _Unloadable(
                    self._nothing_found(Path(path), certificate=True, other_found=False)
                )
        except _Unloadable as exc:
            return self._unloadable("untrusted certificate", "certificate", path, exc, strict)
        self._untrusted.extend(ChainCertificate(cert) for cert in certs)
        return True

    def add_directory(self, path: str) -> bool:
        """``+cd``: an OpenSSL hashed directory (``<hash>.<n>`` certificates, ``.r<n>`` CRLs).

        Like OpenSSL, several directories may be joined with ``os.pathsep``, and a missing
        directory is not an error; only an empty path gives the warning ``unable to load
        certificates from directory 'x', ignoring``.
        """
        directories = [Path(part) for part in path.split(os.pathsep) if part]
        if not directories:
            self.warn(f"unable to load certificates from directory '{path}', ignoring")
            return False
        for directory in directories:
            if directory not in self._directories:
                self._directories.append(directory)
        return True

    def add_crl_file(self, path: str | os.PathLike[str], *, strict: bool = False) -> bool:
        """``+cr``: one CRL (the first in a PEM file); enables CRL checking.

        Returns False, after the warning ``unable to load CRL file 'x', ignoring``, when the
        file yields no CRL; the CRL check is then not enabled (as in DCMTK). With ``strict``,
        such a file raises :class:`~dicomsign.exceptions.TrustFileError` instead.
        """
        try:
            crl = self._read_crl(Path(path))
        except _Unloadable as exc:
            return self._unloadable("CRL", "CRL", path, exc, strict)
        self._crls.append(Crl(crl))
        self.crl_check = True
        return True

    def _unloadable(
        self,
        kind: str,
        dcmtk_kind: str,
        path: str | os.PathLike[str],
        exc: _Unloadable,
        strict: bool,
    ) -> bool:
        name = os.fspath(path)
        if strict:
            from ..exceptions import TrustFileError

            raise TrustFileError(f"{kind} file '{name}' not loaded: {exc.reason}", path=name)
        self.warn(f"unable to load {dcmtk_kind} file '{name}', ignoring")
        return False

    def _nothing_found(self, path: Path, *, certificate: bool, other_found: bool) -> str:
        wanted, other = ("certificate", "CRL") if certificate else ("CRL", "certificate")
        if path.stat().st_size == 0:
            return "it is empty"
        if self.der:
            return f"it is not a DER {wanted}"
        if other_found:
            return f"it holds a {other}, no {wanted}"
        return f"it holds no PEM {wanted}"

    def _content(self, path: Path) -> bytes:
        try:
            return path.read_bytes()
        except OSError as exc:
            from ..exceptions import os_reason

            raise _Unloadable(os_reason(exc, path)) from None

    def _read_objects(
        self, path: Path, *, crls_too: bool
    ) -> tuple[list[x509.Certificate], list[x509.CertificateRevocationList]]:
        """The certificates (and, with ``crls_too``, the CRLs) of a file, as DCMTK reads them:
        a damaged object spoils the whole file.

        Raises
        ------
        _Unloadable
            The file cannot be read or holds a damaged object.
        """
        content = self._content(path)
        if self.der:
            try:
                return [x509.load_der_x509_certificate(_core.trim_der(content))], []
            except ValueError:
                raise _Unloadable(
                    self._nothing_found(path, certificate=True, other_found=False)
                ) from None
        certs: list[x509.Certificate] = []
        crls: list[x509.CertificateRevocationList] = []
        for block in _core.pem_blocks(content):
            if block.label in ("CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"):
                certs.append(_decode(block, x509.load_der_x509_certificate, "certificate"))
            elif block.label == "X509 CRL" and crls_too:
                crls.append(_decode(block, x509.load_der_x509_crl, "CRL"))
        return certs, crls

    def _read_crl(self, path: Path) -> x509.CertificateRevocationList:
        """The CRL of a file (the first one of a PEM file).

        Raises
        ------
        _Unloadable
            The file cannot be read or holds no CRL.
        """
        content = self._content(path)
        if self.der:
            try:
                return x509.load_der_x509_crl(_core.trim_der(content))
            except ValueError:
                raise _Unloadable(
                    self._nothing_found(path, certificate=False, other_found=False)
                ) from None
        blocks = _core.pem_blocks(content)
        for block in blocks:
            if block.label == "X509 CRL" and block.data is not None:
                return _decode(block, x509.load_der_x509_crl, "CRL")
        holds_certificate = any("CERTIFICATE" in block.label for block in blocks)
        raise _Unloadable(
            self._nothing_found(path, certificate=False, other_found=holds_certificate)
        )

    def _directory_files(self, digest: str, crl: bool) -> Iterable[Path]:
        for directory in self._directories:
            index = 0
            while True:
                candidate = directory / f"{digest}.{'r' if crl else ''}{index}"
                if not candidate.exists():
                    break
                yield candidate
                index += 1

    def _directory_certs(self, name: x509.Name) -> list[ChainCertificate]:
        digest = name_hash(name)
        if digest not in self._dir_certs:
            found: list[ChainCertificate] = []
            for path in self._directory_files(digest, crl=False):
                try:
                    certs, _ = self._read_objects(path, crls_too=False)
                except _Unloadable:
                    continue
                found.extend(ChainCertificate(cert) for cert in certs)
            self._dir_certs[digest] = found
        return self._dir_certs[digest]

    def _directory_crls(self, name: x509.Name) -> list[Crl]:
        digest = name_hash(name)
        if digest not in self._dir_crls:
            found: list[Crl] = []
            for path in self._directory_files(digest, crl=True):
                try:
                    found.append(Crl(self._read_crl(path)))
                except _Unloadable:
                    continue
            self._dir_crls[digest] = found
        return self._dir_crls[digest]

    # -- lookups ----------------------------------------------------------------------------

    @property
    def untrusted(self) -> Sequence[ChainCertificate]:
        """The untrusted intermediates, in the order they were added."""
        return self._untrusted

    def trusted_issuers(self, cert: ChainCertificate) -> list[ChainCertificate]:
        """Trusted certificates whose subject is ``cert``'s issuer (store first, then dirs)."""
        found = [c for c in self._trusted if c.subject == cert.issuer]
        if found or not self._directories:
            return found
        return [c for c in self._directory_certs(cert.cert.issuer) if c.subject == cert.issuer]

    def crls_for(self, cert: ChainCertificate) -> list[Crl]:
        """The CRLs whose issuer is ``cert``'s issuer (the store's, then those found in the
        hashed directories)."""
        crls = [c for c in self._crls if c.issuer == cert.issuer]
        if self._directories:
            seen = {c.der for c in crls}
            for crl in self._directory_crls(cert.cert.issuer):
                if crl.issuer == cert.issuer and crl.der not in seen:
                    crls.append(crl)
        return crls

    # -- verification -------------------------------------------------------------------------

    def verify_chain(self, leaf: x509.Certificate, at: datetime | None = None) -> str | None:
        """Validate ``leaf`` like DCMTK: None if fine, else OpenSSL's error string.

        Parameters
        ----------
        leaf : cryptography.x509.Certificate
            The signer certificate.
        at : datetime, optional
            The time to validate at (aware, or naive UTC); default now.

        Returns
        -------
        str | None
            E.g. ``"unable to get local issuer certificate"``, ``"certificate has expired"``.
        """
        return self.verify(leaf, at).error

    def verify(self, leaf: x509.Certificate, at: datetime | None = None) -> ChainResult:
        """Validate ``leaf`` like OpenSSL's ``X509_verify_cert``; see :class:`ChainResult`."""
        moment = datetime.now(UTC) if at is None else at
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        now = int(moment.timestamp())
        state = (
            now,
            self.crl_check,
            self.trusted_first,
            self.depth,
            len(self._trusted),
            len(self._untrusted),
            len(self._crls),
            len(self._directories),
        )
        if self._judged[0] != state:
            self._judged = (state, {})
        key = leaf.public_bytes(serialization.Encoding.DER)
        known = self._judged[1].get(key)
        if known is None:
            known = self._judged[1][key] = self._build_and_verify(leaf, now)
        return known

    def _build_and_verify(self, leaf: x509.Certificate, now: int) -> ChainResult:
        chain: list[ChainCertificate] = [ChainCertificate(leaf)]
        verifier = ChainVerifier(
            self,
            depth=self.depth,
            revocation=CrlChecker(self) if self.crl_check else None,
            trusted_first=self.trusted_first,
        )
        try:
            verifier.verify(chain, now)
        except ChainFailure as failure:
            return ChainResult(failure.code, failure.depth, tuple(c.cert for c in chain))
        return ChainResult(X509_V_OK, -1, tuple(c.cert for c in chain))
