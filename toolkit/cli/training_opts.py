"""Options and helpers the training commands share: provider flags, following a job, the deploy step."""

from __future__ import annotations

import argparse
import math
import os
import shlex
import sys
from typing import TYPE_CHECKING, Any, TextIO

from .. import catalog
from .target_args import providers_where

if TYPE_CHECKING:
    from ..training.local_registry import Registry
    from ..training.providers import Connection

EXIT_FAILED = 1  # the job failed or was cancelled
EXIT_FOLLOW_FAILED = 3  # following stopped on an error: the job may still be running
EXIT_PAUSED = 4  # the job is paused
EXIT_DETACHED = 130  # Ctrl-C: detached, the job keeps running
EXIT_CODES = ("exit codes: 0 succeeded (the model id on stdout); 1 the job failed or was cancelled (its id on "
              "stdout), or lint refused the upload; 2 bad options or input (also a job, file or model id the provider "
              "does not know: 404); 3 following stopped on an error while the job may still run (its id on stdout, "
              "how to re-attach on stderr); 4 the job is paused; 130 detached with Ctrl-C")


def finite(text: str) -> float:
    """An argparse type: a finite number (``nan`` and ``inf`` cannot go into a request or a timer)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def positive(text: str) -> float:
    """An argparse type: a finite number above 0 (seconds)."""
    value = finite(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, got {text!r}")
    return value


def _variables_help() -> str:
    """What each provider reads from the environment, from the profiles in the catalog."""
    parts = []
    for name in catalog.PROVIDERS:
        api = catalog.provider(name).api
        parts.append(f"{name}: " + (", ".join(api.variables()) if not api.local else "this machine, no account"))
    return "; ".join(parts)


def add_connection_args(p: argparse.ArgumentParser) -> None:
    """``--provider``, ``--base-url``, ``--api-version``, ``--env-file``, ``--timeout``."""
    g = p.add_argument_group("provider (credentials come from the environment or --env-file only)")
    g.add_argument("--provider", choices=catalog.PROVIDERS,
                   help=f"{_variables_help()} (default: [tool.tunesmith] provider in pyproject.toml, else "
                        f"{catalog.DEFAULT_PROVIDER})")
    urls = sorted({api.url_env for n in catalog.PROVIDERS if (api := catalog.provider(n).api).url_env})
    g.add_argument("--base-url", metavar="URL",
                   help=f"the endpoint, e.g. any OpenAI-compatible server (overrides {' / '.join(urls)})")
    g.add_argument("--api-version", metavar="VERSION",
                   help="for providers with a classic api-version endpoint "
                        f"({providers_where(lambda p: bool(p.api.api_version_env))}): use it with this api-version "
                        "instead of the v1 API")
    g.add_argument("--env-file", metavar="FILE",
                   help="read KEY=value settings from FILE (they win over the environment)")
    g.add_argument("--timeout", type=positive, metavar="SECONDS", help="timeout of each request (default: the SDK's)")
    g.add_argument("--config", metavar="PYPROJECT",
                   help="read [tool.tunesmith] (provider, model) from this file instead of the nearest pyproject.toml")


def resolve_provider(args: argparse.Namespace, start: str | os.PathLike[str] | None = None) -> None:
    """Fill ``args.provider`` from ``[tool.tunesmith]`` when no flag gave it (once): the config file found from
    ``start`` (a file or folder of the project; default: the current folder), or ``--config``; and
    ``args.provider_named``, the provider with where it came from (for messages)."""
    from ..config import Settings
    from .target_args import settings

    if getattr(args, "provider_named", None):
        return
    project = settings(args, start) if args.provider is None else Settings().merged(provider=args.provider)
    args.provider, args.provider_named = project.provider, project.provider_named()


def _deploy_steps() -> dict[str, catalog.Deploy]:
    """The deploy step of every provider that has one, by provider name."""
    return {n: step for n in catalog.PROVIDERS if (step := catalog.provider(n).api.deploy) is not None}


def add_follow_args(p: argparse.ArgumentParser) -> None:
    """``--poll`` and the deploy options used once a job succeeds (from the profiles with a deploy step)."""
    p.add_argument("--poll", type=finite, default=5.0, metavar="SECONDS",
                   help="seconds between status checks while following (default 5)")
    steps = _deploy_steps()
    names = ", ".join(f"{catalog.provider(n).title} ({s.title}, a token from {s.token_env})" for n, s in steps.items())
    g = p.add_argument_group(f"deployment after success, for providers whose models answer only once deployed: "
                             f"{names or 'none'}")
    g.add_argument("--deploy", metavar="NAME", help="deploy the fine-tuned model under this deployment name")
    for key in dict.fromkeys(k for s in steps.values() for k in s.where):
        g.add_argument(f"--{key.replace('_', '-')}", metavar=key.upper(),
                       help=" / ".join(dict.fromkeys(s.where[key] for s in steps.values() if key in s.where)))
    g.add_argument("--deploy-url", "--arm-url", dest="deploy_url", metavar="URL",
                   help="the deploy service's root, e.g. another cloud's (default: the profile's: "
                        + ", ".join(f"{n} {s.url}" for n, s in steps.items()) + ")")
    skus = tuple(dict.fromkeys(s for step in steps.values() for s in step.skus))
    g.add_argument("--deploy-sku", choices=skus or None,
                   help="deployment type (tier) of the fine-tuned model: " + ", ".join(skus) +
                        " (default: the provider's first; developer is cheap, for evaluation only)")
    g.add_argument("--deploy-capacity", type=int, default=1, metavar="N",
                   help="deployment capacity in units of 1,000 tokens per minute (default 1)")


def check_follow_args(args: argparse.Namespace) -> None:
    """Reject an incomplete or misplaced ``--deploy`` before any work is done."""
    from ..errors import UsageError

    resolve_provider(args)
    if args.poll <= 0:
        raise UsageError(f"--poll must be positive, not {args.poll}")
    if args.deploy_capacity < 1:
        raise UsageError(f"--deploy-capacity must be at least 1, not {args.deploy_capacity}")
    if args.deploy:
        prov = catalog.provider(args.provider)
        step = prov.api.deploy
        if step is None:
            deployed = list(_deploy_steps())
            raise UsageError(f"--deploy is for {' or '.join('--provider ' + n for n in deployed) or 'no provider'} "
                             f"({prov.title} serves fine-tuned models without a deployment)")
        if args.deploy_sku is not None and args.deploy_sku not in step.skus:
            raise UsageError(f"--deploy-sku {args.deploy_sku} is not offered by {prov.title}; choose one of: "
                             f"{', '.join(step.skus)}")
        missing = [f"--{key.replace('_', '-')}" for key in step.where if not getattr(args, key, None)]
        if missing:
            raise UsageError(f"--deploy needs {', '.join(missing)}")


def connect(args: argparse.Namespace, *, offline: bool = False) -> tuple[Connection, Any]:
    """The connection and SDK client the flags and environment describe.

    ``offline`` (a dry run): no credential and no endpoint are needed, since nothing is sent; no client (None).
    """
    from ..training.providers import connection, make_client

    resolve_provider(args)
    conn = connection(args.provider, base_url=args.base_url, api_version=args.api_version, env_file=args.env_file,
                      named=args.provider_named, dry_run=offline)
    return conn, None if offline else make_client(conn, timeout=args.timeout)


def guarded(conn: Connection) -> Any:
    """A context manager that turns SDK errors into clear messages without secrets."""
    from ..training.errors import api_errors

    return api_errors(secrets=conn.secrets, host=conn.host, provider=conn.provider)


def provider_options(args: argparse.Namespace) -> list[str]:
    """The flags that reach the same provider again (no secrets in them)."""
    parts = [] if args.provider == _implied_provider(args) else ["--provider", args.provider]
    for flag in ("base_url", "api_version", "env_file", "config"):
        if getattr(args, flag, None):
            parts += [f"--{flag.replace('_', '-')}", getattr(args, flag)]
    return parts


def _implied_provider(args: argparse.Namespace) -> str | None:
    """The provider a command run here without ``--provider`` would use (``[tool.tunesmith]`` or the default)."""
    from ..errors import ToolkitError
    from .target_args import settings

    try:
        return settings(argparse.Namespace(config=getattr(args, "config", None))).provider
    except ToolkitError:
        return None


def jobs_command(args: argparse.Namespace, verb: str, job_id: str) -> str:
    """``tunesmith jobs VERB JOB_ID`` with the same provider settings."""
    return shlex.join(["tunesmith", "jobs", verb, job_id, *provider_options(args)])


def reattach_command(args: argparse.Namespace, job_id: str) -> str:
    """The command that follows ``job_id`` again with the same provider settings (no secrets in it)."""
    return jobs_command(args, "follow", job_id)


def follow_job(args: argparse.Namespace, client: Any, conn: Connection, registry: Registry, job_id: str, *,
               out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Follow a job to its end on ``err``; print the fine-tuned model id (else the job id) on ``out``.

    Ctrl-C detaches (exit 130); an error while following exits 3; a paused job 4; every one of these
    says how to re-attach. A failed or cancelled job raises JobFailed (exit 1).
    """
    from ..training.console import FollowConsole
    from ..training.errors import ApiError, FollowFailed, NotFound, job_failure
    from ..training.follow import follow

    out, err = out or sys.stdout, err or sys.stderr
    console = FollowConsole(err)
    job = None
    try:
        with guarded(conn):
            for update in follow(client, conn, registry, job_id, poll=args.poll):
                console.show(update)
                if update.kind == "status":
                    job = update.job
    except KeyboardInterrupt:
        console.close()
        stop = getattr(client, "interrupted", None)  # a job on this machine stops with a checkpoint instead
        if stop is not None:
            print(f"\n{stop(job_id)}", file=err, flush=True)
            return EXIT_DETACHED
        print(job_id, file=out, flush=True)
        print(f"\ndetached: job {job_id} keeps running on {conn.host} (nothing was cancelled).\n"
              f"re-attach with: {reattach_command(args, job_id)}", file=err, flush=True)
        return EXIT_DETACHED
    except ApiError as exc:
        console.close()
        if job is None and isinstance(exc, NotFound):  # no such job: nothing is running
            raise
        print(job_id, file=out, flush=True)
        raise FollowFailed(f"{exc}\nfollowing job {job_id} stopped; the job itself may still be running on "
                           f"{conn.host} (nothing was cancelled).\nre-attach with: {reattach_command(args, job_id)}"
                           ) from None
    finally:
        console.close()
    assert job is not None  # watch() always reports the first status before it ends
    if job.status == "paused":
        print(job_id, file=out, flush=True)
        print(f"job {job_id} is paused; resume it with: {jobs_command(args, 'resume', job_id)}\n"
              f"then follow it with: {reattach_command(args, job_id)}", file=err)
        return EXIT_PAUSED
    if job.status != "succeeded":  # follow() recorded the failure
        print(job_id, file=out, flush=True)
        raise job_failure(job)
    return _succeeded(args, job, conn, out, err)


