"""DICOM tags as users write them: DCMTK's ``-t`` syntax, keywords, and tag files.

* ``-t/--tag``: ``gggg,eeee`` read like C's ``sscanf("%x,%x")`` (so ``8,18`` works and
  ``(0008,0018)`` does not), else a dictionary keyword;
* ``-tf/--tag-file``: the tokens of ``--sign-item`` locations (:func:`read_token`), each a tag
  ``(gggg,eeee)`` (parentheses required, read with ``sscanf("%x,%x")``) or a keyword
  ``[A-Za-z0-9]+``, with or without whitespace between them; anything else is a syntax error
  (dcmsign-behaviour.md §9.2, checked against the real ``dcmsign``).

Names are those of DCMTK 3.6.7's public dictionary (``dicom.dic``), for ``-t``, ``-tf`` and
``--sign-item`` locations alike: pydicom's keywords without the ones newer than DCMTK 3.6.7,
retired attributes only as ``RETIRED_<keyword>`` (which only ``-t`` can spell), plus the few
names only DCMTK has. The engine's data dictionary holds them (``data/dictionary.tsv``, made
by ``tools/gen_dictionary.py``); pydicom is never imported here.
"""

from __future__ import annotations

import enum
import string
from pathlib import Path
from typing import Final

from . import _core
from .engine import ensure_dictionary
from .exceptions import TagFileError
from .exitcodes import ExitCode

__all__ = [
    "TokenKind",
    "dcmtk_keyword_tag",
    "format_tag",
    "parse_tag_argument",
    "read_tag_file",
    "read_token",
    "tag_for_keyword",
]


_C_WHITESPACE: Final = " \t\n\v\f\r"
_HEX_DIGITS = "0123456789abcdefABCDEF"
_ULONG_MASK = 2**64 - 1
_UINT32_MASK: Final = 0xFFFFFFFF
_DIGITS: Final = frozenset(string.digits)
_KEYWORD_CHARACTERS: Final = frozenset(string.ascii_letters + string.digits)


def _scan_hex(text: str, pos: int) -> tuple[int, int] | None:
    """One ``%x`` conversion of glibc's ``sscanf`` starting at ``pos``: (value, end) or None."""
    while pos < len(text) and text[pos] in _C_WHITESPACE:
        pos += 1
    negative = False
    if pos < len(text) and text[pos] in "+-":
        negative = text[pos] == "-"
        pos += 1
    if text.startswith(("0x", "0X"), pos):
        # glibc consumes the prefix even without hex digits after it ("0x" reads as 0).
        pos += 2
        digits_required = False
    else:
        digits_required = True
    start = pos
    while pos < len(text) and text[pos] in _HEX_DIGITS:
        pos += 1
    if digits_required and pos == start:
        return None
    value = min(int(text[start:pos] or "0", 16), _ULONG_MASK)
    if negative:
        value = -value & _ULONG_MASK
    return value, pos


def _scan_tag_pair(text: str) -> int | None:
    """``sscanf(text, "%x,%x")`` == 2, truncated to 16-bit group and element like DCMTK."""
    first = _scan_hex(text, 0)
    if first is None or not text.startswith(",", first[1]):
        return None
    second = _scan_hex(text, first[1] + 1)
    if second is None:
        return None
    return ((first[0] & 0xFFFF) << 16) | (second[0] & 0xFFFF)


def dcmtk_keyword_tag(keyword: str) -> int | None:
    """The tag DCMTK 3.6.7 finds for a public keyword made of ASCII letters and digits.

    This is the lookup of tag files (``-tf``) and item locations (``--sign-item``), whose
    keywords are runs of ``[A-Za-z0-9]``. DCMTK names retired attributes
    ``RETIRED_<keyword>``, which such a run cannot spell (``_`` ends it), so a retired keyword
    is unknown here, and so are the keywords added to the standard after DCMTK 3.6.7's
    dictionary was made.

    Parameters
    ----------
    keyword : str
        The keyword, e.g. ``ContentSequence``.

    Returns
    -------
    int or None
        The tag as ``0xggggeeee``, or None when DCMTK's public dictionary has no such name.
        DCMTK also resolves names of its private dictionary (``private.dic``, to the tag
        ``(gggg,00ee)`` of the private block's first element); those are not known here and
        give None.
    """
    ensure_dictionary()
    return _core.dcmtk_keyword_tag(keyword)


def tag_for_keyword(keyword: str) -> int | None:
    """The tag of a name of DCMTK 3.6.7's public dictionary, as ``-t/--tag`` looks it up.

    Current attributes have their keyword (:func:`dcmtk_keyword_tag`), retired ones
    ``RETIRED_<keyword>``; any other text, including the bare keyword of a retired attribute
    and the keywords newer than DCMTK 3.6.7, is unknown.

    Parameters
    ----------
    keyword : str
        The name, e.g. ``PatientName`` or ``RETIRED_CurveDimensions``.

    Returns
    -------
    int or None
        The tag as ``0xggggeeee``, or None when DCMTK's public dictionary has no such name.
    """
    ensure_dictionary()
    return _core.tag_for_keyword(keyword)


