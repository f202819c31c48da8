"""The one family of exceptions for what a user did wrong.

A :class:`UsageError` is a mistake in the input (a parameter out of range, a missing file, a
workload that cannot be built from what was given): the command line prints its message as
one line and exits with status 2. Anything else that escapes is a bug in orbitbench and
keeps its traceback. Each layer raises its own subclasses (``ParameterError`` for a value
out of range, the campaign database's, the toolchain's ...), which also derive from the
built-in exception a Python caller would expect (``ValueError``, ``FileNotFoundError``).
"""

from __future__ import annotations

__all__ = ["UsageError", "ParameterError", "InputFileError"]


class UsageError(Exception):
    """Bad input: printed as one line, exit status 2."""


class ParameterError(UsageError, ValueError):
    """A parameter has a value outside what is allowed; the message names both."""


class InputFileError(UsageError, FileNotFoundError):
    """A file the user named (or ``make rtl`` should have written) is missing or unreadable."""
