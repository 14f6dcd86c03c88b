"""The complete run of ``dcmsign``: every option, every outcome, DCMTK's messages.

The options are evaluated by :mod:`.options`; the work is done by the engine and the modules
of :mod:`dicomsign`. What a quick path already read and judged (:class:`.quick.Prepared`) is
reused: a file is read and hashed once. The deliberate differences from DCMTK are listed in
the README.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ... import _core
from ...engine import ensure_dictionary
from ...exceptions import (
    DicomFormatError,
    DicomSignError,
    InputFileError,
    OutputFileError,
    SignatureCreationError,
    SignatureNotFoundError,
    SupportFileError,
    TagFileError,
)
from ...exitcodes import ExitCode
from ...log import DcmtkLogger, LogLevel
from ...tags import read_tag_file
from ...vocabulary import (
    ReadMode,
    ReadTransferSyntax,
    TimestampPolicy,
    ValueRule,
    VerificationPolicy,
)
from .options import (
    CertificateSource,
    Command,
    DcmsignOptions,
    DcmsignParseHooks,
    KeyFormat,
    parse_dcmsign_args,
)
from .report import SKIPPED_WARNING, print_removed, print_verification

if TYPE_CHECKING:
    from ...pki import TrustStore
    from ...signing import OutputRequest
    from .quick import Prepared

__all__ = ["run"]


class _Hooks(DcmsignParseHooks):
    """The work DCMTK does while it reads its options, in the same order."""

    def __init__(self, logger: DcmtkLogger) -> None:
        self.logger = logger
        self.sources: list[tuple[CertificateSource, str]] = []
        self.key_format = KeyFormat.PEM
        self.store: TrustStore | None = None

    def add_certificate_source(
        self, source: CertificateSource, path: str, key_format: KeyFormat
    ) -> None:
        """Load the file into the run's trust store now, as DCMTK does while it reads its
        options: its warning comes before the input file is opened (and also when that fails)."""
        self.sources.append((source, path))
        self.key_format = key_format
        if self.store is None:
            from ...pki import TrustStore

            self.store = TrustStore(warn=self.logger.warn)
        store = self.store
        store.der = key_format is KeyFormat.DER
        if source is CertificateSource.TRUSTED_FILE:
            store.add_trusted_file(path)
        elif source is CertificateSource.UNTRUSTED_FILE:
            store.add_untrusted_file(path)
        elif source is CertificateSource.TRUSTED_DIRECTORY:
            store.add_directory(path)
        else:
            # A CRL that loads turns the CRL check on; one that does not, as in DCMTK, only
            # gives its warning.
            store.add_crl_file(path)

    def read_tag_file(self, path: str) -> Sequence[int] | None:
        try:
            return read_tag_file(path)
        except TagFileError as exc:
            self.logger.error(exc.message)
            raise TagFileError(
                f"Error while reading tag file '{path}', giving up.", exit_code=exc.exit_code
            ) from None

    def open_dump_file(self, path: str) -> None:
        # DCMTK opens the file here, following symbolic links; ours is written at the end.
        target = Path(os.path.realpath(path))
        ok = os.access(target, os.W_OK) if target.exists() else _creatable(target)
        if not ok or target.is_dir():
            raise SupportFileError(f"unable to create dump file '{path}'")


def _creatable(path: Path) -> bool:
    parent = path.parent if str(path.parent) else Path(".")
    return parent.is_dir() and os.access(parent, os.W_OK | os.X_OK)


def _trust_store(hooks: _Hooks, opts: DcmsignOptions, logger: DcmtkLogger) -> TrustStore:
    """The store the hooks loaded while the options were read (right to left, as DCMTK);
    ``+cl`` turns the CRL check on, a ``+cr`` file only when it loaded."""
    store = hooks.store
    if store is None:
        from ...pki import TrustStore

        store = TrustStore(der=hooks.key_format is KeyFormat.DER, warn=logger.warn)
    if opts.crl_verification_option:
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
    """DCMTK's fatal line for a file that cannot be read: its condition, then the file."""
    if isinstance(exc, OSError) and exc.errno and not isinstance(exc, IsADirectoryError):
        text = os.strerror(exc.errno)
    elif isinstance(exc, DicomFormatError) and exc.kind is not None:
        text = exc.message
    elif isinstance(exc, DicomSignError) and exc.message == "file is empty":
        text = "End of stream"
    else:
        text = "I/O suspension or premature end of stream"
    return InputFileError(f"{text}: reading file: {name}")


