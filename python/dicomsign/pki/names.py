"""Distinguished names as OpenSSL handles them: ``X509_NAME_oneline`` (what DCMTK prints),
and the canonical encoding that name comparison and hashed certificate directories use."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from cryptography import x509

__all__ = ["NameEntry", "canonical_name", "name_entries", "name_hash", "name_oneline"]


# OpenSSL short names (OBJ_nid2sn) of name attributes, for X509_NAME_oneline.
_ATTRIBUTE_SHORT_NAMES: Final[dict[str, str]] = {
    "2.5.4.3": "CN",
    "2.5.4.4": "SN",
    "2.5.4.5": "serialNumber",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.9": "street",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.12": "title",
    "2.5.4.13": "description",
    "2.5.4.15": "businessCategory",
    "2.5.4.17": "postalCode",
    "2.5.4.41": "name",
    "2.5.4.42": "GN",
    "2.5.4.43": "initials",
    "2.5.4.44": "generationQualifier",
    "2.5.4.45": "x500UniqueIdentifier",
    "2.5.4.46": "dnQualifier",
    "2.5.4.65": "pseudonym",
    "2.5.4.97": "organizationIdentifier",
    "0.9.2342.19200300.100.1.1": "UID",
    "0.9.2342.19200300.100.1.25": "DC",
    "1.2.840.113549.1.9.1": "emailAddress",
    "1.2.840.113549.1.9.2": "unstructuredName",
    "1.3.6.1.4.1.311.60.2.1.1": "jurisdictionL",
    "1.3.6.1.4.1.311.60.2.1.2": "jurisdictionST",
    "1.3.6.1.4.1.311.60.2.1.3": "jurisdictionC",
}


@dataclass(frozen=True)
class NameEntry:
    """One attribute of a distinguished name, as encoded.

    Attributes
    ----------
    oid : str
        Dotted attribute type.
    tag : int
        The universal ASN.1 tag number of the value (12 UTF8String, 19 PrintableString, 30
        BMPString...).
    value : bytes
        The raw value contents (e.g. UTF-8 bytes of a UTF8String).
    """

    oid: str
    tag: int
    value: bytes


def name_entries(name: x509.Name) -> list[list[NameEntry]]:
    """Split a name into its RDNs and their attributes, keeping the encoded string types."""
    rdns: list[list[NameEntry]] = []
    # asn1crypto is imported here only: this runs for verbose output, not on the hot path.
    from asn1crypto import core as asn1_core
    from asn1crypto import x509 as asn1_x509

    for rdn in asn1_x509.Name.load(name.public_bytes()).chosen:
        entries: list[NameEntry] = []
        for attribute in rdn:
            value = asn1_core.load(attribute["value"].dump())
            entries.append(NameEntry(attribute["type"].dotted, value.tag, value.contents or b""))
        rdns.append(entries)
    return rdns


def _oneline_char(octet: int) -> str:
    if octet < 0x20 or octet > 0x7E:
        return f"\\x{octet:02X}"
    if octet in (0x2F, 0x2B):  # "/" and "+" are escaped with a backslash
        return "\\" + chr(octet)
    return chr(octet)


def name_oneline(name: x509.Name) -> str:
    """Format a distinguished name like OpenSSL's ``X509_NAME_oneline`` (``/C=DE/CN=x``).

    The raw string bytes are written; bytes outside printable ASCII become ``\\xHH`` and
    ``/`` and ``+`` are escaped with a backslash.
    """
    parts: list[str] = []
    for rdn in name_entries(name):
        for entry in rdn:
            short = _ATTRIBUTE_SHORT_NAMES.get(entry.oid, entry.oid)
            text = "".join(_oneline_char(octet) for octet in entry.value)
            parts.append(f"/{short}={text}")
    return "".join(parts)


_CANON_TAGS: Final = frozenset({12, 19, 20, 22, 26, 28, 30})  # ASN1_MASK_CANON string types
_SPACES: Final = b" \t\n\v\f\r"


def _decode_string(tag: int, value: bytes) -> bytes:
    """Convert an ASN.1 string to UTF-8 (ASN1_STRING_to_UTF8)."""
    if tag == 30:
        return value.decode("utf-16-be", errors="surrogatepass").encode("utf-8", "surrogatepass")
    if tag == 28:
        return value.decode("utf-32-be", errors="replace").encode("utf-8")
    if tag == 12:
        return value
    return value.decode("latin-1").encode("utf-8")


def _canonical_value(tag: int, value: bytes) -> tuple[int, bytes]:
    if tag not in _CANON_TAGS:
        return tag, value
    text = _decode_string(tag, value).strip(_SPACES)
    out = bytearray()
    index = 0
    while index < len(text):
        octet = text[index]
        if octet in _SPACES:
            out.append(0x20)
            while index < len(text) and text[index] in _SPACES:
                index += 1
            continue
        out.append(octet + 32 if 0x41 <= octet <= 0x5A else octet)
        index += 1
    return 12, bytes(out)


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _tlv(tag: int, contents: bytes) -> bytes:
    return bytes([tag]) + _der_length(len(contents)) + contents


def _oid_der(dotted: str) -> bytes:
    arcs = [int(arc) for arc in dotted.split(".")]
    values = [arcs[0] * 40 + arcs[1], *arcs[2:]] if len(arcs) > 1 else arcs
    out = bytearray()
    for value in values:
        chunk = [value & 0x7F]
        value >>= 7
        while value:
            chunk.append(0x80 | (value & 0x7F))
            value >>= 7
        out.extend(reversed(chunk))
    return _tlv(0x06, bytes(out))


def _canonical_rdn(entries: Sequence[NameEntry]) -> bytes:
    items = []
    for entry in entries:
        tag, value = _canonical_value(entry.tag, entry.value)
        items.append(_tlv(0x30, _oid_der(entry.oid) + _tlv(tag, value)))
    items.sort()  # DER SET OF order (lexicographic; equal prefixes sort shorter first)
    return _tlv(0x31, b"".join(items))


def canonical_name(name: x509.Name) -> bytes:
    """OpenSSL's canonical name encoding (``x509_name_canon``), which name comparison uses.

    String values are converted to UTF-8, trimmed, runs of white space collapsed and ASCII
    lower-cased, so ``CN=Foo  Bar`` and ``cn=foo bar`` compare equal.
    """
    return b"".join(_canonical_rdn(rdn) for rdn in name_entries(name))


def name_hash(name: x509.Name) -> str:
    """``X509_NAME_hash`` as ``openssl x509 -hash`` prints it (8 hex digits, hashed dirs)."""
    digest = hashlib.sha1(canonical_name(name), usedforsecurity=False).digest()
    return f"{int.from_bytes(digest[:4], 'little'):08x}"
