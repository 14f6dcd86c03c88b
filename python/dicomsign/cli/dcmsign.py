"""``dcmsign``: a drop-in replacement for DCMTK's command of the same name.

Same options (parsed by :mod:`.dcmsign_options`), same exit codes, same log lines on stderr;
the work is done by the engine and the modules of :mod:`dicomsign`. The deliberate differences
from DCMTK are listed in the README.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from .. import _core
from ..engine import ensure_dictionary, write_options
from ..exceptions import (
    DicomSignError,
    InputFileError,
    OutputFileError,
    SignatureCreationError,
    SignatureNotFoundError,
    SupportFileError,
    TagFileError,
)
from ..exitcodes import ExitCode
from ..log import DcmtkLogger, LogLevel
from ..tags import read_tag_file
from .dcmsign_options import (
    CertificateSource,
    Command,
    DcmsignOptions,
    DcmsignParseHooks,
    KeyFormat,
    parse_dcmsign_args,
)
from .dcmsign_report import SKIPPED_WARNING, print_removed, print_verification

if TYPE_CHECKING:
    from ..signing import OutputRequest

__all__ = ["main"]

_READ_MODES = {"AUTO": "auto", "FILE_ONLY": "file", "DATASET": "dataset"}
_READ_XFERS = {
    "AUTO": "auto",
    "DETECT": "detect",
    "LITTLE_ENDIAN_EXPLICIT": "little",
    "BIG_ENDIAN_EXPLICIT": "big",
    "LITTLE_ENDIAN_IMPLICIT": "implicit",
}
_WRITE_XFERS = {
    "SAME": "same",
    "LITTLE_ENDIAN_EXPLICIT": "little",
    "BIG_ENDIAN_EXPLICIT": "big",
    "LITTLE_ENDIAN_IMPLICIT": "implicit",
}
_POLICIES = {
    "VERIFY_IF_PRESENT": "if-present",
    "REQUIRE_SIGNATURE": "require",
    "REQUIRE_CREATOR_RSA": "creator",
    "REQUIRE_AUTHORIZATION_RSA": "authorization",
    "REQUIRE_SR_RSA": "sr",
}
_TIMESTAMP_POLICIES = {"VERIFY_IF_PRESENT": "verify", "IGNORE": "ignore", "REQUIRE": "require"}


class _Hooks(DcmsignParseHooks):
    """The work DCMTK does while it reads its options, in the same order."""

    def __init__(self, logger: DcmtkLogger) -> None:
        self.logger = logger
        self.sources: list[tuple[CertificateSource, str]] = []
        self.key_format = KeyFormat.PEM

    def add_certificate_source(
        self, source: CertificateSource, path: str, key_format: KeyFormat
    ) -> None:
        self.sources.append((source, path))
        self.key_format = key_format

    def read_tag_file(self, path: str) -> Sequence[int] | None:
        try:
            return read_tag_file(path)
        except TagFileError as exc:
            self.logger.error(exc.message)
            raise TagFileError(
                f"Error while reading tag file '{path}', giving up.", exit_code=exc.exit_code
            ) from None

    def open_dump_file(self, path: str) -> None:
        target = Path(path)
        ok = os.access(target, os.W_OK) if target.exists() else _creatable(target)
        if not ok or target.is_dir():
            raise SupportFileError(f"unable to create dump file '{path}'")


def _creatable(path: Path) -> bool:
    parent = path.parent if str(path.parent) else Path(".")
    return parent.is_dir() and os.access(parent, os.W_OK | os.X_OK)


def _trust_store(hooks: _Hooks, opts: DcmsignOptions, logger: DcmtkLogger) -> object:
    from ..trust import TrustStore

    store = TrustStore(der=hooks.key_format is KeyFormat.DER, warn=logger.warn)
    # DCMTK evaluates these options right to left; the hook recorded them in that order.
    for source, path in hooks.sources:
        if source is CertificateSource.TRUSTED_FILE:
            store.add_trusted_file(path)
        elif source is CertificateSource.UNTRUSTED_FILE:
            store.add_untrusted_file(path)
        elif source is CertificateSource.TRUSTED_DIRECTORY:
            store.add_directory(path)
        else:
            store.add_crl_file(path)
    if opts.crl_verification:
        store.crl_check = True
    return store


@contextmanager
def _input_path(name: str) -> Iterator[str]:
    """The input file; ``-`` (stdin) is spooled to a temporary file first."""
    if name != "-":
        yield name
        return
    import tempfile

    # Closed before the engine opens it by name (Windows cannot open it twice), removed after.
    with tempfile.NamedTemporaryFile(prefix="dicomsign-stdin-", delete=False) as tmp:
        shutil.copyfileobj(sys.stdin.buffer, tmp)
    try:
        yield tmp.name
    finally:
        os.unlink(tmp.name)


def _read_error(exc: Exception, name: str) -> InputFileError:
    if isinstance(exc, OSError) and exc.errno and not isinstance(exc, IsADirectoryError):
        text = os.strerror(exc.errno)
    elif isinstance(exc, DicomSignError) and exc.message == "file is empty":
        text = "End of stream"
    else:
        text = "I/O suspension or premature end of stream"
    return InputFileError(f"{text}: reading file: {name}")


def _open(opts: DcmsignOptions, path: str) -> _core.Document:
    ensure_dictionary()
    try:
        return _core.Document.open(
            path,
            read_mode=_READ_MODES[opts.read_mode.name],  # type: ignore[arg-type]
            read_xfer=_READ_XFERS[
                "DETECT" if opts.read_transfer_syntax_detect else opts.read_transfer_syntax.name
            ],  # type: ignore[arg-type]
            convert_un=opts.convert_un,
        )
    except (OSError, DicomSignError) as exc:
        raise _read_error(exc, opts.input_file) from None


def _write(doc: _core.Document, opts: DcmsignOptions, rule: str, logger: DcmtkLogger) -> None:
    name = opts.output_file or ""
    logger.info(f"create output file {name}")
    syntax = _WRITE_XFERS[opts.write_transfer_syntax.name]
    try:
        doc.output_transfer_syntax(syntax=syntax)  # type: ignore[arg-type]
    except OutputFileError as exc:
        raise OutputFileError(f"{exc.message}") from None
    kwargs = {
        "syntax": syntax,
        "explicit_lengths": opts.explicit_length,
        "rule": rule,
        **write_options(),
    }
    try:
        if name == "-":
            import tempfile

            with tempfile.TemporaryDirectory(prefix="dicomsign-") as tmp:
                target = os.path.join(tmp, "out.dcm")
                doc.write(target, **kwargs)  # type: ignore[arg-type]
                with open(target, "rb") as fh:
                    shutil.copyfileobj(fh, sys.stdout.buffer)
                sys.stdout.buffer.flush()
        else:
            doc.write(name, **kwargs)  # type: ignore[arg-type]
    except OSError as exc:
        raise _write_error(exc, name) from None


def _direct_output(doc: _core.Document, opts: DcmsignOptions) -> OutputRequest | None:
    """Where to write while signing (one pass), or None to write afterwards as DCMTK does:
    for stdout, and when the conversion to the output transfer syntax is impossible (so that
    the error comes after the signature, with its dump, as in DCMTK)."""
    from ..signing import OutputRequest

    name = opts.output_file
    if not name or name == "-":
        return None
    syntax = _WRITE_XFERS[opts.write_transfer_syntax.name]
    try:
        doc.output_transfer_syntax(syntax=syntax)  # type: ignore[arg-type]
    except OutputFileError:
        return None
    return OutputRequest(name, syntax, opts.explicit_length)  # type: ignore[arg-type]


def _write_error(exc: OSError, name: str) -> OutputFileError:
    reason = os.strerror(exc.errno) if exc.errno else str(exc)
    return OutputFileError(f"{reason}: writing file: {name}")


def _run(opts: DcmsignOptions, hooks: _Hooks, logger: DcmtkLogger) -> int:
    if not opts.input_file:
        logger.fatal("invalid filename: <empty string>")
        return ExitCode.NO_INPUT_FILES
    logger.info(f"open input file {opts.input_file}")
    with _input_path(opts.input_file) as path:
        doc = _open(opts, path)
        for warning in doc.warnings:
            logger.warning(warning)
        command = opts.command
        if command is Command.VERIFY:
            return _verify(doc, opts, hooks, logger)
        if command in (Command.SIGN, Command.SIGN_ITEM):
            from .dcmsign_sign import sign

            if opts.creates_timestamp_query:
                # Refused rather than ignored: the query and UID files would silently be missing.
                logger.fatal(
                    "certified timestamps (--timestamp-file) are not supported by this version"
                )
                return ExitCode.COMMANDLINE_SYNTAX_ERROR

            direct = _direct_output(doc, opts)
            try:
                rule = sign(doc, opts, logger, output=direct)
            except SignatureCreationError as exc:
                logger.error(exc.message)
                return exc.exit_code
            except OSError as exc:
                # Raised while writing the output in the same pass as the signature.
                logger.info(f"create output file {opts.output_file}")
                raise _write_error(exc, opts.output_file or "") from None
            if direct is None:
                _write(doc, opts, rule, logger)
            else:
                logger.info(f"create output file {opts.output_file}")
            return ExitCode.NO_ERROR
        if command in (Command.REMOVE, Command.REMOVE_ALL):
            code = _remove(doc, opts, logger)
            if code != ExitCode.NO_ERROR:
                return code
            _write(doc, opts, "3.6", logger)
            return ExitCode.NO_ERROR
        logger.fatal("certified timestamps (--insert-timestamp) are not supported by this version")
        return ExitCode.COMMANDLINE_SYNTAX_ERROR


class _SkippedNotices:
    """DCMTK's warnings for the signature sequences inside Original Attributes Sequence during
    ``+r``/``+ra``: each is printed when the search passes it, between the signatures."""

    def __init__(self, doc: _core.Document, logger: DcmtkLogger) -> None:
        from ..location import skipped_signature_containers, visiting_key

        signatures, skipped = doc.signatures()
        self.logger = logger
        self.keys = [visiting_key(sig["container"]) for sig in signatures]
        self.no_mac_id = [n for n, sig in enumerate(signatures, 1) if sig["mac_id"] is None]
        containers = skipped_signature_containers(doc) if skipped else []
        self.all = [visiting_key(container) for container in containers]
        self.pending = list(self.all)

    def before(self, number: int) -> None:
        """Print the warnings the search passes before signature ``number`` (1-based)."""
        key = self.keys[number - 1]
        while self.pending and self.pending[0] < key:
            self.pending.pop(0)
            self.logger.warning(SKIPPED_WARNING)

    def warn(self, text: str) -> None:
        """Forward a removal warning (about the next signature without a MAC ID)."""
        from ..removal import NO_MAC_ID_WARNING

        if text == NO_MAC_ID_WARNING and self.no_mac_id:
            self.before(self.no_mac_id.pop(0))
        self.logger.warning(text)

    def finish(self, *, again: bool = False) -> None:
        """Print the warnings the search passes after the last signature; with ``again``, also
        those of the second search DCMTK's ``+ra`` makes once it removed something."""
        for _ in [*self.pending, *(self.all if again else [])]:
            self.logger.warning(SKIPPED_WARNING)
        self.pending = []


