"""Console-script entry points, kept light: ``dcmsign`` first tries a quick verification that
needs neither the full option parser nor :mod:`cryptography`, and otherwise runs the complete
drop-in (:mod:`dicomsign.cli.dcmsign`).

The quick path takes only plain verification command lines (an input file and ``+cf``/``+uf``
trust files, long or short forms) and only when the engine is sure that every signature is
valid; it then prints exactly what DCMTK prints for that outcome. Anything else, including any
doubt, goes to the complete path, which reproduces DCMTK's messages for every outcome.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["dcmsign", "dicomsign"]

_TRUSTED = ("+cf", "--add-cert-file")
_UNTRUSTED = ("+uf", "--add-ucert-file")


def _plain_verify(args: Sequence[str]) -> tuple[str, list[str], list[str]] | None:
    """The input and trust files of a plain verification command line, else None."""
    trusted: list[str] = []
    untrusted: list[str] = []
    inputs: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in _TRUSTED or arg in _UNTRUSTED:
            if i + 1 >= len(args):
                return None
            (trusted if arg in _TRUSTED else untrusted).append(args[i + 1])
            i += 2
            continue
        if not arg or arg[0] in "+-@":
            return None
        inputs.append(arg)
        i += 1
    if len(inputs) != 1:
        return None
    return inputs[0], trusted, untrusted


def _quick_verify(args: Sequence[str]) -> int | None:
    plain = _plain_verify(args)
    if plain is None:
        return None
    path, trusted, untrusted = plain
    from .. import _core
    from ..engine import ensure_dictionary

    ensure_dictionary()
    try:
        doc = _core.Document.open(path)
    except Exception:  # noqa: BLE001 - the complete path reports every reading error
        return None
    uids = doc.surely_valid(trusted, untrusted)
    if uids is None:
        return None
    lines = [f"W: {warning}\n" for warning in doc.warnings]
    if not uids:
        lines.append("W: no signatures found in dataset.\n")
    for number, uid in enumerate(uids, 1):
        lines.append(f"W: Signature #{number} UID={uid}\n")
        lines.append("W:   Signature Verification : OK\n")
    sys.stderr.write("".join(lines))
    sys.stderr.flush()
    return 0


def dcmsign(argv: Sequence[str] | None = None) -> int:
    """The ``dcmsign`` command: quick verification when possible, else the complete drop-in."""
    args = list(sys.argv[1:] if argv is None else argv)
    quick = _quick_verify(args)
    if quick is not None:
        return quick
    from .dcmsign import main

    return main(argv)


def dicomsign(argv: Sequence[str] | None = None) -> int:
    """The ``dicomsign`` command."""
    from .dicomsign import main

    return main(argv)