def _succeeded(args: argparse.Namespace, job: Any, conn: Connection, out: TextIO, err: TextIO) -> int:
    from ..training.console import printable

    tokens = getattr(job, "trained_tokens", None)
    what = "tokens trained on this machine" if catalog.provider(conn.provider).api.local else "billed tokens"
    counted = f" ({tokens:,} {what}: the job's trained_tokens)" if tokens else ""
    print(printable(f"fine-tuned model: {job.fine_tuned_model}") + counted, file=err)
    print(printable(job.fine_tuned_model), file=out, flush=True)
    step = catalog.provider(conn.provider).api.deploy
    if step is not None:
        if args.deploy:
            _deploy(args, step, conn.provider, job, err)
        else:
            from ..training.deploy import instructions

            print(instructions(conn.provider, job.fine_tuned_model, job.id), file=err)
    return 0


def _deploy(args: argparse.Namespace, step: catalog.Deploy, provider: str, job: Any, err: TextIO) -> None:
    from ..training.deploy import deploy, token

    where = {key: getattr(args, key) for key in step.where}
    sku = args.deploy_sku or next(iter(step.skus), "")
    print(f"deploying {job.fine_tuned_model} as {args.deploy} on {' / '.join(where.values())}"
          + (f" ({sku})" if sku else "") + "...", file=err)
    deploy(provider, job.fine_tuned_model, where, args.deploy, token(step), root=args.deploy_url, poll=args.poll,
           sku=sku, capacity=args.deploy_capacity,
           on_state=lambda state: print(f"  deployment: {state}", file=err, flush=True))
    print(f"deployed: chat with it using: tunesmith chat {args.deploy} \"hello\" --provider {provider}", file=err)
