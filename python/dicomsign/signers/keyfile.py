"""Signing with a private key loaded from files: :class:`SoftwareSigner`.

Keys are loaded as DCMTK 3.6.7 (on OpenSSL 3.0) loads them:

* ``-pem`` (default): a private key is the first PEM block holding a private key (traditional,
  PKCS#8, encrypted PKCS#8 or encrypted traditional ``Proc-Type: 4,ENCRYPTED``); the pass
  phrase is asked for only when that block really is encrypted (:mod:`.passwords`).
* ``-der``: one PKCS#8 or traditional private key, never encrypted. Bytes after the DER object
  are ignored, as OpenSSL's BIO readers do.
* Every failure is reported with DCMTK's single text, ``file cannot be read: while loading
  private key file 'x'``.

The digest is signed by the engine (``_core.PrivateKey``), which holds the one rule of DICOM
signatures for every signer: RSA PKCS#1 v1.5 with the DigestInfo of the MAC algorithm, DSA
and ECDSA DER of even length (DCMTK pads odd lengths and cannot always remove the pad).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from .. import _core
from ..exceptions import KeyLoadError, SignatureCreationError
from ..pki.certificates import load_certificate, public_key_facts
from ..vocabulary import KeyType, MacAlgorithm
from .passwords import Password, password_bytes, read_password_from_console

__all__ = ["SoftwareSigner", "check_key_matches_certificate", "load_private_key"]

_KEY_LABELS: Final = frozenset(
    {"PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "RSA PRIVATE KEY", "DSA PRIVATE KEY", "EC PRIVATE KEY"}
)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def load_private_key(
    path: str | os.PathLike[str],
    *,
    der: bool = False,
    password: Password | None = None,
    ask: Callable[[], bytes | None] = read_password_from_console,
) -> PrivateKeyTypes:
    """Load a private key file as ``dcmsign`` does.

    Parameters
    ----------
    path : str or os.PathLike
        The key file.
    der : bool, default False
        ``-der``: the file is one DER private key (PKCS#8 or traditional, never encrypted);
        otherwise PEM.
    password : Password, optional
        Pass phrase source for an encrypted PEM key; default :meth:`Password.prompt`.
    ask : callable, optional
        Returns the pass phrase in prompt mode, or None if there is none; default
        :func:`read_password_from_console`. Called only for an encrypted key.

    Returns
    -------
    PrivateKeyTypes
        The key (any type OpenSSL can read; see :func:`key_type` for what can sign).

    Raises
    ------
    KeyLoadError
        ``file cannot be read: while loading private key file '<path>'`` for a missing or
        unreadable file, garbage, a wrong or missing pass phrase, or a PEM/DER mix-up.
    """
    path = Path(path)
    error = KeyLoadError(f"file cannot be read: while loading private key file '{path}'")
    content = _read(path)
    if content is None:
        raise error
    try:
        # Like OpenSSL's PEM_read_bio_PrivateKey (DCMTK), do not run the RSA key consistency
        # check (tens of milliseconds); the key is checked against its certificate instead.
        if der:
            return serialization.load_der_private_key(
                _core.trim_der(content), None, unsafe_skip_rsa_key_validation=True
            )
        block = next((b for b in _core.pem_blocks(content) if b.label in _KEY_LABELS), None)
        if block is None or block.data is None:
            raise error
        secret: bytes | None = None
        if block.encrypted:
            secret = password_bytes(password or Password.prompt(), ask)
            if secret is None:
                raise error
        return serialization.load_pem_private_key(
            block.text, secret, unsafe_skip_rsa_key_validation=True
        )
    except (ValueError, TypeError, UnicodeError) as exc:
        raise error from exc
    except Exception as exc:  # cryptography raises UnsupportedAlgorithm and Rust panics too
        raise error from exc


def check_key_matches_certificate(key: PrivateKeyTypes, cert: x509.Certificate) -> None:
    """Raise unless ``key`` is the private half of ``cert``'s public key (X509_check_private_key).

    Raises
    ------
    SignatureCreationError
        ``certificate and private key do not match`` (DCMTK appends the location, e.g.
        `` while creating signature in main dataset``; exit 85).
    """
    if not public_key_facts(key).same_key(public_key_facts(cert)):
        raise SignatureCreationError("certificate and private key do not match")


#: The MACs OpenSSL signs RSA digests with here (cryptography has no RIPEMD-160: the engine
#: signs those).
_OPENSSL_HASHES: dict[MacAlgorithm, type[hashes.HashAlgorithm]] = {
    MacAlgorithm.MD5: hashes.MD5,
    MacAlgorithm.SHA1: hashes.SHA1,
    MacAlgorithm.SHA256: hashes.SHA256,
    MacAlgorithm.SHA384: hashes.SHA384,
    MacAlgorithm.SHA512: hashes.SHA512,
}


@dataclass(frozen=True)
class SoftwareSigner:
    """A :class:`~dicomsign.signers.Signer` over a private key held in memory.

    Attributes
    ----------
    private_key : PrivateKeyTypes
        The key; never shown in ``repr``.
    certificate : cryptography.x509.Certificate
        The matching certificate.
    chain : tuple of cryptography.x509.Certificate
        Other certificates that came with the key (a PKCS#12 file's CA certificates), for
        whoever builds the certificate path; a signature holds the signer's certificate only,
        as DCMTK writes it. Empty for key files.
    """

    private_key: PrivateKeyTypes = field(repr=False)
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()

    @property
    def key_type(self) -> KeyType:
        """The certificate's :class:`~dicomsign.vocabulary.KeyType`."""
        return public_key_facts(self.certificate).key_type

    @cached_property
    def _engine_key(self) -> _core.PrivateKey | None:
        """The key as the engine holds it; None for a key the engine cannot sign with."""
        der = self.private_key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            return _core.PrivateKey.from_pkcs8(der)
        except ValueError:
            return None

    def sign_digest(self, algorithm: MacAlgorithm, digest: bytes) -> bytes:
        """Sign a precomputed MAC digest as DCMTK does, in a form DCMTK can verify.

        Raises
        ------
        SignatureCreationError
            For a key that cannot sign DICOM signatures (DCMTK's messages), an RSA key whose
            modulus has an odd number of bytes (DCMTK could never verify its signatures), or
            an elliptic curve the engine cannot sign on (P-192, brainpoolP512r1).
        ValueError
            If ``digest`` does not have the algorithm's length.
        """
        algorithm = MacAlgorithm(algorithm)
        if len(digest) != algorithm.digest_size:
            raise ValueError(
                f"a {algorithm} digest has {algorithm.digest_size} bytes, got {len(digest)}"
            )
        key = self._engine_key
        if key is None:
            facts = public_key_facts(self.private_key)
            if facts.key_type is KeyType.DH:
                # DCMTK accepts DH keys up to the signing call, which then fails.
                raise SignatureCreationError("an OpenSSL call has failed")
            if facts.key_type is KeyType.EC:
                raise SignatureCreationError(
                    f"signing with EC keys on curve {facts.curve} is not supported"
                )
            raise SignatureCreationError(
                "signature algorithm not allowed for the selected security profile"
            )
        if key.odd_modulus:
            bits = key.public_key.bits
            size = (bits + 7) // 8
            raise SignatureCreationError(
                f"RSA key of {bits} bits has an odd modulus length of {size} bytes: DCMTK pads "
                "such signatures and can never verify them; use a key whose size is a "
                "multiple of 16 bits (e.g. 2048 or 3072)"
            )
        prehashed = _OPENSSL_HASHES.get(algorithm)
        if prehashed is not None and isinstance(self.private_key, rsa.RSAPrivateKey):
            # The same bytes as the engine's (PKCS#1 v1.5 is deterministic; a test compares
            # them), about seven times faster with OpenSSL: what a batch spends its time on.
            return self.private_key.sign(digest, padding.PKCS1v15(), utils.Prehashed(prehashed()))
        try:
            return key.sign_digest(algorithm, digest)
        except ValueError as exc:
            raise SignatureCreationError("an OpenSSL call has failed") from exc

    def check_matches(self) -> None:
        """Raise :class:`SignatureCreationError` unless the key matches the certificate."""
        check_key_matches_certificate(self.private_key, self.certificate)

    @classmethod
    def from_files(
        cls,
        key_path: str | os.PathLike[str],
        cert_path: str | os.PathLike[str],
        *,
        der: bool = False,
        password: Password | None = None,
        ask: Callable[[], bytes | None] = read_password_from_console,
    ) -> SoftwareSigner:
        """Load the certificate, then the key (DCMTK's order, so its error comes first).

        The key/certificate match is not checked here: DCMTK reports it later, while creating
        the signature (call :meth:`check_matches`).

        Raises
        ------
        CertificateLoadError, KeyLoadError
            See :func:`~dicomsign.pki.certificates.load_certificate` and
            :func:`load_private_key`.
        """
        certificate = load_certificate(cert_path, der=der)
        key = load_private_key(key_path, der=der, password=password, ask=ask)
        return cls(key, certificate)
