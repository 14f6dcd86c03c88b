"""``dicomsign verify PATH...``: files and whole trees verified in parallel with ``dcmsign``'s
rules, one status word per file, a journal to resume from, reports, and a summary.

The pieces are in :mod:`dicomsign.archive`; this module holds the options, the output (one
line per file, or a JSON document written as the files complete) and the run's exit code
(:class:`~dicomsign.archive.status.RunExit`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from itertools import chain
from typing import IO, Any, BinaryIO, cast

from ...archive import FileResult, Verifier
from ...archive.cluster import (
    CONNECT_TIMEOUT,
    DEFAULT_BATCH_SIZE,
    MISSING_EXTRA,
    ClusterError,
    ClusterTrust,
    absolute,
    connect,
    judge_on_cluster,
    local_workers,
    silence_logs,
)
from ...archive.engine import default_jobs
from ...archive.journal import JournalError, JournalWriter, Seen, record
from ...archive.pipeline import judge
from ...archive.progress import BackgroundCount, ProgressBar, Tally
from ...archive.report import FORMATS, format_for, load, render
from ...archive.status import (
    FAILED,
    RunExit,
    Status,
    one_line,
    run_exit_code,
    signature_status,
)
from ...archive.walk import Filters, Found, Walk, read_file_list
from ...exceptions import TrustFileError, os_reason
from ...exitcodes import ExitCode
from ...policy import SigningPolicyError
from ...results import TimestampStatus, VerificationReport
from ...vocabulary import ValidationTime
from .arguments import add_jobs_argument, jobs_option, print_error, seconds_option

__all__ = ["add_parser", "run"]

PROG = "dicomsign verify"

#: The engine of a run: what the walk found and the files to skip, to one result per file.
Engine = Callable[[Iterable[Found], Callable[[str], bool] | None], Iterator[FileResult]]


def _validation_time(text: str) -> ValidationTime | datetime:
    try:
        return ValidationTime(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        choices = ", ".join(v.value for v in ValidationTime)
        raise argparse.ArgumentTypeError(
            f"one of {choices}, or a time such as 2025-01-31T12:00:00Z, not {text!r}"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def add_parser(sub: Any) -> None:
    """Add the ``verify`` subcommand to an argparse subparsers object."""
    verify = sub.add_parser(
        "verify",
        help="verify the signatures of DICOM files and trees",
        description="Verify DICOM files and directory trees (walked recursively) in parallel.",
    )
    verify.set_defaults(parser=verify)
    verify.add_argument(
        "paths", nargs="*", metavar="PATH", help="DICOM files, and directories to walk"
    )
    trust = verify.add_argument_group("trust")
    trust.add_argument(
        "-c",
        "--trusted",
        action="append",
        default=[],
        metavar="PEM",
        help="trusted (root) certificate file; repeatable",
    )
    trust.add_argument(
        "--untrusted",
        action="append",
        default=[],
        metavar="PEM",
        help="intermediate certificate file; repeatable",
    )
    trust.add_argument(
        "--crl", action="append", default=[], metavar="PEM", help="CRL file; repeatable"
    )
    revocation = verify.add_argument_group("revocation (OCSP: off unless asked)")
    revocation.add_argument(
        "--ocsp",
        choices=("off", "soft-fail", "hard-fail", "require"),
        default="off",
        help="check each signer certificate with its OCSP responder: soft-fail (only a revoked "
        "certificate fails), hard-fail (an unknown status fails too: revocation-unknown), "
        "require (also a certificate without a responder fails); default off",
    )
    revocation.add_argument(
        "--ocsp-url",
        metavar="URL",
        help="ask this responder for every certificate instead of the one it names (AIA)",
    )
    revocation.add_argument(
        "--ocsp-timeout",
        type=seconds_option,
        metavar="SECONDS",
        help="seconds to wait for the responder (default 10)",
    )
    ltv = verify.add_argument_group("validation time (long-term validation)")
    ltv.add_argument(
        "--validation-time",
        type=_validation_time,
        default=ValidationTime.NOW,
        metavar="WHEN",
        help="judge signer certificates now (default, as DCMTK), at the signing time they "
        "claim ('claimed'), at the genTime of their verified timestamp ('timestamp'), or at "
        "a given UTC time (2025-01-31T12:00:00Z)",
    )
    policy = verify.add_argument_group("policy")
    policy.add_argument(
        "--policy",
        metavar="strict|FILE",
        help="a signing and verification policy: 'strict' (no MD5, SHA-1 or RIPEMD-160; RSA "
        "and DSA keys of 2048 bits, EC of 256 at least) or a TOML policy file; a valid "
        "signature that breaks it is policy-violation",
    )
    policy.add_argument(
        "--require-signature",
        action="store_true",
        help="a file without signatures fails (its exit code 100)",
    )
    policy.add_argument(
        "--strict", action="store_true", help="a file that is not DICOM fails (exit code 20)"
    )
    policy.add_argument(
        "--old-format",
        action="store_true",
        help="DCMTK's pre-3.5.4 format for encapsulated pixel data",
    )
    walk = verify.add_argument_group("files")
    walk.add_argument(
        "--files-from",
        metavar="FILE",
        help="verify the files listed in FILE ('-': standard input), one per line",
    )
    walk.add_argument(
        "-0", "--null", action="store_true", help="--files-from names are NUL-separated"
    )
    walk.add_argument(
        "--include",
        action="append",
        default=[],
        metavar="GLOB",
        help="in directories, verify only files matching GLOB (name, or path if it has a /)",
    )
    walk.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="in directories, skip files and directories matching GLOB",
    )
    walk.add_argument(
        "-L", "--follow-symlinks", action="store_true", help="follow symbolic links in trees"
    )
    run_group = verify.add_argument_group("run")
    add_jobs_argument(run_group, "files verified")
    run_group.add_argument(
        "--journal", metavar="FILE", help="append one JSON line per file to FILE as it finishes"
    )
    run_group.add_argument(
        "--resume",
        action="store_true",
        help="skip files recorded in --journal with the same size and mtime",
    )
    run_group.add_argument(
        "--changed-since",
        action="append",
        default=[],
        metavar="JOURNAL",
        help="verify only files new or changed since JOURNAL; repeatable",
    )
    run_group.add_argument(
        "--report", metavar="FILE", help="write a report of the journal to FILE at the end"
    )
    run_group.add_argument(
        "--report-format",
        choices=FORMATS,
        help="the --report format (default: by its extension: .json .csv .xml .html)",
    )
    cluster = verify.add_argument_group("cluster (the extra dicomsign[dask])")
    cluster.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="verify on a Dask cluster: a scheduler address (tcp://host:8786), or local:N "
        "for N local worker processes; -j is then per batch on a worker",
    )
    cluster.add_argument(
        "--batch-size",
        type=jobs_option,
        default=None,
        metavar="N",
        help="with --dask: files per batch (one task each; default 2000)",
    )
    cluster.add_argument(
        "--dask-timeout",
        type=seconds_option,
        default=None,
        metavar="SECONDS",
        help="with --dask: seconds to reach the scheduler (default 10)",
    )
    output = verify.add_argument_group("output")
    output.add_argument("--json", action="store_true", help="print a JSON document")
    output.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print failures only: no progress bar, no summary",
    )
    output.add_argument(
        "--no-progress", action="store_true", help="no progress bar, even on a terminal"
    )


# -- output ------------------------------------------------------------------------------------


def _label(status: Status | str) -> str:
    return str(status).upper()


def _revocation_note(report: VerificationReport) -> str:
    """For a file that passed with a revocation status OCSP could not confirm (soft-fail):
    ``; revocation not confirmed: <why>``; else nothing."""
    for sig in report.signatures:
        info = sig.revocation
        if info is not None and info.state.value not in ("good", "revoked"):
            return f"; revocation not confirmed: {one_line(info.detail or info.state.value)}"
    return ""


def _timestamp_note(report: VerificationReport) -> str:
    """``; timestamp valid 2025-01-31T12:00:00Z by TSA (policy OID, sha256)`` for each
    signature with a certified timestamp; else nothing."""
    notes = []
    for sig in report.signatures:
        ts = sig.timestamp
        if ts is None:
            continue
        head = f"timestamp{'' if len(report.signatures) == 1 else f' #{sig.number}'} {ts.status}"
        if ts.status is TimestampStatus.UNREADABLE or ts.gen_time is None:
            notes.append(head)
            continue
        when = ts.gen_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        notes.append(
            f"{head} {when} by {ts.tsa or 'an unnamed TSA'} ({ts.policy}, {ts.hash_algorithm})"
        )
    return "".join(f"; {one_line(n)}" for n in notes)


class TextOutput:
    """One line per file (failing signatures: one line each)."""

    def __init__(self, stream: IO[str], *, quiet: bool) -> None:
        self.stream = stream
        self.quiet = quiet

    def start(self) -> None:
        """Nothing before the first file."""

    def file(self, result: FileResult, rec: dict[str, Any], failed: bool) -> None:
        """Print the lines of one file."""
        name, status, report = one_line(result.path), result.status, result.report
        if report is None or not report.signatures:
            if failed or not self.quiet:
                if status is Status.UNSIGNED and not failed:
                    self.stream.write(f"{name}: OK (0 signatures)\n")
                else:
                    self.stream.write(f"{name}: {_label(status)}: {result.reason}\n")
            return
        if status not in FAILED:
            if not self.quiet:
                n = len(report.signatures)
                note = _revocation_note(report) + _timestamp_note(report)
                head = "OK" if status is Status.VERIFIED else _label(status)
                line = f"{name}: {head} ({n} signature{'s' if n != 1 else ''}{note})"
                if status is not Status.VERIFIED and result.reason:
                    line += f": {result.reason}"
                self.stream.write(line + "\n")
            return
        if report.error:
            self.stream.write(f"{name}: {_label(status)}: {one_line(report.error)}\n")
        for sig in report.signatures:
            if sig.status is not None and sig.status.ok:
                continue
            self.stream.write(
                f"{name}: {_label(signature_status(sig))}: signature #{sig.number} {sig.uid} "
                f"({sig.location}): {one_line(sig.message)}\n"
            )

    def end(self, tally: Tally, *, interrupted: bool, code: int) -> None:
        """Flush."""
        self.stream.flush()


class JsonOutput:
    """A JSON document, written as the files complete: ``{"files": [records...], "summary":
    {...}, "interrupted": bool, "exit_code": N}``; each record as in the journal, each
    signature with its ``signed_tags``."""

    def __init__(self, stream: IO[str], *, require_signature: bool, strict: bool) -> None:
        self.stream = stream
        self.require_signature = require_signature
        self.strict = strict
        self.first = True

    def start(self) -> None:
        """Open the document."""
        self.stream.write('{"files": [')

    def file(self, result: FileResult, rec: dict[str, Any], failed: bool) -> None:
        """Write one record."""
        entry = record(
            result, require_signature=self.require_signature, strict=self.strict, signed_tags=True
        )
        entry["checked_at"] = rec["checked_at"]
        self.stream.write(("\n" if self.first else ",\n") + json.dumps(entry, ensure_ascii=False))
        self.first = False

    def end(self, tally: Tally, *, interrupted: bool, code: int) -> None:
        """Close the document."""
        summary = json.dumps(tally.as_dict())
        self.stream.write(
            f'\n],\n"summary": {summary},\n"interrupted": {json.dumps(interrupted)},\n'
            f'"exit_code": {code}}}\n'
        )
        self.stream.flush()


# -- the run -----------------------------------------------------------------------------------


def _error(message: str, code: int) -> int:
    return print_error(PROG, message, code)


def _open_list(name: str) -> IO[bytes]:
    return sys.stdin.buffer if name == "-" else open(name, "rb")


def _inputs(args: argparse.Namespace, walk: Walk, listed: IO[bytes] | None) -> Iterator[Found]:
    if listed is None:
        return iter(walk)
    files = read_file_list(cast(BinaryIO, listed), null=args.null)
    if args.dask:
        files = (Found(absolute(found.path)) for found in files)
    return chain(walk, files)


def _total(args: argparse.Namespace, like: Walk) -> BackgroundCount | int | None:
    """The number of files, known at once or counted in the background; None for stdin."""
    if args.files_from == "-":
        return None
    if not args.files_from and not any(os.path.isdir(p) for p in args.paths):
        return len(args.paths)
    walk = Walk(
        args.paths, follow_symlinks=like.follow_symlinks, filters=like.filters, ignore=like.ignore
    )

    def everything() -> Iterator[Found]:
        yield from walk
        if args.files_from:
            with open(args.files_from, "rb") as stream:
                yield from read_file_list(stream, null=args.null)

    return BackgroundCount(everything())


def run(args: argparse.Namespace) -> int:
    """Verify; the exit code is the run's (:class:`~dicomsign.archive.status.RunExit`).

    A trust or CRL file that cannot be loaded stops the run before any file is verified,
    with one line on stderr naming the file and the reason, and exit code 20.
    """
    parser: argparse.ArgumentParser = args.parser
    if not args.paths and not args.files_from:
        parser.error("give at least one PATH, or --files-from")
    if args.resume and not args.journal:
        parser.error("--resume needs --journal (the journal to resume)")
    if args.null and not args.files_from:
        parser.error("--null needs --files-from")
    if args.report_format and not args.report:
        parser.error("--report-format needs --report")
    if not args.dask and (args.batch_size is not None or args.dask_timeout is not None):
        parser.error("--batch-size and --dask-timeout need --dask")
    if args.dask and args.validation_time is not ValidationTime.NOW:
        parser.error("--validation-time other than 'now' is not available with --dask")
    if args.dask:
        try:
            import distributed  # noqa: F401 - the extra is there, before anything starts
        except ImportError:
            return _error(MISSING_EXTRA, 2)
    if args.ocsp == "off" and (args.ocsp_url is not None or args.ocsp_timeout is not None):
        parser.error("--ocsp-url and --ocsp-timeout need --ocsp soft-fail, hard-fail or require")
    if args.ocsp_url is not None and not args.ocsp_url.lower().startswith(("http:", "https:")):
        parser.error(f"--ocsp-url must be an http or https URL, not {args.ocsp_url!r}")
    report_format = None
    if args.report:
        report_format = args.report_format or format_for(args.report)
        if report_format is None:
            parser.error(
                f"cannot tell the format of --report {args.report!r} by its extension: "
                "give --report-format"
            )
    try:
        verifier = Verifier(
            trusted=args.trusted,
            untrusted=args.untrusted,
            crls=args.crl,
            policy="require" if args.require_signature else "if-present",
            old_format=args.old_format,
            ocsp=args.ocsp,
            ocsp_url=args.ocsp_url,
            ocsp_timeout=args.ocsp_timeout,
            rules=args.policy,
            validation_time=args.validation_time,
        )
    except (TrustFileError, SigningPolicyError) as exc:
        # A configuration error: nothing is verified with incomplete trust material.
        return _error(exc.message, int(exc.exit_code))
    resumed, unchanged = Seen(), Seen()
    try:
        if args.resume and os.path.exists(args.journal):
            resumed.add_journals([args.journal])
        unchanged.add_journals(args.changed_since)
    except JournalError as exc:
        return _error(exc.message, int(exc.exit_code))
    seen = (resumed, unchanged)
    if not args.dask:

        def here(
            found: Iterable[Found], skip: Callable[[str], bool] | None
        ) -> Iterator[FileResult]:
            return judge(found, verifier, jobs=args.jobs, skip=skip)

        return _start(args, here, seen, report_format)
    return _on_cluster(args, seen, report_format)


def _on_cluster(
    args: argparse.Namespace, seen: tuple[Seen, Seen], report_format: str | None
) -> int:
    """The run with ``--dask``: the walk and the journal here, the files verified on the
    cluster's workers; the cluster is left (and a ``local:N`` one closed) at the end."""
    silence_logs()
    stack = ExitStack()
    try:
        client = stack.enter_context(
            connect(args.dask, timeout=args.dask_timeout or CONNECT_TIMEOUT)
        )
    except ValueError as exc:
        args.parser.error(f"--dask {exc}")
    except ClusterError as exc:
        return _error(exc.message, int(exc.exit_code))
    try:
        settings = ClusterTrust.of(
            trusted=args.trusted,
            untrusted=args.untrusted,
            crls=args.crl,
            require_signature=args.require_signature,
            old_format=args.old_format,
            ocsp=args.ocsp,
            ocsp_url=args.ocsp_url,
            ocsp_timeout=args.ocsp_timeout,
            rules=os.path.abspath(args.policy)
            if args.policy not in (None, "strict")
            else args.policy,
        )
        workers = local_workers(args.dask)
        jobs = args.jobs
        if jobs is None and workers:
            jobs = max(1, default_jobs() // workers)  # the local cores, shared

        def there(
            found: Iterable[Found], skip: Callable[[str], bool] | None
        ) -> Iterator[FileResult]:
            return judge_on_cluster(
                found,
                client,
                settings,
                batch_size=args.batch_size or DEFAULT_BATCH_SIZE,
                jobs=jobs,
                skip=skip,
            )

        return _start(args, there, seen, report_format)
    finally:
        stack.close()


def _start(
    args: argparse.Namespace,
    engine: Engine,
    seen: tuple[Seen, Seen],
    report_format: str | None,
) -> int:
    """Open the file list and the journal, verify, close them."""
    listed: IO[bytes] | None = None
    if args.files_from:
        try:
            listed = _open_list(args.files_from)
        except OSError as exc:
            why = os_reason(exc, args.files_from)
            return _error(f"--files-from '{args.files_from}' cannot be read: {why}", 20)
    journal_path = args.journal
    temporary = None
    if journal_path is None and args.report:
        handle, temporary = tempfile.mkstemp(prefix="dicomsign-", suffix=".jsonl")
        os.close(handle)
        journal_path = temporary
    try:
        journal = JournalWriter(journal_path) if journal_path else None
    except JournalError as exc:
        return _error(exc.message, int(exc.exit_code))
    try:
        return _verify(args, engine, seen, listed, journal, report_format)
    finally:
        if journal is not None:
            journal.close()
        if listed is not None and listed is not sys.stdin.buffer:
            listed.close()
        if temporary is not None:
            os.unlink(temporary)


def _verify(
    args: argparse.Namespace,
    engine: Engine,
    seen: tuple[Seen, Seen],
    listed: IO[bytes] | None,
    journal: JournalWriter | None,
    report_format: str | None,
) -> int:
    options: dict[str, Any] = {"require_signature": args.require_signature, "strict": args.strict}
    filters = Filters(tuple(args.include), tuple(args.exclude))
    walk = Walk(
        # The workers of a cluster have working directories of their own.
        [absolute(p) for p in args.paths] if args.dask else args.paths,
        follow_symlinks=args.follow_symlinks,
        filters=filters,
        ignore=[journal.identity] if journal is not None else [],
    )
    tally = Tally(**options)
    progress = None
    if not (args.quiet or args.no_progress) and sys.stderr.isatty():
        total = _total(args, walk)
        if isinstance(total, BackgroundCount):
            counter = total
            progress = ProgressBar(sys.stderr, tally, total=lambda: counter.total)
        else:
            known = total
            progress = ProgressBar(sys.stderr, tally, total=lambda: known)
    shared_terminal = progress is not None and sys.stdout.isatty()
    output: TextOutput | JsonOutput
    if args.json:
        output = JsonOutput(sys.stdout, **options)
    else:
        output = TextOutput(sys.stdout, quiet=args.quiet)

    resumed, unchanged = seen

    def skip(path: str) -> bool:
        # A file of the interrupted run counts in this one; one unchanged since another run
        # (--changed-since) does not.
        recorded = resumed.lookup(path)
        if recorded is None and not unchanged.unchanged(path):
            return False
        tally.skip(recorded)
        if progress is not None:
            progress.update()
        return True

    interrupted = False
    output.start()
    try:
        results = engine(
            _inputs(args, walk, listed), skip if len(resumed) or len(unchanged) else None
        )
        for result in results:
            rec = record(result, **options)
            if journal is not None:
                journal.write(rec)
            failed = tally.add(result)
            if shared_terminal and progress is not None:
                progress.clear()
            output.file(result, rec, failed)
            if progress is not None:
                if shared_terminal:
                    sys.stdout.flush()
                progress.update()
    except KeyboardInterrupt:
        interrupted = True
    except (JournalError, ClusterError) as exc:
        if progress is not None:
            progress.clear()
        message = exc.message
        if isinstance(exc, ClusterError) and args.journal:
            message += " (run the same command with --resume to go on)"
        return _error(message, int(exc.exit_code))
    tally.stop()
    if progress is not None:
        progress.clear()
    code = int(RunExit.INTERRUPTED if interrupted else run_exit(tally, args))
    output.end(tally, interrupted=interrupted, code=code)
    notes = []
    if walk.symlinks_skipped:
        notes.append(
            f"{walk.symlinks_skipped:,} symbolic link{'s' if walk.symlinks_skipped != 1 else ''}"
            " in the trees not followed (--follow-symlinks follows them)"
        )
    damaged = resumed.damaged + unchanged.damaged
    if damaged:
        notes.append(f"{damaged} damaged journal line{'s' if damaged != 1 else ''} ignored")
    if journal is not None and args.journal:
        n = journal.written
        notes.append(f"journal: {args.journal} ({n:,} record{'s' if n != 1 else ''} written)")
    if interrupted:
        notes.append(
            "run the same command with --resume to go on"
            if args.journal
            else "nothing was journaled (--journal FILE makes a run resumable)"
        )
    if interrupted or not args.quiet:
        for line in tally.summary(interrupted=interrupted, notes=notes):
            print(line, file=sys.stderr)
    if report_format is not None and journal is not None and not interrupted:
        failure = _write_report(args.report, report_format, journal.path)
        if failure is not None:
            return failure
    return code


def run_exit(tally: Tally, args: argparse.Namespace) -> RunExit:
    """The exit code of a finished run."""
    return run_exit_code(
        tally.outcome, require_signature=args.require_signature, strict=args.strict
    )


def _write_report(target: str, fmt: str, journal: str) -> int | None:
    try:
        records = load([journal])
        with open(target, "w", encoding="utf-8", newline="") as out:
            render(records, fmt, out)
    except JournalError as exc:
        return _error(exc.message, int(exc.exit_code))
    except OSError as exc:
        why = os_reason(exc, target)
        return _error(
            f"report '{target}' cannot be written: {why}", ExitCode.CANNOT_WRITE_OUTPUT_FILE
        )
    return None
