"""Item locations of ``--sign-item``: DCMTK 3.6.7's location strings, and a Pythonic form.

DCMTK's ``dcmsign --sign-item KEY CERT LOCATION`` names the item to sign with a string such as
``ContentSequence[1].ContentSequence[0]``. :func:`resolve_location` parses and resolves it
exactly as DCMTK 3.6.7 does (``DcmSignatureHelper::readNextToken`` and
``locateItemforSignatureCreation``), with DCMTK's error messages; :func:`resolve_path` takes the
same path as ``(keyword or tag, index)`` steps; :func:`format_location` prints a container the
way DCMTK prints signature locations.

Grammar (checked against the real ``dcmsign``), on the string cut at its first NUL::

    location := WS* tag WS* index ( "." WS* tag WS* index )* WS*
    tag      := "(" HEX "," HEX <anything but ")"> ")" | KEYWORD
    index    := "[" DIGIT+ "]"

* ``WS`` is C's ``isspace`` (space, TAB, LF, VT, FF, CR). Whitespace before a ``.`` is a parse
  error: DCMTK then advances one character from where the token started instead of past the
  period, so it reads the period twice (``A[0] .B[0]``).
* ``HEX,HEX`` is ``sscanf("%x,%x")`` on the text after ``(``: whitespace before each number
  (not before the comma), a sign and a ``0x`` prefix are allowed, anything after the second
  number up to the first ``)`` is ignored, and each number is cut to 16 bits.
* ``KEYWORD`` is the longest run of ASCII letters and digits, possibly empty, looked up in
  DCMTK's dictionary (:func:`dicomsign.tags.dcmtk_keyword_tag`); an unknown one logs
  ``attribute name 'x' unknown.`` before the parse error.
* ``DIGIT+`` is ``sscanf("%lu")`` stored into 32 bits: values above 2**64-1 saturate and then
  everything wraps modulo 2**32 (``[4294967296]`` is item 0).

Parsing and navigation are interleaved: each tag is looked up among the direct children of the
current item as soon as it is read, its index is checked against the item count as soon as it
is read, and a token of the wrong kind (a tag after a tag, an index after an index...) is a
parse error only when it is reached.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, NoReturn

from . import _core
from .engine import ensure_dictionary
from .exceptions import SignatureCreationError
from .tags import TokenKind, dcmtk_keyword_tag, format_tag, read_token

__all__ = ["format_location", "resolve_location", "resolve_path"]

_UINT32_MASK: Final = 0xFFFFFFFF


class _Walker:
    """Navigation from the main dataset, one sequence and one item at a time."""

    def __init__(self, doc: _core.Document, location: str) -> None:
        self.doc = doc
        self.location = location
        self.log: list[str] = []
        self.container: list[tuple[int, int]] = []
        self.sequence = 0

    def fail(self, line: str | None = None) -> NoReturn:
        """Raise the error DCMTK prints: the logged lines, ``line``, then the summary line."""
        lines = [*self.log, *([line] if line is not None else [])]
        lines.append(
            "desired signature location not found while creating signature in item "
            f"'{self.location}'"
        )
        raise SignatureCreationError("\n".join(lines))

    def enter_sequence(self, tag: int) -> None:
        """Select the sequence ``tag`` among the direct children of the current item."""
        where = f"(item location string is '{self.location}')"
        for element_tag, _vr, _signable, is_sequence in self.doc.elements(self.container):
            if element_tag == tag:
                if not is_sequence:
                    self.fail(f"attribute {format_tag(tag)} is not a sequence {where}")
                self.sequence = tag
                return
        self.fail(f"attribute {format_tag(tag)} not found in dataset {where}")

    def enter_item(self, index: int) -> None:
        """Select item ``index`` of the selected sequence."""
        count = self.doc.item_count(self.container, self.sequence) or 0
        if index >= count:
            self.fail(
                f"sequence {format_tag(self.sequence)} only has {count} items, cannot locate "
                f"item {index} (item location string is '{self.location}')"
            )
        self.container.append((self.sequence, index))


def resolve_location(doc: _core.Document, text: str) -> list[tuple[int, int]]:
    """Resolve a DCMTK item location string to a container path, as ``dcmsign`` does.

    Parameters
    ----------
    doc : dicomsign._core.Document
        The document whose item is wanted.
    text : str
        The location, e.g. ``ReferencedImageSequence[0].PurposeOfReferenceCodeSequence[0]``
        (grammar in the module docstring).

    Returns
    -------
    list of (int, int)
        The ``(sequence tag, item index)`` steps from the main dataset to the item.

    Raises
    ------
    SignatureCreationError
        With ``message`` holding exactly the lines DCMTK logs (without ``E:``), ending with
        ``desired signature location not found while creating signature in item '<text>'``.
    """
    ensure_dictionary()
    text = text.split("\0", 1)[0]  # DCMTK reads a C string
    walker = _Walker(doc, text)
    pos = 0
    expected = TokenKind.TAG
    finished = False
    while True:
        kind, pos, value = read_token(text, pos, walker.log)
        if kind is TokenKind.END:
            if not finished:
                walker.fail(f"item location string '{text}' incomplete.")
            return walker.container
        if kind is not expected:
            walker.fail(f"parse error in item location string '{text}'")
        if kind is TokenKind.TAG:
            walker.enter_sequence(value)
            expected, finished = TokenKind.INDEX, False
        elif kind is TokenKind.INDEX:
            walker.enter_item(value)
            expected, finished = TokenKind.PERIOD, True
        else:
            expected, finished = TokenKind.TAG, False


def _is_index(value: object) -> bool:
    """Whether ``value`` is a usable item index (a non-negative int, not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _step_tag(key: object, log: list[str]) -> int | None:
    """The tag a step names: a DCMTK keyword or an int tag; None (logged if a name) if bad."""
    if isinstance(key, str):
        tag = dcmtk_keyword_tag(key)
        if tag is None:
            log.append(f"attribute name '{key}' unknown.")
        return tag
    if isinstance(key, int) and not isinstance(key, bool) and 0 <= key <= _UINT32_MASK:
        return key
    return None


def _render_step(step: object) -> str:
    """One step in DCMTK's location syntax, for messages."""
    if not isinstance(step, tuple | list) or len(step) != 2:
        return str(step)
    key, index = step
    if isinstance(key, int) and not isinstance(key, bool) and 0 <= key <= _UINT32_MASK:
        return f"{format_tag(key)}[{index}]"
    return f"{key}[{index}]"


def resolve_path(
    doc: _core.Document, steps: Sequence[tuple[str | int, int]]
) -> list[tuple[int, int]]:
    """Resolve ``(keyword or tag, item index)`` steps to a container path.

    The Pythonic form of :func:`resolve_location`: ``[("ContentSequence", 1),
    (0x0040A730, 0)]`` is ``ContentSequence[1].(0040,a730)[0]``. Navigation and its messages
    are DCMTK's, with the location string rendered from the steps; unlike DCMTK's, indexes do
    not wrap modulo 2**32.

    Parameters
    ----------
    doc : dicomsign._core.Document
        The document whose item is wanted.
    steps : sequence of (str or int, int)
        Each step names a sequence, by keyword (DCMTK's, see
        :func:`dicomsign.tags.dcmtk_keyword_tag`) or by tag ``0xggggeeee``, and the 0-based
        index of one of its items. No steps select the main dataset.

    Returns
    -------
    list of (int, int)
        The ``(sequence tag, item index)`` steps from the main dataset to the item.

    Raises
    ------
    SignatureCreationError
        For an unknown keyword or a malformed step (``parse error in item location string``),
        or a missing element, an element that is not a sequence or a missing item, with
        DCMTK's messages.
    """
    ensure_dictionary()
    walker = _Walker(doc, ".".join(_render_step(step) for step in steps))
    for step in steps:
        if not isinstance(step, tuple | list) or len(step) != 2:
            walker.fail(f"parse error in item location string '{walker.location}'")
        key, index = step
        tag = _step_tag(key, walker.log)
        if tag is None or not _is_index(index):
            walker.fail(f"parse error in item location string '{walker.location}'")
        walker.enter_sequence(tag)
        walker.enter_item(index)
    return walker.container


def format_location(container: Sequence[tuple[int, int]]) -> str:
    """A container as DCMTK prints signature locations.

    Parameters
    ----------
    container : sequence of (int, int)
        ``(sequence tag, item index)`` steps; empty for the main dataset.

    Returns
    -------
    str
        ``Main Dataset`` or e.g. ``ContentSequence[1].ContentSequence[0]``.
    """
    ensure_dictionary()
    return _core.location_string(list(container))
