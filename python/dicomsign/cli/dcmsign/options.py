"""The command line of the drop-in ``dcmsign``: DCMTK 3.6.7's option table and its evaluation.

Entry point
-----------
:func:`parse_dcmsign_args` turns the arguments (without the program name) into a
:class:`DcmsignOptions`, or handles the invocation completely and returns an exit code::

    result = parse_dcmsign_args(sys.argv[1:], prog=sys.argv[0])
    if isinstance(result, int):
        return result            # help, usage, --version, +lp, or an error already printed
    run_engine(result)           # the options of a verify/sign/... run

It writes what DCMTK writes, on the same stream: the usage text on stdout for no arguments or
``-h`` (exit 0), ``--version`` and ``+lp`` on stdout (exit 0), command-line errors as the
program header plus ``error: <message>`` on stderr (exit 1, nothing at all in quiet mode),
and log lines (``I: calling ...`` for ``--arguments``, the ``+pa`` warning, ``F: unknown
attribute tag ...``, the ``D:`` identifier) through the logger. :func:`evaluate_dcmsign_args`
is the same without the writing: it raises :class:`~dicomsign.cli.dcmsign.cmdline.ApplicationExit` or
:class:`~dicomsign.cli.dcmsign.cmdline.CommandLineFailure` (a
:class:`~dicomsign.exceptions.CommandLineError`) carrying the exact texts and exit code.

DCMTK semantics reproduced
--------------------------
The options are evaluated in DCMTK's order, so the *first* error DCMTK reports is the one
reported here.

* Alternatives form blocks where the **rightmost option wins**: the commands
  (``--verify +s +si +t +r +ra``), ``-q/-v/-d``, ``+f/+fo/-f``, ``-t=/-td/-te/-tb/-ti``,
  ``-uc/+uc``, ``-pem/-der``, ``+rv/+rg/+rc/+ru/+rs``,
  ``+tv/-tv/+tr``, ``+ps/+pw/-pw``, ``-pf/+pb/+pc/+pa/+pr/+pv``, the six MACs, ``-sp/+sp``,
  ``-fn/-fo``, ``-ts/+ts``, the six ``+tm?``, ``+tn/-tn``, ``+tc/-tc``, ``-tp/+tp``,
  ``+t=/+te/+tb/+ti`` and ``+e/-e``. DCMTK tests the alternatives in table order and only
  finds one standing to the right of the previous find, so some handlers left of the winner
  run too (with their dependency checks: ``+rv +rg`` with ``+s`` fails on ``+rv``) and others
  do not.
* Logging: ``-q`` is level FATAL, ``-v`` INFO, ``-d`` DEBUG (rightmost wins); ``-ll``/``-lc``
  conflict with them and with each other. When ERROR is not enabled (``-q``, ``-ll fatal``,
  ``-ll off``) DCMTK's later command-line errors print nothing at all (exit 1 still).
  ``--arguments`` prints ``I: calling '<argv0>' with <n> arguments: '<a>' ... `` plus an
  ``I: `` line whatever the level, after the ``-ll``/``-lc`` checks; empty arguments are
  counted but not listed.
* A single-valued non-block option given twice (``-tf``, ``+d``, ``-ll``, ``-lc``) uses the
  rightmost; ``-t``, ``+cf``, ``+uf``, ``+cd`` and ``+cr`` keep all values (stored here in
  command-line order, but DCMTK processes them right to left: the first unknown ``-t``
  reported is the rightmost one).
* Dependencies (``"X only allowed with Y"``, exit 1): ``-te/-tb/-ti`` need ``-f``;
  ``+rv..+rs``, ``+tv/-tv/+tr``, ``+cf/+uf/+cd/+cr/+cl`` need ``--verify``;
  ``+ps/+pw/-pw``, ``-pf/+pb``, the MACs, ``-sp/+sp``, ``-ts/+ts`` and ``+d`` need
  ``--sign or --sign-item``; ``+pc/+pa/+pr/+pv`` need ``--sign``; ``+tm?/+tn/-tn/+tc/-tc/
  -tp/+tp`` need a timestamp object, which ``+ts`` **and** ``+t`` (insert-timestamp) create.
  ``-t`` and ``-tf`` have no dependency.
* ``--sign/--sign-item/--insert-timestamp/--remove/--remove-all`` require ``dcmfile-out``
  (checked before their values are read); ``--verify`` forbids it (checked after the block).
* A command handler that runs before the winner of its block leaves its values behind:
  ``+s k c +ra in out`` removes all signatures, but DCMTK still loads ``k`` and ``c``;
  ``+s k c +t q r u in out`` inserts a timestamp and also loads them. (A command that comes
  later in DCMTK's order but stands further left is not evaluated at all: in
  ``+t q r u +s k c`` the ``+t`` values are ignored.) :class:`DcmsignOptions` keeps such
  values.

Deliberate differences
----------------------
* The header says ``$dicomsign: dcmsign v<version> <date> $`` and ``--version`` describes this
  build (Python, pydicom, cryptography and its OpenSSL).
* ``--arguments`` masks the value of ``+pw/--use-passwd`` (DCMTK prints the password).
* ``-t KEYWORD`` knows exactly the names of DCMTK 3.6.7's public dictionary
  (:func:`dicomsign.tags.tag_for_keyword`: retired attributes as ``RETIRED_<keyword>``, no
  keyword newer than DCMTK 3.6.7), like ``-tf`` and ``--sign-item`` locations. The names of
  DCMTK's private dictionary (``private.dic``) are not known.
* ``-lc FILE``: DCMTK's checks and messages are reproduced (missing file, no settings, no
  ``log4cplus.`` settings, no ``log4cplus.rootLogger``); a valid file only sets the level named
  in ``log4cplus.rootLogger`` and a warning says that appenders and layouts are not supported.
"""

