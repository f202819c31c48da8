"""The one family of exceptions for what a user did wrong.

A :class:`UsageError` is a mistake in the input (a parameter out of range, a missing file, a
workload that cannot be built from what was given): the command line prints its message as
one line and exits with status 2. Anything else that escapes is a bug in orbitbench and
keeps its traceback. Each layer raises its own subclasses (``ParameterError`` for a value
out of range, the campaign database's, the toolchain's ...), which also derive from the
built-in exception a Python caller would expect (``ValueError``, ``FileNotFoundError``).
"""

from __future__ import annotations

__all__ = ["UsageError", "ParameterError", "InputFileError", "OutputFileError", "Interrupted",
           "Terminated"]


class UsageError(Exception):
    """Bad input: printed as one line, exit status 2."""


class ParameterError(UsageError, ValueError):
    """A parameter has a value outside what is allowed; the message names both."""


class InputFileError(UsageError, FileNotFoundError):
    """A file the user named (or ``make rtl`` should have written) is missing or unreadable."""


class OutputFileError(UsageError, OSError):
    """A file the user asked for cannot be written there (checked before the work starts)."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, with what the user can do about it (e.g. how to resume): the command line
    prints the message and exits with status 130, without a traceback."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "interrupted"


class Terminated(Interrupted):
    """SIGTERM, turned into an exception so that the same clean-up runs: status 143."""
