"""Signature primitives over a precomputed MAC digest, as DCMTK ``dcmsign`` uses them.

DICOM names the MAC algorithm (``RIPEMD160``, ``SHA1``, ``MD5``, ``SHA256``, ``SHA384``,
``SHA512``); the digest of the MAC byte stream is computed elsewhere (in Rust) and only the
finished digest reaches this module. The signature formats are those of DCMTK:

* RSA: RSASSA-PKCS1-v1_5 with the DigestInfo of the MAC algorithm; the signature is as long as
  the modulus.
* DSA and ECDSA: the DER ``SEQUENCE { INTEGER r, INTEGER s }`` over the raw digest. DCMTK pads
  an odd-length DER with one ``0x00`` byte and, when verifying, removes the pad only for some DER
  length forms, so :func:`sign_digest` re-signs until the DER length is even and
  :func:`verify_digest` trims the pad for every length form.
"""

from __future__ import annotations

import warnings
from typing import Final

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dh, dsa, ec, padding, rsa, utils
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes
from cryptography.utils import CryptographyDeprecationWarning

from .exceptions import SignatureCreationError

__all__ = [
    "MAC_ALGORITHMS",
    "RIPEMD160",
    "digest_size",
    "hash_algorithm",
    "sign_digest",
    "trim_der",
    "verify_digest",
]

# Finite-field DH is deprecated in newer cryptography releases: look the class up once, quietly.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", CryptographyDeprecationWarning)
    _DH_PRIVATE_KEY: Final = dh.DHPrivateKey

#: Number of attempts at an even-length DSA/ECDSA signature before giving up. Each attempt
#: succeeds with probability of about one half, so this bound is never reached in practice.
_MAX_SIGN_ATTEMPTS: Final = 64


class RIPEMD160(hashes.HashAlgorithm):
    """RIPEMD-160, which :mod:`cryptography` does not export, for use with ``Prehashed``.

    OpenSSL looks digests up by name, so a :class:`~cryptography.hazmat.primitives.hashes.
    HashAlgorithm` named ``ripemd160`` is enough to sign and verify a precomputed RIPEMD-160
    digest with RSA (DigestInfo), DSA and ECDSA.
    """

    name = "ripemd160"
    digest_size = 20
    block_size = 64


_HASHES: Final[dict[str, type[hashes.HashAlgorithm]]] = {
    "RIPEMD160": RIPEMD160,
    "SHA1": hashes.SHA1,
    "MD5": hashes.MD5,
    "SHA256": hashes.SHA256,
    "SHA384": hashes.SHA384,
    "SHA512": hashes.SHA512,
}

#: The MAC algorithm defined terms of DICOM (0400,0015), in DCMTK's option order.
MAC_ALGORITHMS: Final[tuple[str, ...]] = tuple(_HASHES)


def hash_algorithm(mac_name: str) -> hashes.HashAlgorithm:
    """Return the :mod:`cryptography` hash object for a DICOM MAC algorithm name.

    Parameters
    ----------
    mac_name : str
        One of :data:`MAC_ALGORITHMS` (exact, upper case, as stored in DICOM).

    Returns
    -------
    cryptography.hazmat.primitives.hashes.HashAlgorithm
        A fresh hash algorithm instance.

    Raises
    ------
    ValueError
        If the name is not one of the six DICOM MAC algorithms.
    """
    try:
        return _HASHES[mac_name]()
    except KeyError:
        raise ValueError(f"unknown MAC algorithm {mac_name!r}") from None


def digest_size(mac_name: str) -> int:
    """Return the digest length in bytes of a DICOM MAC algorithm."""
    return hash_algorithm(mac_name).digest_size


def _check_digest(mac_name: str, digest: bytes) -> hashes.HashAlgorithm:
    algorithm = hash_algorithm(mac_name)
    if len(digest) != algorithm.digest_size:
        raise ValueError(
            f"a {mac_name} digest has {algorithm.digest_size} bytes, got {len(digest)}"
        )
    return algorithm


def trim_der(data: bytes) -> bytes:
    """Cut ``data`` to the length of its outer DER TLV, dropping any trailing pad bytes.

    DICOM stores signatures and certificates in OB elements, which DCMTK pads to an even
    length with a ``0x00`` byte; strict DER parsers reject that byte. Short-form and every
    long-form length are handled. Data that is not a definite-length TLV, or that is
    shorter than its declared length, is returned unchanged so that the parser reports it.

    Parameters
    ----------
    data : bytes
        A DER encoding, possibly followed by padding.

    Returns
    -------
    bytes
        ``data`` up to the end of its first TLV.
    """
    size = len(data)
    if size < 2:
        return data
    pos = 1
    if data[0] & 0x1F == 0x1F:  # high tag number form: continuation bytes have bit 8 set
        while pos < size and data[pos] & 0x80:
            pos += 1
        pos += 1
    if pos >= size:
        return data
    first = data[pos]
    pos += 1
    if first < 0x80:
        length = first
    elif first == 0x80 or first == 0xFF:  # indefinite form (not DER) or reserved
        return data
    else:
        count = first & 0x7F
        if pos + count > size:
            return data
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    end = pos + length
    if end > size:
        return data
    return data[:end]


