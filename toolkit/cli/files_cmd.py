"""``tunesmith files list|delete`` and ``tunesmith models delete``: housekeeping on the provider's account."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Any

from .training_opts import add_connection_args


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("files", help="list or delete the files on the provider's account",
                       description="List the files on the account (marking those this machine uploaded, with "
                                   "their local path), or delete files by id.")
    verbs = p.add_subparsers(dest="verb", metavar="ACTION", required=True)
    listing = verbs.add_parser("list", help="files on the account, newest first")
    listing.add_argument("--purpose", default="fine-tune",
                         help="only files with this purpose (default fine-tune; 'all' for every purpose)")
    listing.add_argument("--limit", type=int, default=100, help="how many files (default 100)")
    listing.add_argument("--format", choices=("text", "json"), default="text", help="json: the API's objects")
    delete = verbs.add_parser("delete", help="delete files by id (jobs that used them keep their results)")
    delete.add_argument("file_ids", nargs="+", metavar="FILE_ID")
    for parser in (listing, delete):
        add_connection_args(parser)
    p.set_defaults(run=run_files)

    m = sub.add_parser("models", help="delete a fine-tuned model",
                       description="Delete a fine-tuned model from the account (it can no longer be used or "
                                   "deployed; the job and its files stay).")
    model_verbs = m.add_subparsers(dest="verb", metavar="ACTION", required=True)
    drop = model_verbs.add_parser("delete", help="delete a fine-tuned model")
    drop.add_argument("model", metavar="MODEL", help="the fine-tuned model id (ft:... or ...ft-...)")
    add_connection_args(drop)
    m.set_defaults(run=run_models)


def run_files(args: argparse.Namespace) -> int:
    from ..training.local_registry import Registry
    from .training_opts import connect, guarded

    conn, client = connect(args)
    registry = Registry()
    with guarded(conn):
        if args.verb == "list":
            return _list(args, client, conn, registry)
        for file_id in args.file_ids:
            done = client.files.delete(file_id)
            registry.forget_upload(conn.account, file_id)
            print(f"{file_id}: {'deleted' if getattr(done, 'deleted', False) else 'not deleted'}")
    return 0


def _list(args: argparse.Namespace, client: Any, conn: Any, registry: Any) -> int:
    import json

    from ..errors import UsageError
    from ..training.console import table
    from ..training.progress import human_bytes

    if args.limit < 1:
        raise UsageError(f"--limit must be at least 1, not {args.limit}")
    query: dict[str, Any] = {"limit": min(args.limit, 10_000)}
    if args.purpose != "all":
        query["purpose"] = args.purpose
    files: list[Any] = []
    page = client.files.list(**query)
    for _ in range(100):
        files += page.data
        if len(files) >= args.limit or not page.data or not page.has_next_page():
            break
        page = page.get_next_page()
    files = files[:args.limit]
    if args.format == "json":
        print(json.dumps([f.model_dump(mode="json", exclude_unset=True) for f in files], indent=2))
        return 0
    local = registry.uploads_by_id(conn.account)
    rows = [("FILE", "NAME", "SIZE", "STATUS", "CREATED", "LOCAL DATA")]
    rows += [(str(f.id), str(f.filename), human_bytes(int(f.bytes or 0)), str(getattr(f, "status", None) or "-"),
              _when(f.created_at), local[f.id].path if f.id in local else "-") for f in files]
    print(table(rows) if len(rows) > 1 else f"no files on {conn.host}", file=sys.stdout)
    return 0


def _when(ts: Any) -> str:
    try:
        return dt.datetime.fromtimestamp(float(ts)).strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError, OverflowError, OSError):
        return "-"


def run_models(args: argparse.Namespace) -> int:
    from .training_opts import connect, guarded

    conn, client = connect(args)
    with guarded(conn):
        done = client.models.delete(args.model)
    print(f"{args.model}: {'deleted' if getattr(done, 'deleted', False) else 'not deleted'}")
    return 0
