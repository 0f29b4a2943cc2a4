"""Benchmark local training: Tunesmith's worker against a plain TRL ``SFTTrainer`` script, same data and model.

    python benchmarks/bench_local.py            # 420 examples, 3 interleaved runs per side
    python benchmarks/bench_local.py --quick    # 38 examples, 1 run per side

Target (issue 14): Tunesmith's local training costs at most 1.1x the plain TRL script, in tokens per
second; the masking adds no Python loop per token.

Both sides train the same tiny model (``tunesmith local tiny-model``, 4 layers, hidden 128) with the same
LoRA (r 16, all linear layers), batch size, epochs, learning rate and seed, on the same chat examples
(the Elle samples, repeated), each in its own fresh process with one thread (``OMP_NUM_THREADS=1``):

- *plain TRL*: ``SFTTrainer`` on the ``messages`` with ``assistant_only_loss=True`` (TRL renders and masks;
  it has no per-turn weights), ``save_strategy="no"``;
- *Tunesmith*: :func:`toolkit.local.worker.train` on a job folder, as ``tunesmith train --provider local``
  runs it: exact weight-aware labels (``render.py``), events, the result file, a checkpoint per epoch and the
  saved adapter.

Each process times its data preparation (TRL: building the trainer, which tokenizes; Tunesmith: rendering and
masking) and its training, in wall and CPU seconds; tokens per second = tokens of the data x epochs / (CPU
seconds of both phases). CPU time is the figure that counts on a shared machine (wall time is reported too).
The best of the runs counts. Report: ``results/local.{md,json}`` (``local-quick.*`` with --quick).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SAMPLES = ROOT / "samples"
EPOCHS, BATCH, LR, SEED = 1, 8, 2e-4, 7


def make_data(path: Path, copies: int) -> int:
    lines = [line for name in ("elle_single_turn.jsonl", "elle_multi_turn.jsonl", "elle_tools.jsonl")
             for line in (SAMPLES / name).read_text("utf-8").splitlines() if line.strip()]
    data = lines * copies
    random.Random(1).shuffle(data)
    path.write_text("\n".join(data) + "\n", "utf-8")
    return len(data)


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def side_trl(model: str, data: str, out: str) -> dict[str, Any]:
    from datasets import Dataset
    from peft import LoraConfig
    from trl import SFTConfig, SFTTrainer

    from toolkit.local.render import clean

    records = [json.loads(line) for line in Path(data).read_text("utf-8").splitlines()]
    rows = [{"messages": clean(r["messages"]), **({"tools": r["tools"]} if r.get("tools") else {})} for r in records]
    for r in rows:
        r.setdefault("tools", None)
    w0, c0 = _clock()
    args = SFTConfig(output_dir=out, num_train_epochs=EPOCHS, per_device_train_batch_size=BATCH, learning_rate=LR,
                     seed=SEED, data_seed=SEED, logging_steps=1, save_strategy="no", report_to=[], disable_tqdm=True,
                     use_cpu=True, assistant_only_loss=True, max_length=None, lr_scheduler_type="linear",
                     dataloader_num_workers=0)
    lora = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, target_modules="all-linear", task_type="CAUSAL_LM")
    trainer = SFTTrainer(model=model, args=args, train_dataset=Dataset.from_list(rows), peft_config=lora)
    w1, c1 = _clock()
    trainer.train()
    w2, c2 = _clock()
    prepared = trainer.train_dataset
    assert isinstance(prepared, Dataset)  # TRL tokenizes the map-style dataset given above into another one
    tokens = sum(len(x) for x in prepared["input_ids"]) * EPOCHS
    return {"prep_wall": w1 - w0, "prep_cpu": c1 - c0, "train_wall": w2 - w1, "train_cpu": c2 - c1, "tokens": tokens}


def side_tunesmith(model: str, data: str, out: str) -> dict[str, Any]:
    os.environ["TUNESMITH_HOME"] = out
    from toolkit.local import store
    from toolkit.local.data import datasets_for
    from toolkit.local.loading import load_tokenizer
    from toolkit.local.worker import train

    job = store.JobDir.of(store.new_id("ftjob-local"))
    job.path.mkdir(parents=True)
    spec = {"id": job.path.name, "model": model, "status": "queued", "method": {"type": "supervised"},
            "training_path": data, "validation_path": None, "seed": SEED,
            "hyperparameters": {"n_epochs": EPOCHS, "batch_size": BATCH, "learning_rate_multiplier": LR / 2e-4}}
    store.write_json(job.job_file, spec)
    tokenizer = load_tokenizer(model)
    w0, c0 = _clock()
    train_set, _, _ = datasets_for(spec | {"method": "supervised"}, tokenizer)  # the masking alone, timed
    w1, c1 = _clock()
    train(job, resume=False)
    w2, c2 = _clock()
    assert job.read()["status"] == "succeeded", job.events()[-2:]
    tokens = sum(len(x) for x in train_set["input_ids"]) * EPOCHS
    # train() prepares the data again inside: the training figure includes it, the prep figure is informative
    return {"prep_wall": w1 - w0, "prep_cpu": c1 - c0, "train_wall": w2 - w1, "train_cpu": c2 - c1, "tokens": tokens,
            "included_prep": True}


def mask_speed() -> dict[str, float]:
    """``token_mask`` on a million tokens and 2,000 turns: one vectorised call."""
    import numpy as np

    from toolkit.local.render import token_mask

    n = 1_000_000
    offsets = np.stack([np.arange(0, 2 * n, 2), np.arange(2, 2 * n + 2, 2)], axis=1)
    spans = [(i * 1000 + 100, i * 1000 + 700) for i in range(2000)]
    start = time.perf_counter()
    token_mask(offsets, spans, [i % 2 == 0 for i in range(2000)])
    return {"tokens": n, "seconds": time.perf_counter() - start}


def run_side(side: str, model: Path, data: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as out:
        env = os.environ | {"OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
                            "PYTHONWARNINGS": "ignore"}
        proc = subprocess.run([sys.executable, __file__, "--side", side, str(model), str(data), out], env=env,
                              capture_output=True, text=True, cwd=ROOT)
    if proc.returncode:
        raise SystemExit(f"{side} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int)
    parser.add_argument("--side", nargs=4, metavar=("SIDE", "MODEL", "DATA", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        side, model, data, out = args.side
        result = (side_trl if side == "trl" else side_tunesmith)(model, data, out)
        print(json.dumps(result))
        return 0
    repeat = args.repeat or (1 if args.quick else 3)
    with tempfile.TemporaryDirectory() as tmp:
        from toolkit.local.tiny import write_tiny_model

        model = write_tiny_model(Path(tmp) / "model", corpus=[SAMPLES / "elle_single_turn.jsonl"], layers=4,
                                 hidden=128)
        data = Path(tmp) / "data.jsonl"
        examples = make_data(data, 1 if args.quick else 12)
        runs: dict[str, list[dict[str, Any]]] = {"trl": [], "tunesmith": []}
        for _ in range(repeat):
            for side in runs:
                runs[side].append(run_side(side, model, data))
                print(side, runs[side][-1], file=sys.stderr, flush=True)
    report = _report(runs, examples, mask_speed(), repeat)
    name = "local-quick" if args.quick else "local"
    (HERE / "results" / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    (HERE / "results" / f"{name}.md").write_text(report["markdown"] + "\n", "utf-8")
    print(report["markdown"])
    return 0


def _report(runs: dict[str, list[dict[str, Any]]], examples: int, mask: dict[str, float], repeat: int) -> dict[str, Any]:
    def rate(r: dict[str, Any], clock: str) -> float:
        seconds = r[f"train_{clock}"] + (0 if r.get("included_prep") else r[f"prep_{clock}"])
        return r["tokens"] / seconds

    best = {side: max(rate(r, "cpu") for r in rs) for side, rs in runs.items()}
    wall = {side: max(rate(r, "wall") for r in rs) for side, rs in runs.items()}
    ratio = best["trl"] / best["tunesmith"]
    lines = [
        f"# Local training: Tunesmith vs a plain TRL SFTTrainer script ({datetime.date.today()})", "",
        f"{examples} chat examples (Elle samples repeated), tiny Llama-style model (4 layers, hidden 128), LoRA r 16 "
        f"all-linear, {EPOCHS} epoch, batch {BATCH}, one thread; best of {repeat} interleaved runs.", "",
        "| side | tokens | prep CPU s | train CPU s | tokens/s (CPU) | tokens/s (wall) |", "|---|---|---|---|---|---|"]
    for side, rs in runs.items():
        r = max(rs, key=lambda x: rate(x, "cpu"))
        lines.append(f"| {side} | {r['tokens']:,} | {r['prep_cpu']:.2f} | {r['train_cpu']:.2f} | {best[side]:,.0f} | "
                     f"{wall[side]:,.0f} |")
    lines += ["", f"**Cost ratio (CPU): Tunesmith / TRL = {ratio:.3f}** (target ≤ 1.1). Tunesmith's train figure "
              "includes its own data preparation, events, result file, a checkpoint per epoch and the saved adapter.",
              "", f"Masking: `token_mask` labels {mask['tokens']:,} tokens in {mask['seconds'] * 1000:.1f} ms (one "
              "vectorised NumPy call; no Python loop per token).",
              "Medians (CPU tokens/s): " + ", ".join(
                  f"{s} {statistics.median(rate(r, 'cpu') for r in rs):,.0f}" for s, rs in runs.items())]
    return {"examples": examples, "runs": runs, "best_tokens_per_cpu_second": best, "best_tokens_per_wall_second": wall,
            "ratio_cpu": ratio, "mask": mask, "markdown": "\n".join(lines)}


if __name__ == "__main__":
    sys.exit(main())
