"""The journal: one JSON object per verified file, appended as each file finishes.

The file is JSON Lines in UTF-8. Each record is written with one ``write`` system call on a
file opened for appending, so that after ``kill -9`` at any moment at most the records in
flight are missing and at most the last line is torn. A reader ignores a torn last line
(:class:`JournalReader`); a writer opening the journal again cuts it off before appending
(:class:`JournalWriter`), so that a resumed journal stays valid JSON Lines. Two runs cannot
append to one journal at once (an exclusive ``flock``, where the system has one).

Schema version 1 (field ``v``); later versions add fields, never change one:

- ``v`` (1), ``path`` (as walked; bytes of the name that are not UTF-8 as ``\\xNN``),
  ``path_base64`` (only then: the name's bytes, base64), ``status`` (the word), ``ok``
  (whether the file passes under the run's options), ``reason`` (one line; null for
  ``verified``), ``size`` and ``mtime_ns`` (``stat`` of the file when it was verified, links
  followed; null when it could not be examined), ``exit_code`` (DCMTK's for this file),
  ``checked_at`` (UTC, ISO 8601), ``signatures``: one object per signature, in DCMTK's
  order, with ``number``, ``uid``, ``location``, ``mac_algorithm``, ``signer`` (the
  certificate's subject), ``datetime`` (the signing time as stored), ``purpose``,
  ``status`` (the word for the signature), ``signature_status`` (the API's
  :class:`~dicomsign.results.SignatureStatus`), ``message`` (DCMTK's text) and
  ``revocation``: null unless the signer certificate was checked live (``--ocsp``), else an
  object with ``method`` (``"ocsp"``), ``state`` (``good``, ``revoked``, ``unknown``,
  ``unavailable``, ``no-responder``), ``responder`` (the URL), ``reason`` (RFC 5280's name
  of the revocation reason, e.g. ``keyCompromise``), ``revoked_at``, ``this_update``,
  ``next_update`` (UTC, ISO 8601, or null) and ``detail`` (why the status is unknown);
  ``timestamp``: null without a certified timestamp, else :func:`timestamp_fields`;
  ``validated_at``: null when the chain was judged now, else the time it was judged at
  (``--validation-time``).

A path may have several records (a file verified again after it changed): the last one is
the file's current state.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, Self

from ..exceptions import DicomSignError, os_reason
from ..exitcodes import ExitCode
from ..results import RevocationInfo, TimestampInfo
from .status import is_failure, one_line, signature_status
from .verifier import FileResult

__all__ = [
    "SCHEMA_VERSION",
    "JournalError",
    "JournalReader",
    "JournalWriter",
    "Seen",
    "record",
    "record_path",
    "timestamp_fields",
]

SCHEMA_VERSION = 1


class JournalError(DicomSignError):
    """A journal cannot be opened, locked or written (exit 40 for writing, 20 for reading)."""

    exit_code = ExitCode.CANNOT_WRITE_OUTPUT_FILE


def _path_fields(path: str) -> dict[str, str]:
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        raw = os.fsencode(path)
        text = raw.decode("utf-8", "backslashreplace")
        return {"path": text, "path_base64": base64.b64encode(raw).decode("ascii")}
    return {"path": path}


def record_path(rec: dict[str, Any]) -> bytes:
    """The bytes of a record's path (exact even when the name is not UTF-8)."""
    encoded = rec.get("path_base64")
    if isinstance(encoded, str):
        return base64.b64decode(encoded)
    return str(rec.get("path", "")).encode("utf-8", "surrogateescape")


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def revocation_fields(info: RevocationInfo | None) -> dict[str, Any] | None:
    """The journal's ``revocation`` object of a signature (None when not checked live)."""
    if info is None:
        return None
    return {
        "method": info.method,
        "state": info.state.value,
        "responder": info.responder,
        "reason": info.reason,
        "revoked_at": _time(info.revoked_at),
        "this_update": _time(info.this_update),
        "next_update": _time(info.next_update),
        "detail": None if info.detail is None else one_line(info.detail),
    }


def timestamp_fields(info: TimestampInfo | None) -> dict[str, Any] | None:
    """A signature's ``timestamp`` object in journals and JSON reports (None without one):
    ``status`` (``valid``, ``invalid``, ``not-verified``, ``unreadable``), ``gen_time`` (UTC,
    ``2025-01-31T12:00:00Z``), ``tsa`` (the TSA certificate's subject, else the token's TSA
    name), ``policy`` (OID), ``hash_algorithm`` (``sha256``...), ``serial_number`` (hex) and
    ``message`` (why invalid or unreadable)."""
    if info is None:
        return None
    return {
        "status": info.status.value,
        "gen_time": _time(info.gen_time),
        "tsa": None if info.tsa is None else one_line(info.tsa),
        "policy": info.policy,
        "hash_algorithm": info.hash_algorithm,
        "serial_number": None if info.serial_number is None else f"{info.serial_number:X}",
        "message": None if info.message is None else one_line(info.message),
    }


