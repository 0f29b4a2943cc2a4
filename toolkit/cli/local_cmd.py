"""``tunesmith local ...``: helpers for training on this machine (a tiny test model, accelerate configs)."""

from __future__ import annotations

import argparse
import sys


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("local", help="local training helpers: a tiny test model, accelerate configs",
                       description="Helpers for `--provider local` (needs: pip install \"tunesmith[local]\").")
    verbs = p.add_subparsers(dest="verb", metavar="ACTION", required=True)
    tiny = verbs.add_parser("tiny-model", help="write a tiny random chat model (a few MB) to try the whole flow offline",
                            description="Write a tiny randomly initialised Llama-style chat model, with a tokenizer "
                                        "trained on the spot and a chat template, to DIR. It answers gibberish until "
                                        "trained: it is for trying the flow and for tests, on any machine, offline.")
    tiny.add_argument("folder", metavar="DIR", help="a new (or empty) folder")
    tiny.add_argument("--corpus", nargs="+", default=[], metavar="FILE",
                      help="text files to train the tokenizer on, besides its built-in text (e.g. your JSONL)")
    tiny.add_argument("--seed", type=int, default=0, help="seed of the random weights (default 0)")
    acc = verbs.add_parser("accelerate-config", help="write an accelerate config for multi-GPU, DeepSpeed or FSDP runs",
                           description="Write a config for `accelerate launch`; pass it to `tunesmith train "
                                       "--provider local --accelerate-config FILE`.")
    acc.add_argument("file", metavar="FILE", help="where to write the YAML config")
    acc.add_argument("--processes", type=int, default=1, metavar="N", help="processes (GPUs) per machine (default 1)")
    acc.add_argument("--machines", type=int, default=1, metavar="N", help="machines (default 1)")
    way = acc.add_mutually_exclusive_group()
    way.add_argument("--deepspeed", type=int, metavar="STAGE", help="use DeepSpeed ZeRO with this stage (0-3)")
    way.add_argument("--fsdp", action="store_true", help="use PyTorch FSDP (v2)")
    acc.add_argument("--mixed-precision", choices=("no", "fp16", "bf16"), default="no", help="(default: no)")
    acc.add_argument("--cpu", action="store_true", help="CPU processes (for a trial run without GPUs)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import UsageError

    try:
        if args.verb == "tiny-model":
            from ..local.tiny import write_tiny_model

            folder = write_tiny_model(args.folder, corpus=args.corpus, seed=args.seed)
            size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
            print(f"tiny chat model written to {folder} ({size / 1e6:.1f} MB); train it with: tunesmith train FILE "
                  f"--provider local --model {folder}", file=sys.stderr)
            print(folder)
            return 0
        from ..local.launch import config, write_config

        strategy = "deepspeed" if args.deepspeed is not None else "fsdp" if args.fsdp else "ddp"
        settings = config(processes=args.processes, machines=args.machines, strategy=strategy,
                          zero_stage=args.deepspeed if args.deepspeed is not None else 2, cpu=args.cpu,
                          mixed_precision=args.mixed_precision)
        path = write_config(args.file, settings)
        print(f"accelerate config written to {path}; use it with: tunesmith train FILE --provider local --model M "
              f"--accelerate-config {path}", file=sys.stderr)
        return 0
    except ModuleNotFoundError as exc:
        raise UsageError(f"local training needs the local extra ({exc.name} is missing): "
                         "pip install \"tunesmith[local]\"") from None
