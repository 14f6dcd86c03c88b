"""The commands' entry points, kept light: ``dcmsign`` first tries a quick verification or
signature that needs neither the full option parser nor :mod:`cryptography`, and otherwise
runs the complete drop-in (:mod:`dicomsign.cli.dcmsign`). The ``dcmsign`` launcher (the
wheel's ``data`` scripts; an entry point on Windows) calls :func:`run_dcmsign`.

The quick paths take only plain command lines, long or short option forms:

* verification: an input file and ``+cf``/``+uf`` trust files, when the engine is sure that
  every signature is valid; it then prints exactly what DCMTK prints for that outcome;
* signing: ``+s KEY CERT`` with at most a MAC option, an input and an output file, an
  unencrypted PEM key matching its certificate, a certificate currently valid and a key DCMTK
  does not call weak, so that DCMTK would print nothing.

Anything else, including any doubt or error, goes to the complete path, which reproduces
DCMTK's messages for every outcome.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # neither ``typing`` nor ``collections.abc`` at run time (start-up)
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import NoReturn

__all__ = ["dcmsign", "dicomsign", "run_dcmsign"]

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


_SIGN = ("+s", "--sign")
_MACS = {
    "+mr": "RIPEMD160",
    "--mac-ripemd160": "RIPEMD160",
    "+ms": "SHA1",
    "--mac-sha1": "SHA1",
    "+mm": "MD5",
    "--mac-md5": "MD5",
    "+m2": "SHA256",
    "--mac-sha256": "SHA256",
    "+m3": "SHA384",
    "--mac-sha384": "SHA384",
    "+m5": "SHA512",
    "--mac-sha512": "SHA512",
}


def _plain_sign(args: Sequence[str]) -> tuple[str, str, str, str, str] | None:
    """(key, certificate, MAC algorithm, input, output) of a plain signing command line."""
    key = cert = None
    mac = "RIPEMD160"
    files: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in _SIGN and key is None and i + 2 < len(args):
            key, cert = args[i + 1], args[i + 2]
            i += 3
            continue
        if arg in _MACS:
            mac = _MACS[arg]
        elif not arg or arg[0] in "+-@":
            return None
        else:
            files.append(arg)
        i += 1
    if key is None or cert is None or len(files) != 2:
        return None
    return key, cert, mac, files[0], files[1]


def _quick_sign(args: Sequence[str]) -> int | None:
    plain = _plain_sign(args)
    if plain is None:
        return None
    key_path, cert_path, mac, source, output = plain
    import time

    from .. import _core
    from ..engine import ensure_dictionary, write_options
    from ..items import (
        data_elements_signed,
        mac_transfer_syntax,
        new_signature_uid,
        signature_datetime,
        signature_items,
    )

    key = _core.SigningKey.load(key_path, cert_path)
    now = time.time()
    if key is None or key.weak or key.odd_modulus or key.key_type == "none":
        return None
    not_before, not_after = key.validity
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
        uid=new_signature_uid(),
        datetime=signature_datetime(now),
        algorithm=mac,
        transfer_syntax=transfer_syntax,
        certificate_der=key.certificate_der,
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
            **write_options(),  # type: ignore[arg-type]
        )
    except Exception:  # noqa: BLE001 - nothing was written; the complete path reports it
        return None
    return 0


def _quick(args: Sequence[str]) -> int | None:
    """The exit code of a quick path that took ``args``, else None."""
    import gc

    # The quick paths make no reference cycles: collecting during them is wasted time.
    enabled = gc.isenabled()
    gc.disable()
    try:
        quick = _quick_verify(args)
        return _quick_sign(args) if quick is None else quick
    finally:
        if enabled:
            gc.enable()


def dcmsign(argv: Sequence[str] | None = None) -> int:
    """The ``dcmsign`` command on ``argv`` (default: the process's command line): quick
    verification or signing when possible, else the complete drop-in. Returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    quick = _quick(args)
    if quick is not None:
        return quick
    from .dcmsign import main

    return main(argv)


def run_dcmsign() -> NoReturn:
    """Runs the ``dcmsign`` command on the process's command line and ends the process: the
    target of the ``dcmsign`` launcher.

    After a quick path, the process ends at once (:func:`os._exit`, once standard output and
    error are flushed): those paths import nothing that needs cleaning up, the output file is
    complete and closed, and the interpreter's finalization would add more than a
    millisecond to a command of about 20 ms. After the complete path, the process exits
    normally (:func:`sys.exit`), so that its clean-up runs.
    """
    quick = _quick(sys.argv[1:])
    if quick is None:
        from .dcmsign import main

        sys.exit(main())
    import os

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError):  # no stream, or a closed pipe: nothing to keep
            pass
    os._exit(quick)


def dicomsign(argv: Sequence[str] | None = None) -> int:
    """The ``dicomsign`` command."""
    from .dicomsign import main

    return main(argv)


if __name__ == "__main__":
    run_dcmsign()
