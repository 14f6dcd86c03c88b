"""``dicomsign``: the modern command line (``dicomsign --version``, ``dicomsign verify``).

``dicomsign verify FILE...`` verifies each file with the same rules and exit codes as
``dcmsign`` and prints one line per file (or JSON with ``--json``). The exit code is 0 when
every file passed, else the highest DCMTK exit code among the files (102 > 101 > 100 > 20).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from .. import __version__
from ..exceptions import DicomSignError
from ..exitcodes import ExitCode

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dicomsign",
        description="DICOM digital signatures: verify, sign and remove (DCMTK-compatible).",
    )
    parser.add_argument("--version", action="version", version=f"dicomsign {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
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
    return parser


def _signature_json(sig: Any) -> dict[str, Any]:
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


def _verify(args: argparse.Namespace) -> int:
    from ..api import verify
    from ..trust import TrustStore

    store = TrustStore(warn=lambda text: print(f"warning: {text}", file=sys.stderr))
    for path in args.trusted:
        store.add_trusted_file(path)
    for path in args.untrusted:
        store.add_untrusted_file(path)
    for path in args.crl:
        store.add_crl_file(path)
    worst = 0
    reports: list[dict[str, Any]] = []
    for name in args.files:
        entry: dict[str, Any] = {"file": name}
        try:
            report = verify(
                name,
                trust=store,
                policy="require" if args.require_signature else "if-present",
                old_format=args.old_format,
            )
        except DicomSignError as exc:
            code = int(exc.exit_code)
            entry.update(exit_code=code, error=exc.message, signatures=[])
            if not args.json:
                print(f"{name}: ERROR: {exc.message}")
        else:
            code = int(report.exit_code)
            entry.update(
                exit_code=code,
                error=report.error,
                signatures=[_signature_json(s) for s in report.signatures],
            )
            if not args.json:
                _print_text(name, report, quiet=args.quiet)
        worst = max(worst, code)
        reports.append(entry)
    if args.json:
        json.dump({"files": reports, "exit_code": worst}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    return worst


def _print_text(name: str, report: Any, *, quiet: bool) -> None:
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``dicomsign`` with ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return int(ExitCode.COMMANDLINE_SYNTAX_ERROR)
    try:
        return _verify(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
