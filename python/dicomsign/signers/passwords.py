"""Pass phrases of encrypted private keys, as ``dcmsign`` gets them (``+ps``, ``+pw``, ``-pw``).

Secrets are never shown: a :class:`Password` hides its value in ``repr``, and a prompted pass
phrase is read without echo on a terminal.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, Literal

__all__ = ["PASSWORD_PROMPT", "Password", "password_bytes", "read_password_from_console"]

#: OpenSSL's default pass phrase prompt, as printed by ``dcmsign``.
PASSWORD_PROMPT: Final = "Enter PEM pass phrase:"


@dataclass(frozen=True)
class Password:
    """How to get the pass phrase of an encrypted PEM key (dcmsign ``+ps`` / ``+pw`` / ``-pw``).

    Attributes
    ----------
    mode : {"prompt", "given", "empty"}
        ``prompt`` (``+ps``, the default): ask on the terminal if standard input is one,
        otherwise read one line from standard input; ``given`` (``+pw PW``): use ``value``;
        ``empty`` (``-pw``): use the empty pass phrase.
    value : str
        The pass phrase for ``given``; never shown in ``repr``.
    """

    mode: Literal["prompt", "given", "empty"] = "prompt"
    value: str = field(default="", repr=False)

    @classmethod
    def prompt(cls) -> Password:
        """Ask for the pass phrase when it is needed (``+ps``)."""
        return cls("prompt")

    @classmethod
    def given(cls, value: str) -> Password:
        """Use the given pass phrase (``+pw``)."""
        return cls("given", value)

    @classmethod
    def empty(cls) -> Password:
        """Use the empty pass phrase (``-pw``)."""
        return cls("empty")


def read_password_from_console(prompt: str = PASSWORD_PROMPT) -> bytes | None:
    """Read a pass phrase the way OpenSSL's default PEM callback does.

    On a terminal the ``prompt`` (by default ``Enter PEM pass phrase:``) is shown and the answer
    is read without echo. Otherwise the prompt goes to standard error and one line is read from
    standard input. A token's PIN and a PKCS#12 file's password are read the same way.

    Returns
    -------
    bytes | None
        The pass phrase without its line end, or None at end of input.
    """
    if sys.stdin is not None and sys.stdin.isatty():
        try:
            return os.fsencode(getpass.getpass(prompt))
        except (EOFError, KeyboardInterrupt):
            return None
    sys.stderr.write(prompt)
    sys.stderr.flush()
    stream = sys.stdin.buffer if sys.stdin is not None else None
    line = stream.readline() if stream is not None else b""
    sys.stderr.write("\n")
    sys.stderr.flush()
    if not line:
        return None
    return line.rstrip(b"\r\n")


def password_bytes(password: Password, ask: Callable[[], bytes | None]) -> bytes | None:
    """The pass phrase ``password`` gives, asking ``ask`` in prompt mode (None: none given)."""
    if password.mode == "given":
        return os.fsencode(password.value)
    if password.mode == "empty":
        return b""
    return ask()


# --------------------------------------------------------------------------------------------
# Loading
