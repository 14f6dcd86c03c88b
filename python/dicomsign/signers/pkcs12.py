"""Signing with a key and certificate from a PKCS#12 file (``.p12``, ``.pfx``):
:class:`Pkcs12Signer`.

The file's private key signs; the certificate whose public key is that key's becomes the
signer's certificate, and every other certificate in the file is kept as :attr:`chain` (a
signature holds the signer's certificate only, as DCMTK writes it). Files with modern (PBES2,
AES) and legacy (RC2, 3DES) encryption are read, with or without a password. A file is read
once per password: a wrong password is reported, never tried again.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import pkcs12

from ..exceptions import KeyLoadError, os_reason
from ..pki.certificates import public_key_facts
from .keyfile import SoftwareSigner
from .passwords import read_password_from_console

__all__ = ["PKCS12_PROMPT", "Pkcs12Signer", "load_pkcs12_signer"]

#: The prompt for a PKCS#12 file's password (OpenSSL's ``pkcs12`` asks the same).
PKCS12_PROMPT: Final = "Enter Import Password:"


def _ask_console() -> bytes | None:
    return read_password_from_console(PKCS12_PROMPT)


def _is_pfx(data: bytes) -> bool:
    """True when ``data`` has the outer structure of a PKCS#12 file (PFX, RFC 7292)."""
    from asn1crypto import pkcs12 as asn1_pkcs12

    try:
        pfx = asn1_pkcs12.Pfx.load(data, strict=True)
        pfx["auth_safe"]["content_type"].native  # noqa: B018 - parses the structure
    except (ValueError, TypeError, KeyError, IndexError):  # what asn1crypto raises
        return False
    return True


@dataclass(frozen=True)
class Pkcs12Signer(SoftwareSigner):
    """A :class:`~dicomsign.signers.Signer` over the key and certificates of a PKCS#12 file.

    Attributes
    ----------
    private_key : PrivateKeyTypes
        The file's private key; never shown in ``repr``.
    certificate : cryptography.x509.Certificate
        The certificate of that key.
    chain : tuple of cryptography.x509.Certificate
        The file's other certificates (usually the CA certificates), in the file's order.
    """

    @classmethod
    def from_file(
        cls,
        path: str | os.PathLike[str],
        *,
        password: str | bytes | None = None,
        ask: Callable[[], bytes | None] = _ask_console,
    ) -> Pkcs12Signer:
        """Load a PKCS#12 file.

        Parameters
        ----------
        path : str or os.PathLike
            The file.
        password : str or bytes, optional
            Its password. When None, a file without a password (or with the empty one) is read
            as it is, and for any other ``ask`` is called once.
        ask : callable, optional
            Returns the password, or None when there is none; default: ask on the terminal
            (``Enter Import Password:``), or read a line from standard input.

        Raises
        ------
        KeyLoadError
            One line, exit code 20: ``file cannot be read: while loading PKCS#12 file '<path>'``
            and the reason (the operating system's, ``not a PKCS#12 file``, ``wrong password,
            or the file is damaged``, ``no private key in it``, ``no certificate in it matches
            its private key``).
        """
        path = Path(path)
        head = f"file cannot be read: while loading PKCS#12 file '{path}'"
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise KeyLoadError(f"{head}: {os_reason(exc, path)}") from None
        if not _is_pfx(data):
            raise KeyLoadError(f"{head}: not a PKCS#12 file")
        loaded: pkcs12.PKCS12KeyAndCertificates | None = None
        if password is None:
            for attempt in (None, b""):
                try:
                    loaded = pkcs12.load_pkcs12(data, attempt)
                    break
                except ValueError:
                    continue
            if loaded is None:
                secret = ask()
                if secret is None:
                    raise KeyLoadError(f"{head}: no password given")
                password = secret
        if loaded is None:
            secret = password.encode() if isinstance(password, str) else bytes(password or b"")
            try:
                loaded = pkcs12.load_pkcs12(data, secret)
            except ValueError:
                raise KeyLoadError(f"{head}: wrong password, or the file is damaged") from None
            except UnsupportedAlgorithm:  # an algorithm the OpenSSL build cannot decrypt
                raise KeyLoadError(f"{head}: its encryption is not supported") from None
        key = loaded.key
        if key is None:
            raise KeyLoadError(f"{head}: no private key in it")
        certificates = ([loaded.cert] if loaded.cert is not None else []) + list(
            loaded.additional_certs
        )
        own = public_key_facts(key)
        mine: x509.Certificate | None = None
        chain: list[x509.Certificate] = []
        for entry in certificates:
            cert = entry.certificate
            if mine is None and own.same_key(public_key_facts(cert)):
                mine = cert
            else:
                chain.append(cert)
        if mine is None:
            raise KeyLoadError(f"{head}: no certificate in it matches its private key")
        return cls(key, mine, tuple(chain))


def load_pkcs12_signer(
    path: str | os.PathLike[str],
    *,
    password: str | bytes | None = None,
    ask: Callable[[], bytes | None] = _ask_console,
) -> Pkcs12Signer:
    """Load the signer of a PKCS#12 file: see :meth:`Pkcs12Signer.from_file`."""
    return Pkcs12Signer.from_file(path, password=password, ask=ask)
