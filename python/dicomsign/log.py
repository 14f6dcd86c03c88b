"""A logger that writes DCMTK's console log format.

DCMTK's command-line tools log through ``oflog`` (log4cplus) with the pattern ``%P: %m%n``:
one capital letter for the level, a colon, a space and the message. A message that spans
several lines gets the prefix on **every** line, and a message ending with a newline therefore
ends with a line holding only the prefix (``"D: "``), exactly as ``dcmsign -d`` prints its
``$dcmtk: ... $`` identifier.

Levels and their prefixes: ``F`` (fatal), ``E`` (error), ``W`` (warn, the default threshold),
``I`` (info), ``D`` (debug), ``T`` (trace). ``-q`` means FATAL: only ``F:`` lines remain, and
DCMTK's own command-line error texts are then suppressed as well (see
:mod:`dicomsign.cli.dcmsign.options`).
"""

from __future__ import annotations

import sys
from enum import IntEnum
from typing import TextIO

__all__ = ["DcmtkLogger", "LogLevel", "parse_log_level"]


class LogLevel(IntEnum):
    """Log levels with log4cplus's numeric values (a message is shown if ``level >= threshold``)."""

    TRACE = 0
    DEBUG = 10000
    INFO = 20000
    WARN = 30000
    ERROR = 40000
    FATAL = 50000
    OFF = 60000

    @property
    def prefix(self) -> str:
        """The one-letter line prefix, e.g. ``"W"``; ``OFF`` has none (empty string)."""
        return _PREFIXES[self]


_PREFIXES = {
    LogLevel.TRACE: "T",
    LogLevel.DEBUG: "D",
    LogLevel.INFO: "I",
    LogLevel.WARN: "W",
    LogLevel.ERROR: "E",
    LogLevel.FATAL: "F",
    LogLevel.OFF: "",
}

# log4cplus's LogLevelManager::fromString: these names only, compared case-insensitively.
_LEVEL_NAMES = {
    "OFF": LogLevel.OFF,
    "FATAL": LogLevel.FATAL,
    "ERROR": LogLevel.ERROR,
    "WARN": LogLevel.WARN,
    "INFO": LogLevel.INFO,
    "DEBUG": LogLevel.DEBUG,
    "TRACE": LogLevel.TRACE,
    "ALL": LogLevel.TRACE,
}


def parse_log_level(text: str) -> LogLevel | None:
    """Convert a ``--log-level`` value as log4cplus does.

    Parameters
    ----------
    text : str
        One of ``off, fatal, error, warn, info, debug, trace, all`` in any letter case.

    Returns
    -------
    LogLevel or None
        ``None`` for anything else (``"warning"``, numbers, the empty string...).
    """
    return _LEVEL_NAMES.get(text.upper())


class DcmtkLogger:
    """Write log messages in DCMTK's console format.

    Parameters
    ----------
    stream : TextIO, optional
        Where lines go. ``None`` means ``sys.stderr`` as it is at the time of each write,
        so that redirections made later (pytest's ``capsys``) are honoured.
    level : LogLevel, optional
        The threshold; messages below it are dropped. DCMTK's default is WARN.
    """

    def __init__(self, stream: TextIO | None = None, level: LogLevel = LogLevel.WARN) -> None:
        self._stream = stream
        self.level = level

    @property
    def stream(self) -> TextIO:
        """The stream written to."""
        return self._stream if self._stream is not None else sys.stderr

    def is_enabled(self, level: LogLevel) -> bool:
        """Whether a message of ``level`` would be written."""
        return level != LogLevel.OFF and level >= self.level

    @staticmethod
    def format(level: LogLevel, message: str) -> str:
        """Return ``message`` as DCMTK prints it: every line prefixed, newline-terminated."""
        prefix = f"{level.prefix}: "
        return "".join(f"{prefix}{line}\n" for line in message.split("\n"))

    def emit(self, level: LogLevel, message: str) -> None:
        """Write ``message`` with the prefix of ``level``, whatever the threshold."""
        stream = self.stream
        stream.write(self.format(level, message))
        stream.flush()

    def log(self, level: LogLevel, message: str) -> None:
        """Write ``message`` if ``level`` is enabled."""
        if self.is_enabled(level):
            self.emit(level, message)

    def fatal(self, message: str) -> None:
        """Log at FATAL (``F:``)."""
        self.log(LogLevel.FATAL, message)

    def error(self, message: str) -> None:
        """Log at ERROR (``E:``)."""
        self.log(LogLevel.ERROR, message)

    def warn(self, message: str) -> None:
        """Log at WARN (``W:``)."""
        self.log(LogLevel.WARN, message)

    def warning(self, message: str) -> None:
        """Log at WARN (``W:``); the same as :meth:`warn`."""
        self.log(LogLevel.WARN, message)

    def info(self, message: str) -> None:
        """Log at INFO (``I:``)."""
        self.log(LogLevel.INFO, message)

    def debug(self, message: str) -> None:
        """Log at DEBUG (``D:``)."""
        self.log(LogLevel.DEBUG, message)

    def trace(self, message: str) -> None:
        """Log at TRACE (``T:``)."""
        self.log(LogLevel.TRACE, message)