def _remove(doc: _core.Document, opts: DcmsignOptions, logger: DcmtkLogger) -> int:
    from ..removal import RemovedSignature, remove_all, remove_by_uid

    numbered = opts.command is Command.REMOVE_ALL
    notices = _SkippedNotices(doc, logger)

    def announce(sig: RemovedSignature) -> None:
        notices.before(sig.number)
        print_removed([sig], logger, numbered=numbered, summary=False)

    try:
        if opts.command is Command.REMOVE:
            logger.info("removing signature from sequence item.")
            try:
                remove_by_uid(doc, opts.signature_uid or "", warn=notices.warn, notify=announce)
            except SignatureNotFoundError:
                notices.finish()
                raise
        else:
            logger.info("removing all signatures.")
            removed = remove_all(doc, warn=notices.warn, notify=announce)
            notices.finish(again=bool(removed))
            logger.info(f"{len(removed)} signatures found and removed from dataset.")
    except DicomSignError as exc:
        logger.error(exc.message)
        return exc.exit_code
    return ExitCode.NO_ERROR


def _fast_verify(
    doc: _core.Document, opts: DcmsignOptions, hooks: _Hooks, logger: DcmtkLogger
) -> int | None:
    """The verification fast path (no cryptography import): when the engine is sure that every
    signature is valid, print DCMTK's lines for that outcome; None when it is not sure, or when
    the options ask for more than the fast path knows (verbose output, profiles, CRLs,
    certificate directories, required timestamps)."""
    if logger.is_enabled(LogLevel.INFO) or opts.crl_verification:
        return None
    if opts.verification_policy.name not in ("VERIFY_IF_PRESENT", "REQUIRE_SIGNATURE"):
        return None
    if opts.timestamp_policy.name == "REQUIRE":
        return None
    trusted: list[str] = []
    untrusted: list[str] = []
    for source, path in hooks.sources:
        if source is CertificateSource.TRUSTED_FILE:
            trusted.append(path)
        elif source is CertificateSource.UNTRUSTED_FILE:
            untrusted.append(path)
        else:
            return None
    uids = doc.surely_valid(
        trusted,
        untrusted,
        der=hooks.key_format is KeyFormat.DER,
        old_format=opts.old_format,
    )
    if uids is None:
        return None
    if not uids:
        if opts.verification_policy.name == "VERIFY_IF_PRESENT":
            logger.warning("no signatures found in dataset.")
            return ExitCode.NO_ERROR
        logger.error("no signatures found although required by the signature verification policy.")
        return ExitCode.NO_SIGNATURES_PRESENT
    for number, uid in enumerate(uids, 1):
        logger.warning(f"Signature #{number} UID={uid}")
        logger.warning("  Signature Verification : OK")
    return ExitCode.NO_ERROR


