"""``dicomsign sign``: one file (``INPUT -o OUTPUT``) or whole trees (``PATH... --out DIR`` or
``--in-place``) signed in parallel with one key, with a journal to resume an interrupted batch
without signing a file twice, a progress bar and a summary.

The key is a key file and its certificate (``--key FILE --cert FILE``), a PKCS#12 file
(``--pkcs12 FILE``) or a key that stays on a PKCS#11 token (``--pkcs11-module PATH --key
pkcs11:URI [--cert pkcs11:URI|FILE]``, the extra ``dicomsign[pkcs11]``), whose one session
serves the whole run. Pass phrases and PINs come from a file, else the environment, else the
terminal; a PIN is tried once.

The signature is ``dcmsign``'s (the same MAC stream, profiles, tags and output), made by
:func:`dicomsign.sign`; the batch runs on :func:`dicomsign.batch.sign_many`. Exit codes: 0
when every file was signed (files that are not DICOM are skipped, unless ``--strict``); else
DCMTK's code of the first file that failed; 130 when interrupted; a key, certificate or
password that cannot be loaded (or a token, a PIN, a URI that names no key or several) stops
the run before any file, with one line and DCMTK's code (20; 85 for a key that does not match
its certificate).
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from ...archive.engine import default_jobs
from ...archive.journal import (
    SCHEMA_VERSION,
    JournalError,
    JournalReader,
    JournalWriter,
    timestamp_fields,
)
from ...archive.progress import ProgressBar, human_bytes
from ...archive.status import one_line
from ...archive.walk import Filters, Walk
from ...batch import SignedFile, sign_many
from ...exceptions import DicomSignError, os_reason
from ...exitcodes import ExitCode
from ...policy import POLICY_EXIT_CODE, SigningPolicyError, load_policy
from ...vocabulary import MacAlgorithm, Profile
from .tsa_options import TsaOptionError, add_tsa_arguments, timestamper
from .verify import jobs_option

__all__ = ["add_parser", "run"]

PROG = "dicomsign sign"

#: Where an encrypted key's (or a PKCS#12 file's) pass phrase may come from, besides the
#: terminal prompt.
PASSWORD_ENV = "DICOMSIGN_KEY_PASSWORD"

#: Where a token's PIN may come from, besides ``--pin-file`` and the terminal prompt.
PIN_ENV = "DICOMSIGN_PKCS11_PIN"


def add_parser(sub: Any) -> None:
    """Add the ``sign`` subcommand to an argparse subparsers object."""
    sign = sub.add_parser(
        "sign",
        help="sign DICOM files and trees",
        description=(
            "Sign one file (INPUT -o OUTPUT) or files and trees (PATH... --out DIR, or "
            "--in-place) with one key, as dcmsign --sign does."
        ),
    )
    sign.set_defaults(parser=sign)
    sign.add_argument("paths", nargs="+", metavar="PATH", help="DICOM files and directories")
    key = sign.add_argument_group(
        "key (--key FILE --cert FILE, or --pkcs12 FILE, or --pkcs11-module PATH --key pkcs11:URI)"
    )
    key.add_argument(
        "--key",
        metavar="FILE|URI",
        help="private key file (PEM or DER), or a PKCS#11 URI of a key on a token "
        "('pkcs11:token=Radiology;object=signer', with --pkcs11-module)",
    )
    key.add_argument(
        "--cert",
        metavar="FILE|URI",
        help="the key's certificate: a file, or a PKCS#11 URI on the key's token (default for "
        "a token's key: the token's certificate with the key's id or label)",
    )
    key.add_argument(
        "--pkcs12",
        metavar="FILE",
        help="a PKCS#12 file (.p12, .pfx) with the key and its certificate (and chain)",
    )
    key.add_argument(
        "--pkcs11-module",
        metavar="PATH",
        help="the PKCS#11 module of the token (e.g. /usr/lib/softhsm/libsofthsm2.so); "
        "needs the extra dicomsign[pkcs11]",
    )
    key.add_argument("--der", action="store_true", help="the key and certificate files are DER")
    key.add_argument(
        "--password-file",
        metavar="FILE",
        help="read the pass phrase of the key or PKCS#12 file from FILE's first line (else "
        f"${PASSWORD_ENV}, else asked on the terminal when one is needed)",
    )
    key.add_argument(
        "--pin-file",
        metavar="FILE",
        help=f"read the token's PIN from FILE's first line (else ${PIN_ENV}, else asked on "
        "the terminal); tried once",
    )
    what = sign.add_argument_group("signature")
    what.add_argument(
        "--mac",
        default="SHA256",
        type=str.upper,
        choices=[str(m) for m in MacAlgorithm],
        help="MAC algorithm (default SHA256)",
    )
    what.add_argument(
        "--profile",
        default="none",
        choices=[str(p) for p in Profile],
        help="signature profile to fulfil (default none)",
    )
    what.add_argument("--purpose", type=int, metavar="CODE", help="Digital Signature Purpose code")
    what.add_argument(
        "--tag",
        action="append",
        metavar="TAG",
        help="sign only this attribute (keyword or gggg,eeee); repeatable",
    )
    what.add_argument(
        "--location", metavar="ITEM", help="sign this item, e.g. ReferencedImageSequence[0]"
    )
    what.add_argument(
        "--policy",
        metavar="strict|FILE",
        help="refuse signatures a policy forbids: 'strict' (no MD5, SHA-1 or RIPEMD-160; RSA "
        "and DSA keys of 2048 bits, EC of 256 at least) or a TOML policy file",
    )
    where = sign.add_argument_group("output (exactly one)")
    where.add_argument("-o", "--output", metavar="FILE", help="the signed file (one INPUT)")
    where.add_argument(
        "--out", metavar="DIR", help="write signed files under DIR (trees mirrored below it)"
    )
    where.add_argument(
        "--in-place", action="store_true", help="replace each file by its signed version"
    )
    run_group = sign.add_argument_group("run")
    run_group.add_argument(
        "-j",
        "--jobs",
        type=jobs_option,
        default=None,
        metavar="N",
        help=f"files signed at once (default: every core, here {default_jobs()})",
    )
    run_group.add_argument("--journal", metavar="FILE", help="one JSON line per file, as it ends")
    run_group.add_argument(
        "--resume", action="store_true", help="skip files --journal records as signed"
    )
    run_group.add_argument(
        "--strict", action="store_true", help="a file that is not DICOM fails the run"
    )
    run_group.add_argument("--include", action="append", default=[], metavar="GLOB")
    run_group.add_argument("--exclude", action="append", default=[], metavar="GLOB")
    run_group.add_argument("-q", "--quiet", action="store_true", help="print failures only")
    run_group.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_tsa_arguments(sign, required=False)


def _error(message: str, code: int) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return code


def _policy_problem(args: argparse.Namespace, signer: Any) -> str | None:
    """Why the policy forbids these signatures (checked once, before any file), or None."""
    try:
        policy = load_policy(args.policy)
    except SigningPolicyError as exc:
        return exc.message
    broken = policy.violations(args.mac, signer.certificate, bool(getattr(args, "tsa", None)))
    if policy.require_profile is not None and args.profile != policy.require_profile:
        broken.append(f"profile {policy.require_profile} is required by policy {policy.name}")
    return "; ".join(broken) or None


def _first_line(path: str) -> str:
    with open(path, "rb") as file:
        return os.fsdecode(file.readline().rstrip(b"\r\n"))


def _password(args: argparse.Namespace) -> str | None:
    if args.password_file:
        return _first_line(args.password_file)
    return os.environ.get(PASSWORD_ENV)


def _pin(args: argparse.Namespace) -> str | None:
    if args.pin_file:
        return _first_line(args.pin_file)
    return os.environ.get(PIN_ENV)


def _check_key_options(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """Refuse combinations of the key options that name no key or two (exit 2)."""
    from ...signers.pkcs11uri import Pkcs11Uri, Pkcs11UriError

    if (args.key is None) == (args.pkcs12 is None):
        parser.error("give --key (with --cert) or --pkcs12")
    if args.pkcs12 is not None:
        for option, value in (("--cert", args.cert), ("--pkcs11-module", args.pkcs11_module)):
            if value is not None:
                parser.error(f"{option} is not used with --pkcs12 (the file holds the key)")
        if args.pin_file:
            parser.error("--pin-file is for a token's key; --password-file for --pkcs12")
        return
    token_key = Pkcs11Uri.is_uri(args.key)
    token_cert = args.cert is not None and Pkcs11Uri.is_uri(args.cert)
    if not token_key:
        if args.cert is None:
            parser.error("--key FILE needs --cert FILE")
        if token_cert:
            parser.error("a certificate on a token (--cert pkcs11:...) needs the key there too")
        if args.pkcs11_module is not None:
            parser.error("--pkcs11-module needs a token's key: --key pkcs11:URI")
        if args.pin_file:
            parser.error("--pin-file is for a token's key (--key pkcs11:URI)")
        return
    if args.password_file:
        parser.error("--password-file is for key and PKCS#12 files; a token takes --pin-file")
    try:
        uri = Pkcs11Uri.parse(args.key)
        if token_cert:
            Pkcs11Uri.parse(args.cert)
    except Pkcs11UriError as exc:
        parser.error(str(exc))
    if args.pkcs11_module is None and uri.module_path is None:
        parser.error("a token's key (--key pkcs11:URI) needs --pkcs11-module PATH")


def _load_signer(args: argparse.Namespace) -> tuple[Any, int]:
    """The run's signer, or None and the exit code after one line on standard error."""
    from ...signers.pkcs11 import MISSING_EXTRA, Pkcs11Signer
    from ...signers.pkcs11uri import Pkcs11Uri, Pkcs11UriError

    try:
        if args.pkcs12 is not None:
            from ...signers import load_pkcs12_signer

            return load_pkcs12_signer(args.pkcs12, password=_password(args)), 0
        if Pkcs11Uri.is_uri(args.key):
            pin = _pin(args)
            try:
                signer: Any = Pkcs11Signer.open(
                    args.pkcs11_module, args.key, args.cert, pin=pin, der=args.der
                )
            except ImportError:
                return None, _error(MISSING_EXTRA, 2)
            except Pkcs11UriError as exc:
                return None, _error(str(exc), 2)
            return signer, 0
        from ...api import load_signer

        return load_signer(args.key, args.cert, password=_password(args), der=args.der), 0
    except DicomSignError as exc:
        return None, _error(exc.message, int(exc.exit_code))
    except OSError as exc:
        option = "--pin-file" if args.pin_file else "--password-file"
        name = args.pin_file or args.password_file
        return None, _error(f"{option}: {os_reason(exc, name)}", 20)