def record(
    result: FileResult,
    *,
    require_signature: bool = False,
    strict: bool = False,
    checked_at: datetime | None = None,
    signed_tags: bool = False,
) -> dict[str, Any]:
    """The journal record of one file (schema :data:`SCHEMA_VERSION`, see the module);
    ``signed_tags`` adds each signature's Data Elements Signed (``"00100010"``...)."""
    status = result.status
    signatures: list[dict[str, Any]] = []
    if result.report is not None:
        for sig in result.report.signatures:
            signatures.append(
                {
                    "number": sig.number,
                    "uid": sig.uid,
                    "location": sig.location,
                    "mac_algorithm": sig.mac_algorithm,
                    "signer": sig.signer,
                    "datetime": sig.datetime,
                    "purpose": sig.purpose,
                    "status": str(signature_status(sig)),
                    "signature_status": sig.status.value if sig.status is not None else None,
                    "message": one_line(sig.message),
                    "revocation": revocation_fields(sig.revocation),
                    "timestamp": timestamp_fields(sig.timestamp),
                    "validated_at": _time(sig.validated_at),
                }
            )
            if signed_tags:
                signatures[-1]["signed_tags"] = [f"{t:08X}" for t in sig.signed_tags]
    moment = checked_at or datetime.now(UTC)
    return {
        "v": SCHEMA_VERSION,
        **_path_fields(result.path),
        "status": str(status),
        "ok": not is_failure(status, require_signature=require_signature, strict=strict),
        "reason": result.reason,
        "size": result.size,
        "mtime_ns": result.mtime_ns,
        "exit_code": result.exit_code,
        "checked_at": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "signatures": signatures,
    }


def encode(rec: dict[str, Any]) -> bytes:
    """One journal line (with its newline)."""
    text = json.dumps(rec, ensure_ascii=False, separators=(",", ":"))
    return (text + "\n").encode("utf-8", "backslashreplace")


def _cut_torn_tail(fd: int) -> None:
    """Truncate an unterminated last line (a record torn by a kill) off the file."""
    end = os.lseek(fd, 0, os.SEEK_END)
    position = end
    while position > 0:
        start = max(0, position - (1 << 16))
        chunk = os.pread(fd, position - start, start)
        newline = chunk.rfind(b"\n")
        if newline >= 0:
            keep = start + newline + 1
            if keep != end:
                os.ftruncate(fd, keep)
            return
        position = start
    if end:
        os.ftruncate(fd, 0)


class JournalWriter:
    """Appends records to a journal, each flushed to the operating system as it is written.

    Raises
    ------
    JournalError
        The journal cannot be opened, or another run is appending to it.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        try:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError as exc:
            raise JournalError(
                f"journal '{self.path}' cannot be opened: {os_reason(exc, self.path)}"
            ) from None
        try:
            self._lock()
            _cut_torn_tail(self._fd)
        except BaseException:
            os.close(self._fd)
            raise
        self.written = 0
        st = os.fstat(self._fd)
        #: (device, inode): the walk leaves the journal out when it lies in a tree walked.
        self.identity = (st.st_dev, st.st_ino)

    def _lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX
            return
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise JournalError(f"journal '{self.path}' is in use by another run") from None

    def write(self, rec: dict[str, Any]) -> None:
        """Append one record (one ``write`` call)."""
        data = encode(rec)
        try:
            while data:
                data = data[os.write(self._fd, data) :]
        except OSError as exc:
            raise JournalError(
                f"journal '{self.path}' cannot be written: {os_reason(exc, self.path)}"
            ) from None
        self.written += 1

    def close(self) -> None:
        """Close the journal (idempotent)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class JournalReader:
    """The records of a journal, in order (iterate once).

    A torn last line (no newline, not JSON) is ignored silently (``torn`` says so); any other
    line that is not a JSON object with a ``path`` and a ``status`` is skipped and counted
    (``damaged``).

    Raises
    ------
    JournalError
        The journal cannot be opened (exit 20).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self.damaged = 0
        self.torn = False

    def __iter__(self) -> Iterator[dict[str, Any]]:
        try:
            stream = open(self.path, "rb")  # noqa: SIM115 - closed below, after the try
        except OSError as exc:
            raise JournalError(
                f"journal '{self.path}' cannot be read: {os_reason(exc, self.path)}",
                exit_code=ExitCode.CANNOT_READ_INPUT_FILE,
            ) from None
        with stream:
            for line in stream:
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except ValueError:
                    rec = None
                if isinstance(rec, dict) and "path" in rec and "status" in rec:
                    yield rec
                elif not line.endswith(b"\n"):
                    self.torn = True
                else:
                    self.damaged += 1


def _key(raw_path: bytes, size: object, mtime_ns: object) -> bytes:
    digest = hashlib.blake2b(raw_path, digest_size=16)
    digest.update(f"\0{size}\0{mtime_ns}".encode("ascii"))
    return digest.digest()


class Seen:
    """The files recorded in journals, by path, size and mtime_ns (``--resume``,
    ``--changed-since``), with the status word and ``ok`` of the last record: 16-byte digests,
    about 150 bytes per file in memory."""

    def __init__(self) -> None:
        self._files: dict[bytes, tuple[str, bool]] = {}
        self._words: dict[str, str] = {}
        self.damaged = 0

    def __len__(self) -> int:
        return len(self._files)

    def add_journals(self, paths: Iterable[str | os.PathLike[str]]) -> None:
        """Add every record of each journal that has a size and a modification time."""
        for path in paths:
            reader = JournalReader(path)
            for rec in reader:
                size, mtime_ns = rec.get("size"), rec.get("mtime_ns")
                if isinstance(size, int) and isinstance(mtime_ns, int):
                    word = str(rec.get("status"))
                    word = self._words.setdefault(word, word)  # one string per word
                    ok = rec.get("ok") is True
                    self._files[_key(record_path(rec), size, mtime_ns)] = (word, ok)
            self.damaged += reader.damaged

    def lookup(self, path: str) -> tuple[str, bool] | None:
        """(status, ok) of the last record of ``path`` (symbolic links followed) when it has
        the file's size and mtime_ns; None for a new or changed file."""
        if not self._files:
            return None
        try:
            st = os.stat(path)
        except (OSError, ValueError):
            return None
        return self._files.get(_key(os.fsencode(path), st.st_size, st.st_mtime_ns))

    def unchanged(self, path: str) -> bool:
        """True when ``path`` has a record with its size and mtime_ns."""
        return self.lookup(path) is not None