from __future__ import annotations

import locale
import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TextIO, TypeVar

from ...exitcodes import ExitCode
from ...log import DcmtkLogger, LogLevel, parse_log_level
from ...purposes import SignaturePurpose, purpose_list_text
from ...signers.passwords import Password
from ...tags import parse_tag_argument
from ...vocabulary import (
    MacAlgorithm,
    Profile,
    ReadMode,
    ReadTransferSyntax,
    TimestampPolicy,
    VerificationPolicy,
    WriteTransferSyntax,
)
from . import table
from .cmdline import (
    ApplicationExit,
    CommandLineFailure,
    CommandLineSpec,
    ConsoleApplication,
    FindMode,
    ParsedCommandLine,
)

__all__ = [
    "APPLICATION_ABSTRACT",
    "APPLICATION_NAME",
    "RELEASE_DATE",
    "CertificateSource",
    "Command",
    "DcmsignOptions",
    "DcmsignParseHooks",
    "KeyFormat",
    "build_dcmsign_spec",
    "default_version",
    "evaluate_dcmsign_args",
    "parse_dcmsign_args",
    "parse_tag_argument",
]

APPLICATION_NAME = "dcmsign"
APPLICATION_ABSTRACT = "Sign and Verify DICOM Files"
#: Release date printed in the header; passed in by the caller when it knows better.
RELEASE_DATE = "2026-11-24"
_SIGN_OR_SIGN_ITEM = "--sign or --sign-item"
_AUTH_PROFILE_WARNING = (
    "The Authorization RSA Digital Signature Profile requires that any\n"
    "attributes whose values are verifiable by the technician or physician\n"
    "(e.g., their values are displayed to the technician or physician) must\n"
    "be included in the signature. Please assure this using --tag options."
)
_PASSWORD_MASK = "********"


class Command(Enum):
    """The signature command (exactly one; ``VERIFY`` is the default)."""

    VERIFY = "verify"
    SIGN = "sign"
    SIGN_ITEM = "sign-item"
    INSERT_TIMESTAMP = "insert-timestamp"
    REMOVE = "remove"
    REMOVE_ALL = "remove-all"


class KeyFormat(Enum):
    """Key and certificate file format: ``-pem`` (default) or ``-der``."""

    PEM = "PEM"
    DER = "DER"


class CertificateSource(Enum):
    """The trust store options, named by their short option."""

    TRUSTED_FILE = "+cf"
    UNTRUSTED_FILE = "+uf"
    TRUSTED_DIRECTORY = "+cd"
    CRL_FILE = "+cr"


