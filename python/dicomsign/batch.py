"""Batch signing: many files signed in parallel with one signer (:func:`sign_many`).

Each file is signed by :func:`dicomsign.sign` (read, MAC stream hashed and the output written
by the Rust engine with the GIL released), on a pool of threads sharing the one signer: a key
loaded once, or one session of a token. Files are taken from the input lazily, at most a few
per thread ahead of the results handed out, so memory is bounded by the number of threads.
Every output is written atomically (a temporary file renamed into place); a file that cannot
be signed leaves no output and becomes a result with its reason, never an exception.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from .exceptions import DicomFormatError, DicomSignError, os_reason
from .exitcodes import ExitCode

if TYPE_CHECKING:
    from collections.abc import Callable

    from .results import TimestampInfo
    from .tsp.client import Timestamper
    from .tsp.insert import StampedSignature

__all__ = ["SignedFile", "TimestampedFile", "sign_many", "timestamp_many"]


@dataclass(frozen=True)
class SignedFile:
    """The outcome of signing one file.

    Attributes
    ----------
    path : str
        The input, as given.
    output : str
        Where the signed file is (or would have been) written.
    status : {"signed", "failed", "not-dicom"}
        ``signed``; ``failed`` (damaged, unreadable, not signable under the options, output
        not writable...); ``not-dicom`` (no ``DICM`` prefix and not readable as a dataset).
    reason : str or None
        Why the file is not signed, in one line (DCMTK's message); None when signed.
    exit_code : int
        DCMTK's exit code for this file (0 when signed).
    uid : str or None
        The new signature's UID.
    size, mtime_ns : int or None
        ``stat`` of the output when signed in place, else of the input, after signing: a
        journal record with these tells a resumed run the file is done.
    timestamp : TimestampInfo or None
        The certified timestamp added to the new signature (``timestamper``).
    timestamp_error : str or None
        Why the file was signed without the timestamp asked for (``timestamp_required``
        False), in one line.
    """

    path: str
    output: str
    status: str
    reason: str | None = None
    exit_code: int = 0
    uid: str | None = None
    size: int | None = None
    mtime_ns: int | None = None
    timestamp: TimestampInfo | None = None
    timestamp_error: str | None = None


@dataclass(frozen=True)
class TimestampedFile:
    """The outcome of timestamping the signatures of one file (:func:`timestamp_many`).

    Attributes
    ----------
    path, output : str
        The input and where the result is (or would have been) written.
    status : {"timestamped", "unchanged", "failed", "not-dicom"}
        ``timestamped`` (tokens added, the output written); ``unchanged`` (no signature
        without a token: nothing written); ``failed``; ``not-dicom``.
    reason : str or None
        Why the file failed, in one line.
    exit_code : int
        DCMTK's exit code for this file (0 unless failed).
    added : tuple of StampedSignature
        The signatures that received a token.
    size, mtime_ns : int or None
        ``stat`` of the input, or of the output when written in place.
    """

    path: str
    output: str
    status: str
    reason: str | None = None
    exit_code: int = 0
    added: tuple[StampedSignature, ...] = ()
    size: int | None = None
    mtime_ns: int | None = None


def _has_dicm_prefix(path: str) -> bool:
    try:
        with open(path, "rb") as file:
            return file.read(132)[128:] == b"DICM"
    except OSError:
        return False


def _stat(path: str) -> tuple[int | None, int | None]:
    try:
        st = os.stat(path)
    except OSError:
        return None, None
    return st.st_size, st.st_mtime_ns


def _sign_one(path: str, output: str, signer: Any, options: dict[str, Any]) -> SignedFile:
    from .api import sign

    try:
        parent = os.path.dirname(output)
        if parent:
            os.makedirs(parent, exist_ok=True)
        result = sign(path, signer, output=output, **options)
    except DicomFormatError as exc:
        word = "failed" if _has_dicm_prefix(path) else "not-dicom"
        size, mtime_ns = _stat(path)
        return SignedFile(path, output, word, exc.message, int(exc.exit_code), None, size, mtime_ns)
    except DicomSignError as exc:
        size, mtime_ns = _stat(path)
        return SignedFile(
            path, output, "failed", exc.message, int(exc.exit_code), None, size, mtime_ns
        )
    except OSError as exc:
        code = int(ExitCode.CANNOT_WRITE_OUTPUT_FILE)
        size, mtime_ns = _stat(path)
        return SignedFile(
            path, output, "failed", os_reason(exc, output), code, None, size, mtime_ns
        )
    size, mtime_ns = _stat(output if output == path else path)
    return SignedFile(
        path,
        output,
        "signed",
        None,
        0,
        result.signature.uid,
        size,
        mtime_ns,
        result.timestamp,
        result.timestamp_error,
    )


def sign_many(
    files: Iterable[tuple[str, str]],
    signer: Any,
    *,
    jobs: int | None = None,
    **options: Any,
) -> Iterator[SignedFile]:
    """Sign files in parallel with one signer; yield each outcome as it completes.

    Parameters
    ----------
    files : iterable of (input, output) paths
        Taken lazily; ``output`` may be ``input`` (signed in place, atomically). Missing
        directories of an output are created.
    signer : Signer
        Shared by every thread (a key file signer, a token session).
    jobs : int, optional
        Files signed at once (default: every core).
    **options
        :func:`dicomsign.sign`'s options (``algorithm``, ``tags``, ``profile``, ``purpose``,
        ``location``, ``transfer_syntax``...), the same for every file.

    Returns
    -------
    iterator of SignedFile
        One per input, in the order they complete; closing it drops the files not started
        and waits for those in flight.
    """
    return _parallel(files, lambda path, output: _sign_one(path, output, signer, options), jobs)


R = TypeVar("R")


def _parallel(
    files: Iterable[tuple[str, str]], work: Callable[[str, str], R], jobs: int | None
) -> Iterator[R]:
    """``work(input, output)`` for each file on a pool of threads; each result as it
    completes. Files are taken lazily, at most two per thread ahead."""
    from .archive.engine import default_jobs

    workers = default_jobs() if jobs is None else jobs
    if workers < 1:
        raise ValueError(f"jobs must be at least 1, not {workers}")
    source = iter(files)
    if workers == 1:
        for path, output in source:
            yield work(path, output)
        return
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dicomsign-batch")
    pending: set[Future[R]] = set()
    try:
        while True:
            for path, output in source:
                pending.add(pool.submit(work, path, output))
                if len(pending) >= 2 * workers:
                    break
            if not pending:
                return
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _timestamp_one(
    path: str, output: str, timestamper: Timestamper, options: dict[str, Any]
) -> TimestampedFile:
    from .api import open_document
    from .exceptions import OutputFileError
    from .tsp.insert import stamp_signature, unstamped_signatures
    from .vocabulary import ValueRule, WriteTransferSyntax

    try:
        doc = open_document(path)
        todo = unstamped_signatures(doc)
        if not todo:
            size, mtime_ns = _stat(path)
            return TimestampedFile(path, output, "unchanged", size=size, mtime_ns=mtime_ns)
        added = tuple(stamp_signature(doc, sig, timestamper) for sig in todo)
        parent = os.path.dirname(output)
        if parent:
            os.makedirs(parent, exist_ok=True)
        try:
            doc.write(
                output,
                syntax=WriteTransferSyntax(options.get("transfer_syntax", "same")),
                explicit_lengths=bool(options.get("explicit_lengths", True)),
                rule=ValueRule.DCMTK_3_6,
            )
        except OSError as exc:
            raise OutputFileError(f"{os_reason(exc)}: writing file: {output}") from None
    except DicomFormatError as exc:
        word = "failed" if _has_dicm_prefix(path) else "not-dicom"
        size, mtime_ns = _stat(path)
        return TimestampedFile(
            path, output, word, exc.message, int(exc.exit_code), (), size, mtime_ns
        )
    except DicomSignError as exc:
        size, mtime_ns = _stat(path)
        return TimestampedFile(
            path, output, "failed", exc.message, int(exc.exit_code), (), size, mtime_ns
        )
    except OSError as exc:
        code = int(ExitCode.CANNOT_WRITE_OUTPUT_FILE)
        size, mtime_ns = _stat(path)
        return TimestampedFile(
            path, output, "failed", os_reason(exc, output), code, (), size, mtime_ns
        )
    size, mtime_ns = _stat(output if output == path else path)
    return TimestampedFile(path, output, "timestamped", None, 0, added, size, mtime_ns)


def timestamp_many(
    files: Iterable[tuple[str, str]],
    timestamper: Timestamper,
    *,
    jobs: int | None = None,
    **options: Any,
) -> Iterator[TimestampedFile]:
    """Add a certified timestamp to every signature without one, file by file, in parallel
    with one shared timestamper; yield each outcome as it completes.

    Parameters
    ----------
    files : iterable of (input, output) paths
        Taken lazily; ``output`` may be ``input`` (rewritten in place, atomically). A file
        with no signature lacking a token is not written (``unchanged``).
    timestamper : Timestamper
        Shared by every thread (one HTTP request per signature, its retries and backoff).
    jobs : int, optional
        Files at once (default: every core).
    **options
        ``transfer_syntax`` and ``explicit_lengths`` of the written files.
    """
    return _parallel(
        files, lambda path, output: _timestamp_one(path, output, timestamper, options), jobs
    )
