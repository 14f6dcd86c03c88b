"""Typed results of the public API: what a signature is, how its verification ended."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from .exceptions import InvalidSignature, NoSignaturesError, PolicyError
from .exitcodes import ExitCode

if TYPE_CHECKING:
    from datetime import datetime
    from datetime import datetime as DateTime  # SignatureInfo has a field named datetime

    from cryptography import x509

__all__ = [
    "RevocationInfo",
    "RevocationState",
    "SignatureInfo",
    "SignatureStatus",
    "TimestampInfo",
    "TimestampStatus",
    "VerificationReport",
]


class SignatureStatus(StrEnum):
    """The outcome of verifying one signature."""

    #: The MAC and signature are correct and the certificate chain is trusted.
    VALID = "valid"
    #: The signed data, the signature attributes or the signature itself are wrong or missing.
    CORRUPTED = "corrupted"
    #: The signature is correct but the certificate is not trusted (no path to a trust anchor).
    UNTRUSTED = "untrusted"
    #: The certificate had expired (at signing time, or now without a healing timestamp).
    EXPIRED = "expired"
    #: The certificate was not yet valid at signing time (or is not yet valid now).
    NOT_YET_VALID = "not-yet-valid"
    #: The certificate is revoked: by a CRL in the trust store, or by its OCSP responder.
    REVOKED = "revoked"
    #: The signature and the chain are correct, but the certificate's revocation status
    #: could not be had and the OCSP mode demands it (``hard-fail``, ``require``).
    REVOCATION_UNKNOWN = "revocation-unknown"
    #: The signature and the chain are correct, but the signature breaks the run's signing
    #: and verification policy (a forbidden MAC, a small key, no timestamp where required).
    POLICY_VIOLATION = "policy-violation"
    #: The signature is correct and valid thanks to a verified certified timestamp: its
    #: certificate has expired, or was revoked (not for a key compromise), after the
    #: timestamp's genTime (long-term validation).
    VALID_BY_TIMESTAMP = "valid-by-timestamp"

    @property
    def ok(self) -> bool:
        """True for :attr:`VALID` and :attr:`VALID_BY_TIMESTAMP`."""
        return self is SignatureStatus.VALID or self is SignatureStatus.VALID_BY_TIMESTAMP


class RevocationState(StrEnum):
    """What a live revocation check (OCSP) learnt about a certificate."""

    #: The responder vouches that the certificate is not revoked.
    GOOD = "good"
    #: The responder reports the certificate revoked.
    REVOKED = "revoked"
    #: The responder does not know the certificate (OCSP ``unknown``).
    UNKNOWN = "unknown"
    #: No valid answer: the responder cannot be reached, timed out, answered with an error
    #: status (``tryLater``...), or its response failed one of the checks (signer not
    #: authorised, signature, certificate ID, nonce, freshness).
    UNAVAILABLE = "unavailable"
    #: Nothing to ask: the certificate names no OCSP responder (Authority Information Access)
    #: and none was given, or it is self-signed.
    NO_RESPONDER = "no-responder"


@dataclass(frozen=True)
class RevocationInfo:
    """The live revocation check of a signer certificate (OCSP).

    Attributes
    ----------
    state : RevocationState
        What was learnt.
    method : str
        ``"ocsp"``.
    responder : str or None
        The responder's URL, when there was one to ask.
    reason : str or None
        For a revoked certificate: the CRL reason as RFC 5280 names it (``keyCompromise``,
        ``superseded``...); None when the responder gives none.
    revoked_at : datetime or None
        For a revoked certificate: when it was revoked (UTC).
    detail : str or None
        Why the status is unknown or unavailable, in one line.
    this_update, next_update : datetime or None
        The validity of the response (UTC), when one was accepted.
    """

    state: RevocationState
    method: str = "ocsp"
    responder: str | None = None
    reason: str | None = None
    revoked_at: datetime | None = None
    detail: str | None = None
    this_update: datetime | None = None
    next_update: datetime | None = None


class TimestampStatus(StrEnum):
    """What became of a signature's certified timestamp."""

    #: The token verified: its CMS signature, the TSA's chain (timeStamping purpose), the
    #: imprint of the signature, genTime within the TSA's and the signer's validity.
    VALID = "valid"
    #: The token was verified and failed (``message`` says why).
    INVALID = "invalid"
    #: Present and readable, not verified: the timestamp policy ignores timestamps, or the
    #: signature failed before its timestamp was looked at.
    NOT_VERIFIED = "not-verified"
    #: Present but not readable as an RFC 3161 token (or of another type than ``CMS_TSP``).
    UNREADABLE = "unreadable"