#: The temporary files outputs are written to before they are renamed into place: one left
#: by a run that was killed is never taken for an input.
TEMPORARY = ".dicomsign-*.tmp"


def _targets(args: argparse.Namespace, walk_filters: Filters) -> Iterator[tuple[str, str]]:
    """(input, output) for every file of the PATHs."""
    for root in args.paths:
        if args.output:
            yield root, args.output
            continue
        is_tree = os.path.isdir(root)
        for found in Walk([root], filters=walk_filters):
            if fnmatch.fnmatchcase(os.path.basename(found.path), TEMPORARY):
                continue
            if args.in_place:
                yield found.path, found.path
            elif is_tree:
                yield found.path, os.path.join(args.out, os.path.relpath(found.path, root))
            else:
                yield found.path, os.path.join(args.out, os.path.basename(found.path))


class _Counts:
    """What the progress bar and the summary show."""

    def __init__(self) -> None:
        self.files = 0
        self.bytes = 0
        self.failures = 0
        self.skipped = 0
        self.recorded_failures = 0
        self.words: dict[str, int] = {}
        self._t0 = time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._t0


class Done:
    """What a journal says of each path (``--resume``): the last record's word and the
    file's size and mtime_ns in it.

    A ``started`` record is written before a file is signed, a ``signed`` (or ``failed``...)
    one after: a path whose last record is ``signed`` is done; one whose last record is
    ``started`` was in flight when the run was killed: signed in place already if the file is
    no longer the one recorded (the signed version replaced it), else not signed.
    """

    def __init__(self) -> None:
        self.last: dict[str, tuple[str, object, object]] = {}

    def add(self, journal: str) -> None:
        for rec in JournalReader(journal):
            self.last[str(rec["path"])] = (str(rec["status"]), rec.get("size"), rec.get("mtime_ns"))

    def done(self, path: str, *, in_place: bool) -> bool:
        """True when ``path`` needs no signing in this run."""
        known = self.last.get(path)
        if known is None:
            return False
        word, size, mtime_ns = known
        if word == "signed":
            return True
        if word != "started" or not in_place:
            return False
        try:
            st = os.stat(path)
        except OSError:
            return False
        return (st.st_size, st.st_mtime_ns) != (size, mtime_ns)