def _verify(doc: _core.Document, opts: DcmsignOptions, hooks: _Hooks, logger: DcmtkLogger) -> int:
    logger.info("verifying all signatures.")
    fast = _fast_verify(doc, opts, hooks, logger)
    if fast is not None:
        return fast

    from ..verification import TimestampPolicy, VerificationPolicy, evaluate
    from .dcmsign_sign import profile_checker

    store = _trust_store(hooks, opts, logger)
    policy = VerificationPolicy(_POLICIES[opts.verification_policy.name])
    signatures, skipped = _digests(doc, opts)
    containers: list[list[tuple[int, int]]] = []
    if skipped:
        from ..location import skipped_signature_containers

        containers = skipped_signature_containers(doc)
    outcome = evaluate(
        signatures,
        trust=store,  # type: ignore[arg-type]
        policy=policy,
        timestamps=TimestampPolicy(_TIMESTAMP_POLICIES[opts.timestamp_policy.name]),
        profile_check=profile_checker(doc, policy),
        skipped=skipped,
    )
    return print_verification(outcome, logger, containers)


def _digests(doc: _core.Document, opts: DcmsignOptions) -> tuple[list[_core.VerifiedDict], int]:
    from ..verification import engine_digests

    return engine_digests(doc, old_format=opts.old_format)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``dcmsign`` with ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    prog = os.path.basename(sys.argv[0]) if argv is None and sys.argv else "dcmsign"
    logger = DcmtkLogger()
    hooks = _Hooks(logger)
    try:
        parsed = parse_dcmsign_args(args, logger=logger, prog=prog or "dcmsign", hooks=hooks)
    except DicomSignError as exc:
        logger.fatal(exc.message)
        return int(exc.exit_code)
    if isinstance(parsed, int):
        return parsed
    try:
        return int(_run(parsed, hooks, logger))
    except DicomSignError as exc:
        logger.fatal(exc.message)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        logger.fatal("interrupted")
        return 130
    except BrokenPipeError:
        return int(ExitCode.CANNOT_WRITE_OUTPUT_FILE)


if __name__ == "__main__":
    sys.exit(main())