def _reusable(opts: DcmsignOptions, prepared: Prepared | None) -> Prepared | None:
    """What the quick path prepared, when it was read as these options would read it."""
    if prepared is None or prepared.path != opts.input_file or opts.convert_un:
        return None
    if opts.read_mode is not ReadMode.AUTO:
        return None
    if opts.read_transfer_syntax_effective is not ReadTransferSyntax.AUTO:
        return None
    return prepared


def _open(opts: DcmsignOptions, path: str, logger: DcmtkLogger) -> _core.Document:
    ensure_dictionary()
    try:
        return _core.Document.open(
            path,
            mode=opts.read_mode,
            transfer_syntax=opts.read_transfer_syntax_effective,
            convert_un=opts.convert_un,
        )
    except (OSError, DicomSignError) as exc:
        if isinstance(exc, DicomFormatError):
            for level, text in exc.log:
                logger.log(LogLevel.ERROR if level == "E" else LogLevel.WARN, text)
        raise _read_error(exc, opts.input_file) from None


def _write(doc: _core.Document, opts: DcmsignOptions, rule: ValueRule, logger: DcmtkLogger) -> None:
    name = opts.output_file or ""
    logger.info(f"create output file {name}")
    syntax = opts.write_transfer_syntax
    try:
        doc.output_transfer_syntax(syntax=syntax)
    except OutputFileError as exc:
        raise OutputFileError(f"{exc.message}") from None
    try:
        if name == "-":
            import tempfile

            with tempfile.TemporaryDirectory(prefix="dicomsign-") as tmp:
                target = os.path.join(tmp, "out.dcm")
                doc.write(target, syntax=syntax, explicit_lengths=opts.explicit_length, rule=rule)
                with open(target, "rb") as fh:
                    shutil.copyfileobj(fh, sys.stdout.buffer)
                sys.stdout.buffer.flush()
        else:
            doc.write(name, syntax=syntax, explicit_lengths=opts.explicit_length, rule=rule)
    except OSError as exc:
        raise _write_error(exc, name) from None


def _direct_output(doc: _core.Document, opts: DcmsignOptions) -> OutputRequest | None:
    """Where to write while signing (one pass), or None to write afterwards as DCMTK does:
    for stdout, and when the conversion to the output transfer syntax is impossible (so that
    the error comes after the signature, with its dump, as in DCMTK)."""
    from ...signing import OutputRequest

    name = opts.output_file
    if not name or name == "-":
        return None
    try:
        doc.output_transfer_syntax(syntax=opts.write_transfer_syntax)
    except OutputFileError:
        return None
    return OutputRequest(name, opts.write_transfer_syntax, opts.explicit_length)


def _write_error(exc: OSError, name: str) -> OutputFileError:
    reason = os.strerror(exc.errno) if exc.errno else str(exc)
    return OutputFileError(f"{reason}: writing file: {name}")


def _execute(
    opts: DcmsignOptions, hooks: _Hooks, logger: DcmtkLogger, prepared: Prepared | None
) -> int:
    if not opts.input_file:
        logger.fatal("invalid filename: <empty string>")
        return ExitCode.NO_INPUT_FILES
    logger.info(f"open input file {opts.input_file}")
    reuse = _reusable(opts, prepared)
    with _input_path(opts.input_file) as path:
        doc = reuse.doc if reuse is not None else _open(opts, path, logger)
        for warning in doc.warnings:
            logger.warning(warning)
        command = opts.command
        if command not in (Command.SIGN, Command.SIGN_ITEM) and opts.certificate_file:
            # DCMTK loads the key and certificate of a --sign given further left than the
            # command that won (e.g. "+s k c +t q r u in out"), and fails as it would.
            from ...signers import SoftwareSigner

            SoftwareSigner.from_files(
                opts.key_file or "",
                opts.certificate_file,
                der=opts.key_format is KeyFormat.DER,
                password=opts.password,
            )
        if command is Command.VERIFY:
            checks = reuse.checks if reuse is not None and not opts.old_format else None
            return _verify(doc, checks, opts, hooks, logger)
        if command in (Command.SIGN, Command.SIGN_ITEM):
            return _sign(doc, opts, logger)
        if command in (Command.REMOVE, Command.REMOVE_ALL):
            code = _remove(doc, opts, logger)
            if code != ExitCode.NO_ERROR:
                return code
            _write(doc, opts, ValueRule.DCMTK_3_6, logger)
            return ExitCode.NO_ERROR
        code = _insert_timestamp(doc, opts, logger)
        if code != ExitCode.NO_ERROR:
            return code
        _write(doc, opts, ValueRule.DCMTK_3_6, logger)
        return ExitCode.NO_ERROR