def _started(path: str) -> dict[str, Any]:
    size: int | None
    mtime_ns: int | None
    try:
        st = os.stat(path)
        size, mtime_ns = st.st_size, st.st_mtime_ns
    except OSError:
        size = mtime_ns = None
    return {
        "v": SCHEMA_VERSION,
        "path": path,
        "status": "started",
        "size": size,
        "mtime_ns": mtime_ns,
    }


def _record(outcome: SignedFile, mac: str) -> dict[str, Any]:
    return {
        "v": SCHEMA_VERSION,
        "path": outcome.path,
        "output": outcome.output,
        "status": outcome.status,
        "ok": outcome.status == "signed",
        "reason": one_line(outcome.reason) if outcome.reason else None,
        "exit_code": outcome.exit_code,
        "uid": outcome.uid,
        "mac_algorithm": mac if outcome.uid else None,
        "size": outcome.size,
        "mtime_ns": outcome.mtime_ns,
        "signed_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "timestamp": timestamp_fields(outcome.timestamp),
        "timestamp_error": outcome.timestamp_error,
    }


def run(args: argparse.Namespace) -> int:
    """Sign; the exit code is the run's (see the module)."""
    parser: argparse.ArgumentParser = args.parser
    modes = [m for m in (args.output, args.out, args.in_place or None) if m]
    if len(modes) != 1:
        parser.error("give exactly one of -o OUTPUT, --out DIR and --in-place")
    if args.output and (len(args.paths) != 1 or os.path.isdir(args.paths[0])):
        parser.error("-o OUTPUT signs one INPUT file; use --out DIR for several or trees")
    if args.resume and not args.journal:
        parser.error("--resume needs --journal (the journal to resume)")
    _check_key_options(args, parser)
    signer, code = _load_signer(args)
    if signer is None:
        return code
    try:
        return _run(args, signer)
    finally:
        close = getattr(signer, "close", None)
        if close is not None:
            close()