@dataclass(frozen=True)
class TimestampInfo:
    """The certified timestamp of a signature (RFC 3161 token in (0400,0310)).

    Attributes
    ----------
    status : TimestampStatus
        Valid, invalid, not verified or unreadable.
    gen_time : datetime or None
        When the TSA says the signature existed (UTC).
    tsa : str or None
        The TSA: its certificate's subject (OpenSSL's one-line form) when the token holds
        it, else the token's TSA name.
    policy : str or None
        The TSA policy (dotted OID).
    hash_algorithm : str or None
        The imprint's hash as OpenSSL names it (``sha256``).
    serial_number : int or None
        The TSA's serial number of the token.
    message : str or None
        Why the token is invalid or unreadable.
    """

    status: TimestampStatus
    gen_time: datetime | None = None
    tsa: str | None = None
    policy: str | None = None
    hash_algorithm: str | None = None
    serial_number: int | None = None
    message: str | None = None


@dataclass(frozen=True)
class SignatureInfo:
    """One digital signature of a dataset, as found (and, after verification, judged).

    Attributes
    ----------
    number : int
        1-based position in DCMTK's visiting order (nested items first, main dataset last).
    uid : str or None
        Digital Signature UID (0400,0100).
    location : str
        ``"Main Dataset"`` or an item path such as ``"ReferencedImageSequence[0]"``.
    container : tuple of (int, int)
        The same location as (sequence tag, item index) pairs.
    mac_id : int or None
        MAC ID Number (0400,0005).
    mac_algorithm : str or None
        MAC Algorithm (0400,0015), e.g. ``"SHA256"``.
    mac_transfer_syntax : str or None
        MAC Calculation Transfer Syntax UID (0400,0010).
    signed_tags : tuple of int
        Data Elements Signed (0400,0020) in dataset order.
    datetime : str or None
        Digital Signature DateTime (0400,0105) as stored.
    purpose : str or None
        Code Value of the Digital Signature Purpose Code Sequence, e.g. ``"5"``.
    signer : str or None
        Subject of the signer's certificate in OpenSSL's one-line form.
    certificate : cryptography.x509.Certificate or None
        The signer's certificate, when readable.
    status : SignatureStatus or None
        The verification outcome; None when the signature was only listed.
    message : str
        DCMTK's text for the outcome (``"OK"`` or the failure reason).
    value_rule : str or None
        ``"3.6"`` or ``"3.7"``: which DCMTK release's value normalization made the MAC match.
    has_timestamp : bool
        True when a Certified Timestamp is present.
    revocation : RevocationInfo or None
        The live revocation check of the signer certificate (OCSP); None when none ran
        (OCSP off, or the signature failed before).
    timestamp : TimestampInfo or None
        The certified timestamp; None when the signature has none.
    validated_at : datetime or None
        The time the signer's certificate chain was judged at, when not now
        (``validation_time``: the claimed signing time, a timestamp's genTime, a given time).
    """

    number: int
    uid: str | None
    location: str
    container: tuple[tuple[int, int], ...]
    mac_id: int | None
    mac_algorithm: str | None
    mac_transfer_syntax: str | None
    signed_tags: tuple[int, ...]
    datetime: str | None
    purpose: str | None
    signer: str | None = None
    certificate: x509.Certificate | None = field(default=None, compare=False, repr=False)
    status: SignatureStatus | None = None
    message: str = ""
    value_rule: str | None = None
    has_timestamp: bool = False
    revocation: RevocationInfo | None = None
    timestamp: TimestampInfo | None = None
    validated_at: DateTime | None = None


@dataclass(frozen=True)
class VerificationReport:
    """The verification of every signature of a dataset and the policy decision.

    Attributes
    ----------
    signatures : tuple of SignatureInfo
        Every signature in DCMTK's order, with its status.
    exit_code : ExitCode
        DCMTK's exit code for this outcome (0, 100, 101 or 102).
    error : str or None
        The policy error message DCMTK prints for exit codes 100 and 102.
    skipped : int
        Digital Signatures Sequences ignored inside Original Attributes Sequence.
    """

    signatures: tuple[SignatureInfo, ...]
    exit_code: ExitCode
    error: str | None = None
    skipped: int = 0

    @property
    def ok(self) -> bool:
        """True when the verification passed (exit code 0)."""
        return self.exit_code == ExitCode.NO_ERROR

    @property
    def corrupted(self) -> int:
        """Number of signatures that did not verify."""
        return sum(1 for s in self.signatures if s.status is None or not s.status.ok)

    def raise_for_status(self) -> None:
        """Raise the exception matching a failed verification; do nothing when it passed.

        Raises
        ------
        NoSignaturesError
            The policy requires a signature and there is none (exit code 100).
        PolicyError
            No signature fulfils the required profile (exit code 102).
        InvalidSignature
            At least one signature did not verify (exit code 101).
        """
        if self.exit_code == ExitCode.NO_SIGNATURES_PRESENT:
            raise NoSignaturesError(self.error or "no signatures found")
        if self.exit_code == ExitCode.SIGNATURE_VERIFICATION_POLICY:
            raise PolicyError(self.error or "signature policy not fulfilled")
        if self.exit_code != ExitCode.NO_ERROR:
            bad = [s for s in self.signatures if s.status is None or not s.status.ok]
            detail = "; ".join(f"signature #{s.number} {s.uid}: {s.message}" for s in bad)
            raise InvalidSignature(detail or "signature verification failed")
