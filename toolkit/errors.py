"""The one exception family the library raises for problems the user can fix."""

from __future__ import annotations


class ToolkitError(Exception):
    """A problem with the user's input or setup, with a message that says what to do.

    The CLI prints the message (never a traceback) and exits with ``exit_code``.
    """

    exit_code = 2


class UsageError(ToolkitError):
    """Bad command-line arguments or configuration."""


class InputError(ToolkitError):
    """A path that cannot be read, or a file that cannot be used at all."""