def _run(args: argparse.Namespace, signer: Any) -> int:
    """Sign with a loaded signer."""
    check = getattr(signer, "check_matches", None)
    if check is not None:
        # Once, before any file: a key that is not the certificate's would fail every file.
        try:
            check()
        except DicomSignError as exc:
            return _error(exc.message, int(exc.exit_code))
    problem = _policy_problem(args, signer)
    if problem is not None:
        return _error(problem, POLICY_EXIT_CODE)
    try:
        stamper = timestamper(args)
    except TsaOptionError as exc:
        return _error(exc.message, int(exc.exit_code))
    options: dict[str, Any] = {
        "algorithm": args.mac,
        "profile": args.profile,
        "purpose": args.purpose,
        "tags": args.tag,
        "location": args.location,
    }
    if stamper is not None:
        options.update(timestamper=stamper, timestamp_required=not args.tsa_optional)
    seen = Done()
    try:
        if args.resume and os.path.exists(args.journal):
            seen.add(args.journal)
        journal = JournalWriter(args.journal) if args.journal else None
    except JournalError as exc:
        return _error(exc.message, int(exc.exit_code))
    try:
        return _sign(args, signer, options, seen, journal)
    finally:
        if journal is not None:
            journal.close()


class StopRequest:
    """The first Ctrl-C of a batch (while installed, :meth:`installed`) stops taking files:
    those in flight finish and are journaled (a file changed in place is never left
    unrecorded); a second one stops at once (``KeyboardInterrupt``)."""

    def __init__(self) -> None:
        self.requested = False

    def _handle(self, signum: int, frame: object) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    @contextmanager
    def installed(self) -> Iterator[StopRequest]:
        """Handle SIGINT as described while the block runs."""
        previous = signal.signal(signal.SIGINT, self._handle)
        try:
            yield self
        finally:
            signal.signal(signal.SIGINT, previous)


