"""``tunesmith train FILE --model M``: lint, upload, create the job, follow it, print the model id."""

from __future__ import annotations

import argparse
import os
import sys
from decimal import Decimal
from typing import Any

from .. import catalog
from ..formats import METHODS
from .target_args import providers_where
from .training_opts import EXIT_CODES, add_connection_args, add_follow_args, check_follow_args

REASONING_EFFORTS = ("default", "low", "medium", "high")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "train", help="lint, upload and fine-tune a model, following the job live",
        description="Lint the data (refusing on errors unless --force), upload it (reusing an identical file "
                    "already on the account), create the fine-tuning job and follow it to the end. The job id "
                    "(--detach) or the fine-tuned model id goes to stdout; everything else to stderr. "
                    "Before the job is created, the estimated cost is shown (--max-cost refuses above a limit; "
                    "a terminal asks unless --yes). Job creation is never sent twice: a lost answer is "
                    "recovered by looking the job up. Ctrl-C while following detaches without cancelling the job.",
        epilog=EXIT_CODES)
    p.add_argument("training", metavar="FILE", help="training data (JSONL)")
    p.add_argument("--model",
                   help="base model snapshot, or a fine-tuned model id (ft:... / ...ft-...) to continue training "
                        "(default: [tool.tunesmith] model)")
    p.add_argument("--validation", metavar="FILE", help="validation data (JSONL); required for reinforcement")
    p.add_argument("--method", choices=METHODS,
                   help="training method (default: [tool.tunesmith] method, else dpo for a preference file, "
                        "reinforcement with --grader, else supervised)")
    p.add_argument("--grader", metavar="FILE", help="reinforcement: grader config (JSON)")
    hp = p.add_argument_group("hyperparameters (default: chosen by the provider)")
    hp.add_argument("--epochs", type=int, metavar="N", help="epochs, 1-50")
    hp.add_argument("--batch-size", type=int, metavar="N", help="batch size, 1-256")
    hp.add_argument("--lr-multiplier", type=float, metavar="X", help="learning-rate multiplier, > 0")
    hp.add_argument("--beta", type=float, metavar="X", help="dpo: beta, in (0, 2]")
    hp.add_argument("--reasoning-effort", choices=REASONING_EFFORTS, help="reinforcement: reasoning effort")
    hp.add_argument("--compute-multiplier", type=float, metavar="X",
                    help="reinforcement: compute for exploring the search space, in (0, 10]")
    hp.add_argument("--eval-interval", type=int, metavar="N", help="reinforcement: training steps between evals")
    hp.add_argument("--eval-samples", type=int, metavar="N", help="reinforcement: samples per evaluation step")
    limits = ", ".join(f"{catalog.provider(n).suffix_max} on {n}" for n in catalog.PROVIDERS)
    p.add_argument("--suffix", help=f"text added to the model name (letters, digits, - and _; at most {limits})")
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
    tiers = {t: what for name in catalog.PROVIDERS for t, what in catalog.provider(name).training_types.items()}
    p.add_argument("--training-type", choices=sorted(tiers),
                   help=f"the training tier (trainingType) of {providers_where(lambda p: bool(p.training_types))}: "
                        + "; ".join(f"{t}: {what}" for t, what in tiers.items()))
    p.add_argument("--wandb-project", metavar="NAME", help="send the job's metrics to this Weights & Biases project "
                                                            "(the API's integrations; set up in the provider's UI)")
    p.add_argument("--wandb-entity", metavar="NAME", help="Weights & Biases team or user for --wandb-project")
    p.add_argument("--detach", action="store_true", help="print the job id as soon as the job exists, and exit")
    p.add_argument("--force", action="store_true", help="upload even when lint finds errors")
    money = p.add_argument_group("cost and safety")
    money.add_argument("--max-cost", type=float, metavar="USD",
                       help="refuse to create the job when its estimated cost is above USD (or cannot be estimated)")
    money.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation on a terminal")
    money.add_argument("--dry-run", action="store_true",
                       help="lint, estimate and print the requests that would be sent (no credentials); send nothing")
    add_connection_args(p)
    add_follow_args(p)
    p.set_defaults(run=run)


def _method(args: argparse.Namespace) -> str:
    """The method given, else the one the options imply, else the file's: its format as lint detects it (an RFT
    file is reinforcement, as lint checks it)."""
    if args.method:
        return str(args.method)
    if args.grader:
        return "reinforcement"
    if args.beta is not None:
        return "dpo"
    from .. import formats
    from ..reader import JsonlReader, head_format, lookahead

    return formats.method_of(head_format(lookahead(JsonlReader(args.training))[0]))


