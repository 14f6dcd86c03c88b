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
import os
import sys
from datetime import UTC, datetime
from typing import Any

from ...archive.journal import SCHEMA_VERSION, JournalError, JournalWriter, timestamp_fields
from ...archive.progress import human_bytes
from ...archive.status import one_line
from ...batch import SignedFile, sign_many
from ...exceptions import DicomSignError, os_reason
from ...exitcodes import ExitCode
from ...policy import POLICY_EXIT_CODE, SigningPolicyError, load_policy
from ...vocabulary import MacAlgorithm, Profile
from .arguments import (
    add_batch_run_arguments,
    add_output_arguments,
    check_output_arguments,
    print_error,
)
from .batch_run import BatchCounts, Done, open_journal, run_batch
from .tsa_options import TsaOptionError, add_tsa_arguments, timestamper

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
    add_output_arguments(
        sign,
        output="the signed file (one INPUT)",
        in_place="replace each file by its signed version",
    )
    add_batch_run_arguments(sign, what="files signed", done="signed")
    add_tsa_arguments(sign, required=False)


def _error(message: str, code: int) -> int:
    return print_error(PROG, message, code)


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
    check_output_arguments(args)
    _check_key_options(args, args.parser)
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
    seen = Done(["signed"])
    try:
        journal = open_journal(args, seen)
    except JournalError as exc:
        return _error(exc.message, int(exc.exit_code))
    try:
        return _sign(args, signer, options, seen, journal)
    finally:
        if journal is not None:
            journal.close()


def _sign(
    args: argparse.Namespace,
    signer: Any,
    options: dict[str, Any],
    seen: Done,
    journal: JournalWriter | None,
) -> int:
    single = bool(args.output)

    def report(outcome: SignedFile, counts: BatchCounts) -> int:
        if outcome.status == "signed" and outcome.size is not None:
            counts.bytes += outcome.size
        if outcome.timestamp_error:
            note = f"signed without a timestamp: {one_line(outcome.timestamp_error)}"
            print(f"{PROG}: warning: {outcome.path}: {note}", file=sys.stderr)
        if outcome.status == "failed" or (args.strict and outcome.status == "not-dicom"):
            print(f"{outcome.path}: {one_line(outcome.reason or '')}", file=sys.stderr)
            return outcome.exit_code or 1
        if single and outcome.status == "not-dicom":
            print(f"{outcome.path}: {one_line(outcome.reason or '')}", file=sys.stderr)
            return outcome.exit_code or int(ExitCode.CANNOT_READ_INPUT_FILE)
        if not args.quiet and not single:
            print(f"{outcome.path}: {outcome.status.upper()}")
        return 0

    try:
        end = run_batch(
            args,
            seen,
            journal,
            lambda files: sign_many(files, signer, jobs=args.jobs, **options),
            lambda outcome: _record(outcome, args.mac),
            report,
        )
    except JournalError as exc:
        return _error(exc.message, int(exc.exit_code))
    counts = end.counts
    if not single and (end.interrupted or not args.quiet):
        elapsed = max(counts.elapsed, 1e-9)
        head = "interrupted after " if end.interrupted else ""
        print(
            f"{PROG}: {head}{counts.files:,} files ({human_bytes(counts.bytes)} signed) in "
            f"{elapsed:.2f} s: {counts.files / elapsed:,.1f} files/s",
            file=sys.stderr,
        )
        print(f"  {counts.words_line('no files')}", file=sys.stderr)
        if counts.skipped:
            print(f"  {counts.skipped:,} already signed (--resume), left out", file=sys.stderr)
        if end.interrupted:
            hint = "run the same command with --resume to go on"
            print(f"  {hint if args.journal else 'nothing was journaled'}", file=sys.stderr)
    return end.exit_code