def pending_files(
    args: argparse.Namespace,
    seen: Done,
    journal: JournalWriter | None,
    counts: _Counts,
    stop: StopRequest,
) -> Iterator[tuple[str, str]]:
    """(input, output) of every file still to do: the PATHs' files, less those ``seen``
    (``--resume``) has done, each journaled as ``started`` before it is handed out; none
    after a stop request."""
    for path, output in _targets(args, Filters(tuple(args.include), tuple(args.exclude))):
        if stop.requested:
            return
        if seen.done(path, in_place=args.in_place):
            counts.skipped += 1
            continue
        if journal is not None:
            journal.write(_started(path))
        yield path, output


def _sign(
    args: argparse.Namespace,
    signer: Any,
    options: dict[str, Any],
    seen: Done,
    journal: JournalWriter | None,
) -> int:
    counts = _Counts()
    progress = None
    single = bool(args.output)
    if not (single or args.quiet or args.no_progress) and sys.stderr.isatty():
        progress = ProgressBar(sys.stderr, counts)

    stop = StopRequest()
    first_failure = 0
    interrupted = False
    try:
        with stop.installed():
            outcomes = sign_many(
                pending_files(args, seen, journal, counts, stop), signer, jobs=args.jobs, **options
            )
            for outcome in outcomes:
                counts.files += 1
                counts.words[outcome.status] = counts.words.get(outcome.status, 0) + 1
                failed = outcome.status == "failed" or (
                    args.strict and outcome.status == "not-dicom"
                )
                if outcome.status == "signed" and outcome.size is not None:
                    counts.bytes += outcome.size
                if journal is not None:
                    journal.write(_record(outcome, args.mac))
                if progress is not None:
                    progress.clear()
                if outcome.timestamp_error:
                    note = f"signed without a timestamp: {one_line(outcome.timestamp_error)}"
                    print(f"{PROG}: warning: {outcome.path}: {note}", file=sys.stderr)
                if failed:
                    counts.failures += 1
                    first_failure = first_failure or outcome.exit_code or 1
                    print(f"{outcome.path}: {one_line(outcome.reason or '')}", file=sys.stderr)
                elif single and outcome.status == "not-dicom":
                    first_failure = outcome.exit_code or int(ExitCode.CANNOT_READ_INPUT_FILE)
                    print(f"{outcome.path}: {one_line(outcome.reason or '')}", file=sys.stderr)
                elif not args.quiet and not single:
                    print(f"{outcome.path}: {outcome.status.upper()}")
                if progress is not None:
                    progress.update()
    except KeyboardInterrupt:
        interrupted = True
    except JournalError as exc:
        return _error(exc.message, int(exc.exit_code))
    interrupted = interrupted or stop.requested
    if progress is not None:
        progress.clear()
    if not single and (interrupted or not args.quiet):
        elapsed = max(counts.elapsed, 1e-9)
        head = "interrupted after " if interrupted else ""
        print(
            f"{PROG}: {head}{counts.files:,} files ({human_bytes(counts.bytes)} signed) in "
            f"{elapsed:.2f} s: {counts.files / elapsed:,.1f} files/s",
            file=sys.stderr,
        )
        words = ", ".join(f"{n:,} {w}" for w, n in sorted(counts.words.items()))
        print(f"  {words or 'no files'}", file=sys.stderr)
        if counts.skipped:
            print(f"  {counts.skipped:,} already signed (--resume), left out", file=sys.stderr)
        if interrupted:
            hint = "run the same command with --resume to go on"
            print(f"  {hint if args.journal else 'nothing was journaled'}", file=sys.stderr)
    if interrupted:
        return 130
    return first_failure
