"""Emulation of DCMTK's shared command-line classes ``OFCommandLine``/``OFConsoleApplication``.

Every DCMTK tool parses its arguments with the same two classes; this module reproduces their
grammar, their messages and their help layout (as of DCMTK 3.6.7, checked against the real
``dcmsign``), so that a drop-in front end behaves byte for byte like the original. It is
generic: the option table of a tool is built with :class:`CommandLineSpec`, the arguments are
parsed with :meth:`ConsoleApplication.parse_command_line`, and the tool then asks for options
in its own order with :meth:`ParsedCommandLine.find_option`, exactly like DCMTK code does.

Grammar
-------
* An argument is an *option* if it has at least two characters, starts with ``+`` or ``-``, and
  its second character is not a digit (``-5`` and ``-`` are parameters). Options are looked up
  by exact long or short name; there are no abbreviations, no ``--opt=value`` and no ``--``.
* An option with *n* values takes the next *n* arguments verbatim, whatever they look like.
  Options are stored under their long name (``+s`` becomes ``--sign``).
* ``@file`` (at least one character after ``@``) is replaced by the file's tokens before
  anything else: see :func:`tokenize_command_file`. Command files do not nest, an argument
  that is just ``@`` stays literal, an unreadable file is an error and a directory gives no
  tokens.
* No arguments at all prints the usage (help) text to stdout and exits 0 if the tool has a
  mandatory parameter. An *exclusive* option (``--help``, ``--version``...) suppresses the
  parameter-count checks; ``--help`` then prints the usage text.

Finding options
---------------
:meth:`ParsedCommandLine.find_option` searches from the **rightmost** occurrence. Between
:meth:`~ParsedCommandLine.begin_option_block` and :meth:`~ParsedCommandLine.end_option_block`
each successful search also sets a limit: a later search in the same block only finds options
to the right of the previous find. A tool that tests the alternatives of a block one after the
other and lets each assignment override the previous one therefore gets "the rightmost option
of the block wins", and the handlers of alternatives given further to the left are never run
(so their dependency checks are not made either). Repeated options are read with
``FindMode.FIRST`` then ``FindMode.NEXT``, which visits them **from right to left**.

Errors
------
DCMTK's ``printError`` writes the program header and ``error: <message>`` to stderr and exits
with 1; in quiet mode it writes nothing. Here it raises :class:`CommandLineFailure` (a
:class:`dicomsign.exceptions.CommandLineError`) that carries the exact texts; normal
terminations with output (usage text) raise :class:`ApplicationExit`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import NoReturn

from ...exceptions import CommandLineError
from ...exitcodes import ExitCode

__all__ = [
    "ApplicationExit",
    "CommandLineFailure",
    "CommandLineSpec",
    "ConsoleApplication",
    "FindMode",
    "OptionSpec",
    "ParamSpec",
    "ParseStatus",
    "ParsedCommandLine",
    "ValueStatus",
    "expand_command_files",
    "parse_command_line",
    "tokenize_command_file",
]

_OPTION_CHARS = "+-"
_COMMAND_FILE_PREFIX = "@"
_COMMAND_FILE_SEPARATORS = " \t\r\n"
_COMMAND_FILE_QUOTES = "\"'"
_C_WHITESPACE = " \t\n\v\f\r"
_ULONG_MAX = 2**64 - 1
_GROUP_INDENT = 2
_SUBGROUP_INDENT = 4
_COLUMN_SPACE = 2
_PARAM_INDENT = 2


class ApplicationExit(Exception):
    """The invocation was fully handled (usage text, version...): write the texts and exit.

    Parameters
    ----------
    exit_code : int
        The process exit code.
    stdout_text, stderr_text : str
        What the program prints on each stream.
    """

    def __init__(self, exit_code: int, *, stdout_text: str = "", stderr_text: str = "") -> None:
        super().__init__(exit_code)
        self.exit_code = exit_code
        self.stdout_text = stdout_text
        self.stderr_text = stderr_text


class CommandLineFailure(CommandLineError):
    """A command-line error, with the exact texts DCMTK prints for it.

    Parameters
    ----------
    message : str
        The bare message, e.g. ``"Unknown option --foo"``.
    stderr_text : str
        Everything written to stderr for it (header and ``error: ...`` line, an ``F: ...`` log
        line, or nothing in quiet mode).
    stdout_text : str, optional
        Anything written to stdout (normally nothing).
    exit_code : ExitCode, optional
        Defaults to 1 (``COMMANDLINE_SYNTAX_ERROR``).
    """

    def __init__(
        self,
        message: str,
        *,
        stderr_text: str,
        stdout_text: str = "",
        exit_code: ExitCode | None = None,
    ) -> None:
        super().__init__(message, exit_code=exit_code)
        self.stderr_text = stderr_text
        self.stdout_text = stdout_text


class ParseStatus(Enum):
    """Result of :func:`parse_command_line` (``OFCommandLine::E_ParseStatus``)."""

    NORMAL = "normal"
    NO_ARGUMENTS = "no arguments"
    EXCLUSIVE_OPTION = "exclusive option"
    UNKNOWN_OPTION = "unknown option"
    MISSING_VALUE = "missing value"
    MISSING_PARAMETER = "missing parameter"
    TOO_MANY_PARAMETERS = "too many parameters"
    CANNOT_OPEN_COMMAND_FILE = "cannot open command file"


class ValueStatus(Enum):
    """Result of reading an option value (``OFCommandLine::E_ValueStatus``)."""

    NORMAL = "normal"
    INVALID = "invalid"
    EMPTY = "empty"
    NO_MORE = "no more"
    UNDERFLOW = "underflow"
    OVERFLOW = "overflow"


class FindMode(Enum):
    """Search mode of :meth:`ParsedCommandLine.find_option`."""

    NORMAL = "normal"
    FIRST = "first"
    NEXT = "next"


@dataclass(frozen=True)
class OptionSpec:
    """One option of the table (an entry with an empty long name is a (sub)group title)."""

    long: str
    short: str = ""
    value_count: int = 0
    value_description: str = ""
    description: str = ""
    exclusive: bool = False


@dataclass(frozen=True)
class ParamSpec:
    """One positional parameter."""

    name: str
    description: str = ""
    optional: bool = False


@dataclass(frozen=True)
class _GroupEntry:
    title: str
    subgroup: bool
    long_cols: int
    short_cols: int


def _is_option(arg: str) -> bool:
    """DCMTK's ``checkOption``: ``+x``/``-x`` with a non-digit second character."""
    return len(arg) >= 2 and arg[0] in _OPTION_CHARS and not arg[1].isdigit()


