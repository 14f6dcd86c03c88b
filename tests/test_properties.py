"""Property tests (hypothesis) of signing and verifying generated documents.

- Sign then verify holds: every generated document (strings with and without padding, odd
  lengths, binary values, nested sequences with defined and undefined lengths), signed with any
  MAC, key type, output transfer syntax and length form, verifies as one valid signature.
- Any single byte change of a signed byte is detected: in a signed document, changing one byte
  that enters the MAC stream as it is (a signed element's tag, VR, value length or value, at
  any depth; not the padding that value normalization removes, nor sequence and item lengths,
  which are not signed) makes the verification fail (a corrupted signature, no signature, or
  an unreadable file), never pass.

Examples are derandomized (the same every run) and bounded, with no deadline: a few seconds in
all.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dicomsign
from corpus import element, file_meta, item
from dicomsign import SignatureStatus
from dicomsign.exceptions import InputFileError
from pki import PKI

EXPLICIT_LE = "1.2.840.10008.1.2.1"
SC_IMAGE = "1.2.840.10008.5.1.4.1.1.7"

# Dictionary VRs (implicit VR output reads them back from the dictionary).
STRINGS = [
    (0x00080020, "DA"),
    (0x00080030, "TM"),
    (0x00080060, "CS"),
    (0x00081030, "LO"),
    (0x00100010, "PN"),
    (0x00100020, "LO"),
    (0x00101010, "AS"),
    (0x00180050, "DS"),
    (0x00200013, "IS"),
    (0x00204000, "LT"),
]
BINARY = [
    (0x00186020, "SL", 4),
    (0x00280010, "US", 2),
    (0x00280011, "US", 2),
    (0x00189087, "FD", 8),
    (0x00420011, "OB", 1),
    (0x7FE00010, "OW", 2),
]
SEQUENCES = [0x00081115, 0x00081140, 0x0040A730]
LONG_VRS = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"}
STRING_VRS = {"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC"}
STRING_VRS |= {"UI", "UR", "UT"}
ALGORITHMS = ["RIPEMD160", "SHA1", "MD5", "SHA256", "SHA384", "SHA512"]
SIGNERS = ["rsa2048", "ec256", "dsa2048"]

text = st.tuples(
    st.binary(min_size=0, max_size=11).map(lambda b: bytes(0x21 + c % 94 for c in b)),
    st.sampled_from([b"", b" ", b"\0", b"  "]),
).map(lambda t: t[0] + t[1])


@st.composite
def leaf(draw: st.DrawFn) -> bytes:
    if draw(st.booleans()):
        tag, vr = draw(st.sampled_from(STRINGS))
        value = draw(text)
    else:
        tag, vr, width = draw(st.sampled_from(BINARY))
        value = draw(st.binary(min_size=0, max_size=5).map(lambda b: b * width))
    return element(tag >> 16, tag & 0xFFFF, vr, value)


def _tag_of(encoded: bytes) -> int:
    group, elem = struct.unpack_from("<HH", encoded)
    return (group << 16) | elem


def _dataset(elements: list[bytes]) -> bytes:
    """Sorted by tag, first of duplicates kept."""
    unique: dict[int, bytes] = {}
    for e in elements:
        unique.setdefault(_tag_of(e), e)
    return b"".join(unique[t] for t in sorted(unique))


def _sequence(tag: int, items: list[tuple[bool, list[bytes]]], undefined: bool) -> bytes:
    body = b"".join(item(_dataset(children), undefined=u) for u, children in items)
    if undefined:
        end = struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
        return element(tag >> 16, tag & 0xFFFF, "SQ", body + end, length=0xFFFFFFFF)
    return element(tag >> 16, tag & 0xFFFF, "SQ", body)


def node(depth: int) -> st.SearchStrategy[bytes]:
    if depth == 0:
        return leaf()
    items = st.lists(st.tuples(st.booleans(), st.lists(node(depth - 1), max_size=3)), max_size=3)
    return st.one_of(
        leaf(),
        st.builds(_sequence, st.sampled_from(SEQUENCES), items, st.booleans()),
    )


def document(depth: int) -> st.SearchStrategy[bytes]:
    """A generated explicit VR little endian file (SOP Instance UID always present)."""
    uid = element(0x0008, 0x0018, "UI", b"1.2.3.4.5\0")
    return st.lists(node(depth), min_size=1, max_size=6).map(
        lambda elements: file_meta(SC_IMAGE, "1.2.3.4.5", EXPLICIT_LE) + _dataset([uid, *elements])
    )


@pytest.fixture(scope="module")
def signers(pki: PKI) -> dict[str, dicomsign.SoftwareSigner]:
    return {
        name: dicomsign.load_signer(getattr(pki, name).key, getattr(pki, name).cert)
        for name in SIGNERS
    }


@pytest.fixture(scope="module")
def trust(pki: PKI) -> dict[str, list[Path]]:
    chains = [getattr(pki, name).chain for name in SIGNERS]
    return {"trusted": [pki.root.cert], "untrusted": chains}


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(
    source=document(depth=3),
    signer=st.sampled_from(SIGNERS),
    algorithm=st.sampled_from(ALGORITHMS),
    syntax=st.sampled_from(["same", "little", "big", "implicit"]),
    explicit_lengths=st.booleans(),
)
def test_sign_then_verify_holds(
    signers: dict[str, dicomsign.SoftwareSigner],
    trust: dict[str, list[Path]],
    source: bytes,
    signer: str,
    algorithm: str,
    syntax: str,
    explicit_lengths: bool,
) -> None:
    result = dicomsign.sign(
        source,
        signers[signer],
        algorithm=algorithm,
        transfer_syntax=syntax,
        explicit_lengths=explicit_lengths,
    )
    assert isinstance(result.document, bytes)
    report = dicomsign.verify(result.document, policy="require", **trust)
    assert report.ok, report
    [checked] = report.signatures
    assert checked.status is SignatureStatus.VALID
    assert checked.uid == result.signature.uid
    assert checked.mac_algorithm == algorithm


@dataclass(frozen=True)
class Span:
    """Bytes of the file that enter the MAC stream as they are: ``[start, end)``."""

    start: int
    end: int


def _value_end(vr: str, value: bytes) -> int:
    """Length of ``value`` without the padding that value normalization removes."""
    if vr not in STRING_VRS:
        return len(value)
    end = len(value)
    while end > 0 and value[end - 1] in b" \0":
        end -= 1
    return end


def signed_spans(data: bytes, start: int, end: int | None, signed: set[int] | None) -> list[Span]:
    """The signed bytes of the explicit VR little endian elements in ``data[start:end]``.

    ``signed`` lists the top-level tags signed (``None`` inside items: every element). Item
    and sequence lengths, item and delimitation tags and the reserved bytes of long VRs are
    left out: they do not enter the MAC stream.
    """
    spans: list[Span] = []
    pos = start
    stop = len(data) if end is None else end
    while pos < stop:
        group, elem = struct.unpack_from("<HH", data, pos)
        tag = (group << 16) | elem
        if tag == 0xFFFEE00D:
            return spans
        vr = data[pos + 4 : pos + 6].decode("ascii")
        if vr in LONG_VRS:
            (length,) = struct.unpack_from("<I", data, pos + 8)
            head = 12
        else:
            (length,) = struct.unpack_from("<H", data, pos + 6)
            head = 8
        wanted = signed is None or tag in signed
        if vr == "SQ":
            if wanted:
                spans.append(Span(pos, pos + 6))  # tag and VR
            pos, item_spans = _items(data, pos + head, length)
            if wanted:
                spans.extend(item_spans)
            continue
        value = data[pos + head : pos + head + length]
        if wanted:
            spans.append(Span(pos, pos + 6))  # tag and VR
            length_at = pos + 8 if head == 12 else pos + 6
            spans.append(Span(length_at, length_at + (4 if head == 12 else 2)))
            spans.append(Span(pos + head, pos + head + _value_end(vr, value)))
        pos += head + length
    return spans


def _items(data: bytes, pos: int, length: int) -> tuple[int, list[Span]]:
    """The signed bytes of the items of a sequence; returns the position after it."""
    spans: list[Span] = []
    stop = None if length == 0xFFFFFFFF else pos + length
    while stop is None or pos < stop:
        group, elem, item_length = struct.unpack_from("<HHI", data, pos)
        pos += 8
        if (group, elem) == (0xFFFE, 0xE0DD):
            break
        assert (group, elem) == (0xFFFE, 0xE000)
        if item_length == 0xFFFFFFFF:
            spans.extend(signed_spans(data, pos, None, None))
            # Past the item's delimitation item.
            pos = _skip_to_item_end(data, pos)
        else:
            spans.extend(signed_spans(data, pos, pos + item_length, None))
            pos += item_length
    return pos, spans


def _skip_to_item_end(data: bytes, pos: int) -> int:
    while True:
        group, elem = struct.unpack_from("<HH", data, pos)
        if (group, elem) == (0xFFFE, 0xE00D):
            return pos + 8
        vr = data[pos + 4 : pos + 6].decode("ascii")
        if vr in LONG_VRS:
            (length,) = struct.unpack_from("<I", data, pos + 8)
            head = 12
        else:
            (length,) = struct.unpack_from("<H", data, pos + 6)
            head = 8
        if vr == "SQ":
            pos, _ = _items(data, pos + head, length)
        else:
            pos += head + length


def _dataset_start(data: bytes) -> int:
    (group_length,) = struct.unpack_from("<I", data, 132 + 8)
    return 132 + 12 + group_length


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(source=document(depth=2), data=st.data())
def test_any_single_byte_change_of_a_signed_byte_is_detected(
    signers: dict[str, dicomsign.SoftwareSigner],
    trust: dict[str, list[Path]],
    source: bytes,
    data: st.DataObject,
) -> None:
    result = dicomsign.sign(source, signers["rsa2048"])
    signed = result.document
    assert isinstance(signed, bytes)
    tags = set(result.signature.signed_tags)
    spans = signed_spans(signed, _dataset_start(signed), None, tags)
    offsets = [i for s in spans for i in range(s.start, s.end)]
    assert offsets, "a signed document has signed bytes"
    at = data.draw(st.sampled_from(offsets), label="offset")
    new = data.draw(st.integers(0, 255).filter(lambda b: b != signed[at]), label="byte")
    damaged = signed[:at] + bytes([new]) + signed[at + 1 :]
    try:
        report = dicomsign.verify(damaged, policy="require", **trust)
    except InputFileError:
        return  # unreadable: detected
    assert not report.ok, f"byte {at} changed from {signed[at]:#04x} to {new:#04x} went unnoticed"
    assert all(s.status is not SignatureStatus.VALID for s in report.signatures)


def test_the_signed_spans_cover_the_signed_values(
    signers: dict[str, dicomsign.SoftwareSigner],
) -> None:
    """The byte map of the second test, on a known document: it is not empty or misplaced."""
    body = _dataset(
        [
            element(0x0008, 0x0018, "UI", b"1.2.3.4.5\0"),
            element(0x0010, 0x0010, "PN", b"Doe^John"),
            _sequence(0x00081115, [(False, [element(0x0028, 0x0010, "US", b"\1\0")])], False),
        ]
    )
    source = file_meta(SC_IMAGE, "1.2.3.4.5", EXPLICIT_LE) + body
    signed = dicomsign.sign(source, signers["rsa2048"]).document
    assert isinstance(signed, bytes)
    spans = signed_spans(signed, _dataset_start(signed), None, {0x00100010, 0x00081115})
    covered = b"".join(signed[s.start : s.end] for s in spans)
    assert b"Doe^John" in covered and b"\x28\x00\x10\x00US" in covered
    assert b"1.2.3.4.5" not in covered, "(0008,0018) was not listed"
