"""Local training on a tiny model made on the spot (CPU, offline): masks, SFT, DPO, resume, chat, the CLI flow.

Needs the ``local`` extra (CI installs it); skipped only where it is missing and CI is not set.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"

if not os.environ.get("CI"):
    pytest.importorskip("trl", reason="the local extra is not installed: pip install -e '.[local]'")

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")  # a tiny model trains fastest on one thread (2 shared cores)
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch

    from toolkit.local.tiny import write_tiny_model

    torch.set_num_threads(1)
    return write_tiny_model(tmp_path_factory.mktemp("tiny") / "m", corpus=[SAMPLES / "elle_single_turn.jsonl"])


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _records(*names: str) -> list[dict[str, Any]]:
    return [json.loads(line) for name in names for line in (SAMPLES / name).read_text("utf-8").splitlines() if line]


# -- masking --------------------------------------------------------------------------------------------------


def _independent_mask(tokenizer: Any, record: dict[str, Any]) -> tuple[list[int], list[int]]:
    """Token by token, from renders of each conversation prefix: the tokens each weight-1 assistant turn adds."""
    from toolkit.local.render import clean

    messages, tools = clean(record["messages"]), record.get("tools")

    def ids(upto: int, prompt: bool) -> list[int]:
        text = tokenizer.apply_chat_template(messages[:upto], tools=tools, tokenize=False, add_generation_prompt=prompt)
        return list(tokenizer(text, add_special_tokens=False)["input_ids"])

    full = ids(len(messages), False)
    mask = [0] * len(full)
    for i, m in enumerate(record["messages"]):
        if m["role"] != "assistant" or m.get("weight", 1) == 0:
            continue
        upto = ids(i + 1, False)
        end = len(upto) - upto[::-1].index(tokenizer.convert_tokens_to_ids("<|im_end|>"))  # through <|im_end|>
        start = len(ids(i, True))
        assert full[:end] == upto[:end]
        for t in range(start, end):
            mask[t] = 1
    return full, mask


def test_label_mask_is_the_assistant_tokens_of_weight_1_turns(tiny: Path) -> None:
    from transformers import AutoTokenizer

    from toolkit.local.render import encode

    tokenizer = AutoTokenizer.from_pretrained(tiny)
    extra = {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
                          {"role": "assistant", "content": [{"type": "text", "text": "Hello!"}], "weight": 1},
                          {"role": "user", "content": "Again"}, {"role": "assistant", "content": "Hello.", "weight": 0},
                          {"role": "user", "content": "Once more"}, {"role": "assistant", "content": "Hi there."}]}
    records = _records("elle_multi_turn.jsonl", "elle_tools.jsonl", "elle_single_turn.jsonl") + [extra]
    assert any(m.get("weight") == 0 for r in records for m in r["messages"])
    for record in records:
        full, expected = _independent_mask(tokenizer, record)
        got = encode(tokenizer, record)
        assert got.input_ids.tolist() == full
        assert got.mask.tolist() == expected


def _python_lines(fn: Any, *args: Any) -> tuple[Any, int]:
    """``fn(*args)`` and how many lines of Python it ran, its callees' included (NumPy's C loops run none)."""
    lines = 0

    def trace(frame: Any, event: str, arg: Any) -> Any:
        nonlocal lines
        lines += event == "line"
        return trace

    previous = sys.gettrace()
    sys.settrace(trace)
    try:
        result = fn(*args)
    finally:
        sys.settrace(previous)
    return result, lines


def test_the_mask_has_no_python_loop_per_token() -> None:
    """token_mask works on whole arrays: it runs as many lines of Python for 200,000 tokens as for 200 (a loop
    per token would run ~1,000 times more), and both masks are the reference's. Its speed: benchmarks/bench_local.py."""
    import numpy as np

    from toolkit.local.render import token_mask

    spans = [(i * 1000 + 100, i * 1000 + 600) for i in range(400)]
    keep = [i % 3 != 0 for i in range(400)]
    token_mask(np.array([[0, 2]]), spans, keep)  # NumPy looks a few facts up once, on first use
    lines = []
    for tokens in (200, 200_000):
        offsets = np.stack([np.arange(0, 2 * tokens, 2), np.arange(2, 2 * tokens + 2, 2)], axis=1)
        mask, ran = _python_lines(token_mask, offsets, spans, keep)
        expected = np.zeros(tokens, dtype=np.int64)
        for (a, b), k in zip(spans, keep):
            expected[a // 2:b // 2] = int(k)
        assert (mask == expected).all()
        lines.append(ran)
    assert lines[0] == lines[1], lines


# -- training in this process (the worker's own function) -------------------------------------------------------


def _job(home: Path, model: Path, data: str, **spec: Any) -> Any:
    from toolkit.local import store
    from toolkit.local.client import LocalClient

    client = LocalClient()
    with open(SAMPLES / data, "rb") as fh:
        file_id = client.files.create(file=(data, fh), purpose="fine-tune").id
    job = store.JobDir.of(store.new_id("ftjob-local"))
    job.path.mkdir(parents=True)
    store.write_json(job.job_file, {"id": job.path.name, "model": str(model), "status": "queued",
                                    "training_path": str(client.files.path(file_id)), "training_name": data,
                                    "validation_path": None, "method": spec.pop("method", "supervised"), **spec})
    return job


def _losses(job: Any) -> list[float]:
    rows = job.results_file.read_text("utf-8").splitlines()[1:]
    return [float(r.split(",")[1]) for r in rows if r.split(",")[1]]


def test_supervised_loss_falls_and_the_model_lands_in_the_data_folder(tiny: Path, home: Path) -> None:
    from toolkit.local.worker import train

    job = _job(home, tiny, "elle_single_turn.jsonl", full=True, seed=1,
               hyperparameters={"n_epochs": 6, "batch_size": 14, "learning_rate_multiplier": 250})
    train(job, resume=False)
    data = job.read()
    assert data["status"] == "succeeded", job.events()[-3:]
    losses = _losses(job)
    assert len(losses) == 6 and losses[-1] < losses[0] - 0.5 and losses == sorted(losses, reverse=True), losses
    folder = Path(data["model_path"])
    assert folder.parent == home / "local" / "models" and (folder / "tunesmith.json").is_file()
    assert data["fine_tuned_model"] == folder.name and data["trained_tokens"] > 0


def test_dpo_runs_a_few_steps_with_lora(tiny: Path, home: Path) -> None:
    from toolkit.local.worker import train

    job = _job(home, tiny, "elle_dpo.jsonl", method="dpo", merge=True,
               hyperparameters={"n_epochs": 1, "batch_size": 4})
    train(job, resume=False)
    data = job.read()
    assert data["status"] == "succeeded", job.events()[-3:]
    assert data["trained_steps"] == 3 and len(_losses(job)) == 3
    folder = Path(data["model_path"])
    assert (folder / "adapter_config.json").is_file() and (folder / "merged" / "config.json").is_file()


def test_a_stopped_job_resumes_from_its_checkpoint_and_keeps_counting(tiny: Path, home: Path) -> None:
    from toolkit.local.worker import train

    job = _job(home, tiny, "elle_single_turn.jsonl", hyperparameters={"n_epochs": 2, "batch_size": 4})
    job.stop_file.write_text("pause", "utf-8")  # as `jobs pause` or Ctrl-C do: stop at the end of the next step
    train(job, resume=False)
    assert job.read()["status"] == "paused" and job.read()["trained_steps"] == 1
    assert job.last_checkpoint() is not None and job.last_checkpoint().name == "checkpoint-1"
    train(job, resume=True)
    data = job.read()
    assert data["status"] == "succeeded" and data["trained_steps"] == 8
    steps = [e["data"]["step"] for e in job.events() if e["type"] == "metrics"]
    assert steps == list(range(1, 9))  # step 1 before the stop, 2..8 after: the count continues


def test_chat_answers_with_text_from_the_base_and_the_tuned_model(tiny: Path, home: Path) -> None:
    from toolkit.local.client import LocalClient
    from toolkit.training.chat import ask, conversation

    client = LocalClient()
    reply = ask(client, str(tiny), conversation("Tell me about hydrogen.", "Be Elle."), max_tokens=12)
    assert reply.text.strip() and reply.completion_tokens and reply.prompt_tokens


def test_chat_with_a_model_not_on_this_machine_is_refused_from_the_cache_alone(home: Path,
                                                                               capsys: pytest.CaptureFixture[str]
                                                                               ) -> None:
    """As `train` does: the local cache is looked up (no download, no request to the hub) before anything loads."""
    from toolkit.cli.main import main

    assert main(["chat", "--provider", "local", "--model", "ft-local-nope", "Hello?"]) == 2
    err = capsys.readouterr().err
    assert "model 'ft-local-nope' is neither a folder" in err and "(FileNotFoundError: not in the cache)" in err


def test_an_empty_question_is_a_usage_error_before_any_model_is_asked(home: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """`tunesmith chat MODEL ''` sent an empty user message (and billed it, on a provider)."""
    from toolkit.cli.main import main

    assert main(["chat", "--provider", "local", "--model", "ft-local-nope", " "]) == 2
    assert "QUESTION is empty" in capsys.readouterr().err


def test_train_with_a_model_not_on_this_machine_stops_before_anything_is_copied(home: Path,
                                                                                capsys: pytest.CaptureFixture[str]
                                                                                ) -> None:
    from toolkit.cli.main import main

    assert main(["train", str(SAMPLES / "elle_single_turn.jsonl"), "--provider", "local", "--model", "no-such-model",
                 "--yes"]) == 2
    err = capsys.readouterr().err
    assert "model 'no-such-model' is neither a folder" in err
    assert "uploaded" not in err and "estimated cost" not in err  # it linted, costed and copied the file first
    assert not (home / "local" / "files").exists() or not any((home / "local" / "files").iterdir())


# -- the whole flow through the CLI (worker processes, registry, follow, metrics, pause/resume) -------------------


def tunesmith(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``tunesmith ARGS`` in this process (its main, as the console script calls it): (exit code, stdout, stderr).
    The steps after Ctrl-C need no process of their own: the job's worker is a process either way."""
    from toolkit.cli.main import main

    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_readme_flow_with_ctrl_c_resume_registry_metrics_and_chat(tiny: Path, home: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """train (following) -> Ctrl-C after the first step -> jobs resume -> jobs follow -> metrics, registry, chat.
    `train` runs as its own process (Ctrl-C is a signal to it); the commands after it run in this one."""
    command = [sys.executable, "-m", "toolkit", "train", str(SAMPLES / "elle_single_turn.jsonl"), "--provider", "local",
               "--model", str(tiny), "--epochs", "2", "--suffix", "elle", "--poll", "0.2",
               "--validation", str(SAMPLES / "elle_validation.jsonl")]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert proc.stderr is not None
    lines = []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        lines.append(line)
        if "step 1/4" in line or not line:
            break
    proc.send_signal(signal.SIGINT)  # what Ctrl-C does
    out, err = proc.communicate(timeout=240)
    err = "".join(lines) + err
    assert proc.returncode == 130 and out == "", err
    job_id = err.split("created job ")[1].split()[0]
    assert "saved a checkpoint at step" in err and f"tunesmith jobs resume {job_id} --provider local" in err
    assert tunesmith(capsys, "jobs", "resume", job_id, "--provider", "local")[0] == 0
    code, out, err = tunesmith(capsys, "jobs", "follow", job_id, "--provider", "local", "--poll", "0.2")
    assert code == 0, err
    model_id = out.strip()
    assert model_id.startswith("ft-local-m-elle-") and "status: succeeded" in err
    assert "step 4/4  train loss" in err and "step 4/4  valid loss" in err
    from toolkit.training.local_registry import Registry

    row = Registry().jobs()[0]
    assert (row.job_id, row.provider, row.fine_tuned_model, row.status) == (job_id, "local", model_id, "succeeded")
    assert row.training_sha256 and row.git_commit is not None and row.hyperparameters == {"n_epochs": 2}
    code, out, _ = tunesmith(capsys, "jobs", "metrics", job_id, "--provider", "local")
    assert code == 0 and "train_loss" in out and "valid_loss" in out
    steps = out.split("steps ")[1].split()[0]
    assert steps == "1..4"  # one step before Ctrl-C, the rest after the resume
    code, out, err = tunesmith(capsys, "chat", "--provider", "local", "--model", model_id, "Tell me about hydrogen.",
                               "--max-tokens", "8", "--base", str(tiny))
    assert code == 0, err
    base, tuned = out.split(f"tuned ({model_id}):\n")
    assert base.startswith(f"base ({tiny}):\n") and base.strip() != f"base ({tiny}):" and tuned.strip()


def test_accelerate_config_and_launch_command_are_what_accelerate_accepts(tmp_path: Path) -> None:
    from accelerate.commands.config.config_args import load_config_from_file
    from accelerate.commands.launch import launch_command_parser

    from toolkit.cli.main import main
    from toolkit.local.launch import worker_command

    for flags in ([], ["--processes", "4"], ["--processes", "8", "--deepspeed", "3"], ["--processes", "2", "--fsdp"],
                  ["--processes", "2", "--cpu"]):
        path = tmp_path / "acc.yaml"
        assert main(["local", "accelerate-config", str(path), *flags]) == 0
        loaded = load_config_from_file(str(path))
        assert loaded.num_processes == int(flags[1]) if flags else 1
        command = worker_command(tmp_path / "job", resume=True, accelerate_config=path)
        assert command[1:3] == ["-m", "accelerate.commands.launch"]
        args = launch_command_parser().parse_args(command[3:])
        assert args.config_file == str(path) and args.module and args.training_script == "toolkit.local.worker"
        assert args.training_script_args == [str(tmp_path / "job"), "--resume"]
