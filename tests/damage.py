"""Damaged variants of DICOM files, derived at every structural point (helper module, no tests).

:func:`structure` walks a file's bytes (preamble, meta header, dataset; explicit and implicit
VR, little and big endian; sequences and items of defined and undefined length, encapsulated
pixel data) and returns one :class:`Point` per element, item and delimiter header.
:func:`variants` derives damaged copies from those points: cuts at each header, inside it and
inside the value; length fields set to 0, to their maximum, two bytes more or less; defined
lengths made undefined without a delimiter; delimiters removed; tags and VRs flipped. The walk
is written for the tests alone: it knows just enough DICOM to find the structure of the valid
files it is given, and is deliberately independent of the reader it helps to test.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from pydicom.datadict import dictionary_VR

__all__ = ["Point", "Variant", "nested", "structure", "variants"]

UNDEFINED = 0xFFFFFFFF
_LONG_VRS = {
    b"OB",
    b"OD",
    b"OF",
    b"OL",
    b"OV",
    b"OW",
    b"SQ",
    b"SV",
    b"UC",
    b"UN",
    b"UR",
    b"UT",
    b"UV",
}
_ITEM, _ITEM_END, _SEQ_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
_PIXEL_DATA = 0x7FE00010
_SIGNATURES = 0xFFFAFFFA


@dataclass(frozen=True)
class Point:
    """One header in the file.

    ``kind`` is ``element``, ``sequence``, ``item``, ``fragment`` or ``delimiter``; ``length``
    is the length field's value, at ``length_at`` (``length_size`` bytes wide); ``value_at`` is
    where the value starts; ``end`` where the element ends (None for undefined length);
    ``delimiter_at`` the offset of the closing delimiter of an undefined length sequence or
    item; ``signed_area`` tells that the point lies in a Digital Signatures Sequence.
    """

    kind: str
    tag: int
    at: int
    length_at: int
    length_size: int
    length: int
    value_at: int
    end: int | None
    depth: int
    little: bool
    vr: bytes = b""
    delimiter_at: int | None = None
    signed_area: bool = False


@dataclass(frozen=True)
class Variant:
    """A damaged copy: ``name`` says what was done where."""

    name: str
    data: bytes


class _Walk:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.points: list[Point] = []

    def u16(self, pos: int, little: bool) -> int:
        return int(struct.unpack_from("<H" if little else ">H", self.data, pos)[0])

    def u32(self, pos: int, little: bool) -> int:
        return int(struct.unpack_from("<I" if little else ">I", self.data, pos)[0])

    def tag(self, pos: int, little: bool) -> int:
        return (self.u16(pos, little) << 16) | self.u16(pos + 2, little)

    def dataset(
        self, pos: int, end: int | None, explicit: bool, little: bool, depth: int, signed: bool
    ) -> int:
        """Walk elements from ``pos`` to ``end`` (or to an item delimiter); return the end."""
        limit = len(self.data) if end is None else end
        while pos + 8 <= limit:
            tag = self.tag(pos, little)
            if tag == _ITEM_END:
                self.points.append(
                    Point("delimiter", tag, pos, pos + 4, 4, 0, pos + 8, pos + 8, depth, little)
                )
                return pos + 8
            if explicit:
                vr = self.data[pos + 4 : pos + 6]
                if vr in _LONG_VRS:
                    length_at, size = pos + 8, 4
                    length = self.u32(length_at, little)
                else:
                    length_at, size = pos + 6, 2
                    length = self.u16(length_at, little)
            else:
                length_at, size = pos + 4, 4
                length = self.u32(length_at, little)
                vr = _implicit_vr(tag, length)
            value_at = length_at + size
            inside = signed or tag == _SIGNATURES
            if vr == b"SQ" or (vr == b"UN" and length == UNDEFINED):
                item_explicit = explicit and vr == b"SQ"
                item_little = little if vr == b"SQ" else True
                index = len(self.points)
                after, delimiter = self.items(
                    value_at, length, item_explicit, item_little, depth, inside
                )
                self.points.insert(
                    index,
                    Point(
                        "sequence",
                        tag,
                        pos,
                        length_at,
                        size,
                        length,
                        value_at,
                        None if length == UNDEFINED else value_at + length,
                        depth,
                        little,
                        vr,
                        delimiter,
                        inside,
                    ),
                )
                pos = after
            elif tag == _PIXEL_DATA and length == UNDEFINED:
                self.points.append(
                    Point(
                        "sequence",
                        tag,
                        pos,
                        length_at,
                        size,
                        length,
                        value_at,
                        None,
                        depth,
                        little,
                        vr,
                        None,
                        inside,
                    )
                )
                pos = self.fragments(value_at, little, depth)
            else:
                self.points.append(
                    Point(
                        "element",
                        tag,
                        pos,
                        length_at,
                        size,
                        length,
                        value_at,
                        value_at + length,
                        depth,
                        little,
                        vr,
                        None,
                        inside,
                    )
                )
                pos = value_at + length
        return pos

    def items(
        self, pos: int, length: int, explicit: bool, little: bool, depth: int, signed: bool
    ) -> tuple[int, int | None]:
        end = None if length == UNDEFINED else pos + length
        limit = len(self.data) if end is None else end
        while pos + 8 <= limit:
            tag = self.tag(pos, little)
            item_length = self.u32(pos + 4, little)
            if tag == _SEQ_END:
                self.points.append(
                    Point("delimiter", tag, pos, pos + 4, 4, 0, pos + 8, pos + 8, depth, little)
                )
                return pos + 8, pos
            index = len(self.points)
            item_end = None if item_length == UNDEFINED else pos + 8 + item_length
            after = self.dataset(pos + 8, item_end, explicit, little, depth + 1, signed)
            delimiter = after - 8 if item_end is None else None
            self.points.insert(
                index,
                Point(
                    "item",
                    tag,
                    pos,
                    pos + 4,
                    4,
                    item_length,
                    pos + 8,
                    item_end,
                    depth + 1,
                    little,
                    b"",
                    delimiter,
                    signed,
                ),
            )
            pos = after if item_end is None else item_end
        return pos, None

    def fragments(self, pos: int, little: bool, depth: int) -> int:
        while pos + 8 <= len(self.data):
            tag = self.tag(pos, little)
            length = self.u32(pos + 4, little)
            kind = "delimiter" if tag == _SEQ_END else "fragment"
            self.points.append(
                Point(
                    kind, tag, pos, pos + 4, 4, length, pos + 8, pos + 8 + length, depth + 1, little
                )
            )
            pos += 8 + length
            if tag == _SEQ_END:
                break
        return pos


def _implicit_vr(tag: int, length: int) -> bytes:
    if tag >> 16 == 0xFFFE:
        return b""
    try:
        vr = str(dictionary_VR(tag))
    except KeyError:
        return b"SQ" if length == UNDEFINED and tag != _PIXEL_DATA else b"UN"
    return b"SQ" if vr == "SQ" else vr[:2].encode()


def structure(data: bytes) -> list[Point]:
    """Every header of a DICOM file (with preamble and meta header), in file order."""
    walk = _Walk(data)
    pos = 132 if data[128:132] == b"DICM" else 0
    syntax = ""
    while pos + 8 <= len(data) and walk.u16(pos, True) == 0x0002:
        tag = walk.tag(pos, True)
        vr = data[pos + 4 : pos + 6]
        if vr in _LONG_VRS:
            length_at, size, length = pos + 8, 4, walk.u32(pos + 8, True)
        else:
            length_at, size, length = pos + 6, 2, walk.u16(pos + 6, True)
        value_at = length_at + size
        if tag == 0x00020010:
            syntax = data[value_at : value_at + length].rstrip(b"\0 ").decode()
        walk.points.append(
            Point(
                "element",
                tag,
                pos,
                length_at,
                size,
                length,
                value_at,
                value_at + length,
                0,
                True,
                vr,
            )
        )
        pos = value_at + length
    explicit = syntax != "1.2.840.10008.1.2"
    little = syntax != "1.2.840.10008.1.2.2"
    walk.dataset(pos, None, explicit, little, 0, False)
    return walk.points


def _patch(data: bytes, at: int, size: int, value: int, little: bool) -> bytes:
    fmt = ("<" if little else ">") + ("H" if size == 2 else "I")
    return data[:at] + struct.pack(fmt, value) + data[at + size :]


def _damage(data: bytes, p: Point) -> Iterator[tuple[str, bytes]]:
    where = f"{p.kind} ({p.tag >> 16:04x},{p.tag & 0xFFFF:04x})@{p.at}"
    yield f"cut before {where}", data[: p.at]
    yield f"cut in the header of {where}", data[: p.length_at]
    if p.end is not None and p.length > 1 and p.end <= len(data):
        yield f"cut in the value of {where}", data[: p.value_at + p.length // 2]
    if p.kind == "delimiter":
        yield f"{where} removed", data[: p.at] + data[p.at + 8 :]
        yield f"{where} length 4", _patch(data, p.length_at, 4, 4, p.little)
        return
    maximum = 0xFFFF if p.length_size == 2 else UNDEFINED
    for label, value in (
        ("0", 0),
        ("maximum", maximum),
        ("+2", p.length + 2),
        ("-2", p.length - 2),
    ):
        if p.length == UNDEFINED and label in ("+2", "maximum"):
            continue
        if 0 <= value <= maximum and value != p.length:
            yield (
                f"length of {where} set to {label}",
                _patch(data, p.length_at, p.length_size, value, p.little),
            )
    if p.delimiter_at is not None:
        yield f"delimiter of {where} removed", data[: p.delimiter_at] + data[p.delimiter_at + 8 :]
    tag_bytes = data[p.at : p.at + 4]
    yield (
        f"tag of {where} flipped",
        data[: p.at] + bytes(b ^ 0x5A for b in tag_bytes) + data[p.at + 4 :],
    )
    if p.vr and p.length_size == 4 and p.length_at == p.at + 8:
        yield f"VR of {where} set to 'XX'", data[: p.at + 4] + b"XX" + data[p.at + 6 :]


def _renamed_syntax(data: bytes, points: list[Point], uid: str) -> bytes | None:
    """``data`` with its meta header naming ``uid`` (group length adjusted), or None."""
    found = [p for p in points if p.tag == 0x00020010 and p.depth == 0]
    lengths = [p for p in points if p.tag == 0x00020000 and p.depth == 0]
    if not found or not lengths:
        return None
    p, g = found[0], lengths[0]
    value = uid.encode() + (b"\0" if len(uid) % 2 else b"")
    grown = len(value) - p.length
    out = bytearray(data[: p.length_at])
    out += struct.pack("<H", len(value)) + value + data[p.value_at + p.length :]
    group_length = int(struct.unpack_from("<I", out, g.value_at)[0])
    struct.pack_into("<I", out, g.value_at, group_length + grown)
    return bytes(out)


#: Transfer syntaxes a meta header is made to name: compressed for native pixel data, native
#: for encapsulated pixel data, implicit and big endian for explicit little endian.
RENAMED_SYNTAXES = (
    "1.2.840.10008.1.2.4.50",
    "1.2.840.10008.1.2.5",
    "1.2.840.10008.1.2.1",
    "1.2.840.10008.1.2",
    "1.2.840.10008.1.2.2",
)


def variants(data: bytes, *, stride: int = 1) -> list[Variant]:
    """Damaged copies of ``data``, one per structural point and kind of damage, deduplicated.

    Every point inside a Digital Signatures Sequence, every sequence, item and delimiter, and
    every ``stride``-th plain element are damaged (``stride`` keeps large sets fast).
    """
    seen = {hashlib.sha256(data).digest()}
    out: list[Variant] = []
    plain = 0
    points = structure(data)
    for uid in RENAMED_SYNTAXES:
        renamed = _renamed_syntax(data, points, uid)
        if renamed is not None and hashlib.sha256(renamed).digest() not in seen:
            seen.add(hashlib.sha256(renamed).digest())
            out.append(Variant(f"meta header names {uid}", renamed))
    for p in points:
        if p.kind == "element" and not p.signed_area:
            plain += 1
            if plain % stride:
                continue
        for name, damaged in _damage(data, p):
            key = hashlib.sha256(damaged).digest()
            if key not in seen and damaged:
                seen.add(key)
                out.append(Variant(name, damaged))
    return out


def nested(depth: int, *, undefined: bool) -> bytes:
    """A bare explicit VR little endian dataset with sequences nested ``depth`` levels deep."""
    leaf = struct.pack("<HH2sH", 0x0010, 0x0010, b"PN", 4) + b"Deep"
    body = leaf
    for _ in range(depth):
        if undefined:
            item = struct.pack("<HHI", 0xFFFE, 0xE000, UNDEFINED) + body
            item += struct.pack("<HHI", 0xFFFE, 0xE00D, 0)
            seq = struct.pack("<HH2sHI", 0x0040, 0xA730, b"SQ", 0, UNDEFINED) + item
            body = seq + struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
        else:
            item = struct.pack("<HHI", 0xFFFE, 0xE000, len(body)) + body
            body = struct.pack("<HH2sHI", 0x0040, 0xA730, b"SQ", 0, len(item)) + item
    return body