def build_spec(args: argparse.Namespace) -> Any:
    """The job spec from the flags (grader loaded and checked)."""
    from ..training.graders import load_grader
    from ..training.job_request import Hyperparameters, JobSpec, parse_metadata

    hp = Hyperparameters(n_epochs=args.epochs, batch_size=args.batch_size,
                         learning_rate_multiplier=args.lr_multiplier, beta=args.beta,
                         reasoning_effort=args.reasoning_effort, compute_multiplier=args.compute_multiplier,
                         eval_interval=args.eval_interval, eval_samples=args.eval_samples)
    grader = load_grader(args.grader, provider=args.provider) if args.grader else None
    options = {k: v for k, v in (("full", args.full), ("merge", args.merge),
                                 ("accelerate_config", args.accelerate_config)) if v}
    if options and not catalog.provider(args.provider).api.local:
        from ..errors import UsageError

        local = [n for n in catalog.PROVIDERS if catalog.provider(n).api.local]
        raise UsageError(f"--{next(iter(options)).replace('_', '-')} is for training on this machine "
                         f"({' or '.join('--provider ' + n for n in local)})")
    return JobSpec(model=args.model, method=_method(args), hyperparameters=hp, grader=grader, suffix=args.suffix,
                   seed=args.seed, metadata=parse_metadata(args.metadata), options=options,
                   training_type=args.training_type, wandb_project=args.wandb_project, wandb_entity=args.wandb_entity)


def lint_gate(args: argparse.Namespace, spec: Any, conn: Any, err: Any, project: Any = None) -> bool:
    """Lint the files for this job (``project``: the settings of ``[tool.tunesmith]`` and the flags) and print
    the findings; False when errors should stop the upload."""
    from ..reporters import text
    from ..training.gate import blocking_errors, lint_for_job

    result = lint_for_job(args.training, args.validation, conn, spec, project)
    if result.errors or result.warnings:
        text.report(result, err, color=err.isatty() and not os.environ.get("NO_COLOR"))
    else:
        print(f"lint: {text.summary_line(result)}", file=err)
    blocking = blocking_errors(result, conn)
    if len(blocking) < result.errors:
        print(f"note: the model rules describe {catalog.provider(conn.provider).title}'s own service; {conn.host} "
              "decides which models it trains, so they do not stop the upload", file=err)
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
    resumed = f", {up.resumed_parts} of them sent by an earlier run" if up.resumed_parts else ""
    return (f"uploaded {up.source.path} as {up.file_id} ({human_bytes(up.source.bytes)} through the "
            f"{up.via}{parts}{resumed})")


def above(estimate: float, limit: float) -> tuple[str, str]:
    """An estimate and the --max-cost it is above, in dollars: the limit with the digits it was given (``0.001``,
    not ``0.00``; at least cents), the estimate in cents, or with more digits until it reads above the limit."""
    limit_shown = f"{limit:,.{max(2, -int(Decimal(repr(limit)).as_tuple().exponent))}f}"
    digits = 2
    while float(f"{estimate:.{digits}f}") <= limit and digits < 12:
        digits += 1
    return f"{estimate:,.{digits}f}", limit_shown


def cost_gate(args: argparse.Namespace, spec: Any, conn: Any, err: Any) -> bool:
    """Show the estimated cost; False when --max-cost or the user's answer says no. A file without one example
    is an error (:class:`toolkit.stats.NoExamples`, exit 1), even with --force: there is nothing to train on."""
    from ..errors import UsageError
    from ..stats import NoExamples, compute

    try:
        stats = compute(args.training, provider=conn.provider, model=spec.model,
                        epochs=spec.hyperparameters.n_epochs)
    except NoExamples:
        raise
    except Exception as exc:
        stats, why = None, f"could not count tokens ({exc.__class__.__name__})"
    est = stats.cost if stats is not None else None
    if est is not None and est.usd is not None:
        prov = catalog.provider(conn.provider)
        where = f" ({prov.title}'s list price; {conn.host} may charge differently)" \
            if prov.api.is_compatible(conn.base_url) else ""
        print(f"estimated cost: ${est.usd:,.2f} = {est.billed(spec.hyperparameters.n_epochs is None)} at "
              f"{est.note}{where} (price as of {est.price_date})", file=err)
    else:
        why = est.note if est is not None else why
        print(f"estimated cost: unknown ({why})", file=err)
    if args.max_cost is not None:
        if est is None or est.usd is None:
            raise UsageError(f"--max-cost {args.max_cost:g}: the cost of this job cannot be estimated; "
                             "remove --max-cost to train anyway")
        if est.usd > args.max_cost:
            estimate, limit = above(est.usd, args.max_cost)
            print(f"refusing to create the job: the estimate ${estimate} is above --max-cost ${limit}", file=err)
            return False
    if args.yes or args.dry_run or not (sys.stdin.isatty() and err.isatty()):
        return True
    print("create the job? [y/N] ", end="", file=err, flush=True)  # stdout stays for the job or model id
    answer = sys.stdin.readline()
    if answer.strip().lower() in ("y", "yes"):
        return True
    print("not created", file=err)
    return False