@dataclass
class DcmsignOptions:
    """Everything a ``dcmsign`` command line asks for, typed (see the module docstring); the
    evaluator fills it in as it reads the options.

    Values that DCMTK keeps from commands given further left are kept too (e.g. ``key_file``
    with ``command`` ``REMOVE_ALL``); ``ts_*`` describe DCMTK's timestamp object, which exists
    (``ts_query_file`` is not ``None``) after ``+ts`` or ``+t``.
    """

    input_file: str
    output_file: str | None = None
    command: Command = Command.VERIFY
    key_file: str | None = None
    certificate_file: str | None = None
    item_location: str | None = None
    signature_uid: str | None = None
    read_mode: ReadMode = ReadMode.AUTO
    read_transfer_syntax: ReadTransferSyntax = ReadTransferSyntax.AUTO
    read_transfer_syntax_detect: bool = False
    convert_un: bool = False
    key_format: KeyFormat = KeyFormat.PEM
    old_format: bool = False
    verification_policy: VerificationPolicy = VerificationPolicy.IF_PRESENT
    timestamp_policy: TimestampPolicy = TimestampPolicy.VERIFY
    trusted_certificate_files: tuple[str, ...] = ()
    untrusted_certificate_files: tuple[str, ...] = ()
    trusted_certificate_directories: tuple[str, ...] = ()
    crl_files: tuple[str, ...] = ()
    crl_verification_option: bool = False
    password: Password = field(default_factory=Password.prompt)
    profile: Profile = Profile.NONE
    mac: MacAlgorithm = MacAlgorithm.RIPEMD160
    purpose: SignaturePurpose | None = None
    tags: Sequence[int] = ()
    tag_file: str | None = None
    tag_file_tags: tuple[int, ...] | None = None
    ts_query_file: str | None = None
    ts_response_file: str | None = None
    ts_uid_file: str | None = None
    ts_mac: MacAlgorithm = MacAlgorithm.SHA256
    ts_nonce: bool = True
    ts_request_certificate: bool = True
    ts_policy_oid: str | None = None
    write_transfer_syntax: WriteTransferSyntax = WriteTransferSyntax.SAME
    explicit_length: bool = True
    dump_file: str | None = None
    log_level: LogLevel = LogLevel.WARN
    log_config_file: str | None = None

    def add_certificate_source(self, source: CertificateSource, path: str) -> None:
        """Record a ``+cf``/``+uf``/``+cd``/``+cr`` value; DCMTK reads them right to left, so
        each is put first."""
        name = _SOURCE_FIELDS[source]
        setattr(self, name, (path, *getattr(self, name)))

    @property
    def read_transfer_syntax_effective(self) -> ReadTransferSyntax:
        """The transfer syntax choice to read with: ``-td`` (detect) overrides the others."""
        if self.read_transfer_syntax_detect:
            return ReadTransferSyntax.DETECT
        return self.read_transfer_syntax

    @property
    def crl_verification(self) -> bool:
        """Whether a CRL check may be asked for: ``+cl``, or any ``+cr`` (whose file turns the
        check on only when it loads, as in DCMTK: see ``TrustStore.add_crl_file``)."""
        return self.crl_verification_option or bool(self.crl_files)

    @property
    def creates_timestamp_query(self) -> bool:
        """Whether signing also writes a timestamp query and UID file (``+ts``)."""
        return self.command in (Command.SIGN, Command.SIGN_ITEM) and self.ts_query_file is not None


_SOURCE_FIELDS = {
    CertificateSource.TRUSTED_FILE: "trusted_certificate_files",
    CertificateSource.UNTRUSTED_FILE: "untrusted_certificate_files",
    CertificateSource.TRUSTED_DIRECTORY: "trusted_certificate_directories",
    CertificateSource.CRL_FILE: "crl_files",
}


class DcmsignParseHooks:
    """Work that DCMTK does *while* evaluating its command line, for exact error order.

    Pass a subclass to :func:`parse_dcmsign_args` to have each method called at the moment
    DCMTK does the same work; any :class:`~dicomsign.exceptions.DicomSignError` it raises is
    propagated to the caller unchanged. The default methods do nothing.
    """

    def add_certificate_source(
        self, source: CertificateSource, path: str, key_format: KeyFormat
    ) -> None:
        """Load one ``+cf/+uf/+cd/+cr`` entry (called right to left, only with ``--verify``).

        DCMTK logs ``W: unable to load certificate file '<f>', ignoring`` (``+cf`` file
        missing or without certificate, ``+uf`` file missing), ``W: unable to load CRL file
        '<f>', ignoring`` or ``W: unable to load certificates from directory '<d>',
        ignoring`` (only for an empty name: a missing directory is silently accepted), and
        goes on. Log through the logger given to :func:`parse_dcmsign_args` so that the lines
        interleave correctly with the parser's own output.
        """

    def read_tag_file(self, path: str) -> Sequence[int] | None:
        """Read the ``-tf`` file (before any ``-t`` is resolved, for any command).

        DCMTK exits with 30 for a missing file and 86 for a syntax error, after logging
        ``E: ...`` and ``F: Error while reading tag file '<f>', giving up.``.
        """
        return None

    def open_dump_file(self, path: str) -> None:
        """Create the ``+d`` file (DCMTK does it here: ``F: unable to create dump file
        '<f>'``, exit 46, before the input file is read)."""


