"""The editing library's errors (both are :class:`~toolkit.errors.ToolkitError`: the message says what to do)."""

from __future__ import annotations

from ..errors import ToolkitError


class EditError(ToolkitError):
    """An edit that cannot be made as asked."""


class ConflictError(ToolkitError):
    """The file changed on disk since it was opened: reload, overwrite or save under another name."""
