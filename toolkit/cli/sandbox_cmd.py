"""``tunesmith sandbox``: run a local OpenAI-compatible fine-tuning API to try training without an account."""

from __future__ import annotations

import argparse
import signal
import sys
from types import FrameType

from .. import catalog
from ..errors import UsageError

DEFAULT_PORT = 8765


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "sandbox", help="run a local fine-tuning API (files, uploads, jobs, chat) to try training for free",
        description="Serve an OpenAI-compatible fine-tuning API on this machine. Jobs really move through "
                    "validating_files, queued, running and succeeded (or failed, for a bad file); everything "
                    "is kept in memory and is gone when the sandbox stops. Paused jobs report status "
                    "\"paused\", as the real API does, although the published spec's status enum lacks it "
                    "(its own pause example returns it): a client that validates statuses against that enum "
                    "must accept it.",
        epilog="fault SPEC: comma-separated items, path=REGEX (matched against the path without /v1) and "
               "one of status=N (with retry_after=SECONDS, code=insufficient_quota), drop (close the connection "
               "before handling the request), lose (handle it, then close the connection: the answer is lost), "
               "delay=SECONDS (alone: a slow answer); method=POST, times=N (default 1) or times=always. "
               "Examples: --fault 'path=^/fine_tuning/jobs$,method=POST,lose' "
               "--fault 'path=/events$,status=429,retry_after=10,times=3' "
               "--fault 'path=/parts$,status=500,times=always'")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT,
                   help=f"port to listen on; 0 picks a free one (default: {DEFAULT_PORT})")
    p.add_argument("--speed", type=float, default=1.0, metavar="FACTOR",
                   help="how much faster than the sandbox's clock jobs run (default: 1, a small job takes ~12 s)")
    p.add_argument("--training-unavailable", action="store_true",
                   help="answer job creation with 403 training_not_available, as after OpenAI's wind-down")
    p.add_argument("--fault", action="append", default=[], metavar="SPEC",
                   help="inject a fault (repeatable; see the SPEC format below)")
    p.add_argument("--azure", action="store_true",
                   help="play Azure OpenAI / Foundry: pending jobs, trainingType required, BASE.ft-<hex> models, "
                        "null result_files, 201 on upload, the api-key header; point AZURE_OPENAI_ENDPOINT at "
                        "the printed root URL")
    p.add_argument("--verbose", action="store_true", help="print every request")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..sandbox import Sandbox

    if not 0 <= args.port <= 65535:  # bind() raised OverflowError: an internal error
        raise UsageError(f"--port must be between 1 and 65535 (or 0 for any free port), not {args.port}")
    if not 0 < args.speed < float("inf"):
        raise UsageError(f"--speed must be a positive, finite number, got {args.speed}")
    from ..sandbox.faults import parse

    faults = []
    for spec in args.fault:
        try:
            faults.append(parse(spec))
        except ValueError as exc:
            raise UsageError(f"--fault {spec!r}: {exc}") from None
    log = (lambda line: print(line, file=sys.stderr, flush=True)) if args.verbose or faults else None
    sandbox = Sandbox(args.host, args.port, speed=args.speed, training_available=not args.training_unavailable,
                      log=log, azure=args.azure)
    for fault in faults:
        sandbox.faults.add(fault)
    try:
        sandbox.start()
    except OSError as exc:
        hint = " (it is in use: pass --port 0 for any free port)" if args.port else ""
        raise UsageError(f"cannot listen on {args.host}:{args.port}{hint}: {exc.strerror or exc}") from None
    # the sandbox plays OpenAI, or Azure with --azure: its profile in the catalog names the variables to set
    played = sandbox.trainer.plays
    api = catalog.provider(played).api
    url = sandbox.base_url if api.default_url else sandbox.url  # Azure's endpoint is the root; the path is added
    point = (f"Point tunesmith (or the SDK) at it as {catalog.provider(played).title}, with any key:\n"
             f"  export {api.url_env}={url}\n"
             f"  export {api.key_env}=sandbox\n")
    if args.azure:
        point += f"  tunesmith train FILE --provider {played} --training-type standard --model gpt-4.1-mini-2025-04-14\n"
    point += "\n"
    armed = "".join(f"  fault: {spec}\n" for spec in args.fault)
    print(f"Tunesmith sandbox: an OpenAI-compatible fine-tuning API{' playing Azure OpenAI' if args.azure else ''}, "
          f"kept in memory on this machine.\n"
          f"  {'Endpoint: ' + sandbox.url if args.azure else 'Base URL: ' + sandbox.base_url}\n{armed}\n"
          f"{point}"
          f"A training file needs at least 10 examples. Fine-tuned models answer chat completions with\n"
          f"the closest training reply. Press Ctrl-C to stop.", flush=True)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        sandbox.wait()
    except KeyboardInterrupt:
        print("\nsandbox stopped", file=sys.stderr)
    finally:
        sandbox.stop()
    return 0


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """``kill`` stops the sandbox as cleanly as Ctrl-C (which a background shell may ignore)."""
    raise KeyboardInterrupt
