"""Digital signature purpose codes (``+sp``/``--sig-purpose``, ``+lp``/``--list-purposes``).

The code values are written as the plain decimal strings ``"1"`` ... ``"18"`` with the coding
scheme ``ASTM-sigpurpose``; the meanings below are DCMTK 3.6.7's texts, used both for the
``+lp`` listing and as the CodeMeaning written into the Digital Signature Purpose Code Sequence.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["CODING_SCHEME_DESIGNATOR", "SignaturePurpose", "purpose_list_text"]

CODING_SCHEME_DESIGNATOR = "ASTM-sigpurpose"


class SignaturePurpose(IntEnum):
    """The 18 purpose codes accepted by ``+sp`` (values 1..18)."""

    AUTHOR = 1
    COAUTHOR = 2
    CO_PARTICIPANT = 3
    TRANSCRIPTIONIST = 4
    VERIFICATION = 5
    VALIDATION = 6
    CONSENT = 7
    SIGNATURE_WITNESS = 8
    EVENT_WITNESS = 9
    IDENTITY_WITNESS = 10
    CONSENT_WITNESS = 11
    INTERPRETER = 12
    REVIEW = 13
    SOURCE = 14
    ADDENDUM = 15
    MODIFICATION = 16
    ADMINISTRATIVE = 17
    TIMESTAMP = 18

    def meaning(self) -> str:
        """Return the CodeMeaning, e.g. ``"Author's Signature"``."""
        return _MEANINGS[self]

    @property
    def code_value(self) -> str:
        """Return the CodeValue as written into the dataset, e.g. ``"5"``."""
        return str(int(self))


_MEANINGS = {
    SignaturePurpose.AUTHOR: "Author's Signature",
    SignaturePurpose.COAUTHOR: "Coauthor's Signature",
    SignaturePurpose.CO_PARTICIPANT: "Co-participant's Signature",
    SignaturePurpose.TRANSCRIPTIONIST: "Transcriptionist/Recorder Signature",
    SignaturePurpose.VERIFICATION: "Verification Signature",
    SignaturePurpose.VALIDATION: "Validation Signature",
    SignaturePurpose.CONSENT: "Consent Signature",
    SignaturePurpose.SIGNATURE_WITNESS: "Signature Witness Signature",
    SignaturePurpose.EVENT_WITNESS: "Event Witness Signature",
    SignaturePurpose.IDENTITY_WITNESS: "Identity Witness Signature",
    SignaturePurpose.CONSENT_WITNESS: "Consent Witness Signature",
    SignaturePurpose.INTERPRETER: "Interpreter Signature",
    SignaturePurpose.REVIEW: "Review Signature",
    SignaturePurpose.SOURCE: "Source Signature",
    SignaturePurpose.ADDENDUM: "Addendum Signature",
    SignaturePurpose.MODIFICATION: "Modification Signature",
    SignaturePurpose.ADMINISTRATIVE: "Administrative (Error/Edit) Signature",
    SignaturePurpose.TIMESTAMP: "Timestamp Signature",
}


def purpose_list_text() -> str:
    """Return the ``+lp`` listing as DCMTK prints it after the program header.

    It starts with an empty line, numbers are right-aligned to width 4, and it ends with an
    empty line.
    """
    lines = ["", "Digital Signature Purpose Codes:"]
    lines += [f"{int(p):4d}: {p.meaning()}" for p in SignaturePurpose]
    return "\n".join(lines) + "\n\n"
