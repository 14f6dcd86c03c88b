"""RFC 3161 timestamp responses (``TimeStampResp``): loading, and DCMTK's consistency checks.

:func:`load_query` and :func:`load_response` read DER files as OpenSSL's ``d2i_TS_REQ_bio``
and ``d2i_TS_RESP_bio`` do: one object, fully parsed; a response whose status grants a
timestamp must carry a token, one that does not grant must not, and the token must hold a
readable ``TSTInfo``. :func:`check_response` makes DCMTK's checks of ``+t``
(dcmsign-behaviour.md §7.2) in DCMTK's order and reports like DCMTK: warnings about the status,
then the error that ends the check. The token's CMS signature and TSA certificate are **not**
checked here (that is :mod:`dicomsign.tsp.verify`'s work, at verification), as in DCMTK.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from asn1crypto import cms, core, tsp

from .. import _core
from ..exceptions import TimestampError
from ..exitcodes import ExitCode
from ..vocabulary import KeyType, MacAlgorithm
from .query import ALGORITHMS_BY_OID, TimestampQuery, digest

__all__ = [
    "TSTINFO_CONTENT_TYPE",
    "TimeStampResp",
    "TimestampResponse",
    "check_response",
    "load_query",
    "load_response",
    "parse_query",
    "parse_response",
    "signature_data",
    "signature_data_candidates",
    "status_messages",
    "token_info",
]

#: id-smime-ct-TSTInfo, the content type of a timestamp token.
TSTINFO_CONTENT_TYPE = "1.2.840.113549.1.9.16.1.4"

_STATUS_TEXT = {
    2: "rejected",
    3: "waiting",
    4: "revocation warning",
    5: "revoked",
}

# OpenSSL's texts of the PKIFailureInfo bits, in bit order (DCMTK's failure_map).
_FAILURE_TEXT = (
    (0, "unrecognized or unsupported algorithm identifier"),
    (2, "transaction not permitted or supported"),
    (5, "the data submitted has the wrong format"),
    (14, "the TSA's time source is not available"),
    (15, "the requested TSA policy is not supported by the TSA"),
    (16, "the requested extension is not supported by the TSA"),
    (17, "the additional information requested could not be understood or is not available"),
    (25, "the request cannot be handled due to system failure"),
)

# OpenSSL's long names (OBJ_nid2ln) of digest OIDs DCMTK cannot use for a timestamp.
_OTHER_DIGEST_NAMES = {
    "2.16.840.1.101.3.4.2.4": "sha224",
    "2.16.840.1.101.3.4.2.5": "sha512-224",
    "2.16.840.1.101.3.4.2.6": "sha512-256",
    "2.16.840.1.101.3.4.2.7": "sha3-224",
    "2.16.840.1.101.3.4.2.8": "sha3-256",
    "2.16.840.1.101.3.4.2.9": "sha3-384",
    "2.16.840.1.101.3.4.2.10": "sha3-512",
    "1.2.840.113549.2.2": "md2",
    "1.2.840.113549.2.4": "md4",
}


class TimeStampResp(core.Sequence):  # type: ignore[misc]
    """RFC 3161's ``TimeStampResp``, whose token is OPTIONAL (absent unless granted);
    asn1crypto's own declaration requires it."""

    _fields = [  # noqa: RUF012 - asn1crypto's declaration
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


@dataclass(frozen=True)
class TimestampResponse:
    """A loaded ``TimeStampResp``.

    Attributes
    ----------
    status : int
        PKIStatus (0 granted, 1 granted with modifications, 2 rejection, ...).
    status_texts : tuple of str
        The statusString texts.
    failure_bits : frozenset of int
        The PKIFailureInfo bits set.
    token : bytes or None
        The DER ``TimeStampToken`` (a CMS ``ContentInfo``), when granted.
    info : asn1crypto.tsp.TSTInfo or None
        The token's ``TSTInfo``.
    """

    status: int
    status_texts: tuple[str, ...]
    failure_bits: frozenset[int]
    token: bytes | None
    info: tsp.TSTInfo | None


def _integer(value: core.Integer) -> int:
    # A mapped INTEGER's native value is a name; read the number itself.
    return int(core.Integer.load(value.dump()).native)


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError:
        return None


def parse_query(data: bytes) -> TimestampQuery:
    """Parse a DER ``TimeStampReq`` completely (``d2i_TS_REQ``); ValueError if unreadable."""
    try:
        req = tsp.TimeStampReq.load(data)
        req.native  # noqa: B018 - parses every field
        return TimestampQuery.from_asn1(req, req.dump())
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        raise ValueError(str(exc)) from None


def token_info(token: cms.ContentInfo) -> tsp.TSTInfo:
    """The ``TSTInfo`` of a token, as OpenSSL's ``PKCS7_to_TS_TST_INFO`` finds it.

    Raises
    ------
    ValueError
        Not signed data, not a TSTInfo, detached content, or a signer info OpenSSL's PKCS7
        code cannot read (identified by key identifier).
    """
    try:
        if token["content_type"].dotted != "1.2.840.113549.1.7.2":
            raise ValueError("not signed data")
        signed = token["content"]
        for signer in signed["signer_infos"]:
            if signer["sid"].name != "issuer_and_serial_number":
                raise ValueError("signer identified by key identifier")
        encap = signed["encap_content_info"]
        if encap["content_type"].dotted != TSTINFO_CONTENT_TYPE:
            raise ValueError("not a TSTInfo")
        content = encap["content"]
        if isinstance(content, core.Void):
            raise ValueError("detached content")  # noqa: TRY004 - an unreadable token
        raw = content.native if isinstance(content, core.OctetString) else content.contents
        info = tsp.TSTInfo.load(raw if isinstance(raw, bytes) else content.contents)
        info.native  # noqa: B018 - parses every field
        signed.native  # noqa: B018
        return info
    except (ValueError, TypeError, KeyError, OverflowError, AttributeError) as exc:
        raise ValueError(str(exc)) from None


def parse_response(data: bytes) -> TimestampResponse:
    """Parse a DER ``TimeStampResp`` as ``d2i_TS_RESP`` does; ValueError if unreadable."""
    try:
        resp = TimeStampResp.load(data)
        status_info = resp["status"]
        status = _integer(status_info["status"])
        texts_field = status_info["status_string"]
        texts = () if isinstance(texts_field, core.Void) else tuple(texts_field.native)
        fail = status_info["fail_info"]
        bits: frozenset[int] = frozenset()
        if not isinstance(fail, core.Void):
            # Read unmapped: the bits themselves, not their names.
            flags = core.BitString.load(fail.dump()).native
            bits = frozenset(i for i, bit in enumerate(flags) if bit)
        token_field = resp["time_stamp_token"]
        token: bytes | None = None
        info: tsp.TSTInfo | None = None
        if not isinstance(token_field, core.Void):
            if status not in (0, 1):
                raise ValueError("token present")
            info = token_info(token_field)
            token = token_field.dump()
        elif status in (0, 1):
            raise ValueError("token not present")
    except (ValueError, TypeError, KeyError, OverflowError, AttributeError) as exc:
        raise ValueError(str(exc)) from None
    return TimestampResponse(status, texts, bits, token, info)


def load_query(path: str) -> TimestampQuery:
    """Load a TSQ file (``+t``), or raise DCMTK's error (exit 31)."""
    data = _read(path)
    try:
        if data is None:
            raise ValueError("unreadable")
        return parse_query(data)
    except ValueError:
        raise TimestampError(
            f"Unable to load timestamp query file '{path}'",
            exit_code=ExitCode.CANNOT_READ_TSQ_FILE,
        ) from None


def load_response(path: str) -> TimestampResponse:
    """Load a TSR file (``+t``), or raise DCMTK's error (exit 32)."""
    data = _read(path)
    try:
        if data is None:
            raise ValueError("unreadable")
        return parse_response(data)
    except ValueError:
        raise TimestampError(
            f"Unable to load timestamp response file '{path}'",
            exit_code=ExitCode.CANNOT_READ_TSR_FILE,
        ) from None


def status_messages(response: TimestampResponse) -> tuple[list[str], str | None]:
    """DCMTK's warnings about a response's status, and its error when the status is not
    granted (0) or granted with modifications (1)."""
    warnings: list[str] = []
    error: str | None = None
    status = response.status
    if status == 0:
        return warnings, None
    if status == 1:
        warnings.append("timestamp response status: granted with modifications")
    else:
        text = _STATUS_TEXT.get(status, f"unknown error code {status}")
        error = f"timestamp response status: {text}"
    warnings.extend(f"timestamp response status text: {t}" for t in response.status_texts)
    warnings.extend(
        f"timestamp response status text: {t}"
        for bit, t in _FAILURE_TEXT
        if bit in response.failure_bits
    )
    return warnings, error


def _fail(message: str) -> TimestampError:
    return TimestampError(
        f"timestamp response validation failed: {message}",
        exit_code=ExitCode.TS_CONSISTENCY_CHECK_FAILED,
    )


def check_response(
    query: TimestampQuery | None,
    response: TimestampResponse,
    signature: bytes | None,
    certificate: bytes | None,
    *,
    warn: Callable[[str], None] | None = None,
) -> None:
    """DCMTK's consistency checks of a response against its query and the signature.

    Parameters
    ----------
    query : TimestampQuery or None
        The query; without one the response is only checked against the signature.
    response : TimestampResponse
        The response.
    signature : bytes or None
        The Signature (0400,0120) value of the signature item.
    certificate : bytes or None
        The Certificate of Signer (0400,0115) value (its key type decides the pad-byte trim).
    warn : callable, optional
        Receives DCMTK's warnings (granted with modifications, the status texts).

    Raises
    ------
    TimestampError
        With DCMTK's message and exit code 87; a status that is an error carries the status
        texts as ``notes`` (DCMTK prints them after the error).
    """
    warnings, status_error = status_messages(response)
    if status_error is not None:
        raise TimestampError(
            status_error, exit_code=ExitCode.TS_CONSISTENCY_CHECK_FAILED, notes=warnings
        )
    for line in warnings:
        if warn is not None:
            warn(line)
    info = response.info
    if info is None:
        raise TimestampError(
            "timestamp response does not contain TSTInfo structure",
            exit_code=ExitCode.TS_CONSISTENCY_CHECK_FAILED,
        )
    version = _integer(info["version"])
    if version != 1:
        raise TimestampError(
            f"unsupported timestamp response version number {version}",
            exit_code=ExitCode.TS_CONSISTENCY_CHECK_FAILED,
        )
    imprint = info["message_imprint"]
    oid = imprint["hash_algorithm"]["algorithm"].dotted
    hashed: bytes = imprint["hashed_message"].native
    if query is None:
        if warn is not None:
            warn(
                "timestamp query not available, will not check consistency with timestamp response"
            )
    else:
        if query.algorithm_oid != oid:
            raise _fail("message digest algorithms are different in timestamp query and response")
        if len(query.imprint) != len(hashed):
            raise _fail("message digest lengths are different in timestamp query and response")
        if query.imprint != hashed:
            raise _fail("message digests do not match in timestamp query and response")
        nonce = info["nonce"]
        if query.nonce is not None:
            if isinstance(nonce, core.Void):
                raise _fail("nonce is missing in timestamp response")
            if int(nonce.native) != query.nonce:
                raise _fail("nonces are not equal in timestamp query and response")
        if query.policy is not None and info["policy"].dotted != query.policy:
            raise _fail("policy OIDs are not equal in timestamp query and response")
    _check_against_signature(oid, hashed, signature, certificate)


def signature_data(signature: bytes, certificate: bytes | None) -> bytes:
    """The timestamped bytes of a Signature value: the DER pad byte of a DSA or ECDSA
    signature removed (the key type is read from the certificate)."""
    return signature_data_candidates(signature, certificate)[0]


def _dcmtk_trim(data: bytes) -> bytes:
    # DCMTK's adjustASN1SequenceLength: only the short and the two-byte length forms.
    n = len(data)
    if n > 2 and data[0] == 0x30 and data[1] < 128 and data[1] + 3 == n:
        return data[:-1]
    if n > 4 and data[0] == 0x30 and data[1] == 0x82 and 256 * data[2] + data[3] + 5 == n:
        return data[:-1]
    return data


def signature_data_candidates(signature: bytes, certificate: bytes | None) -> tuple[bytes, ...]:
    """The bytes a timestamp of this Signature may cover: ours (the pad byte removed in every
    DER length form), then DCMTK's where it differs (DCMTK 3.6.7 keeps the pad byte of the
    ``30 81 LL`` form, so its queries for such DSA/ECDSA signatures cover the padded value)."""
    if certificate is not None:
        try:
            key = _core.Certificate(certificate).public_key.key_type
        except ValueError:
            key = KeyType.NONE
        if key in (KeyType.DSA, KeyType.EC):
            ours, dcmtk = _core.trim_der(signature), _dcmtk_trim(signature)
            return (ours,) if ours == dcmtk else (ours, dcmtk)
    return (signature,)


def _readable_certificate(der: bytes) -> bool:
    try:
        _core.Certificate(der)
    except ValueError:
        return False
    return True


def _check_against_signature(
    oid: str, hashed: bytes, signature: bytes | None, certificate: bytes | None
) -> None:
    if signature is None or len(signature) < 4:
        raise _fail("signature in DICOM dataset not found or invalid")
    if certificate is None or not _readable_certificate(certificate):
        raise _fail("certificate in DICOM dataset not found or invalid")
    candidates = signature_data_candidates(signature, certificate)
    algorithm = ALGORITHMS_BY_OID.get(oid)
    if algorithm is None:
        name = _OTHER_DIGEST_NAMES.get(oid, "undefined")
        raise _fail(f"unsupported MAC algorithm {name} in timestamp response")
    if MacAlgorithm(algorithm).digest_size != len(hashed):
        raise _fail("message digest length does not match in DICOM dataset and timestamp response")
    if all(digest(algorithm, data) != hashed for data in candidates):
        raise _fail("message digests do not match in DICOM dataset and timestamp response")