def default_version() -> str:
    """The dicomsign version (single-sourced from Cargo.toml through the extension)."""
    from ..._core import __version__

    return __version__


def _package_version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _host_info_lines() -> list[str]:
    return [
        f"Host type: {platform.system()} {platform.machine()}",
        f"Character encoding: system default ({locale.getpreferredencoding(False)})",
        (
            f"Build options: {platform.python_implementation()} {platform.python_version()},"
            " pure-Python command line"
        ),
    ]


def _openssl_version() -> str:
    try:
        from cryptography.hazmat.backends.openssl import backend
    except ImportError:
        return "OpenSSL: unknown (cryptography not installed)"
    return f"{backend.openssl_version_text()} (via cryptography)"


def _external_libraries_text() -> str:
    lines = [
        f"- pydicom, Version {_package_version('pydicom')}",
        f"- cryptography, Version {_package_version('cryptography')}",
        f"- {_openssl_version()}",
        f"- asn1crypto, Version {_package_version('asn1crypto')}",
    ]
    return "\nExternal libraries used:\n" + "".join(f"{line}\n" for line in lines)


def build_dcmsign_spec() -> CommandLineSpec:
    """Return dcmsign 3.6.7's option table (its ``-h`` text, byte for byte)."""
    spec = CommandLineSpec(
        long_column=table.LONG_COLUMN,
        short_column=table.SHORT_COLUMN,
        param_column=table.LONG_COLUMN + table.SHORT_COLUMN + 4,
    )
    for name, description, optional in table.PARAMS:
        spec.add_param(name, description, optional=optional)
    for entry in table.OPTIONS:
        if isinstance(entry, table.Section):
            add = spec.add_subgroup if entry.subgroup else spec.add_group
            add(entry.title, entry.long_cols, entry.short_cols)
        else:
            spec.add_option(
                entry.long,
                entry.short,
                values=entry.values,
                value_description=entry.value_description,
                description=entry.description,
                exclusive=entry.exclusive,
            )
    return spec


# -- -lc/--log-config -------------------------------------------------------------------------


def _read_log4cplus_properties(path: str) -> dict[str, str]:
    properties: dict[str, str] = {}
    with open(path, encoding="utf-8", errors="surrogateescape") as handle:
        for raw in handle:
            line = raw.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            key, value = line.split("=", 1)
            properties[key.strip()] = value.strip()
    return properties


def _log_config_level(app: ConsoleApplication, path: str) -> LogLevel:
    """DCMTK's checks of a ``--log-config`` file; returns the root logger level it names."""
    if not os.path.exists(path) or os.path.isdir(path):
        app.print_error("Specified --log-config file does not exist")
    if not os.access(path, os.R_OK):
        app.print_error("Specified --log-config file cannot be read")
    try:
        properties = _read_log4cplus_properties(path)
    except OSError:
        app.print_error("Specified --log-config file cannot be read")
    if not properties:
        app.print_error("Specified --log-config file does not contain any settings")
    if not any(key.startswith("log4cplus.") for key in properties):
        app.print_error("Specified --log-config file does not contain any valid settings")
    if "log4cplus.rootLogger" not in properties:
        app.print_error("Specified --log-config file does not set up log4cplus.rootLogger")
    level = parse_log_level(properties["log4cplus.rootLogger"].split(",", 1)[0].strip())
    return LogLevel.WARN if level is None else level


# -- evaluation -------------------------------------------------------------------------------


