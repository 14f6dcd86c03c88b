"""Exception hierarchy of :mod:`dicomsign`.

Every exception carries the DCMTK ``dcmsign`` exit code that the command-line front ends
return for it, so that a library error and a CLI failure always agree.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Sequence

from .exitcodes import ExitCode


class DicomSignError(Exception):
    """Base class of all errors raised by :mod:`dicomsign`.

    Parameters
    ----------
    message : str
        A one-line, human-readable description.
    exit_code : ExitCode, optional
        Overrides the class default exit code.
    """

    exit_code: ExitCode = ExitCode.COMMANDLINE_SYNTAX_ERROR

    def __init__(self, message: str, *, exit_code: ExitCode | None = None) -> None:
        super().__init__(message)
        self.message = message
        if exit_code is not None:
            self.exit_code = exit_code


class CommandLineError(DicomSignError):
    """Bad options or parameters (exit 1)."""

    exit_code = ExitCode.COMMANDLINE_SYNTAX_ERROR


class InputFileError(DicomSignError):
    """An input (DICOM file, key, certificate) cannot be read (exit 20)."""

    exit_code = ExitCode.CANNOT_READ_INPUT_FILE


class DicomFormatError(InputFileError):
    """The input is not a readable DICOM file or dataset (exit 20).

    Parameters
    ----------
    message : str
        DCMTK's condition text for a damaged file ("Invalid tag", "Sequence Delimitation Item
        missing"...), or a description.
    log : sequence of (str, str), optional
        What DCMTK logs while reading up to the damage: ``("W", text)`` warnings and
        ``("E", text)`` errors, in order.
    kind : str, optional
        The damage as a stable name (``"invalid-tag"``, ``"premature-end"``...), None for a
        file that is not DICOM at all.
    """

    def __init__(
        self,
        message: str,
        log: Sequence[tuple[str, str]] = (),
        kind: str | None = None,
        *,
        exit_code: ExitCode | None = None,
    ) -> None:
        super().__init__(message, exit_code=exit_code)
        self.log = tuple((str(level), str(text)) for level, text in log)
        self.kind = kind


class NotDicomError(DicomFormatError):
    """The input is not DICOM at all (exit 20, as any file DCMTK cannot read): it has no
    ``DICM`` prefix at offset 128 and the reader cannot read it as a bare dataset either
    (empty, text, random bytes). :mod:`dicomsign.archive` reports it as ``not-dicom``, not as a
    damaged (``unreadable``) DICOM file.
    """


class KeyLoadError(InputFileError):
    """A private key cannot be loaded: missing, garbage, wrong format or password (exit 20)."""


class TokenError(KeyLoadError):
    """A PKCS#11 token's key cannot be had (exit 20, DCMTK's code for a key that cannot be
    loaded): the module cannot be loaded, no token or several match, a wrong or locked PIN, a
    URI that names no object or several. Never retried: a second wrong PIN could lock a card.
    """


class CertificateLoadError(InputFileError):
    """A certificate cannot be loaded (exit 20)."""


class TrustFileError(InputFileError):
    """A trust file given to the API or to ``dicomsign verify`` (trusted or untrusted
    certificates, a CRL) cannot be loaded: missing, a directory, not a certificate or not a
    CRL (exit 20, DCMTK's code for an input such as a certificate that cannot be read).

    Unlike ``dcmsign``, which warns and goes on, these stop before any file is verified: a
    trust file that is silently missing would turn every verdict into "untrusted", and a CRL
    that is silently missing would hide revocations. ``path`` is the file as given.
    """

    def __init__(self, message: str, *, path: str = "", exit_code: ExitCode | None = None) -> None:
        super().__init__(message, exit_code=exit_code)
        self.path = path


class TagFileError(DicomSignError):
    """A ``--tag-file`` is missing (exit 30) or has a syntax error (exit 86)."""

    exit_code = ExitCode.SYNTAX_ERROR_IN_TAG_FILE


class OutputFileError(DicomSignError):
    """The output file cannot be written, or the conversion is impossible (exit 40)."""

    exit_code = ExitCode.CANNOT_WRITE_OUTPUT_FILE


class SupportFileError(DicomSignError):
    """A support file such as the ``--dump`` file cannot be created (exit 46)."""

    exit_code = ExitCode.CANNOT_WRITE_SUPPORT_FILE


class SignatureCreationError(DicomSignError):
    """Signing failed: profile, key/certificate mismatch, tags, location... (exit 85)."""

    exit_code = ExitCode.SIGNATURE_CREATION_FAILED


class SignatureNotFoundError(DicomSignError):
    """No signature has the requested UID (exit 84)."""

    exit_code = ExitCode.SIGNATURE_UID_NOT_FOUND


class SignatureRemovalError(DicomSignError):
    """A signature could not be removed (exit 83)."""

    exit_code = ExitCode.SIGNATURE_REMOVAL_FAILED


class VerificationError(DicomSignError):
    """Base class of verification outcomes that are failures."""

    exit_code = ExitCode.SIGNATURE_VERIFICATION_FAILED


class InvalidSignature(VerificationError):
    """At least one signature is corrupted or its certificate is not trusted (exit 101)."""

    exit_code = ExitCode.SIGNATURE_VERIFICATION_FAILED


class NoSignaturesError(VerificationError):
    """The policy requires a signature but the dataset has none (exit 100)."""

    exit_code = ExitCode.NO_SIGNATURES_PRESENT


class PolicyError(VerificationError):
    """No signature fulfils the required signature profile (exit 102)."""

    exit_code = ExitCode.SIGNATURE_VERIFICATION_POLICY


class StreamError(DicomSignError):
    """The MAC byte stream of a signature cannot be built.

    Raised by the engine for a listed element that is not signable (``args[1]`` is its tag) or
    pixel data that cannot be encoded in the MAC transfer syntax (``args[1]`` is 0).
    """

    exit_code = ExitCode.SIGNATURE_VERIFICATION_FAILED

    def __init__(self, message: str, tag: int = 0) -> None:
        super().__init__(message)
        self.tag = tag


class TimestampError(DicomSignError):
    """A certified timestamp cannot be made, loaded, matched or inserted.

    The exit code says which (DCMTK's): 85 a query that cannot be created or written while
    signing, 31 the query file, 32 the response file, 33 the UID file cannot be read, 87 the
    response does not match the query or the signature, 82 the token cannot be inserted.
    """

    exit_code = ExitCode.TS_CONSISTENCY_CHECK_FAILED

    def __init__(
        self, message: str, *, exit_code: ExitCode | None = None, notes: Sequence[str] = ()
    ) -> None:
        super().__init__(message, exit_code=exit_code)
        #: Warnings DCMTK prints right after the message (the status texts of a response).
        self.notes = tuple(notes)


class LocationError(DicomSignError):
    """An item path does not resolve (raised by the engine).

    ``args`` are ``(kind, step, items)``: kind is ``"not-found"``, ``"not-sequence"`` or
    ``"no-item"``; step is the index of the failing path step; items is the number of items of
    the sequence for ``"no-item"``.
    """

    exit_code = ExitCode.SIGNATURE_CREATION_FAILED

    def __init__(self, kind: str, step: int = 0, items: int = 0) -> None:
        super().__init__(f"{kind} at step {step}")
        self.kind = kind
        self.step = step
        self.items = items


def os_reason(exc: OSError, path: str | os.PathLike[str] | None = None) -> str:
    """The operating system's reason for ``exc`` in words, as DCMTK prints it (``"No such
    file or directory"``, ``"Is a directory"``), never a temporary file's name.

    An error without an ``errno`` keeps its own text, except that of a ``path`` that is a
    directory, which is named as the operating system names it.
    """
    if exc.errno:
        return os.strerror(exc.errno)
    if path is not None and os.path.isdir(path):
        return os.strerror(errno.EISDIR)
    return exc.strerror or str(exc)
