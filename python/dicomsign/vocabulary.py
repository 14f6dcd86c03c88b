"""The library's vocabulary: one enum per concept, shared by the API, both command lines and
the Rust engine (which accepts and returns these members, see ``rust/src/py/vocabulary.rs``).

Every enum is a :class:`~enum.StrEnum`, so a member equals its value and plain strings are
accepted wherever a member is: ``sign(..., algorithm="SHA256")`` is
``sign(..., algorithm=MacAlgorithm.SHA256)``.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "KeyType",
    "MacAlgorithm",
    "OcspMode",
    "Outcome",
    "Profile",
    "ReadMode",
    "ReadTransferSyntax",
    "TimestampPolicy",
    "ValidationTime",
    "ValueRule",
    "VerificationPolicy",
    "WriteTransferSyntax",
]


class MacAlgorithm(StrEnum):
    """The MAC algorithm of a signature: the Defined Terms of MAC Algorithm (0400,0015).

    DCMTK's ``dcmsign`` signs with RIPEMD-160 unless told otherwise (``+mr``); the library
    defaults to SHA-256.
    """

    RIPEMD160 = "RIPEMD160"
    SHA1 = "SHA1"
    MD5 = "MD5"
    SHA256 = "SHA256"
    SHA384 = "SHA384"
    SHA512 = "SHA512"

    @property
    def digest_size(self) -> int:
        """The length of a digest in bytes."""
        from ._core import digest_size

        return digest_size(self)

    @property
    def weak(self) -> bool:
        """True for MD5 and SHA-1, which are broken for signatures ("not recommended")."""
        return self in (MacAlgorithm.MD5, MacAlgorithm.SHA1)


class ValueRule(StrEnum):
    """Which DCMTK release's value normalization a MAC stream uses (dcmsign-behaviour.md §1.3).

    DCMTK 3.6 and 3.7 strip trailing padding of string values differently; a value on which
    they disagree gives two different MACs. New signatures use the 3.7 rule on values that both
    releases read alike; verification tries the 3.6 rule, then the 3.7 rule.
    """

    DCMTK_3_6 = "3.6"
    DCMTK_3_7 = "3.7"


class ReadMode(StrEnum):
    """What an input is: ``+f`` a file or a bare dataset, ``+fo`` a file, ``-f`` a dataset."""

    AUTO = "auto"
    FILE_ONLY = "file"
    DATASET = "dataset"


class ReadTransferSyntax(StrEnum):
    """How the dataset's transfer syntax is found: ``-t=`` from the meta header, else detected;
    ``-td`` always detected; ``-te``, ``-tb``, ``-ti`` given (bare datasets only)."""

    AUTO = "auto"
    DETECT = "detect"
    LITTLE_ENDIAN_EXPLICIT = "little"
    BIG_ENDIAN_EXPLICIT = "big"
    LITTLE_ENDIAN_IMPLICIT = "implicit"


class WriteTransferSyntax(StrEnum):
    """The transfer syntax of a written file: ``+t=`` the input's, ``+te``, ``+tb``, ``+ti``."""

    SAME = "same"
    LITTLE_ENDIAN_EXPLICIT = "little"
    BIG_ENDIAN_EXPLICIT = "big"
    LITTLE_ENDIAN_IMPLICIT = "implicit"


class Profile(StrEnum):
    """The signature profiles of ``-pf``, ``+pb``, ``+pc``, ``+pa``, ``+pr`` and ``+pv``."""

    NONE = "none"
    BASE_RSA = "base-rsa"
    CREATOR_RSA = "creator-rsa"
    AUTHORIZATION_RSA = "authorization-rsa"
    SR_RSA = "sr-rsa"
    SR_RSA_VERIFICATION = "sr-rsa-verification"


class VerificationPolicy(StrEnum):
    """When verification fails for lack of signatures (``+rv``, ``+rg``, ``+rc``, ``+ru``,
    ``+rs``)."""

    IF_PRESENT = "if-present"
    REQUIRE = "require"
    CREATOR = "creator"
    AUTHORIZATION = "authorization"
    SR = "sr"


class TimestampPolicy(StrEnum):
    """What to do with certified timestamps (``+tv``, ``-tv``, ``+tr``)."""

    VERIFY = "verify"
    IGNORE = "ignore"
    REQUIRE = "require"


class OcspMode(StrEnum):
    """How the signer certificate's revocation is checked live with OCSP (``--ocsp``).

    Off by default: nothing is fetched unless asked. The modes differ only when the status
    cannot be had (see :mod:`dicomsign.pki.ocsp` for the table):

    - ``soft-fail``: only a certificate the responder reports revoked fails;
    - ``hard-fail``: a certificate whose status cannot be had fails too (responder down,
      ``unknown``, a response that fails a check); one that names no responder passes;
    - ``require``: as ``hard-fail``, and a certificate without a responder fails as well.
    """

    OFF = "off"
    SOFT_FAIL = "soft-fail"
    HARD_FAIL = "hard-fail"
    REQUIRE = "require"


class ValidationTime(StrEnum):
    """When the signer's certificate chain is judged (``--validation-time``; OpenSSL's
    ``-attime``, pyHanko's validation time).

    - ``now`` (default, DCMTK's): now; a verified timestamp heals a certificate that has
      expired since (DCMTK's "extends validity period of expired signature");
    - ``claimed``: the signing time the signature claims (Digital Signature DateTime), which
      nothing proves;
    - ``timestamp``: the genTime of the signature's verified certified timestamp, else now.

    Whatever the choice, a verified timestamp's genTime is the time the signature is proven
    to have existed: an OCSP revocation after it (not for a key compromise) does not
    invalidate the signature.
    """

    NOW = "now"
    CLAIMED = "claimed"
    TIMESTAMP = "timestamp"


class KeyType(StrEnum):
    """DCMTK's key classes (``E_KeyType``): the public key algorithm of a certificate.

    RSA-PSS, Ed25519, Ed448, X25519, X448, X9.42 DH and anything else are :attr:`NONE`, which
    no signature profile accepts. :attr:`DH` passes the "no profile" check in DCMTK but
    cannot sign ("an OpenSSL call has failed").
    """

    NONE = "none"
    RSA = "RSA"
    DSA = "DSA"
    DH = "DH"
    EC = "EC"


class Outcome(StrEnum):
    """The verdict on one signature by itself, before its certificate chain is checked: the
    first of DCMTK's checks that fails (dcmsign-behaviour.md §6.2, step 3), or :attr:`VALID`.
    """

    NO_MAC_PARAMETERS = "no-mac-parameters"
    NO_CERTIFICATE = "no-certificate"
    UNSUPPORTED_TRANSFER_SYNTAX = "unsupported-transfer-syntax"
    UNSUPPORTED_ALGORITHM = "unsupported-algorithm"
    BAD_DATA_ELEMENTS_SIGNED = "bad-data-elements-signed"
    NO_SIGNATURE = "no-signature"
    UNSIGNABLE = "unsignable"
    STREAM_ERROR = "stream-error"
    CORRUPTED = "corrupted"
    EXPIRED_AT_SIGNING = "expired-at-signing"
    NOT_YET_VALID_AT_SIGNING = "not-yet-valid-at-signing"
    VALID = "valid"