def sign_digest(key: PrivateKeyTypes, mac_name: str, digest: bytes) -> bytes:
    """Sign a precomputed MAC digest the way DCMTK does, in a form DCMTK can verify.

    Parameters
    ----------
    key : RSAPrivateKey | DSAPrivateKey | EllipticCurvePrivateKey
        The signer's private key.
    mac_name : str
        The DICOM MAC algorithm that produced ``digest`` (see :data:`MAC_ALGORITHMS`).
    digest : bytes
        The digest of the MAC byte stream.

    Returns
    -------
    bytes
        The signature: PKCS#1 v1.5 for RSA (modulus length), DER for DSA/ECDSA, always of even
        length so that no pad byte is ever needed.

    Raises
    ------
    SignatureCreationError
        If the key type cannot sign DICOM signatures, or if it is an RSA key whose modulus
        has an odd number of bytes (DCMTK could never verify such a signature).
    ValueError
        If ``mac_name`` is unknown or ``digest`` has the wrong length.
    """
    algorithm = _check_digest(mac_name, digest)
    prehashed = utils.Prehashed(algorithm)
    try:
        if isinstance(key, rsa.RSAPrivateKey):
            modulus_bytes = (key.key_size + 7) // 8
            if modulus_bytes % 2:
                raise SignatureCreationError(
                    f"RSA key of {key.key_size} bits has an odd modulus length of "
                    f"{modulus_bytes} bytes: DCMTK pads such signatures and can never verify "
                    "them; use a key whose size is a multiple of 16 bits (e.g. 2048 or 3072)"
                )
            return key.sign(digest, padding.PKCS1v15(), prehashed)
        if isinstance(key, dsa.DSAPrivateKey | ec.EllipticCurvePrivateKey):
            for _ in range(_MAX_SIGN_ATTEMPTS):
                if isinstance(key, dsa.DSAPrivateKey):
                    signature = key.sign(digest, prehashed)
                else:
                    signature = key.sign(digest, ec.ECDSA(prehashed))
                if len(signature) % 2 == 0:
                    return signature
            raise SignatureCreationError("could not produce an even-length DSA/ECDSA signature")
    except UnsupportedAlgorithm as exc:
        raise SignatureCreationError("an OpenSSL call has failed") from exc
    if isinstance(key, _DH_PRIVATE_KEY):
        # DCMTK accepts DH keys up to the signing call, which then fails.
        raise SignatureCreationError("an OpenSSL call has failed")
    raise SignatureCreationError(
        "signature algorithm not allowed for the selected security profile"
    )


def verify_digest(
    public_key: PublicKeyTypes, mac_name: str, digest: bytes, signature: bytes
) -> bool:
    """Check a DICOM signature over a precomputed MAC digest.

    More lenient than DCMTK about padding: a DSA/ECDSA signature is trimmed to its DER length
    whatever the length form, and an RSA signature one byte longer than the modulus is accepted
    when that byte is a ``0x00`` pad.

    Parameters
    ----------
    public_key : RSAPublicKey | DSAPublicKey | EllipticCurvePublicKey
        The key from the signer's certificate.
    mac_name : str
        The DICOM MAC algorithm (see :data:`MAC_ALGORITHMS`).
    digest : bytes
        The digest of the MAC byte stream.
    signature : bytes
        The stored Signature (0400,0120) value, possibly padded.

    Returns
    -------
    bool
        True if the signature is valid. False if it is invalid, malformed, or the key type
        cannot carry DICOM signatures.

    Raises
    ------
    ValueError
        If ``mac_name`` is unknown or ``digest`` has the wrong length.
    """
    algorithm = _check_digest(mac_name, digest)
    prehashed = utils.Prehashed(algorithm)
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            modulus_bytes = (public_key.key_size + 7) // 8
            if len(signature) == modulus_bytes + 1 and signature[-1] == 0:
                signature = signature[:-1]
            public_key.verify(signature, digest, padding.PKCS1v15(), prehashed)
            return True
        if isinstance(public_key, dsa.DSAPublicKey):
            public_key.verify(trim_der(signature), digest, prehashed)
            return True
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(trim_der(signature), digest, ec.ECDSA(prehashed))
            return True
    except (InvalidSignature, UnsupportedAlgorithm, ValueError):
        return False
    return False