class _Evaluator:
    """Evaluates a parsed command line in the order of DCMTK's ``dcmsign.cc``."""

    def __init__(
        self,
        app: ConsoleApplication,
        cmd: ParsedCommandLine,
        logger: DcmtkLogger,
        hooks: DcmsignParseHooks,
        prog: str,
    ) -> None:
        self.app = app
        self.cmd = cmd
        self.logger = logger
        self.hooks = hooks
        self.prog = prog
        self.o = DcmsignOptions(
            input_file=cmd.get_param(1),
            output_file=cmd.get_param(2) if cmd.param_count > 1 else None,
        )

    # helpers ---------------------------------------------------------------------------------

    def value(self) -> str:
        status, text = self.cmd.get_value()
        self.app.check_value(status, self.cmd)
        return text

    def is_signing(self) -> bool:
        return self.o.command in (Command.SIGN, Command.SIGN_ITEM)

    def switch(
        self, current: _T, *alternatives: tuple[str, _T], needs: tuple[str, bool] | None = None
    ) -> _T:
        """One of DCMTK's option blocks of alternatives that take no value: the value of the
        alternative given (checked in DCMTK's order), else ``current``. ``needs`` is the option
        each alternative requires and whether it is present."""
        self.cmd.begin_option_block()
        for name, value in alternatives:
            if self.cmd.find_option(name):
                if needs is not None:
                    self.app.check_dependence(name, *needs)
                current = value
        self.cmd.end_option_block()
        return current

    def require_output(self, option: str) -> None:
        if self.o.output_file is None:
            self.app.print_error(f"parameter dcmfile-out required for {option}")

    def new_timestamp(self, query: str, response: str | None, uid: str) -> None:
        self.o.ts_query_file, self.o.ts_response_file, self.o.ts_uid_file = query, response, uid
        self.o.ts_mac = MacAlgorithm.SHA256
        self.o.ts_nonce = True
        self.o.ts_request_certificate = True
        self.o.ts_policy_oid = None

    # steps -----------------------------------------------------------------------------------

    def run(self) -> DcmsignOptions:
        self.configure_logging()
        self.input_options()
        self.commands()
        self.general_options()
        self.verification_options()
        self.creation_options()
        self.tag_options()
        self.timestamp_options()
        self.output_options()
        self.logger.debug(self.app.identification + "\n")
        return self.build()

    def configure_logging(self) -> None:
        cmd, app = self.cmd, self.app
        flag_level: LogLevel | None = None
        cmd.begin_option_block()
        if cmd.find_option("--quiet"):
            flag_level = LogLevel.FATAL
        if cmd.find_option("--verbose"):
            flag_level = LogLevel.INFO
        if cmd.find_option("--debug"):
            flag_level = LogLevel.DEBUG
        cmd.end_option_block()
        level = LogLevel.WARN if flag_level is None else flag_level
        explicit_level: LogLevel | None = None
        if cmd.find_option("--log-level"):
            conflict = flag_level is not None
            app.check_conflict("--log-level", "--verbose, --debug or --quiet", conflict)
            explicit_level = parse_log_level(self.value())
            if explicit_level is None:
                app.print_error("Invalid log level for --log-level option")
            level = explicit_level
        if cmd.find_option("--log-config"):
            conflict = flag_level is not None
            app.check_conflict("--log-config", "--verbose, --debug or --quiet", conflict)
            app.check_conflict("--log-config", "--log-level", explicit_level is not None)
            self.o.log_config_file = self.value()
            level = _log_config_level(app, self.o.log_config_file)
        if cmd.find_option("--arguments"):
            self.print_arguments()
        self.logger.level = self.o.log_level = level
        if self.o.log_config_file is not None:
            self.logger.warning(
                f"--log-config: only the root logger level is taken from "
                f"'{self.o.log_config_file}'; appenders, layouts and logger-specific settings "
                "are not supported"
            )
        if not self.logger.is_enabled(LogLevel.ERROR):
            app.quiet = True

    def print_arguments(self) -> None:
        cmd = self.cmd
        shown = list(cmd.arguments)
        for position in cmd.option_positions:
            value = position + 1
            if shown[position] == "--use-passwd" and value < len(shown) and shown[value]:
                shown[value] = _PASSWORD_MASK
        listed = "".join(f"'{arg}' " for arg in shown if arg)
        message = f"calling '{self.prog}' with {len(shown)} arguments: {listed}\n"
        self.logger.emit(LogLevel.INFO, message)

    def input_options(self) -> None:
        cmd = self.cmd
        self.o.read_mode = self.switch(
            self.o.read_mode,
            ("--read-file", ReadMode.AUTO),
            ("--read-file-only", ReadMode.FILE_ONLY),
            ("--read-dataset", ReadMode.DATASET),
        )
        cmd.begin_option_block()
        if cmd.find_option("--read-xfer-auto"):
            self.o.read_transfer_syntax = ReadTransferSyntax.AUTO
        if cmd.find_option("--read-xfer-detect"):
            self.o.read_transfer_syntax_detect = True
        for option in table.family("read-xfer"):
            if option.meaning in (ReadTransferSyntax.AUTO, ReadTransferSyntax.DETECT):
                continue
            if cmd.find_option(option.long):
                dataset = self.o.read_mode is ReadMode.DATASET
                self.app.check_dependence(option.long, "--read-dataset", dataset)
                self.o.read_transfer_syntax = _meaning(option, ReadTransferSyntax)
        cmd.end_option_block()
        self.o.convert_un = self.switch(
            self.o.convert_un, ("--retain-un", False), ("--convert-un", True)
        )

    def commands(self) -> None:
        cmd = self.cmd
        cmd.begin_option_block()
        if cmd.find_option("--verify"):
            self.o.command = Command.VERIFY
        if cmd.find_option("--sign"):
            self.o.command = Command.SIGN
            self.require_output("--sign")
            self.o.key_file = self.value()
            self.o.certificate_file = self.value()
        if cmd.find_option("--sign-item"):
            self.o.command = Command.SIGN_ITEM
            self.require_output("--sign-item")
            self.o.key_file = self.value()
            self.o.certificate_file = self.value()
            self.o.item_location = self.value()
        if cmd.find_option("--insert-timestamp"):
            self.o.command = Command.INSERT_TIMESTAMP
            self.require_output("--insert-timestamp")
            query, response, uid = self.value(), self.value(), self.value()
            self.new_timestamp(query, response, uid)
        if cmd.find_option("--remove"):
            self.o.command = Command.REMOVE
            self.require_output("--remove")
            self.o.signature_uid = self.value()
        if cmd.find_option("--remove-all"):
            self.o.command = Command.REMOVE_ALL
            self.require_output("--remove-all")
        cmd.end_option_block()
        if self.o.command is Command.VERIFY and self.o.output_file is not None:
            self.app.print_error("parameter dcmfile-out not allowed for --verify")

    def general_options(self) -> None:
        self.o.key_format = self.switch(
            self.o.key_format, ("--pem-keys", KeyFormat.PEM), ("--der-keys", KeyFormat.DER)
        )

    def verification_options(self) -> None:
        cmd, app = self.cmd, self.app
        verify = self.o.command is Command.VERIFY
        cmd.begin_option_block()
        for option in table.family("verification-policy"):
            if cmd.find_option(option.long):
                app.check_dependence(option.long, "--verify", verify)
                self.o.verification_policy = _meaning(option, VerificationPolicy)
        cmd.end_option_block()
        cmd.begin_option_block()
        for option in table.family("timestamp-policy"):
            if cmd.find_option(option.long):
                app.check_dependence(option.long, "--verify", verify)
                self.o.timestamp_policy = _meaning(option, TimestampPolicy)
        cmd.end_option_block()
        for option in table.family("certificates"):
            if not cmd.find_option(option.long, FindMode.FIRST):
                continue
            app.check_dependence(option.long, "--verify", verify)
            source = CertificateSource(option.short)
            found = True
            while found:
                path = self.value()
                self.o.add_certificate_source(source, path)
                self.hooks.add_certificate_source(source, path, self.o.key_format)
                found = cmd.find_option(option.long, FindMode.NEXT)
        if cmd.find_option("--enable-crl-vfy"):
            app.check_dependence("--enable-crl-vfy", "--verify", verify)
            self.o.crl_verification_option = True

    def creation_options(self) -> None:
        cmd, app = self.cmd, self.app
        signing = self.is_signing()
        cmd.begin_option_block()
        if cmd.find_option("--std-passwd"):
            app.check_dependence("--std-passwd", _SIGN_OR_SIGN_ITEM, signing)
            self.o.password = Password.prompt()
        if cmd.find_option("--use-passwd"):
            app.check_dependence("--use-passwd", _SIGN_OR_SIGN_ITEM, signing)
            self.o.password = Password.given(self.value())
        if cmd.find_option("--null-passwd"):
            app.check_dependence("--null-passwd", _SIGN_OR_SIGN_ITEM, signing)
            self.o.password = Password.empty()
        cmd.end_option_block()
        cmd.begin_option_block()
        for option in table.family("profile"):
            if cmd.find_option(option.long):
                base = option.needs
                allowed = signing if base == _SIGN_OR_SIGN_ITEM else self.o.command is Command.SIGN
                app.check_dependence(option.long, base, allowed)
                self.o.profile = profile = _meaning(option, Profile)
                if profile is Profile.AUTHORIZATION_RSA:
                    self.logger.warning(_AUTH_PROFILE_WARNING)
        cmd.end_option_block()
        cmd.begin_option_block()
        for option in table.family("mac"):
            if cmd.find_option(option.long):
                app.check_dependence(option.long, _SIGN_OR_SIGN_ITEM, signing)
                self.o.mac = _meaning(option, MacAlgorithm)
        cmd.end_option_block()
        cmd.begin_option_block()
        if cmd.find_option("--no-sig-purpose"):
            app.check_dependence("--no-sig-purpose", _SIGN_OR_SIGN_ITEM, signing)
            self.o.purpose = None
        if cmd.find_option("--sig-purpose"):
            app.check_dependence("--sig-purpose", _SIGN_OR_SIGN_ITEM, signing)
            status, number = cmd.get_unsigned_value(1, len(SignaturePurpose))
            app.check_value(status, cmd)
            self.o.purpose = SignaturePurpose(number)
        cmd.end_option_block()

    def tag_options(self) -> None:
        cmd = self.cmd
        if cmd.find_option("--tag-file"):
            self.o.tag_file = self.value()
            tags = self.hooks.read_tag_file(self.o.tag_file)
            self.o.tag_file_tags = None if tags is None else tuple(tags)
        if cmd.find_option("--tag", FindMode.FIRST):
            found = True
            while found:
                text = self.value()
                tag = parse_tag_argument(text)
                if tag is None:
                    message = f"unknown attribute tag '{text}'"
                    shown = self.logger.is_enabled(LogLevel.FATAL)
                    stderr_text = self.logger.format(LogLevel.FATAL, message) if shown else ""
                    raise CommandLineFailure(message, stderr_text=stderr_text)
                self.o.tags = (tag, *self.o.tags)
                found = cmd.find_option("--tag", FindMode.NEXT)
        self.o.old_format = self.switch(
            self.o.old_format, ("--format-new", False), ("--format-old", True)
        )

    def timestamp_options(self) -> None:
        cmd, app = self.cmd, self.app
        cmd.begin_option_block()
        if cmd.find_option("--timestamp-off"):
            app.check_dependence("--timestamp-off", _SIGN_OR_SIGN_ITEM, self.is_signing())
            self.o.ts_query_file = self.o.ts_response_file = self.o.ts_uid_file = None
        if cmd.find_option("--timestamp-file"):
            app.check_dependence("--timestamp-file", _SIGN_OR_SIGN_ITEM, self.is_signing())
            query, uid = self.value(), self.value()
            self.new_timestamp(query, None, uid)
        cmd.end_option_block()
        has_timestamp = self.o.ts_query_file is not None
        cmd.begin_option_block()
        for option in table.family("ts-mac"):
            if cmd.find_option(option.long):
                app.check_dependence(option.long, "--timestamp-file", has_timestamp)
                self.o.ts_mac = _meaning(option, MacAlgorithm)
        cmd.end_option_block()
        timestamp = ("--timestamp-file", has_timestamp)
        self.o.ts_nonce = self.switch(
            self.o.ts_nonce, ("--ts-use-nonce", True), ("--ts-no-nonce", False), needs=timestamp
        )
        self.o.ts_request_certificate = self.switch(
            self.o.ts_request_certificate,
            ("--ts-request-cert", True),
            ("--ts-no-cert", False),
            needs=timestamp,
        )
        cmd.begin_option_block()
        if cmd.find_option("--ts-no-policy"):
            app.check_dependence("--ts-no-policy", "--timestamp-file", has_timestamp)
            self.o.ts_policy_oid = None
        if cmd.find_option("--ts-policy"):
            app.check_dependence("--ts-policy", "--timestamp-file", has_timestamp)
            self.o.ts_policy_oid = self.value()
        cmd.end_option_block()

    def output_options(self) -> None:
        cmd = self.cmd
        cmd.begin_option_block()
        for option in table.family("write-xfer"):
            if cmd.find_option(option.long):
                self.o.write_transfer_syntax = _meaning(option, WriteTransferSyntax)
        cmd.end_option_block()
        self.o.explicit_length = self.switch(
            self.o.explicit_length, ("--length-explicit", True), ("--length-undefined", False)
        )
        if cmd.find_option("--dump"):
            self.app.check_dependence("--dump", _SIGN_OR_SIGN_ITEM, self.is_signing())
            self.o.dump_file = self.value()
            self.hooks.open_dump_file(self.o.dump_file)

    def build(self) -> DcmsignOptions:
        self.o.tags = tuple(self.o.tags)
        return self.o