def _insert_timestamp(doc: _core.Document, opts: DcmsignOptions, logger: DcmtkLogger) -> int:
    """``+t``: DCMTK's ``do_insert_ts``: load the query, the response and the UID file, find
    the signature, check the response, insert the token (dcmsign-behaviour.md §7.2)."""
    from ...exceptions import TimestampError
    from ...tsp.reply import check_response, load_query, load_response
    from ...tsp.uidfile import read_uid_file
    from ...tsp.verify import read_token

    logger.info("inserting certified timestamp.")
    try:
        query = load_query(opts.ts_query_file or "")
        response = load_response(opts.ts_response_file or "")
        uid = read_uid_file(
            opts.ts_uid_file or "",
            log=lambda level, text: logger.log(
                LogLevel.ERROR if level == "E" else LogLevel.WARN, text
            ),
        )
    except TimestampError as exc:
        logger.error(exc.message)
        return exc.exit_code
    from ...items import pad, text

    signatures, _skipped = doc.signatures()
    notices = _SkippedNotices(doc, logger)
    found_in: list[tuple[int, int]] | None = None
    for number, sig in enumerate(signatures, 1):
        # DCMTK goes on through the container where it found the signature, then stops.
        if found_in is not None and list(sig.container) != found_in:
            break
        notices.before(number)
        # DCMTK reads each signature's timestamp as it selects it (and warns about it).
        for warning in read_token(sig.timestamp_type, sig.timestamp)[1]:
            logger.warning(warning)
        if sig.uid != uid:
            continue
        try:
            check_response(query, response, sig.signature, sig.certificate, warn=logger.warn)
        except TimestampError as exc:
            logger.error(exc.message)
            for note in exc.notes:
                logger.warning(note)
            return exc.exit_code
        doc.put_signature_elements(
            list(sig.container),
            sig.index,
            [
                (_CERTIFIED_TIMESTAMP_TYPE, "CS", text("CMS_TSP")),
                (_CERTIFIED_TIMESTAMP, "OB", pad(response.token or b"", b"\0")),
            ],
        )
        found_in = list(sig.container)
    if found_in is None:
        notices.finish()
        logger.error(f"signature with UID '{uid}' not found.")
        return ExitCode.SIGNATURE_UID_NOT_FOUND
    return ExitCode.NO_ERROR


_CERTIFIED_TIMESTAMP_TYPE = 0x04000305
_CERTIFIED_TIMESTAMP = 0x04000310


def _sign(doc: _core.Document, opts: DcmsignOptions, logger: DcmtkLogger) -> int:
    from .sign import sign

    # With +ts the query and UID files are written before the output, as in DCMTK.
    direct = None if opts.creates_timestamp_query else _direct_output(doc, opts)
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


class _SkippedNotices:
    """DCMTK's warnings for the signature sequences inside Original Attributes Sequence during
    ``+r``/``+ra``: each is printed when the search passes it, between the signatures."""

    def __init__(self, doc: _core.Document, logger: DcmtkLogger) -> None:
        signatures, skipped = doc.signatures()
        self.logger = logger
        self.before_each = [sig.skipped_before for sig in signatures]
        self.no_mac_id = [n for n, sig in enumerate(signatures, 1) if sig.mac_id is None]
        self.total = len(skipped)
        self.printed = 0
        # DCMTK reads each signature's timestamp when it selects it, with its warnings.
        self.timestamp_warnings: list[tuple[str, ...]] = [() for _ in signatures]
        if any(sig.timestamp_type is not None for sig in signatures):
            from ...tsp.verify import read_token

            self.timestamp_warnings = [
                read_token(sig.timestamp_type, sig.timestamp)[1] for sig in signatures
            ]
        self.selected = 0

    def _print(self, count: int) -> None:
        for _ in range(count):
            self.logger.warning(SKIPPED_WARNING)
        self.printed += count

    def before(self, number: int) -> None:
        """Print the warnings the search passes before signature ``number`` (1-based)."""
        due = sum(self.before_each[:number])
        self._print(max(0, due - self.printed))

    def select(self, number: int) -> None:
        """Print the timestamp warnings of the signatures selected up to ``number``."""
        for index in range(self.selected, number):
            for warning in self.timestamp_warnings[index]:
                self.logger.warning(warning)
        self.selected = max(self.selected, number)

    def warn(self, text: str) -> None:
        """Forward a removal warning (about the next signature without a MAC ID)."""
        from ...removal import NO_MAC_ID_WARNING

        if text == NO_MAC_ID_WARNING and self.no_mac_id:
            number = self.no_mac_id.pop(0)
            self.before(number)
            self.select(number - 1)
        self.logger.warning(text)

    def finish(self, *, again: bool = False) -> None:
        """Print the warnings the search passes after the last signature; with ``again``, also
        those of the second search DCMTK's ``+ra`` makes once it removed something."""
        self.select(len(self.timestamp_warnings))
        self._print(self.total - self.printed + (self.total if again else 0))


