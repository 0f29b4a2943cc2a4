"""``tunesmith jobs ...``: list, inspect, steer and follow fine-tuning jobs."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Any, NoReturn

from .training_opts import EXIT_CODES, add_connection_args, add_follow_args, check_follow_args

ACTIONS = ("cancel", "pause", "resume")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("jobs", help="list, show, follow, cancel, pause or resume fine-tuning jobs; "
                                    "events, checkpoints and metrics",
                       description="Work with fine-tuning jobs on the provider (or, with `list --local`, "
                                   "the local registry of jobs this machine created, offline).")
    verbs = p.add_subparsers(dest="verb", metavar="ACTION", required=True)
    listing = verbs.add_parser("list", help="recent jobs (--local: this machine's registry, offline)")
    listing.add_argument("--local", action="store_true", help="read the local registry instead of the API")
    listing.add_argument("--limit", type=int, default=20, help="how many jobs (default 20)")
    listing.add_argument("--status", action="append", default=[], metavar="STATUS",
                         help="only jobs in this status (repeatable: --status running --status queued)")
    listing.add_argument("--metadata", action="append", default=[], metavar="KEY=VALUE",
                         help="only jobs with this metadata pair (repeatable; asked of the server)")
    listing.add_argument("--after", metavar="JOB_ID", help="start after this job (the next page of a listing)")
    _format(listing)
    _format(_with_id(verbs, "show", "a job's status, settings, result and the data it was trained on"))
    events = _with_id(verbs, "events", "a job's events, oldest first")
    events.add_argument("--limit", type=int, default=100, help="how many of the latest events (default 100)")
    _format(events)
    for action in ACTIONS:
        _with_id(verbs, action, f"{action} a job")
    _format(_with_id(verbs, "checkpoints", "a job's checkpoints with their metrics"))
    metrics = _with_id(verbs, "metrics", "download the result file and show the training curves")
    metrics.add_argument("--plot", metavar="FILE.png", help="also draw the curves into a PNG image")
    metrics.add_argument("--width", type=int, default=40, help="sparkline width in characters (default 40)")
    follow = _with_id(verbs, "follow", "follow a job live until it ends (Ctrl-C detaches)")
    follow.epilog = EXIT_CODES
    add_follow_args(follow)
    for name, parser in verbs.choices.items():
        if name != "list":
            add_connection_args(parser)
    add_connection_args(listing)
    p.set_defaults(run=run)


def _format(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="json: the API's objects as a JSON array (show: one object; list --local: the "
                             "registry's rows) on stdout, for scripts")
    return parser


def _json(value: Any) -> None:
    """Print SDK objects (or lists of them) as JSON, as the API sent them."""
    import json

    def plain(obj: Any) -> Any:
        if isinstance(obj, list):
            return [plain(o) for o in obj]
        return obj.model_dump(mode="json", exclude_unset=True) if hasattr(obj, "model_dump") else obj

    print(json.dumps(plain(value), indent=2, ensure_ascii=False))


def _with_id(verbs: Any, name: str, help_text: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = verbs.add_parser(name, help=help_text, description=help_text[0].upper()
                                                       + help_text[1:] + ".")
    parser.add_argument("job_id", metavar="JOB_ID", help="the job id (ftjob-...)")
    return parser


def _when(ts: Any) -> str:
    if not ts:
        return "-"
    try:
        return dt.datetime.fromtimestamp(float(ts)).strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError, OverflowError, OSError):
        return "-"


def run(args: argparse.Namespace) -> int:
    from ..errors import UsageError
    from ..training.job_request import STATUSES
    from ..training.local_registry import Registry
    from .training_opts import connect, guarded

    unknown = [s for s in getattr(args, "status", []) if s not in STATUSES]
    if unknown:  # the server would answer "no jobs match", which reads as a fact
        raise UsageError(f"--status {unknown[0]}: a job's status is one of {', '.join(STATUSES)}")

    registry = Registry()
    if args.verb == "list" and args.local:
        if args.status or args.metadata or args.after:
            raise UsageError("--local lists this machine's registry; --status, --metadata and --after are for the "
                             "API's listing")
        return _list_local(registry, args.limit, args.format)
    if args.verb == "follow":
        check_follow_args(args)
    conn, client = connect(args)
    if args.verb == "follow":
        from .training_opts import follow_job

        return follow_job(args, client, conn, registry, args.job_id)
    with guarded(conn):
        return _VERBS[args.verb](args, client, conn, registry)


def _list_local(registry: Any, limit: int, fmt: str) -> int:
    from ..training.console import table

    jobs = registry.jobs(limit=limit)
    if fmt == "json":  # every field of each row, newest first ([] when there is none)
        _json([j.to_dict() for j in jobs])
        return 0
    if not jobs:
        print(f"no jobs in the local registry ({registry.path})", file=sys.stderr)
        return 0
    rows = [("JOB", "STATUS", "PROVIDER", "MODEL", "FINE-TUNED MODEL", "DATA", "SHA256", "GIT", "CREATED")]
    rows += [(j.job_id, j.status or "-", f"{j.provider}@{j.host}", j.model, j.fine_tuned_model or "-",
              j.training_path or "-", (j.training_sha256 or "-")[:12],
              (j.git_commit or "-")[:8] + ("*" if j.git_dirty else ""), _when(j.created_at)) for j in jobs]
    print(table(rows))
    return 0


def _list(args: argparse.Namespace, client: Any, conn: Any, registry: Any) -> int:
    from ..training.console import table
    from ..training.job_request import parse_metadata

    if args.limit < 1:
        from ..errors import UsageError

        raise UsageError(f"--limit must be at least 1, not {args.limit}")
    wanted = parse_metadata(args.metadata)
    query: dict[str, Any] = {"limit": min(args.limit, 100)}
    if wanted:
        query["metadata"] = wanted
    if args.after:
        query["after"] = args.after
    jobs: list[Any] = []
    page = client.fine_tuning.jobs.list(**query)
    for _ in range(50):  # filters are applied here too: a server may ignore them, pages may be sparse
        jobs += [j for j in page.data if (not args.status or j.status in args.status)
                 and all((getattr(j, "metadata", None) or {}).get(k) == v for k, v in wanted.items())]
        if len(jobs) >= args.limit or not page.data or not page.has_next_page():
            break
        page = page.get_next_page()
    jobs = jobs[:args.limit]
    if args.format == "json":
        _json(jobs)
        return 0
    rows = [("JOB", "STATUS", "MODEL", "FINE-TUNED MODEL", "CREATED")]
    rows += [(str(j.id), str(j.status), str(j.model), j.fine_tuned_model or "-", _when(j.created_at))
             for j in jobs]
    print(table(rows) if len(rows) > 1 else f"no jobs on {conn.host}" + (" match" if wanted or args.status else ""))
    return 0


def _show(args: argparse.Namespace, client: Any, conn: Any, registry: Any) -> int:
    job = client.fine_tuning.jobs.retrieve(args.job_id)
    registry.update_job(job.id, status=job.status, fine_tuned_model=job.fine_tuned_model, account=conn.account)
    if args.format == "json":
        _json(job)
        return 0
    from .. import catalog

    method = getattr(getattr(job, "method", None), "type", None) or "supervised"
    tokens = "tokens trained" if catalog.provider(conn.provider).api.local else "billed tokens"  # its trained_tokens
    lines = [("job", job.id), ("status", job.status), ("model", job.model), ("method", method),
             ("fine-tuned model", job.fine_tuned_model or "-"), ("training file", job.training_file),
             ("validation file", job.validation_file or "-"), ("created", _when(job.created_at)),
             ("finished", _when(job.finished_at)), (tokens, str(job.trained_tokens or "-")),
             ("result files", ", ".join(job.result_files or []) or "-")]
    error = getattr(job, "error", None)
    if error is not None and getattr(error, "message", None):
        lines.append(("error", f"{error.code}: {error.message}"))
    local = registry.find_job(job.id, conn.account)
    if local is not None:
        lines += [("data", local.training_path or "-"), ("sha256", local.training_sha256 or "-"),
                  ("git commit", (local.git_commit or "-") + (" (file modified)" if local.git_dirty else ""))]
    from ..training.console import printable

    width = max(len(k) for k, _ in lines)
    print("\n".join(f"{k:<{width}}  {printable(v)}" for k, v in lines))
    return 0


def _events(args: argparse.Namespace, client: Any, conn: Any, registry: Any) -> int:
    from ..training.console import FollowConsole
    from ..training.follow import Update

    page = client.fine_tuning.jobs.list_events(args.job_id, limit=args.limit)
    if args.format == "json":
        _json(list(reversed(page.data)))
        return 0
    console = FollowConsole(sys.stdout, bar=False)  # a listing: one line per event, also on a terminal
    for event in reversed(page.data):
        console.show(Update("event", event=event))
    return 0


# what each action leaves a job in: a job found in one of these states after an error has changed anyway
_REACHED = {"cancel": ("cancelled",), "pause": ("paused",), "resume": ("validating_files", "queued", "running")}


def _action(args: argparse.Namespace, client: Any, conn: Any, registry: Any, *, attempts: int = 4) -> int:
    """Cancel, pause or resume; after a lost answer or a server error, read the job back.

    Such a failure may hide a change that happened: the job's state, not the error, decides the
    outcome (and a retry that would only hear "already cancelled" is not sent).
    """
    import time

    import openai

    from ..training import retry
    from ..training.console import printable

    api = client.with_options(max_retries=0)  # retried here, after looking at the job
    lost = False
    for attempt in range(1, attempts + 1):
        try:
            job = getattr(api.fine_tuning.jobs, args.verb)(args.job_id)
            break
        except openai.OpenAIError as exc:
            if not (lost or retry.transient(exc)):
                _refused(args, client, conn, registry, exc)
            lost = True  # from now on, an error may be the echo of an earlier request that worked
            job = client.fine_tuning.jobs.retrieve(args.job_id)
            if job.status in _REACHED[args.verb]:
                print(f"note: the answer to the {args.verb} request was lost ({retry.reason(exc)}), but job "
                      f"{job.id} is now {job.status}", file=sys.stderr)
                break
            if not retry.transient(exc) or attempt == attempts:
                _refused(args, client, conn, registry, exc)
            time.sleep(retry.wait_for(exc, attempt))
    registry.update_job(job.id, status=job.status, account=conn.account)
    print(printable(f"{job.id}: {job.status}"))
    return 0


def _refused(args: argparse.Namespace, client: Any, conn: Any, registry: Any, exc: BaseException) -> NoReturn:
    """Raise the error, saying what the job is now (and why a classic Azure api-version has no pause)."""
    import openai

    from ..training.errors import ApiError

    try:
        job = client.fine_tuning.jobs.retrieve(args.job_id)
    except openai.OpenAIError:
        raise exc from None
    registry.update_job(job.id, status=job.status, account=conn.account)
    if isinstance(exc, openai.NotFoundError) and conn.api_version and args.verb in ("pause", "resume"):
        raise ApiError(f"{conn.host} has no {args.verb} for fine-tuning jobs on api-version {conn.api_version} "
                       f"(404); drop --api-version to use the v1 API, which has it (job {job.id} is {job.status})"
                       ) from None
    print(f"job {job.id} is {job.status}", file=sys.stderr)
    raise exc from None


def _checkpoints(args: argparse.Namespace, client: Any, conn: Any, registry: Any) -> int:
    from ..training.console import table

    page = client.fine_tuning.jobs.checkpoints.list(args.job_id)
    if args.format == "json":
        _json(sorted(page.data, key=lambda c: c.step_number))
        return 0
    rows = [("STEP", "CHECKPOINT MODEL", "TRAIN LOSS", "TRAIN ACC", "VALID LOSS", "VALID ACC")]
    for c in sorted(page.data, key=lambda c: c.step_number):
        m = c.metrics
        rows.append((str(c.step_number), str(c.fine_tuned_model_checkpoint), _num(m, "train_loss"),
                     _num(m, "train_mean_token_accuracy"), _num(m, "valid_loss"), _num(m, "valid_mean_token_accuracy")))
    print(table(rows) if len(rows) > 1 else f"job {args.job_id} has no checkpoints yet")
    return 0


def _num(metrics: Any, key: str) -> str:
    value = getattr(metrics, key, None)
    return "-" if value is None else f"{value:.4f}"


def _metrics(args: argparse.Namespace, client: Any, conn: Any, registry: Any) -> int:
    from ..training.metrics import download_results, parse_results, render

    job = client.fine_tuning.jobs.retrieve(args.job_id)
    from ..training.console import printable

    metrics = parse_results(download_results(client, job), name=f"result file of {job.id}")
    print(printable(render(metrics, width=args.width)))
    if args.plot:
        from ..training.plot import write_png

        path = write_png(metrics, args.plot, title=f"{job.id}  {job.fine_tuned_model or job.model}")
        print(f"chart written to {path}", file=sys.stderr)
    return 0


_VERBS = {"list": _list, "show": _show, "events": _events, "checkpoints": _checkpoints, "metrics": _metrics,
          **{a: _action for a in ACTIONS}}
