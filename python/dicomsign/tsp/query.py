"""RFC 3161 timestamp queries (``TimeStampReq``) as DCMTK ``dcmsign +ts`` builds them.

DCMTK's query (dcmsign-behaviour.md §7.1): version 1; a message imprint whose algorithm carries
**explicit NULL parameters**; the policy only when one is asked for (``+tp``); a nonce by
default, an INTEGER made from 8 random bytes with leading zero bytes dropped (``-tn`` leaves it
out); ``certReq`` TRUE by default, **omitted** (DER DEFAULT FALSE) with ``-tc``; no extensions.
The imprint is the digest of the Signature (0400,0120) value as created, the DER pad byte of a
DSA or ECDSA signature removed first.

The ASN.1 is :mod:`asn1crypto`'s; the digest is the engine's (all six of DCMTK's algorithms,
RIPEMD-160 included).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

from asn1crypto import core, tsp

from .. import _core
from ..exceptions import TimestampError
from ..vocabulary import MacAlgorithm

__all__ = [
    "DIGEST_OIDS",
    "TimestampQuery",
    "build_query",
    "digest",
    "parse_policy_oid",
    "write_atomically",
]

#: The OID of each of DCMTK's timestamp imprint algorithms.
DIGEST_OIDS: dict[MacAlgorithm, str] = {
    MacAlgorithm.SHA256: "2.16.840.1.101.3.4.2.1",
    MacAlgorithm.SHA384: "2.16.840.1.101.3.4.2.2",
    MacAlgorithm.SHA512: "2.16.840.1.101.3.4.2.3",
    MacAlgorithm.RIPEMD160: "1.3.36.3.2.1",
    MacAlgorithm.SHA1: "1.3.14.3.2.26",
    MacAlgorithm.MD5: "1.2.840.113549.2.5",
}

#: The algorithm of each imprint OID.
ALGORITHMS_BY_OID: dict[str, MacAlgorithm] = {oid: alg for alg, oid in DIGEST_OIDS.items()}

_NONCE_LENGTH = 8


@dataclass(frozen=True)
class TimestampQuery:
    """A timestamp query, built or loaded.

    Attributes
    ----------
    der : bytes
        The DER ``TimeStampReq``.
    algorithm_oid : str
        The imprint's hash algorithm (dotted OID).
    imprint : bytes
        The hashed message.
    nonce : int or None
        The nonce, when the query has one.
    policy : str or None
        The requested policy (dotted OID), when any.
    certificate_requested : bool
        ``certReq``: the TSA is asked to include its certificate.
    """

    der: bytes
    algorithm_oid: str
    imprint: bytes
    nonce: int | None
    policy: str | None
    certificate_requested: bool

    @classmethod
    def from_asn1(cls, req: tsp.TimeStampReq, der: bytes) -> TimestampQuery:
        """Describe a parsed ``TimeStampReq`` (fully parsed by the caller)."""
        imprint = req["message_imprint"]
        nonce = req["nonce"]
        policy = req["req_policy"]
        return cls(
            der=der,
            algorithm_oid=imprint["hash_algorithm"]["algorithm"].dotted,
            imprint=imprint["hashed_message"].native,
            nonce=None if isinstance(nonce, core.Void) else int(nonce.native),
            policy=None if isinstance(policy, core.Void) else policy.dotted,
            certificate_requested=bool(req["cert_req"].native),
        )


def digest(algorithm: MacAlgorithm, data: bytes) -> bytes:
    """The digest of ``data`` with one of DCMTK's six algorithms."""
    hasher = _core.Hasher(algorithm)
    hasher.update(data)
    return hasher.finalize()


def parse_policy_oid(text: str) -> str:
    """Check a ``+tp`` policy the way OpenSSL's ``OBJ_txt2obj(text, 0)`` reads a dotted OID.

    Returns the OID in its canonical dotted form. Names from OpenSSL's object table (e.g.
    ``sha256``) are not known (a deliberate difference, see the README): give the OID.

    Raises
    ------
    TimestampError
        DCMTK's ``Cannot convert <text> to OID.``.
    """
    arcs = text.split(".")
    ok = len(arcs) >= 2 and all(a.isascii() and a.isdigit() for a in arcs)
    if ok:
        first, second = int(arcs[0]), int(arcs[1])
        ok = first <= 2 and (first == 2 or second < 40)
    if not ok:
        raise TimestampError(f"Cannot convert {text} to OID.")
    return ".".join(str(int(a)) for a in arcs)


def _nonce() -> int:
    # DCMTK: 8 random bytes, leading zero bytes dropped, read as a positive INTEGER.
    return int.from_bytes(secrets.token_bytes(_NONCE_LENGTH).lstrip(b"\0") or b"\0", "big")


def build_query(
    data: bytes,
    *,
    algorithm: MacAlgorithm = MacAlgorithm.SHA256,
    nonce: bool | int = True,
    certificate: bool = True,
    policy: str | None = None,
) -> TimestampQuery:
    """Build DCMTK's ``TimeStampReq`` for ``data`` (the pad-trimmed Signature value).

    Parameters
    ----------
    data : bytes
        The data to timestamp.
    algorithm : MacAlgorithm
        The imprint algorithm (``+tm2`` SHA-256 by default).
    nonce : bool or int
        A fresh random nonce (True), none (False), or this nonce.
    certificate : bool
        Ask the TSA to include its certificate (``certReq``).
    policy : str, optional
        The requested policy, a dotted OID (see :func:`parse_policy_oid`).

    Raises
    ------
    TimestampError
        The policy is not an OID.
    """
    algorithm = MacAlgorithm(algorithm)
    fields: dict[str, object] = {
        "version": "v1",
        "message_imprint": tsp.MessageImprint(
            {
                "hash_algorithm": {
                    "algorithm": DIGEST_OIDS[algorithm],
                    "parameters": core.Null(),
                },
                "hashed_message": digest(algorithm, data),
            }
        ),
    }
    if policy is not None:
        fields["req_policy"] = parse_policy_oid(policy)
    if nonce is not False:
        fields["nonce"] = _nonce() if nonce is True else int(nonce)
    if certificate:
        fields["cert_req"] = True
    req = tsp.TimeStampReq(fields)
    return TimestampQuery.from_asn1(req, req.dump())


def write_atomically(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory, renamed
    over it (or over the file its symbolic links lead to); an existing file that is not a
    regular file (``/dev/null``, a FIFO) is written directly, never replaced."""
    import stat
    import tempfile

    target = os.path.realpath(path)
    try:
        mode = os.stat(target).st_mode
    except OSError:
        mode = 0
    if mode and not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        with open(target, "wb") as device:
            device.write(data)
        return
    directory = os.path.dirname(target) or "."
    fd, tmp = tempfile.mkstemp(prefix=".dicomsign-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
