"""``python -m toolkit`` is the ``tunesmith`` command."""

from .cli.main import entry

entry()