def parse_tag_argument(text: str) -> int | None:
    """Resolve a ``-t/--tag`` value as DCMTK does.

    ``gggg,eeee`` is read with ``sscanf("%x,%x")`` semantics (whitespace before each number,
    optional sign and ``0x``, trailing text ignored, each part truncated to 16 bits); anything
    else is a name of DCMTK's dictionary (:func:`tag_for_keyword`). Parenthesized tags are not
    accepted.

    Returns
    -------
    int or None
        The tag as ``0xggggeeee``, or ``None`` for "unknown attribute tag".
    """
    tag = _scan_tag_pair(text)
    if tag is not None:
        return tag
    return tag_for_keyword(text)


def format_tag(tag: int) -> str:
    """DCMTK's ``(gggg,eeee)`` with lowercase hex digits."""
    return f"({tag >> 16:04x},{tag & 0xFFFF:04x})"


class TokenKind(enum.Enum):
    """Token kinds of DCMTK's ``DcmSignatureHelper::readNextToken``."""

    END = -1
    ERROR = 0
    TAG = 1
    INDEX = 2
    PERIOD = 3


def read_token(text: str, pos: int, log: list[str]) -> tuple[TokenKind, int, int]:
    """Read one token of an item location or a tag file at ``pos``, as DCMTK does.

    Whitespace (C's ``isspace``) is skipped first. A token is ``.``, an index ``[digits]``
    (``sscanf("%lu")`` stored into 32 bits), a tag ``(HEX,HEX...)`` (``sscanf("%x,%x")`` on
    the text after ``(``, anything up to the first ``)`` ignored) or a keyword, the longest run
    of ASCII letters and digits (possibly empty), looked up with :func:`dcmtk_keyword_tag`; an
    unknown keyword appends ``attribute name 'x' unknown.`` to ``log``.

    Returns
    -------
    tuple of (TokenKind, int, int)
        The kind, the position after the token and the tag or index value. After a period
        the position is one character on from ``pos`` (DCMTK's quirk: whitespace before a
        period makes it read the period twice).
    """
    start = pos
    while start < len(text) and text[start] in _C_WHITESPACE:
        start += 1
    if start == len(text):
        return TokenKind.END, pos, 0
    first = text[start]
    if first == ".":
        return TokenKind.PERIOD, pos + 1, 0
    if first == "[":
        end = start + 1
        while end < len(text) and text[end] in _DIGITS:
            end += 1
        if end == start + 1 or end == len(text) or text[end] != "]":
            return TokenKind.ERROR, pos, 0
        index = min(int(text[start + 1 : end]), _ULONG_MASK) & _UINT32_MASK
        return TokenKind.INDEX, end + 1, index
    if first == "(":
        close = text.find(")", start + 1)
        tag = _scan_tag_pair(text[start + 1 :]) if close >= 0 else None
        if tag is None:
            return TokenKind.ERROR, pos, 0
        return TokenKind.TAG, close + 1, tag
    end = start
    while end < len(text) and text[end] in _KEYWORD_CHARACTERS:
        end += 1
    keyword = text[start:end]
    tag = dcmtk_keyword_tag(keyword)
    if tag is None:
        log.append(f"attribute name '{keyword}' unknown.")
        return TokenKind.ERROR, pos, 0
    return TokenKind.TAG, end, tag


def read_tag_file(path: str | Path) -> list[int]:
    """Read a ``--tag-file`` as DCMTK does.

    The file is one C string (cut at its first NUL) of tokens (:func:`read_token`), each a tag
    ``(gggg,eeee)`` or a keyword, optionally separated by whitespace; any other token (a
    period, an index, an unknown keyword, a malformed tag) is a syntax error.

    Raises
    ------
    TagFileError
        ``file not found: <path>`` (exit code 30) for a missing or unreadable file, or DCMTK's
        messages for a syntax error or an unknown keyword (exit code 86).
    """
    try:
        text = Path(path).read_bytes().decode("latin-1")
    except OSError:
        raise TagFileError(
            f"file not found: {path}", exit_code=ExitCode.CANNOT_READ_TAG_FILE
        ) from None
    text = text.split("\0", 1)[0]
    tags: list[int] = []
    log: list[str] = []
    pos = 0
    while True:
        kind, pos, value = read_token(text, pos, log)
        if kind is TokenKind.END:
            return tags
        if kind is not TokenKind.TAG:
            raise TagFileError("\n".join([*log, f"parse error in text file '{path}'"]))
        tags.append(value)
