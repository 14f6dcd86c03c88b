"""The timestamp authority options of ``dicomsign sign`` and ``dicomsign timestamp``.

Nothing is fetched unless ``--tsa URL`` is given. Credentials come from ``--tsa-user`` with
the password from ``--tsa-password-file`` or ``$DICOMSIGN_TSA_PASSWORD``, and from
``--tsa-header 'Name: value'`` (a value ``@FILE`` is read from the file's first line); they
are never printed, journaled or shown by ``--help``'s defaults.
"""

from __future__ import annotations

import argparse
import os

from ...exceptions import DicomSignError, os_reason
from ...exitcodes import ExitCode
from ...tsp.client import DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT, HttpTimestamper
from ...vocabulary import MacAlgorithm
from .arguments import count_option, seconds_option

__all__ = [
    "TSA_PASSWORD_ENV",
    "TsaOptionError",
    "add_tsa_arguments",
    "timestamper",
]

#: Where the TSA password may come from, besides ``--tsa-password-file``.
TSA_PASSWORD_ENV = "DICOMSIGN_TSA_PASSWORD"


class TsaOptionError(DicomSignError):
    """A TSA option file that cannot be read (exit 20)."""

    exit_code = ExitCode.CANNOT_READ_INPUT_FILE


def add_tsa_arguments(parser: argparse.ArgumentParser, *, required: bool) -> None:
    """Add the ``--tsa...`` options (``--tsa`` mandatory when ``required``)."""
    group = parser.add_argument_group(
        "timestamps (RFC 3161)" + ("" if required else ": nothing is fetched unless --tsa")
    )
    group.add_argument(
        "--tsa",
        action="append",
        default=[] if not required else None,
        required=required,
        metavar="URL",
        help="timestamp authority (http or https); repeat for fallbacks, asked in order",
    )
    if not required:
        group.add_argument(
            "--tsa-optional",
            action="store_true",
            help="when no TSA answers acceptably, sign without a timestamp (and say so)",
        )
    group.add_argument(
        "--tsa-hash",
        default="SHA256",
        type=str.upper,
        choices=[str(m) for m in MacAlgorithm],
        help="the imprint's hash (default SHA256)",
    )
    group.add_argument("--tsa-policy", metavar="OID", help="ask for this TSA policy")
    group.add_argument("--tsa-no-nonce", action="store_true", help="send no nonce")
    group.add_argument(
        "--tsa-no-cert",
        action="store_true",
        help="do not ask the TSA to embed its certificate (certReq)",
    )
    group.add_argument(
        "--tsa-trusted",
        action="append",
        default=[],
        metavar="FILE",
        help="the TSA's root certificate (PEM): the TSA's chain must verify; repeatable",
    )
    group.add_argument(
        "--tsa-untrusted",
        action="append",
        default=[],
        metavar="FILE",
        help="intermediate certificates of the TSA (PEM); repeatable",
    )
    group.add_argument(
        "--tsa-ca-bundle", metavar="FILE", help="CA certificates (PEM) for HTTPS to the TSA"
    )
    group.add_argument(
        "--tsa-connect-timeout",
        type=seconds_option,
        default=DEFAULT_CONNECT_TIMEOUT,
        metavar="SECONDS",
        help=f"wait for the connection (default {DEFAULT_CONNECT_TIMEOUT:g})",
    )
    group.add_argument(
        "--tsa-timeout",
        type=seconds_option,
        default=DEFAULT_READ_TIMEOUT,
        metavar="SECONDS",
        help=f"wait for each read of the answer (default {DEFAULT_READ_TIMEOUT:g})",
    )
    group.add_argument(
        "--tsa-retries",
        type=count_option,
        default=2,
        metavar="N",
        help="retries per URL after a connection error, a timeout, HTTP 5xx or 429 "
        "(exponential backoff, Retry-After honoured; default 2)",
    )
    group.add_argument("--tsa-user", metavar="NAME", help="HTTP Basic user name")
    group.add_argument(
        "--tsa-password-file",
        metavar="FILE",
        help=f"the HTTP Basic password: FILE's first line (else ${TSA_PASSWORD_ENV})",
    )
    group.add_argument(
        "--tsa-header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="an extra request header; a VALUE of @FILE is read from FILE; repeatable",
    )


def _first_line(path: str, option: str) -> str:
    try:
        with open(path, "rb") as file:
            return os.fsdecode(file.readline().rstrip(b"\r\n"))
    except OSError as exc:
        raise TsaOptionError(f"{option}: {os_reason(exc, path)}") from None


def timestamper(args: argparse.Namespace) -> HttpTimestamper | None:
    """The timestamper of the options; None without ``--tsa``.

    An option that cannot be used is a usage error (``args.parser.error``: exit 2).

    Raises
    ------
    TsaOptionError
        A file that cannot be read (the message names the option, never a credential).
    """
    parser: argparse.ArgumentParser = args.parser
    usage = parser.error
    if not args.tsa:
        return None
    password = None
    if args.tsa_user is not None:
        if args.tsa_password_file:
            password = _first_line(args.tsa_password_file, "--tsa-password-file")
        else:
            password = os.environ.get(TSA_PASSWORD_ENV)
    elif args.tsa_password_file:
        usage("--tsa-password-file needs --tsa-user")
    headers: dict[str, str] = {}
    for given in args.tsa_header:
        name, colon, value = given.partition(":")
        if not colon or not name.strip():
            usage("--tsa-header needs 'NAME: VALUE'")
        value = value.strip()
        if value.startswith("@"):
            value = _first_line(value[1:], "--tsa-header").strip()
        headers[name.strip()] = value
    trust = None
    if args.tsa_trusted or args.tsa_untrusted:
        from ...pki import TrustStore

        trust = TrustStore()
        try:
            trust.add_sources(trusted=args.tsa_trusted, untrusted=args.tsa_untrusted)
        except DicomSignError as exc:
            raise TsaOptionError(f"--tsa-trusted: {exc.message}") from None
    try:
        return HttpTimestamper(
            args.tsa,
            hash_algorithm=args.tsa_hash,
            policy=args.tsa_policy,
            nonce=not args.tsa_no_nonce,
            certificate=not args.tsa_no_cert,
            trust=trust,
            connect_timeout=args.tsa_connect_timeout,
            read_timeout=args.tsa_timeout,
            retries=args.tsa_retries,
            username=args.tsa_user,
            password=password,
            headers=headers,
            ca_bundle=args.tsa_ca_bundle,
        )
    except ValueError as exc:
        usage(str(exc))
    except OSError as exc:
        raise TsaOptionError(f"--tsa-ca-bundle: {os_reason(exc, args.tsa_ca_bundle)}") from None
