"""OpenSSL 3.0's certificate verification outcomes: the error codes the chain emulation can
report, their texts (``X509_verify_cert_error_string``), and the result of a verification."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from cryptography import x509

__all__ = [
    "DEFAULT_DEPTH",
    "ERROR_STRINGS",
    "X509_V_ERR_CERT_HAS_EXPIRED",
    "X509_V_OK",
    "ChainFailure",
    "ChainResult",
    "verify_error_string",
]

# OpenSSL 3.0 verification error codes (x509_vfy.h) that this module can report.
X509_V_OK: Final = 0
X509_V_ERR_UNSPECIFIED: Final = 1
X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT: Final = 2
X509_V_ERR_UNABLE_TO_GET_CRL: Final = 3
X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: Final = 6
X509_V_ERR_CERT_SIGNATURE_FAILURE: Final = 7
X509_V_ERR_CRL_SIGNATURE_FAILURE: Final = 8
X509_V_ERR_CERT_NOT_YET_VALID: Final = 9
X509_V_ERR_CERT_HAS_EXPIRED: Final = 10
X509_V_ERR_CRL_NOT_YET_VALID: Final = 11
X509_V_ERR_CRL_HAS_EXPIRED: Final = 12
X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT: Final = 18
X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN: Final = 19
X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY: Final = 20
X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE: Final = 21
X509_V_ERR_CERT_CHAIN_TOO_LONG: Final = 22
X509_V_ERR_CERT_REVOKED: Final = 23
X509_V_ERR_PATH_LENGTH_EXCEEDED: Final = 25
X509_V_ERR_KEYUSAGE_NO_CERTSIGN: Final = 32
X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION: Final = 34
X509_V_ERR_KEYUSAGE_NO_CRL_SIGN: Final = 35
X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION: Final = 36
X509_V_ERR_DIFFERENT_CRL_SCOPE: Final = 44
X509_V_ERR_OCSP_VERIFY_FAILED: Final = 74
X509_V_ERR_OCSP_CERT_UNKNOWN: Final = 75
X509_V_ERR_INVALID_CA: Final = 79

#: ``X509_verify_cert_error_string`` of OpenSSL 3.0 for every code it knows.
ERROR_STRINGS: Final[dict[int, str]] = {
    0: "ok",
    1: "unspecified certificate verification error",
    2: "unable to get issuer certificate",
    3: "unable to get certificate CRL",
    4: "unable to decrypt certificate's signature",
    5: "unable to decrypt CRL's signature",
    6: "unable to decode issuer public key",
    7: "certificate signature failure",
    8: "CRL signature failure",
    9: "certificate is not yet valid",
    10: "certificate has expired",
    11: "CRL is not yet valid",
    12: "CRL has expired",
    13: "format error in certificate's notBefore field",
    14: "format error in certificate's notAfter field",
    15: "format error in CRL's lastUpdate field",
    16: "format error in CRL's nextUpdate field",
    17: "out of memory",
    18: "self-signed certificate",
    19: "self-signed certificate in certificate chain",
    20: "unable to get local issuer certificate",
    21: "unable to verify the first certificate",
    22: "certificate chain too long",
    23: "certificate revoked",
    24: "issuer certificate doesn't have a public key",
    25: "path length constraint exceeded",
    26: "unsuitable certificate purpose",
    27: "certificate not trusted",
    28: "certificate rejected",
    29: "subject issuer mismatch",
    30: "authority and subject key identifier mismatch",
    31: "authority and issuer serial number mismatch",
    32: "key usage does not include certificate signing",
    33: "unable to get CRL issuer certificate",
    34: "unhandled critical extension",
    35: "key usage does not include CRL signing",
    36: "unhandled critical CRL extension",
    37: "invalid non-CA certificate (has CA markings)",
    38: "proxy path length constraint exceeded",
    39: "key usage does not include digital signature",
    40: "proxy certificates not allowed, please set the appropriate flag",
    41: "invalid or inconsistent certificate extension",
    42: "invalid or inconsistent certificate policy extension",
    43: "no explicit policy",
    44: "different CRL scope",
    45: "unsupported extension feature",
    46: "RFC 3779 resource not subset of parent's resources",
    47: "permitted subtree violation",
    48: "excluded subtree violation",
    49: "name constraints minimum and maximum not supported",
    50: "application verification failure",
    51: "unsupported name constraint type",
    52: "unsupported or invalid name constraint syntax",
    53: "unsupported or invalid name syntax",
    54: "CRL path validation error",
    55: "path loop",
    56: "Suite B: certificate version invalid",
    57: "Suite B: invalid public key algorithm",
    58: "Suite B: invalid ECC curve",
    59: "Suite B: invalid signature algorithm",
    60: "Suite B: curve not allowed for this LOS",
    61: "Suite B: cannot sign P-384 with P-256",
    62: "hostname mismatch",
    63: "email address mismatch",
    64: "IP address mismatch",
    65: "no matching DANE TLSA records",
    66: "EE certificate key too weak",
    67: "CA certificate key too weak",
    68: "CA signature digest algorithm too weak",
    69: "invalid certificate verification context",
    70: "issuer certificate lookup error",
    71: "Certificate Transparency required, but no valid SCTs found",
    72: "proxy subject name violation",
    73: "OCSP verification needed",
    74: "OCSP verification failed",
    75: "OCSP unknown cert",
    76: "Cannot find certificate signature algorithm",
    77: "subject signature algorithm and issuer public key algorithm mismatch",
    78: "cert info signature and signature algorithm mismatch",
    79: "invalid CA certificate",
    80: "Path length invalid for non-CA cert",
    81: "Path length given without key usage keyCertSign",
    82: "Key usage keyCertSign invalid for non-CA cert",
    83: "Issuer name empty",
    84: "Subject name empty",
    85: "Missing Authority Key Identifier",
    86: "Missing Subject Key Identifier",
    87: "Empty Subject Alternative Name extension",
    88: "Subject empty and Subject Alt Name extension not critical",
    89: "Basic Constraints of CA cert not marked critical",
    90: "Authority Key Identifier marked critical",
    91: "Subject Key Identifier marked critical",
    92: "CA cert does not include key usage extension",
    93: "Using cert extension requires at least X509v3",
    94: "Certificate public key has explicit ECC parameters",
}

#: Maximum verification depth DCMTK sets (X509_VERIFY_PARAM_set_depth).
DEFAULT_DEPTH: Final = 100


def verify_error_string(code: int) -> str:
    """Return OpenSSL 3.0's ``X509_verify_cert_error_string(code)``."""
    return ERROR_STRINGS.get(code, f"error number {code}")