_M = TypeVar("_M", bound=Enum)
_T = TypeVar("_T")


def _meaning(option: table.Option, kind: type[_M]) -> _M:
    """The vocabulary member an option of the table selects."""
    return kind(option.meaning)


def evaluate_dcmsign_args(
    argv: Sequence[str],
    *,
    logger: DcmtkLogger | None = None,
    prog: str = APPLICATION_NAME,
    version: str | None = None,
    release_date: str = RELEASE_DATE,
    hooks: DcmsignParseHooks | None = None,
) -> DcmsignOptions:
    """Evaluate a ``dcmsign`` command line; raise instead of writing the final texts.

    Parameters
    ----------
    argv : sequence of str
        The arguments, without the program name.
    logger : DcmtkLogger, optional
        Receives the log lines written during evaluation and gets the requested level
        (default: a new logger on ``sys.stderr``).
    prog : str, optional
        The program name as invoked, shown by ``--arguments`` (DCMTK shows ``argv[0]``).
    version, release_date : str, optional
        Shown in the header ``$dicomsign: dcmsign v<version> <release_date> $``;
        ``version`` defaults to :func:`default_version`.
    hooks : DcmsignParseHooks, optional
        Work done at DCMTK's moments (trust store, tag file, dump file).

    Returns
    -------
    DcmsignOptions
        The options of a run.

    Raises
    ------
    ApplicationExit
        Usage text, ``--help``, ``--version`` or ``+lp`` (exit 0).
    CommandLineFailure
        A command-line error (exit 1), with the exact texts.
    DicomSignError
        Whatever a hook raises.
    """
    logger = DcmtkLogger() if logger is None else logger
    identification = (
        f"$dicomsign: {APPLICATION_NAME} v{version or default_version()} {release_date} $"
    )
    app = ConsoleApplication(
        APPLICATION_NAME, APPLICATION_ABSTRACT, identification, host_info=_host_info_lines()
    )
    spec = build_dcmsign_spec()
    cmd = app.parse_command_line(spec, argv)
    if cmd.has_exclusive_option:
        if cmd.find_option("--version"):
            text = app.header(host_info=True) + _external_libraries_text()
            raise ApplicationExit(ExitCode.NO_ERROR, stdout_text=text)
        if cmd.find_option("--list-purposes"):
            text = app.header(host_info=True) + purpose_list_text()
            raise ApplicationExit(ExitCode.NO_ERROR, stdout_text=text)
    return _Evaluator(app, cmd, logger, hooks or DcmsignParseHooks(), prog).run()