def dry_run(args: argparse.Namespace, spec: Any, conn: Any, out: Any) -> int:
    """Print the requests ``train`` would send, with placeholders for the ids the server would give."""
    import json

    from ..training.job_request import request_body
    from ..training.provenance import provenance
    from ..training.submit import REQUEST_KEY
    from ..training.upload import PART_SIZE, remote_name

    limit = catalog.provider(conn.provider).files_api_max_bytes
    ids = {}
    for role, path in (("training", args.training), ("validation", args.validation)):
        if path is None:
            continue
        source = provenance(path)
        name = remote_name(path, source.sha256)
        ids[role] = f"<id of {name}>"
        print(f"# {role} file {source.path} ({source.bytes:,} bytes, sha256 {source.sha256[:12]}): reused when "
              "an identical file is already on the account, else", file=out)
        if source.bytes <= limit:
            print(f"POST {conn.base_url}/files  multipart: purpose=fine-tune, file={name} (Files API)", file=out)
        else:
            parts = -(-source.bytes // PART_SIZE)
            print(f"POST {conn.base_url}/uploads  "
                  + json.dumps({"bytes": source.bytes, "filename": name, "mime_type": "text/jsonl",
                                "purpose": "fine-tune"}), file=out)
            print(f"POST {conn.base_url}/uploads/<upload id>/parts  x {parts} (64 MiB each; Uploads API, "
                  f"over the Files API limit of {limit // 1024**2} MB)", file=out)
            print(f"POST {conn.base_url}/uploads/<upload id>/complete  {{\"part_ids\": [...], \"md5\": \"...\"}}",
                  file=out)
    body = request_body(spec, ids["training"], ids.get("validation"))
    body.update(body.pop("extra_body", {}))
    body["metadata"] = {**body.get("metadata", {}), REQUEST_KEY: "<random id, made when sent>"}
    print(f"POST {conn.base_url}/fine_tuning/jobs", file=out)
    print(json.dumps(body, indent=2, ensure_ascii=False), file=out)
    print("dry run: nothing was sent", file=sys.stderr)
    return 0


def run(args: argparse.Namespace) -> int:
    from ..errors import InputError, UsageError
    from ..reader import check_input
    from ..training.console import printable
    from ..training.job_request import validate
    from ..training.local_registry import Registry
    from ..training.pipeline import start_job
    from ..training.progress import Progress
    from .target_args import settings
    from .training_opts import connect, follow_job, guarded, jobs_command, reattach_command

    err = sys.stderr
    check_input(args.training, twice="train")  # a folder, a pipe, an unreadable file: each said as such
    project = settings(args, args.training)  # [tool.tunesmith] of the data's project, under the flags
    args.provider, args.model, args.method = project.provider, project.model, project.method
    args.provider_named = project.provider_named()
    if not args.model:
        raise UsageError("--model is required (or set model in [tool.tunesmith] of the project's pyproject.toml)")
    if args.validation:
        check_input(args.validation, twice="train")
    check_follow_args(args)
    if args.max_cost is not None and not args.max_cost >= 0:
        raise InputError(f"--max-cost must be a number of US dollars, not {args.max_cost}")
    spec = build_spec(args)
    validate(spec, provider=args.provider, has_validation=args.validation is not None)
    conn, client = connect(args, offline=args.dry_run)
    if catalog.provider(conn.provider).api.local:
        from ..local.loading import check

        check(spec.model)  # a model not on this machine: said before the lint, the cost and the copy of the file
    from ..training.provenance import sha256_file

    linted = {path: sha256_file(path) for path in (args.training, args.validation) if path}
    if not lint_gate(args, spec, conn, err, project):
        return 1
    if not cost_gate(args, spec, conn, err):
        return 1
    if args.dry_run:
        return dry_run(args, spec, conn, sys.stdout)
    if catalog.base_of(conn.provider, spec.model):
        print(f"continuing training from the fine-tuned model {spec.model}", file=err)
    tiers = catalog.provider(conn.provider).training_types
    if tiers and spec.training_type is None:
        print(f"note: no --training-type ({', '.join(tiers)}): {catalog.provider(conn.provider).title} may then "
              "fail the job with a misleading \"model does not support fine-tuning\"", file=err)
    registry = Registry()
    bar = Progress(err, "uploading", 0, unit="bytes")

    def uploaded(up: Any) -> None:
        bar.close()
        print(describe_upload(up), file=err, flush=True)

    def notice(message: str) -> None:
        bar.close()
        print(f"note: {message}", file=err, flush=True)

    with guarded(conn):
        started = start_job(client, conn, registry, spec, args.training, args.validation,
                            on_progress=lambda sent, total: bar.update(sent, total=total), on_upload=uploaded,
                            notice=notice, linted=linted)
    job = started.job
    print(printable(f"created job {job.id} on {conn.host} ({spec.method}, model {spec.model}, status {job.status})"
                    + (" (found after its answer was lost)" if started.recovered else "")), file=err, flush=True)
    for other in started.others:
        print(printable(f"warning: {conn.host} also has job {other.id} ({other.status}) from this same request: a "
                        f"retry created it, it runs and is billed. Cancel it with: "
                        f"{jobs_command(args, 'cancel', str(other.id))}"), file=err, flush=True)
    if args.detach:
        print(printable(job.id), flush=True)
        print(f"follow it with: {reattach_command(args, str(job.id))}", file=err)
        return 0
    return follow_job(args, client, conn, registry, str(job.id))