class CommandLineSpec:
    """The option and parameter table of a tool, with DCMTK's help layout.

    Parameters
    ----------
    long_column, short_column : int
        Default minimum widths of the long and short option columns (``setOptionColumns``).
    param_column : int
        Minimum width of the parameter name column (``setParamColumn``).
    """

    def __init__(self, *, long_column: int = 0, short_column: int = 0, param_column: int = 0):
        self.long_column = long_column
        self.short_column = short_column
        self.param_column = param_column
        self._entries: list[OptionSpec | _GroupEntry] = []
        self._params: list[ParamSpec] = []
        self._by_name: dict[str, OptionSpec] = {}

    # -- building -------------------------------------------------------------------------

    def add_param(self, name: str, description: str = "", *, optional: bool = False) -> None:
        """Add a positional parameter (mandatory ones must come first)."""
        self._params.append(ParamSpec(name, description, optional))

    def add_group(self, title: str, long_cols: int = 0, short_cols: int = 0) -> None:
        """Start a group of options; column widths 0 mean the table defaults."""
        self._entries.append(_GroupEntry(title, False, long_cols, short_cols))

    def add_subgroup(self, title: str, long_cols: int = 0, short_cols: int = 0) -> None:
        """Start a subgroup of options; column widths 0 mean the table defaults."""
        self._entries.append(_GroupEntry(title, True, long_cols, short_cols))

    def add_option(
        self,
        long: str,
        short: str = "",
        *,
        values: int = 0,
        value_description: str = "",
        description: str = "",
        exclusive: bool = False,
    ) -> None:
        """Add an option taking ``values`` values.

        Raises
        ------
        ValueError
            If a name is not a valid option name or is already used.
        """
        for name in (long, short):
            if name and (not _is_option(name) or name in self._by_name):
                raise ValueError(f"invalid or duplicate option name {name!r}")
        if not long:
            raise ValueError("an option needs a long name")
        option = OptionSpec(long, short, values, value_description, description, exclusive)
        self._entries.append(option)
        self._by_name[long] = option
        if short:
            self._by_name[short] = option

    # -- queries --------------------------------------------------------------------------

    def lookup(self, name: str) -> OptionSpec | None:
        """Return the option whose long or short name is ``name``."""
        return self._by_name.get(name)

    @property
    def options(self) -> tuple[OptionSpec, ...]:
        """The options, in table order."""
        return tuple(e for e in self._entries if isinstance(e, OptionSpec))

    @property
    def params(self) -> tuple[ParamSpec, ...]:
        """The positional parameters, in order."""
        return tuple(self._params)

    @property
    def min_params(self) -> int:
        """Number of mandatory parameters."""
        return sum(1 for p in self._params if not p.optional)

    @property
    def max_params(self) -> int:
        """Maximum number of parameters."""
        return len(self._params)

    # -- help layout ----------------------------------------------------------------------

    def syntax_string(self) -> str:
        """The part after the program name on the ``usage:`` line."""
        text = " [options]" if self._entries else ""
        for param in self._params:
            text += f" [{param.name}]" if param.optional else f" {param.name}"
        return text

    def param_string(self) -> str:
        """The ``parameters:`` block (empty if no parameter has a description)."""
        described = [p for p in self._params if p.description]
        if not described:
            return ""
        width = max([self.param_column] + [len(p.name) for p in described])
        indent = " " * (_PARAM_INDENT + width + _COLUMN_SPACE)
        text = "parameters:\n"
        for param in described:
            body = param.description.replace("\n", "\n" + indent)
            text += f"{' ' * _PARAM_INDENT}{param.name.ljust(width)}{' ' * _COLUMN_SPACE}{body}\n"
        return text

    def option_string(self) -> str:
        """The option list, grouped, with DCMTK's column layout."""
        text = ""
        short_size, long_size = self.short_column, self.long_column
        line_indent = 0
        new_group = True
        for index, entry in enumerate(self._entries):
            if isinstance(entry, _GroupEntry):
                new_group = True
                if entry.long_cols == 0 and entry.short_cols == 0:
                    long_size, short_size = self.long_column, self.short_column
                else:
                    long_size, short_size = entry.long_cols, entry.short_cols
                if entry.subgroup:
                    text += " " * _GROUP_INDENT + entry.title + "\n"
                    line_indent = _SUBGROUP_INDENT
                else:
                    text += entry.title + "\n"
                    line_indent = _GROUP_INDENT
                continue
            if new_group:
                for other in self._entries[index:]:
                    if isinstance(other, _GroupEntry):
                        break
                    short_size = max(short_size, len(other.short))
                    long_size = max(long_size, len(other.long))
                new_group = False
            text += self._option_lines(entry, line_indent, short_size, long_size)
        return text

    @staticmethod
    def _option_lines(option: OptionSpec, indent: int, short_size: int, long_size: int) -> str:
        line = " " * indent
        if short_size > 0:
            line += option.short.ljust(short_size) + " " * _COLUMN_SPACE
        line += option.long.ljust(long_size) + " " * _COLUMN_SPACE
        continuation = " " * (indent + short_size + long_size + 2 * _COLUMN_SPACE)
        if option.value_description:
            line += option.value_description.replace("\n", "\n" + continuation) + "\n"
            line += continuation
        line += option.description.replace("\n", "\n" + continuation)
        return line + "\n"


