"""The quick paths of ``dcmsign``: plain command lines handled without the complete option
parser and without :mod:`cryptography`.

The option table (:mod:`.table`) recognises two kinds of plain command lines, in long or short
option forms:

* verification: an input file and ``+cf``/``+uf`` trust files. The engine judges every
  signature (``Document.check_signatures``) and checks the chains against the trust files
  (``TrustAnchors``); when every signature is surely valid, DCMTK's lines for that outcome are
  printed. Otherwise the document and the verdicts go to the complete path, which reports
  DCMTK's exact messages without reading or hashing the file again;
* signing: ``+s KEY CERT`` with at most a MAC option, an input and an output file, an
  unencrypted PEM key matching its certificate, a certificate currently valid and a key DCMTK
  does not call weak, so that DCMTK would print nothing.

Anything else, including any doubt or error, goes to the complete path.
"""

from __future__ import annotations

import sys

from . import table

TYPE_CHECKING = False  # neither ``typing`` nor ``collections.abc`` at run time (start-up)
if TYPE_CHECKING:
    from collections.abc import Sequence

    from ... import _core
    from ...vocabulary import MacAlgorithm
    from ...vocabulary import MacAlgorithm as _mac_algorithm
else:

    def _mac_algorithm(value: str) -> str:
        """The MAC algorithm named by its value. ``MacAlgorithm`` is a ``StrEnum`` and every
        consumer (``items``, the engine) takes the value itself, so the quick path passes the
        option table's string and never imports ``enum``: a quarter of a small signature's
        start-up."""
        return value


__all__ = ["Prepared", "attempt", "surely_valid_lines"]


class Prepared:
    """What a quick verification found but could not report: the open document and the
    verdicts on its signatures, for the complete path to reuse."""

    __slots__ = ("checks", "doc", "path")

    def __init__(self, path: str, doc: _core.Document, checks: _core.SignatureChecks) -> None:
        self.path = path
        self.doc = doc
        self.checks = checks


def _plain(args: Sequence[str]) -> tuple[list[tuple[table.Option, list[str]]], list[str]] | None:
    """The options (with their values) and the files of a command line made only of options
    the quick paths know, else None."""
    options: list[tuple[table.Option, list[str]]] = []
    files: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg:
            return None
        if arg[0] not in "+-@":
            files.append(arg)
            i += 1
            continue
        option = table.lookup(arg)
        if option is None or option.long not in _KNOWN or i + option.values >= len(args):
            return None
        options.append((option, list(args[i + 1 : i + 1 + option.values])))
        i += 1 + option.values
    return options, files


_TRUST = frozenset({"--add-cert-file", "--add-ucert-file"})
_KNOWN = _TRUST | {"--sign"} | {o.long for o in table.family("mac")}


def surely_valid_lines(checks: _core.SignatureChecks) -> list[str]:
    """DCMTK's lines (without the ``W: `` prefix) for signatures that are all valid."""
    if not checks.checks:
        return ["no signatures found in dataset."]
    lines: list[str] = []
    for number, check in enumerate(checks.checks, 1):
        lines.append(f"Signature #{number} UID={check.signature.uid or ''}")
        lines.append("  Signature Verification : OK")
    return lines


def _verify(
    options: list[tuple[table.Option, list[str]]], files: list[str]
) -> int | Prepared | None:
    if len(files) != 1 or any(option.long not in _TRUST for option, _ in options):
        return None
    from ... import _core
    from ...engine import ensure_dictionary

    ensure_dictionary()
    try:
        doc = _core.Document.open(files[0])
    except Exception:  # noqa: BLE001 - the complete path reports every reading error
        return None
    checks = doc.check_signatures()
    trusted = [v for option, values in options if option.long == "--add-cert-file" for v in values]
    untrusted = [
        v for option, values in options if option.long != "--add-cert-file" for v in values
    ]
    if not checks.surely_valid(_core.TrustAnchors(trusted, untrusted)):
        return Prepared(files[0], doc, checks)
    lines = [*doc.warnings, *surely_valid_lines(checks)]
    sys.stderr.write("".join(f"W: {line}\n" for line in lines))
    sys.stderr.flush()
    return 0


def _sign(options: list[tuple[table.Option, list[str]]], files: list[str]) -> int | None:
    signs = [values for option, values in options if option.long == "--sign"]
    if len(files) != 2 or len(signs) != 1:
        return None
    # DCMTK's default, and the rightmost MAC option wins, as in DCMTK's option blocks.
    mac = _mac_algorithm("RIPEMD160")
    for option, _values in options:
        if option.family == "mac":
            mac = _mac_algorithm(option.meaning)
    key, certificate = signs[0]
    return _sign_with(key, certificate, mac, files[0], files[1])


def _sign_with(
    key_path: str, cert_path: str, mac: MacAlgorithm, source: str, output: str
) -> int | None:
    import time

    from ... import _core
    from ...engine import ensure_dictionary
    from ...items import (
        data_elements_signed,
        mac_transfer_syntax,
        signature_datetime,
        signature_items,
    )

    try:
        with open(cert_path, "rb") as fh:
            blocks = _core.pem_blocks(fh.read())
        der = next(b.data for b in blocks if b.label in ("CERTIFICATE", "X509 CERTIFICATE"))
        certificate = _core.Certificate(der or b"")
    except (OSError, StopIteration, ValueError):
        return None
    key = _core.PrivateKey.from_pem_file(key_path)
    now = time.time()
    if key is None or not key.matches(certificate) or key.odd_modulus:
        return None
    if certificate.public_key.weak_key_warning is not None:
        return None
    not_before, not_after = certificate.validity
    if not not_before <= now <= not_after:
        return None
    ensure_dictionary()
    try:
        doc = _core.Document.open(source)
    except Exception:  # noqa: BLE001 - the complete path reports every reading error
        return None
    selection = [tag for tag, _vr, signable, _sq in doc.elements([]) if signable]
    if doc.warnings or not selection or not doc.can_sign_and_write():
        return None
    transfer_syntax = mac_transfer_syntax(doc.transfer_syntax)
    mac_item, sig_item = signature_items(
        mac_id=doc.next_mac_id([]),
        uid=_core.new_uid(),
        datetime=signature_datetime(now),
        algorithm=mac,
        transfer_syntax=transfer_syntax,
        certificate_der=certificate.der,
    )
    mac_item.append(data_elements_signed(selection))
    try:
        doc.sign_and_write(
            selection,
            mac_item,
            sig_item,
            lambda digest: key.sign_digest(mac, digest),
            output,
            algorithm=mac,
            transfer_syntax=transfer_syntax,
        )
    except Exception:  # noqa: BLE001 - nothing was written; the complete path reports it
        return None
    return 0


def attempt(args: Sequence[str]) -> int | Prepared | None:
    """Run a quick path on ``args``: its exit code, or what it prepared for the complete path,
    or None when the command line is not plain."""
    plain = _plain(args)
    if plain is None:
        return None
    options, files = plain
    if any(option.long == "--sign" for option, _ in options):
        return _sign(options, files)
    return _verify(options, files)
