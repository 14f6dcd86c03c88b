"""Certified timestamps: RFC 3161 tokens in Certified Timestamp (0400,0310), type ``CMS_TSP``.

| module | what |
|---|---|
| :mod:`.query` | the timestamp query (``TimeStampReq``) DCMTK's ``+ts`` writes |
| :mod:`.reply` | loading a query and a response; DCMTK's consistency checks of ``+t`` |
| :mod:`.verify` | reading a token from a signature and verifying it (``+tv``/``+tr``) |
| :mod:`.uidfile` | the UID file that names the signature a query belongs to |

:func:`judge_timestamp` is the timestamp step of a signature's verification under the policy
of ``+tv`` (verify if present), ``-tv`` (ignore) or ``+tr`` (require), as DCMTK takes it
(dcmsign-behaviour.md §7.3): only for a signature that passed, or that failed only because its
certificate has expired now, which a valid timestamp made while the certificate was valid
"heals".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..vocabulary import TimestampPolicy
from .verify import TimestampToken, TimestampVerification, read_token, verify_token

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cryptography import x509

    from ..pki import TrustStore

__all__ = [
    "ABSENT_BUT_REQUIRED",
    "HEALED",
    "TimestampJudgement",
    "TimestampToken",
    "TimestampVerification",
    "judge_timestamp",
    "read_token",
    "verify_token",
]

#: DCMTK's message for a signature without a timestamp under ``+tr``.
ABSENT_BUT_REQUIRED = "certified timestamp absent, but required by timestamp policy"
#: DCMTK's verdict on a valid timestamp of a signature whose certificate has expired.
HEALED = "OK, extends validity period of expired signature."
#: The prefix of DCMTK's verdict on a timestamp that does not verify.
FAILED = "timestamp signature verification failed: "


@dataclass(frozen=True)
class TimestampJudgement:
    """What the timestamp step says about a signature.

    Attributes
    ----------
    policy : TimestampPolicy
        ``+tv``, ``-tv`` or ``+tr``.
    token : TimestampToken or None
        The readable token, when present.
    verification : TimestampVerification or None
        The token's verification, when the policy asked for it.
    expired : bool
        The signer's certificate has expired (the signature failed only for that).
    """

    policy: TimestampPolicy
    token: TimestampToken | None
    verification: TimestampVerification | None
    expired: bool = False

    @property
    def healed(self) -> bool:
        """A valid timestamp extends the validity of the expired signer certificate."""
        return self.expired and self.verification is not None and self.verification.ok

    @property
    def absent_but_required(self) -> bool:
        """``+tr`` and no readable token."""
        return self.token is None and self.policy is TimestampPolicy.REQUIRE

    @property
    def result(self) -> str | None:
        """The text of DCMTK's ``Timestamp Verification`` line, when it prints one."""
        v = self.verification
        if v is None:
            return None
        if v.ok:
            return HEALED if self.expired else "OK"
        return FAILED + (v.reason or "")

    @property
    def failure(self) -> str | None:
        """The signature's failure message when this step fails a signature that had passed
        (None when it passes, or when the signature had already failed)."""
        if self.expired:
            return None
        if self.absent_but_required:
            return ABSENT_BUT_REQUIRED
        v = self.verification
        if v is not None and not v.ok:
            return FAILED + (v.reason or "")
        return None


def judge_timestamp(
    token: TimestampToken | None,
    policy: TimestampPolicy,
    *,
    data: bytes | Sequence[bytes],
    signer: x509.Certificate | None,
    trust: TrustStore | None,
    expired: bool = False,
) -> TimestampJudgement:
    """The timestamp step of a signature that passed (or failed only as ``expired``).

    Parameters
    ----------
    token : TimestampToken or None
        The signature's readable token (:func:`read_token`).
    policy : TimestampPolicy
        ``+tv`` (verify if present), ``-tv`` (ignore) or ``+tr`` (require).
    data : bytes or sequence of bytes
        The timestamped bytes (the Signature value, pad byte of DSA/ECDSA removed), or the
        candidates of :func:`dicomsign.tsp.reply.signature_data_candidates`.
    signer : cryptography.x509.Certificate or None
        The signer's certificate.
    trust : TrustStore or None
        The trust options the signatures are verified with (an empty store when None).
    expired : bool
        The signer's certificate has expired now (DCMTK's healing case).
    """
    if token is None or policy is TimestampPolicy.IGNORE or signer is None:
        return TimestampJudgement(policy, token, None, expired)
    if trust is None:
        from ..pki import TrustStore

        trust = TrustStore()
    verification = verify_token(token, data, signer, trust)
    return TimestampJudgement(policy, token, verification, expired)