def tokenize_command_file(text: str) -> list[str]:
    """Split the content of an ``@file`` into arguments, as DCMTK 3.6.7 does.

    * Tokens are separated by space, TAB, CR or LF.
    * A single or double quote starts a quoted part that runs to the same quote character
      (newlines included). The quotes are removed and the **closing quote ends the token**:
      ``ab"cd"ef`` gives ``abcd`` and ``ef``; ``""`` gives an empty argument.
    * An unterminated quote runs to the end of the file; if nothing follows it, no token.
    * There is no escape character and no comment syntax.

    Parameters
    ----------
    text : str
        The file content.

    Returns
    -------
    list of str
        The arguments, in order.
    """
    tokens: list[str] = []
    current: list[str] = []
    quote: str | None = None
    for char in text:
        if quote is not None:
            if char == quote:
                tokens.append("".join(current))
                current = []
                quote = None
            else:
                current.append(char)
        elif char in _COMMAND_FILE_SEPARATORS:
            if current:
                tokens.append("".join(current))
                current = []
        elif char in _COMMAND_FILE_QUOTES:
            quote = char
        else:
            current.append(char)
    if current:
        tokens.append("".join(current))
    return tokens


class _CommandFileError(Exception):
    def __init__(self, filename: str) -> None:
        super().__init__(filename)
        self.filename = filename