def parse_dcmsign_args(
    argv: Sequence[str],
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    logger: DcmtkLogger | None = None,
    prog: str = APPLICATION_NAME,
    version: str | None = None,
    release_date: str = RELEASE_DATE,
    hooks: DcmsignParseHooks | None = None,
) -> DcmsignOptions | int:
    """Evaluate a ``dcmsign`` command line and write what DCMTK writes.

    Parameters
    ----------
    argv : sequence of str
        The arguments, without the program name.
    stdout, stderr : TextIO, optional
        Output streams (default: ``sys.stdout``/``sys.stderr`` at call time). The default
        logger writes to ``stderr``.
    logger, prog, version, release_date, hooks
        As for :func:`evaluate_dcmsign_args`.

    Returns
    -------
    DcmsignOptions or int
        The options of a run, or the exit code of an invocation already fully handled (help,
        usage, ``--version``, ``+lp``: 0; command-line error: 1).
    """
    import sys

    out = sys.stdout if stdout is None else stdout
    err = sys.stderr if stderr is None else stderr
    logger = DcmtkLogger(err) if logger is None else logger
    try:
        return evaluate_dcmsign_args(
            argv,
            logger=logger,
            prog=prog,
            version=version,
            release_date=release_date,
            hooks=hooks,
        )
    except (ApplicationExit, CommandLineFailure) as exc:
        out.write(exc.stdout_text)
        out.flush()
        err.write(exc.stderr_text)
        err.flush()
        return int(exc.exit_code)