def _remove(doc: _core.Document, opts: DcmsignOptions, logger: DcmtkLogger) -> int:
    from ...removal import RemovedSignature, remove_all, remove_by_uid

    numbered = opts.command is Command.REMOVE_ALL
    notices = _SkippedNotices(doc, logger)

    def announce(sig: RemovedSignature) -> None:
        notices.before(sig.number)
        notices.select(sig.number)
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


def _surely_valid(
    checks: _core.SignatureChecks, opts: DcmsignOptions, hooks: _Hooks, logger: DcmtkLogger
) -> int | None:
    """When DCMTK's output is already certain (every signature surely valid against the
    ``+cf``/``+uf`` files, and nothing verbose, no CRL, profile or timestamp requirement that
    would add to it), print it without loading the chain emulation; else None."""
    if logger.is_enabled(LogLevel.INFO) or opts.crl_verification:
        return None
    if opts.verification_policy not in (VerificationPolicy.IF_PRESENT, VerificationPolicy.REQUIRE):
        return None
    if opts.timestamp_policy is TimestampPolicy.REQUIRE:
        return None
    files: dict[CertificateSource, list[str]] = {
        CertificateSource.TRUSTED_FILE: [],
        CertificateSource.UNTRUSTED_FILE: [],
    }
    for source, path in hooks.sources:
        if source not in files:
            return None
        files[source].append(path)
    anchors = _core.TrustAnchors(
        files[CertificateSource.TRUSTED_FILE],
        files[CertificateSource.UNTRUSTED_FILE],
        der=hooks.key_format is KeyFormat.DER,
    )
    if not checks.surely_valid(anchors):
        return None
    if not checks.checks and opts.verification_policy is VerificationPolicy.REQUIRE:
        logger.error("no signatures found although required by the signature verification policy.")
        return ExitCode.NO_SIGNATURES_PRESENT
    from .quick import surely_valid_lines

    for line in surely_valid_lines(checks):
        logger.warning(line)
    return ExitCode.NO_ERROR


def _verify(
    doc: _core.Document,
    checks: _core.SignatureChecks | None,
    opts: DcmsignOptions,
    hooks: _Hooks,
    logger: DcmtkLogger,
) -> int:
    logger.info("verifying all signatures.")
    if checks is None:
        checks = doc.check_signatures(old_format=opts.old_format)
    certain = _surely_valid(checks, opts, hooks, logger)
    if certain is not None:
        return certain

    from ...verification import evaluate
    from .sign import profile_checker

    store = _trust_store(hooks, opts, logger)
    outcome = evaluate(
        checks.checks,
        trust=store,
        policy=opts.verification_policy,
        timestamps=opts.timestamp_policy,
        profile_check=profile_checker(doc, opts.verification_policy),
        skipped=len(checks.skipped),
    )
    return print_verification(outcome, logger)


def run(argv: Sequence[str] | None = None, *, prepared: Prepared | None = None) -> int:
    """Run ``dcmsign`` with ``argv`` (default: ``sys.argv[1:]``) and return the exit code.

    ``prepared`` is what a quick path read and judged for the same command line, if anything.
    """
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
        return int(_execute(parsed, hooks, logger, prepared))
    except DicomSignError as exc:
        logger.fatal(exc.message)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        logger.fatal("interrupted")
        return 130
    except BrokenPipeError:
        return int(ExitCode.CANNOT_WRITE_OUTPUT_FILE)