def _read_command_file(filename: str) -> list[str]:
    try:
        with open(filename, "rb") as handle:
            data = handle.read()
    except IsADirectoryError:
        # A C++ ifstream opens a directory and then reads nothing.
        return []
    except (OSError, ValueError) as exc:
        raise _CommandFileError(filename) from exc
    return tokenize_command_file(os.fsdecode(data))


def expand_command_files(args: Sequence[str]) -> list[str]:
    """Replace every ``@file`` argument by the file's tokens (no nesting).

    Raises
    ------
    CommandLineError
        If a command file cannot be opened (the message names it).
    """
    try:
        return _expand(args)
    except _CommandFileError as exc:
        raise CommandLineError(f"Cannot open command file '{exc.filename}'") from exc


def _expand(args: Sequence[str]) -> list[str]:
    expanded: list[str] = []
    for arg in args:
        if len(arg) > 1 and arg.startswith(_COMMAND_FILE_PREFIX):
            expanded.extend(_read_command_file(arg[1:]))
        else:
            expanded.append(arg)
    return expanded


def _scan_unsigned_decimal(text: str) -> int | None:
    """``sscanf(text, "%lu")`` of DCMTK 3.6.7's ``getValue``, which also rejects a leading minus.

    Returns ``None`` if no number can be read; saturates at ``ULONG_MAX``.
    """
    stripped = text.lstrip(_C_WHITESPACE)
    if stripped.startswith("-"):
        return None
    stripped = stripped.removeprefix("+")
    digits = ""
    for char in stripped:
        if not ("0" <= char <= "9"):
            break
        digits += char
    if not digits:
        return None
    return min(int(digits), _ULONG_MAX)


