"""Certified timestamps (RFC 3161 tokens in Certified Timestamp (0400,0310)).

Today this package judges a signature's timestamp under the timestamp policy of ``+tv``,
``-tv`` and ``+tr`` as DCMTK reports it (dcmsign-behaviour.md §7.3): present tokens are not
verified yet, so a signature counts as if it had none, and ``+tr`` fails signatures without a
token.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..vocabulary import TimestampPolicy

__all__ = ["TimestampVerdict", "judge_timestamp"]

#: DCMTK's message for a signature without a timestamp under ``+tr``.
ABSENT_BUT_REQUIRED = "certified timestamp absent, but required by timestamp policy"


@dataclass(frozen=True)
class TimestampVerdict:
    """What the timestamp step says about a signature that passed so far.

    Attributes
    ----------
    level : {"W", "I"}
        The level of DCMTK's ``Certified timestamp`` line (warning or info).
    text : str
        The text of that line.
    failure : str or None
        The signature's failure message when the policy fails it, else None.
    """

    level: str
    text: str
    failure: str | None = None


def judge_timestamp(token: bytes | None, policy: TimestampPolicy) -> TimestampVerdict:
    """Judge the Certified Timestamp of a signature whose other checks passed.

    Parameters
    ----------
    token : bytes or None
        The Certified Timestamp (0400,0310), when present.
    policy : TimestampPolicy
        ``+tv`` (verify if present), ``-tv`` (ignore) or ``+tr`` (require).
    """
    if token is None:
        if policy is TimestampPolicy.REQUIRE:
            return TimestampVerdict(
                "W", "absent, but required by timestamp policy", ABSENT_BUT_REQUIRED
            )
        return TimestampVerdict("I", "absent")
    if policy is TimestampPolicy.IGNORE:
        return TimestampVerdict("I", "present, but ignored according to timestamp policy")
    return TimestampVerdict(
        "W", "present, but not verified: certified timestamps are not supported"
    )
