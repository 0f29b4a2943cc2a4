"""The ``*.jsonl`` files below a folder (the extension in any case: ``C.JSONL``), following symbolic links
without ever looping, and saying what is left out.

>>> jsonl_files("data", warn=print)  # doctest: +SKIP
['data/train.jsonl', 'data/more/val.jsonl']

Hidden files and folders (a name starting with ``.``) are left out silently, as tools do. Symbolic links are
followed, to files and folders alike, the way the user laid the data out; what cannot be read is left out and said
through ``warn`` (one sentence naming the path), never silently and never as a traceback:

- a link to a folder that the walk is already inside (a loop: ``sub/up -> ..``), like ``find -L`` says;
- a link that leads nowhere (its target is missing) or to itself (``a.jsonl -> a.jsonl``);
- a folder that cannot be listed (permissions);
- a named pipe, a socket or a device called ``*.jsonl`` (reading it could wait for ever);
- a file reached twice through links (``data/link -> data/real``): it is linted once, under its first path.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable

Warn = Callable[[str], None]


def jsonl_files(folder: str, warn: Warn) -> list[str]:
    """The ``*.jsonl`` files below ``folder`` (sorted, hidden ones left out); what is skipped goes to ``warn``."""
    found: dict[str, str] = {}  # real path -> the first path that reached it (in sorted order)
    inside: dict[str, frozenset[str]] = {folder: frozenset({os.path.realpath(folder)})}  # the real folders above

    def unreadable(exc: OSError) -> None:
        warn(f"{exc.filename}: cannot list this folder ({exc.strerror}); its files were skipped")

    for root, dirs, names in os.walk(folder, followlinks=True, onerror=unreadable):
        dirs.sort()
        above = inside.pop(root, frozenset())
        kept = []
        for name in dirs:
            if name.startswith("."):
                continue
            path = os.path.join(root, name)
            real = os.path.realpath(path)
            if real in above:
                warn(f"{path}: a symbolic link back to {real}, a folder it is inside (a loop); not followed")
                continue
            inside[path] = above | {real}
            kept.append(name)
        dirs[:] = kept
        for name in sorted(names):
            if name.startswith(".") or not name.lower().endswith(".jsonl"):
                continue
            path = os.path.join(root, name)
            if os.path.isfile(path):
                real = os.path.realpath(path)
                if real in found:
                    warn(f"{path}: the same file as {found[real]} (through a symbolic link); checked once")
                else:
                    found[real] = path
            elif os.path.islink(path):
                warn(f"{path}: {_broken(path)}; skipped")
            elif (kind := _special(path)) is not None:  # a pipe would wait for a writer, a device never end
                warn(f"{path}: {kind}, not a file; skipped")
    return sorted(found.values())


def _special(path: str) -> str | None:
    """What the path that is neither a file, a folder nor a link is; None when it is gone."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    return ("a named pipe" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a special file")


def _broken(path: str) -> str:
    """Why the symbolic link ``path`` leads to no file."""
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symbolic link loop (it leads back to itself)"
        return f"a symbolic link to {os.readlink(path)}, which does not exist"
    return f"a symbolic link to {os.readlink(path)}, which is not a file"
