"""The training process of one local job: ``python -m toolkit.local.worker JOB_DIR [--resume]``.

It reads ``job.json``, trains with TRL (SFT or DPO; LoRA unless ``full``), and reports like a
hosted job: status in ``job.json``, events (``Step N/M: training loss=...``) in ``events.jsonl``,
the result file ``results.csv``, checkpoints in ``checkpoints/``. A ``stop`` file (written by
``jobs pause``/``cancel``, or by Ctrl-C while following) or SIGINT/SIGTERM ends training at the
next step with a checkpoint; ``--resume`` continues from the last checkpoint, step count included.
Under ``accelerate launch`` only the main process writes.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from . import store
from .hyper import settings

_WORDS = {"train_loss": "training loss", "valid_loss": "validation loss"}  # OpenAI's event wording
RESULT_COLUMNS = ("step", "train_loss", "train_accuracy", "valid_loss", "valid_mean_token_accuracy")


class _Stop:
    """Why training should stop early: '' (it should not), 'pause' or 'cancel'."""

    def __init__(self, job: store.JobDir) -> None:
        self.job, self.signalled = job, ""

    def reason(self) -> str:
        if self.signalled:
            return self.signalled
        try:
            return self.job.stop_file.read_text("utf-8").strip() or "pause"
        except OSError:
            return ""


def _callback(job: store.JobDir, stop: _Stop, main: bool) -> Any:
    from transformers import TrainerCallback

    class Report(TrainerCallback):
        """Events, result rows and the stop check, once per step."""

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
            if stop.reason():
                control.should_training_stop = True
                control.should_save = True
            return control

        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kwargs: Any) -> None:
            if not main or not logs:
                return
            values = _metrics(logs)
            if not values:
                return
            step, total = int(state.global_step), int(state.max_steps)
            text = ", ".join(f"{_WORDS[k]}={v:.4f}" for k, v in values.items() if k in _WORDS)
            job.event(f"Step {step}/{total}: {text}".rstrip(": "), kind="metrics",
                      data={"step": step, "total_steps": total, **values})
            _append_result(job, step, values)
            job.update(trained_steps=step, total_steps=total)

        def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if main:
                job.event(f"Checkpoint created at step {state.global_step}")

    return Report()


def _metrics(logs: dict[str, Any]) -> dict[str, float]:
    names = {"loss": "train_loss", "mean_token_accuracy": "train_mean_token_accuracy",
             "eval_loss": "valid_loss", "eval_mean_token_accuracy": "valid_mean_token_accuracy",
             "rewards/accuracies": "train_reward_accuracy", "rewards/margins": "train_reward_margin"}
    return {new: float(logs[old]) for old, new in names.items()
            if isinstance(logs.get(old), (int, float)) and math.isfinite(float(logs[old]))}


def _append_result(job: store.JobDir, step: int, values: dict[str, float]) -> None:
    row = {"step": step, "train_loss": values.get("train_loss"),
           "train_accuracy": values.get("train_mean_token_accuracy"), "valid_loss": values.get("valid_loss"),
           "valid_mean_token_accuracy": values.get("valid_mean_token_accuracy")}
    new = not job.results_file.exists()
    with job.results_file.open("a", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        if new:
            writer.writerow(RESULT_COLUMNS)
        writer.writerow(["" if row[c] is None else row[c] for c in RESULT_COLUMNS])


def train(job: store.JobDir, *, resume: bool) -> None:
    """Run (or continue) the job in ``job``; the status in ``job.json`` says how it ended."""
    from accelerate import PartialState

    from .data import datasets_for
    from .loading import load_for_training

    main = PartialState().is_main_process
    spec = job.read()
    stop = _Stop(job)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: setattr(stop, "signalled", stop.signalled or "pause"))
    if main:
        job.update(status="running", pid=os.getpid(), error=None)
        job.event("Resuming from the last checkpoint" if resume else "Fine-tuning job started")
    model, tokenizer = load_for_training(spec)
    train_set, eval_set, notes = datasets_for(spec, tokenizer)
    if main:
        for note in notes:
            job.event(note, level="warn")
    hp = settings(spec, examples=len(train_set))
    trainer = _trainer(spec, hp, model, tokenizer, train_set, eval_set, job)
    trainer.add_callback(_callback(job, stop, main))
    checkpoint = job.last_checkpoint() if resume else None
    if resume and checkpoint is None and main:
        job.event("No checkpoint to resume from: starting over", level="warn")
    started = time.perf_counter()
    trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    seconds = time.perf_counter() - started
    if not main:
        return
    reason = stop.reason()
    tokens = _tokens(train_set, hp)
    if reason:
        trainer.save_model(str(job.checkpoints / f"checkpoint-{trainer.state.global_step}"))
        job.stop_file.unlink(missing_ok=True)
        status = "cancelled" if reason == "cancel" else "paused"
        job.event(f"Training stopped at step {trainer.state.global_step} ({status}); "
                  + ("resume with `tunesmith jobs resume` to continue" if status == "paused" else "nothing was kept"))
        job.update(status=status, trained_steps=int(trainer.state.global_step))
        return
    from .export import save_result

    job.event("Saving the fine-tuned model")
    model_id, folder = save_result(trainer, tokenizer, spec)
    job.event(f"New fine-tuned model created: {model_id}")
    job.event("The job has successfully completed")
    job.update(status="succeeded", fine_tuned_model=model_id, model_path=str(folder), finished_at=int(time.time()),
               trained_tokens=tokens, trained_steps=int(trainer.state.global_step), seconds=round(seconds, 3))


def _tokens(train_set: Any, hp: Any) -> int:
    if "input_ids" not in train_set.column_names:
        return 0
    return int(sum(len(x) for x in train_set["input_ids"])) * int(hp.epochs)


def _trainer(spec: dict[str, Any], hp: Any, model: Any, tokenizer: Any, train_set: Any, eval_set: Any,
             job: store.JobDir) -> Any:
    common: dict[str, Any] = dict(
        output_dir=str(job.checkpoints), num_train_epochs=hp.epochs, per_device_train_batch_size=hp.per_device_batch,
        per_device_eval_batch_size=hp.per_device_batch, gradient_accumulation_steps=hp.accumulation,
        learning_rate=hp.learning_rate, seed=hp.seed, data_seed=hp.seed, logging_steps=hp.logging_steps,
        save_strategy="epoch", save_total_limit=3, report_to=[], disable_tqdm=True, use_cpu=hp.use_cpu,
        eval_strategy="steps" if eval_set is not None else "no", eval_steps=hp.eval_steps if eval_set is not None else None,
        lr_scheduler_type="linear", warmup_steps=0, dataloader_num_workers=0, remove_unused_columns=False)
    peft_config = None
    if not spec.get("full"):
        from peft import LoraConfig

        peft_config = LoraConfig(r=hp.lora_r, lora_alpha=2 * hp.lora_r, lora_dropout=0.0, target_modules="all-linear",
                                 task_type="CAUSAL_LM")
    if spec["method"] == "dpo":
        from trl import DPOConfig, DPOTrainer

        dpo_args = DPOConfig(**common, beta=hp.beta, max_length=hp.max_length)
        return DPOTrainer(model=model, args=dpo_args, train_dataset=train_set, eval_dataset=eval_set,
                          processing_class=tokenizer, peft_config=peft_config)
    from trl import SFTConfig, SFTTrainer

    # the labels are built here (render.py: exact, vectorised); TRL pads and trains on them as they are
    args = SFTConfig(**common, max_length=None, packing=False, dataset_kwargs={"skip_prepare_dataset": True})
    return SFTTrainer(model=model, args=args, train_dataset=train_set, eval_dataset=eval_set,
                      processing_class=tokenizer, peft_config=peft_config)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m toolkit.local.worker", description=__doc__)
    parser.add_argument("job_dir", type=Path)
    parser.add_argument("--resume", action="store_true")
    args = parser.parse_args(argv)
    job = store.JobDir(args.job_dir)
    try:
        train(job, resume=args.resume)
    except BaseException as exc:  # the job fails visibly; the traceback goes to worker.log
        traceback.print_exc()
        message = f"{type(exc).__name__}: {exc}".strip()
        job.event(f"Training failed: {message}", level="error")
        job.update(status="failed", error={"code": "local_training_error", "message": message[:2000]})
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