class ParsedCommandLine:
    """A parsed command line: what ``OFCommandLine`` holds after ``parseLine``.

    Use :func:`parse_command_line` to create one.
    """

    def __init__(self, spec: CommandLineSpec) -> None:
        self.spec = spec
        self.status = ParseStatus.NORMAL
        #: Expanded arguments with options in long form, in order (``ArgumentList``).
        self.arguments: list[str] = []
        #: Indices into :attr:`arguments` of the options.
        self.option_positions: list[int] = []
        #: Indices into :attr:`arguments` of the parameters.
        self.param_positions: list[int] = []
        self.has_exclusive_option = False
        self._failed_argument = ""
        self._arg_index = -1
        self._option_index = 0
        self._block_mode = False
        self._block_limit = 0

    # -- parameters -----------------------------------------------------------------------

    @property
    def param_count(self) -> int:
        """Number of parameters given."""
        return len(self.param_positions)

    def get_param(self, position: int) -> str:
        """Return parameter ``position`` (1-based).

        Raises
        ------
        IndexError
            If there is no such parameter.
        """
        if not 1 <= position <= self.param_count:
            raise IndexError(f"no parameter {position}")
        self._arg_index = self.param_positions[position - 1]
        return self.arguments[self._arg_index]

    # -- options --------------------------------------------------------------------------

    def begin_option_block(self) -> None:
        """Start a block of alternative options (``beginOptionBlock``)."""
        self._block_limit = len(self.option_positions)
        self._block_mode = True

    def end_option_block(self) -> None:
        """End the current block of alternative options."""
        self._block_mode = False

    def find_option(self, long: str, mode: FindMode = FindMode.NORMAL) -> bool:
        """Search for option ``long`` from the right, as ``OFCommandLine::findOption`` does.

        Parameters
        ----------
        long : str
            The long option name.
        mode : FindMode, optional
            ``NORMAL`` and ``FIRST`` start at the rightmost argument; ``NEXT`` continues to
            the left of the previous find.

        Returns
        -------
        bool
            Whether it was found; if so, :meth:`get_value` reads its values.
        """
        start = self._option_index if mode is FindMode.NEXT else len(self.option_positions)
        for index in range(start - 1, -1, -1):
            self._arg_index = self.option_positions[index]
            if self._block_mode and index == self._block_limit:
                return False
            if self.arguments[self._arg_index] == long:
                self._option_index = index
                if mode is FindMode.NORMAL:
                    self._block_limit = index
                return True
        return False

    def get_value(self) -> tuple[ValueStatus, str]:
        """Read the next value of the option found last (``getValue`` for strings)."""
        self._arg_index += 1
        if self._arg_index >= len(self.arguments):
            return ValueStatus.NO_MORE, ""
        value = self.arguments[self._arg_index]
        return (ValueStatus.NORMAL if value else ValueStatus.EMPTY), value

    def get_unsigned_value(self, low: int, high: int) -> tuple[ValueStatus, int]:
        """Read the next value as an unsigned integer in ``low..high``.

        Emulates ``getValueAndCheckMinMax(OFCmdUnsignedInt&, ...)`` of DCMTK 3.6.7:
        ``sscanf("%lu")`` semantics (leading whitespace, optional ``+``, trailing garbage
        ignored), a leading ``-`` is invalid.
        """
        status, text = self.get_value()
        if status is ValueStatus.NO_MORE:
            return status, 0
        number = _scan_unsigned_decimal(text)
        if number is None:
            return ValueStatus.INVALID, 0
        if number < low:
            return ValueStatus.UNDERFLOW, number
        if number > high:
            return ValueStatus.OVERFLOW, number
        return ValueStatus.NORMAL, number

    # -- messages -------------------------------------------------------------------------

    def status_message(self) -> str:
        """The message of a failed parse (``getStatusString(E_ParseStatus)``)."""
        status = self.status
        if status is ParseStatus.UNKNOWN_OPTION:
            return f"Unknown option {self._failed_argument}"
        if status is ParseStatus.MISSING_VALUE:
            return f"Missing value for option {self._failed_argument}"
        if status is ParseStatus.MISSING_PARAMETER:
            return f"Missing parameter {self.spec.params[self.param_count].name}"
        if status is ParseStatus.TOO_MANY_PARAMETERS:
            return "Too many parameters"
        if status is ParseStatus.CANNOT_OPEN_COMMAND_FILE:
            return self._failed_argument
        return ""

    def value_status_message(self, status: ValueStatus) -> str:
        """The message for a bad option value (``getStatusString(E_ValueStatus)``).

        Empty for ``NORMAL`` and ``EMPTY``: DCMTK 3.6.7 accepts empty string values.
        """
        if status in (ValueStatus.NORMAL, ValueStatus.EMPTY):
            return ""
        option = self.arguments[self.option_positions[self._option_index]]
        if status is ValueStatus.NO_MORE:
            return f"Missing value for option {option}"
        text = f"Invalid value for option {option}"
        current = self.arguments[self._arg_index] if self._arg_index < len(self.arguments) else ""
        if current:
            if status is ValueStatus.UNDERFLOW:
                text += f" (underflow: {current})"
            elif status is ValueStatus.OVERFLOW:
                text += f" (overflow: {current})"
            else:
                text += f" ({current})"
        return text

    # -- parsing --------------------------------------------------------------------------

    def _parse(self, args: Sequence[str]) -> None:
        try:
            expanded = _expand(args)
        except _CommandFileError as exc:
            self.status = ParseStatus.CANNOT_OPEN_COMMAND_FILE
            self._failed_argument = f"Cannot open command file '{exc.filename}'"
            return
        index = 0
        while index < len(expanded):
            arg = expanded[index]
            if not _is_option(arg):
                self.param_positions.append(len(self.arguments))
                self.arguments.append(arg)
                index += 1
                continue
            option = self.spec.lookup(arg)
            if option is None:
                self.arguments.append(arg)
                self._failed_argument = arg
                self.status = ParseStatus.UNKNOWN_OPTION
                return
            self.option_positions.append(len(self.arguments))
            self.arguments.append(option.long)
            if option.exclusive:
                self.has_exclusive_option = True
            remaining = len(expanded) - index
            if option.value_count >= remaining:
                self._failed_argument = option.long
                self.status = ParseStatus.MISSING_VALUE
                return
            self.arguments.extend(expanded[index + 1 : index + 1 + option.value_count])
            index += 1 + option.value_count
        if not self.arguments:
            self.status = ParseStatus.NO_ARGUMENTS
        elif self.has_exclusive_option:
            self.status = ParseStatus.EXCLUSIVE_OPTION
        elif self.param_count < self.spec.min_params:
            self.status = ParseStatus.MISSING_PARAMETER
        elif self.param_count > self.spec.max_params:
            self.status = ParseStatus.TOO_MANY_PARAMETERS


