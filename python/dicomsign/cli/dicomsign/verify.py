"""``dicomsign verify FILE...``: every file verified with ``dcmsign``'s rules and exit codes,
one line per file (or a JSON report), trust material loaded once for the whole run."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ...archive import FileResult, Verifier
from ...exceptions import TrustFileError
from ...results import SignatureInfo

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    """Add the ``verify`` subcommand to an argparse subparsers object."""
    verify = sub.add_parser("verify", help="verify the signatures of DICOM files")
    verify.add_argument("files", nargs="+", metavar="FILE", help="DICOM files to verify")
    verify.add_argument(
        "-c",
        "--trusted",
        action="append",
        default=[],
        metavar="PEM",
        help="trusted (root) certificate file; repeatable",
    )
    verify.add_argument(
        "--untrusted",
        action="append",
        default=[],
        metavar="PEM",
        help="intermediate certificate file; repeatable",
    )
    verify.add_argument(
        "--crl", action="append", default=[], metavar="PEM", help="CRL file; repeatable"
    )
    verify.add_argument(
        "--require-signature",
        action="store_true",
        help="fail (exit 100) for a file without signatures",
    )
    verify.add_argument(
        "--old-format",
        action="store_true",
        help="DCMTK's pre-3.5.4 format for encapsulated pixel data",
    )
    verify.add_argument("--json", action="store_true", help="print a JSON report")
    verify.add_argument("-q", "--quiet", action="store_true", help="print failures only")


def _signature_json(sig: SignatureInfo) -> dict[str, Any]:
    return {
        "number": sig.number,
        "uid": sig.uid,
        "location": sig.location,
        "mac_algorithm": sig.mac_algorithm,
        "signed_tags": [f"{t:08X}" for t in sig.signed_tags],
        "datetime": sig.datetime,
        "purpose": sig.purpose,
        "signer": sig.signer,
        "status": sig.status.value if sig.status is not None else None,
        "message": sig.message,
    }


def _entry(result: FileResult) -> dict[str, Any]:
    report = result.report
    if report is None:
        message = result.error.message if result.error is not None else None
        return {
            "file": result.path,
            "status": result.status,
            "exit_code": result.exit_code,
            "error": message,
            "signatures": [],
        }
    return {
        "file": result.path,
        "status": result.status,
        "exit_code": result.exit_code,
        "error": report.error,
        "signatures": [_signature_json(s) for s in report.signatures],
    }


def _print_text(result: FileResult, *, quiet: bool) -> None:
    name, report = result.path, result.report
    if report is None:
        print(f"{name}: UNREADABLE: {result.error.message if result.error is not None else ''}")
        return
    if report.ok:
        if not quiet:
            n = len(report.signatures)
            print(f"{name}: OK ({n} signature{'s' if n != 1 else ''})")
        return
    if report.error:
        print(f"{name}: FAILED: {report.error}")
    for sig in report.signatures:
        if sig.status is not None and not sig.status.ok:
            print(
                f"{name}: FAILED: signature #{sig.number} {sig.uid} ({sig.location}): {sig.message}"
            )


def run(args: argparse.Namespace) -> int:
    """Verify the files; the exit code is the highest of the files' exit codes.

    A trust or CRL file that cannot be loaded stops the run before any file is verified,
    with one line on stderr naming the file and the reason, and exit code 20.
    """
    try:
        verifier = Verifier(
            trusted=args.trusted,
            untrusted=args.untrusted,
            crls=args.crl,
            policy="require" if args.require_signature else "if-present",
            old_format=args.old_format,
        )
    except TrustFileError as exc:
        # A configuration error: nothing is verified with incomplete trust material.
        print(f"dicomsign verify: error: {exc.message}", file=sys.stderr)
        return int(exc.exit_code)
    worst = 0
    entries: list[dict[str, Any]] = []
    for result in verifier.verify_all(args.files):
        worst = max(worst, result.exit_code)
        if args.json:
            entries.append(_entry(result))
        else:
            _print_text(result, quiet=args.quiet)
    if args.json:
        json.dump({"files": entries, "exit_code": worst}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    return worst
