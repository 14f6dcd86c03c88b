"""Signers: whatever holds a signing key, behind one small protocol.

Every signing path (``dcmsign +s``, ``dicomsign sign``, the API) asks a :class:`Signer` for
its certificate and to sign a MAC digest; the private key may never enter the process (a token
or an HSM signs). The implementations:

* :class:`~dicomsign.signers.keyfile.SoftwareSigner`: a key and a certificate loaded from
  files (``dcmsign +s``, :func:`dicomsign.load_signer`);
* :class:`~dicomsign.signers.pkcs12.Pkcs12Signer`: the key and certificates of a PKCS#12 file
  (:func:`load_pkcs12_signer`);
* :class:`dicomsign.signers.pkcs11.Pkcs11Signer`: a key that stays on a PKCS#11 token (the
  extra ``dicomsign[pkcs11]``; import :mod:`dicomsign.signers.pkcs11` to use it).

Besides the protocol, a signer may have ``chain`` (the CA certificates that came with the key;
a signature holds the signer's certificate only, as DCMTK writes it), ``check_matches()``
(raise :class:`~dicomsign.exceptions.SignatureCreationError` unless key and certificate match;
signing calls it first) and ``close()``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from .keyfile import SoftwareSigner, check_key_matches_certificate, load_private_key
from .passwords import PASSWORD_PROMPT, Password, read_password_from_console
from .pkcs12 import Pkcs12Signer, load_pkcs12_signer

if TYPE_CHECKING:
    from cryptography import x509

    from ..vocabulary import KeyType, MacAlgorithm

__all__ = [
    "PASSWORD_PROMPT",
    "Password",
    "Pkcs12Signer",
    "Signer",
    "SoftwareSigner",
    "check_key_matches_certificate",
    "load_pkcs12_signer",
    "load_private_key",
    "read_password_from_console",
]


@runtime_checkable
class Signer(Protocol):
    """Something that signs MAC digests for one certificate (software key, token, HSM)."""

    @property
    def certificate(self) -> x509.Certificate:
        """The signer's certificate, written to Certificate of Signer (0400,0115)."""
        ...

    @property
    def key_type(self) -> KeyType:
        """The key class, which signature profiles check."""
        ...

    def sign_digest(self, algorithm: MacAlgorithm, digest: bytes) -> bytes:
        """Sign ``digest``, computed with the MAC ``algorithm``, in DCMTK's signature format
        (RSA PKCS#1 v1.5 with DigestInfo; DSA and ECDSA DER of even length)."""
        ...
