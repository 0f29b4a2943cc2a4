"""``tunesmith train FILE --model M``: lint, upload, create the job, follow it, print the model id."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from .training_opts import add_connection_args, add_follow_args, check_follow_args

METHODS = ("supervised", "dpo", "reinforcement")


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "train", help="lint, upload and fine-tune a model, following the job live",
        description="Lint the data (refusing on errors unless --force), upload it (reusing an identical file "
                    "already on the account), create the fine-tuning job and follow it to the end. The job id "
                    "(--detach) or the fine-tuned model id goes to stdout; everything else to stderr. "
                    "Ctrl-C while following detaches without cancelling the job.")
    p.add_argument("training", metavar="FILE", help="training data (JSONL)")
    p.add_argument("--model", required=True,
                   help="base model snapshot, or a fine-tuned model id (ft:... / ...ft-...) to continue training")
    p.add_argument("--validation", metavar="FILE", help="validation data (JSONL); required for reinforcement")
    p.add_argument("--method", choices=METHODS,
                   help="training method (default: dpo for a preference file, reinforcement with --grader, "
                        "else supervised)")
    p.add_argument("--grader", metavar="FILE", help="reinforcement: grader config (JSON)")
    hp = p.add_argument_group("hyperparameters (default: chosen by the provider)")
    hp.add_argument("--epochs", type=int, metavar="N", help="epochs, 1-50")
    hp.add_argument("--batch-size", type=int, metavar="N", help="batch size, 1-256")
    hp.add_argument("--lr-multiplier", type=float, metavar="X", help="learning-rate multiplier, > 0")
    hp.add_argument("--beta", type=float, metavar="X", help="dpo: beta, in (0, 2]")
    p.add_argument("--suffix", help="text added to the model name (letters, digits, - and _; 64 chars, 40 on Azure)")
    p.add_argument("--seed", type=int, help="seed for reproducibility, 0-2147483647")
    p.add_argument("--metadata", nargs="+", action="extend", default=[], metavar="KEY=VALUE",
                   help="metadata pairs attached to the job (up to 16)")
    loc = p.add_argument_group("local training (--provider local; --batch-size is the global batch, --lr-multiplier "
                               "scales 2e-4 for LoRA or 2e-5 with --full)")
    loc.add_argument("--full", action="store_true", help="train all weights instead of a LoRA adapter")
    loc.add_argument("--merge", action="store_true", help="also save the LoRA adapter merged into the base model")
    loc.add_argument("--accelerate-config", metavar="FILE",
                     help="run under `accelerate launch` with this config (several GPUs, DeepSpeed, FSDP); "
                          "write one with `tunesmith local accelerate-config`")
    p.add_argument("--detach", action="store_true", help="print the job id as soon as the job exists, and exit")
    p.add_argument("--force", action="store_true", help="upload even when lint finds errors")
    add_connection_args(p)
    add_follow_args(p)
    p.set_defaults(run=run)


def _method(args: argparse.Namespace) -> str:
    """The method given, else the one the options or the file's first record imply."""
    if args.method:
        return str(args.method)
    if args.grader:
        return "reinforcement"
    if args.beta is not None:
        return "dpo"
    from .. import formats
    from ..reader import JsonlReader, Record

    for item in JsonlReader(args.training):
        if isinstance(item, Record):
            return "dpo" if formats.detect(item.value) == formats.PREFERENCE else "supervised"
    return "supervised"


def build_spec(args: argparse.Namespace) -> Any:
    """The job spec from the flags (grader loaded and checked)."""
    from ..training.graders import load_grader
    from ..training.jobs import Hyperparameters, JobSpec, parse_metadata

    hp = Hyperparameters(n_epochs=args.epochs, batch_size=args.batch_size,
                         learning_rate_multiplier=args.lr_multiplier, beta=args.beta)
    grader = load_grader(args.grader, provider=args.provider) if args.grader else None
    options = {k: v for k, v in (("full", args.full), ("merge", args.merge),
                                 ("accelerate_config", args.accelerate_config)) if v}
    if options and args.provider != "local":
        from ..errors import UsageError

        raise UsageError(f"--{next(iter(options)).replace('_', '-')} is for --provider local")
    return JobSpec(model=args.model, method=_method(args), hyperparameters=hp, grader=grader, suffix=args.suffix,
                   seed=args.seed, metadata=parse_metadata(args.metadata), options=options)


def lint_gate(args: argparse.Namespace, spec: Any, conn: Any, err: Any) -> bool:
    """Lint the files for this job and print the findings; False when errors should stop the upload."""
    from ..reporters import text
    from ..training.gate import blocking_errors, lint_for_job

    result = lint_for_job(args.training, args.validation, conn, spec)
    if result.errors or result.warnings:
        text.report(result, err, color=err.isatty() and not os.environ.get("NO_COLOR"))
    else:
        print(f"lint: {text.summary_line(result)}", file=err)
    blocking = blocking_errors(result, conn)
    if len(blocking) < result.errors:
        print(f"note: the model rules describe OpenAI's own service; {conn.host} decides which models it "
              "trains, so they do not stop the upload", file=err)
    if blocking and not args.force:
        print("refusing to upload: fix the errors above, or pass --force to upload anyway", file=err)
        return False
    return True


def describe_upload(up: Any) -> str:
    """One line about an upload: sent (size, parts) or reused (which file, which hash)."""
    from ..training.progress import human_bytes

    if up.reused:
        return f"reusing {up.file_id}: identical to {up.source.path} (sha256 {up.source.sha256[:12]})"
    parts = f" in {up.parts} parts" if up.parts else ""
    return f"uploaded {up.source.path} as {up.file_id} ({human_bytes(up.source.bytes)}{parts})"


def run(args: argparse.Namespace) -> int:
    from ..errors import InputError
    from ..training.console import printable
    from ..training.jobs import is_fine_tuned, validate
    from ..training.pipeline import start_job
    from ..training.progress import Progress
    from ..training.registry import Registry
    from .training_opts import connect, follow_job, guarded, reattach_command

    err = sys.stderr
    if not os.path.isfile(args.training):
        raise InputError(f"{args.training}: no such file")
    if args.validation and not os.path.isfile(args.validation):
        raise InputError(f"{args.validation}: no such file")
    check_follow_args(args)
    spec = build_spec(args)
    validate(spec, provider=args.provider, has_validation=args.validation is not None)
    conn, client = connect(args)
    if not lint_gate(args, spec, conn, err):
        return 1
    if is_fine_tuned(spec.model):
        print(f"continuing training from the fine-tuned model {spec.model}", file=err)
    registry = Registry()
    bar = Progress(err, "uploading", 0, unit="bytes")

    def uploaded(up: Any) -> None:
        bar.close()
        print(describe_upload(up), file=err, flush=True)

    with guarded(conn):
        started = start_job(client, conn, registry, spec, args.training, args.validation,
                            on_progress=lambda sent, total: bar.update(sent, total=total), on_upload=uploaded)
    job = started.job
    print(printable(f"created job {job.id} on {conn.host} ({spec.method}, model {spec.model}, status {job.status})"),
          file=err, flush=True)
    if args.detach:
        print(printable(job.id), flush=True)
        print(f"follow it with: {reattach_command(args, str(job.id))}", file=err)
        return 0
    return follow_job(args, client, conn, registry, str(job.id))
