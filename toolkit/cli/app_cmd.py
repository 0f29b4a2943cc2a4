"""``tunesmith app [FOLDER]``: start the dataset editor (Streamlit) on 127.0.0.1, with FOLDER as its workspace."""

from __future__ import annotations

import argparse
import importlib.util
import os
import shlex
import sys
from pathlib import Path

from ..errors import InputError, UsageError

DEFAULT_PORT = 8501
SCRIPT = Path(__file__).resolve().parents[1] / "ui" / "streamlit_app.py"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "app", help="open the dataset editor in the browser: author, lint, fix, train and compare",
        description="Start the editor on http://127.0.0.1:PORT. It opens and writes files inside FOLDER only. "
                    "Needs the app extra: pip install 'tunesmith[app]'.")
    p.add_argument("folder", nargs="?", default=".", metavar="FOLDER",
                   help="the workspace: the folder whose JSONL files the editor may open and write (default: the "
                        "current folder)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to listen on (default: {DEFAULT_PORT})")
    p.set_defaults(run=run)


def command(folder: str | os.PathLike[str], port: int) -> list[str]:
    """The ``streamlit run`` command line: local address only, headless, no usage statistics."""
    return [sys.executable, "-m", "streamlit", "run", str(SCRIPT), "--server.address", "127.0.0.1",
            "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--client.toolbarMode", "viewer",
            "--", "--workspace", os.fspath(folder)]


def run(args: argparse.Namespace) -> int:
    """Check the folder and Streamlit, then replace this process with ``streamlit run`` (no return on success)."""
    folder = Path(args.folder).expanduser()
    if folder.is_file():  # `tunesmith app samples/elle_broken.jsonl`: the file's folder is the workspace
        where = shlex.quote(os.fspath(folder.parent))
        raise InputError(f"{args.folder}: is a file; the editor's workspace is a folder: run `tunesmith app {where}` "
                         f"and open {folder.name} there")
    if not folder.is_dir():
        raise InputError(f"{args.folder}: no such folder; the workspace must be an existing folder")
    if not 1 <= args.port <= 65535:
        raise UsageError(f"--port must be between 1 and 65535, not {args.port}")
    if importlib.util.find_spec("streamlit") is None:
        raise UsageError("the editor needs Streamlit: pip install 'tunesmith[app]'")
    print(f"Tunesmith editor on http://127.0.0.1:{args.port} (workspace: {folder.resolve()}); Ctrl-C stops it",
          file=sys.stderr, flush=True)
    cmd = command(folder.resolve(), args.port)
    os.execv(cmd[0], cmd)  # this process becomes the server: signals (Ctrl-C, SIGTERM) reach it directly
