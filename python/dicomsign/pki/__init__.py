"""Public-key infrastructure as DCMTK uses it: certificates and their description, names as
OpenSSL prints and compares them, the trust store of ``+cf``/``+uf``/``+cd``/``+cr``, and the
emulation of OpenSSL's chain validation with its revocation seam.

| module | what it holds |
|---|---|
| :mod:`.certificates` | loading certificate files; key class, size, weakness, description |
| :mod:`.names` | ``X509_NAME_oneline``, canonical names, name hashes |
| :mod:`.store` | :class:`TrustStore`: the certificates, CRLs and directories of a run |
| :mod:`.chain` | ``X509_verify_cert`` as DCMTK configures it |
| :mod:`.revocation` | :class:`RevocationChecker`, the protocol of revocation checks |
| :mod:`.crl` | the CRL check of DCMTK's options |
| :mod:`.ocsp` | revocation checked live with OCSP (``dicomsign verify --ocsp``) |
| :mod:`.verify_errors` | OpenSSL's error codes and texts, :class:`ChainResult` |
"""

from __future__ import annotations

from .certificates import (
    CertificateDetails,
    certificate_details,
    describe_public_key,
    format_asn1_time,
    is_weak_key,
    key_bits,
    key_type,
    load_certificate,
    weak_key_warning,
)
from .names import name_hash, name_oneline
from .revocation import RevocationChecker
from .store import TrustStore
from .verify_errors import ChainResult, verify_error_string

__all__ = [
    "CertificateDetails",
    "ChainResult",
    "RevocationChecker",
    "TrustStore",
    "certificate_details",
    "describe_public_key",
    "format_asn1_time",
    "is_weak_key",
    "key_bits",
    "key_type",
    "load_certificate",
    "name_hash",
    "name_oneline",
    "verify_error_string",
    "weak_key_warning",
]