@dataclass(frozen=True)
class ChainResult:
    """Outcome of :meth:`dicomsign.pki.TrustStore.verify`.

    Attributes
    ----------
    code : int
        OpenSSL's ``X509_V_ERR_*`` code of the first failure, 0 when the chain is valid.
    depth : int
        Chain position of the failing certificate (0 = leaf), -1 when valid.
    chain : tuple[cryptography.x509.Certificate, ...]
        The chain as built, leaf first (the trust anchor last when complete).
    """

    code: int
    depth: int = -1
    chain: tuple[x509.Certificate, ...] = field(default=(), repr=False)

    @property
    def ok(self) -> bool:
        """True when the chain is valid."""
        return self.code == X509_V_OK

    @property
    def error(self) -> str | None:
        """The OpenSSL error string, None when the chain is valid."""
        return None if self.ok else verify_error_string(self.code)

    @property
    def expired_only(self) -> bool:
        """True when the failure is ``certificate has expired`` (DCMTK's timestamp healing)."""
        return self.code == X509_V_ERR_CERT_HAS_EXPIRED


class ChainFailure(Exception):
    """The first verification error, which ends verification (OpenSSL's ``verify_cb`` with
    no callback)."""

    def __init__(self, code: int, depth: int) -> None:
        super().__init__(code)
        self.code = code
        self.depth = depth