def parse_command_line(spec: CommandLineSpec, args: Sequence[str]) -> ParsedCommandLine:
    """Parse ``args`` (without the program name) against ``spec`` (``OFCommandLine::parseLine``).

    Returns
    -------
    ParsedCommandLine
        Check its :attr:`~ParsedCommandLine.status`.
    """
    parsed = ParsedCommandLine(spec)
    parsed._parse(args)
    return parsed


class ConsoleApplication:
    """The program header, usage text and error reporting of ``OFConsoleApplication``.

    Parameters
    ----------
    name : str
        The application name, e.g. ``"dcmsign"``.
    description : str
        One-line description printed after the name.
    identification : str
        The first header line, e.g. ``"$dcmtk: dcmsign v3.6.7 2022-04-22 $"``.
    host_info : sequence of str, optional
        Lines printed by :meth:`header` with ``host_info=True`` (``Host type: ...``).
    """

    def __init__(
        self,
        name: str,
        description: str,
        identification: str,
        *,
        host_info: Sequence[str] = (),
    ) -> None:
        self.name = name
        self.description = description
        self.identification = identification
        self.host_info = tuple(host_info)
        #: In quiet mode :meth:`print_error` writes nothing (set after ``-q``/``-ll fatal``).
        self.quiet = False

    def header(self, *, host_info: bool = False) -> str:
        """The program header (``printHeader``)."""
        text = f"{self.identification}\n\n" if self.identification else ""
        text += self.name
        if self.description:
            text += f": {self.description}"
        text += "\n"
        if host_info:
            text += "\n" + "".join(f"{line}\n" for line in self.host_info)
        return text

    def usage(self, spec: CommandLineSpec) -> str:
        """The complete usage (help) text (``printUsage``)."""
        text = self.header() + f"usage: {self.name}{spec.syntax_string()}\n"
        params = spec.param_string()
        if params:
            text += "\n" + params
        options = spec.option_string()
        if options:
            text += "\n" + options
        return text + "\n"

    def parse_command_line(self, spec: CommandLineSpec, args: Sequence[str]) -> ParsedCommandLine:
        """Parse ``args`` and handle the usage cases (``OFConsoleApplication::parseCommandLine``).

        Raises
        ------
        ApplicationExit
            With the usage text (exit 0) for no arguments or ``--help``.
        CommandLineFailure
            For any parse error.
        """
        parsed = parse_command_line(spec, args)
        if parsed.status is ParseStatus.NO_ARGUMENTS:
            if spec.min_params > 0:
                raise ApplicationExit(0, stdout_text=self.usage(spec))
        elif parsed.status is ParseStatus.EXCLUSIVE_OPTION:
            if spec.lookup("--help") is not None and parsed.find_option("--help"):
                raise ApplicationExit(0, stdout_text=self.usage(spec))
        elif parsed.status is not ParseStatus.NORMAL:
            self.print_error(parsed.status_message())
        return parsed

    def print_error(self, message: str) -> NoReturn:
        """Report a command-line error (header and ``error: ...`` on stderr, exit 1)."""
        text = "" if self.quiet else self.header() + f"error: {message}\n"
        raise CommandLineFailure(message, stderr_text=text)

    def check_value(self, status: ValueStatus, parsed: ParsedCommandLine) -> None:
        """Fail if ``status`` reports an invalid option value (``checkValue``)."""
        message = parsed.value_status_message(status)
        if message:
            self.print_error(message)

    def check_dependence(self, sub_option: str, base_option: str, condition: bool) -> None:
        """Fail with ``"<sub> only allowed with <base>"`` unless ``condition``."""
        if not condition:
            self.print_error(f"{sub_option} only allowed with {base_option}")

    def check_conflict(self, first_option: str, second_option: str, condition: bool) -> None:
        """Fail with ``"<first> not allowed with <second>"`` if ``condition``."""
        if condition:
            self.print_error(f"{first_option} not allowed with {second_option}")
