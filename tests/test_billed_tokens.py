"""`tunesmith train`'s estimate and the sandbox's ``trained_tokens`` are one count with one meaning: billed tokens.

The API's ``trained_tokens`` is "the total number of billable tokens processed by this fine-tuning job"
(the OpenAPI spec); billing is every token of the training file, per epoch (FORMAT_RULES §6: system and
user turns, assistant turns with ``weight: 0``, a DPO pair's rejected answer; validation files are not
billed). Both sides count with ``toolkit.stats.compute``. The sandbox runs over real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import openai
import pytest

from toolkit.cli.main import main
from toolkit.sandbox import Sandbox
from toolkit.stats import compute

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
MODEL = "gpt-4.1-mini-2025-04-14"
ESTIMATE = re.compile(r"estimated cost: \$[\d.,]+ = ([\d,]+) billed tokens x (\d+) epochs? (?:\(auto\) )?= ([\d,]+) "
                      r"billed tokens \(the job's trained_tokens\)")
REPORTED = re.compile(r"\(([\d,]+) billed tokens: the job's trained_tokens\)")


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox) -> Sandbox:
    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("OPENAI_API_KEY", "sandbox")
    monkeypatch.setenv("OPENAI_BASE_URL", sandbox.base_url)
    for name in ("OPENAI_ORG_ID", "OPENAI_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)
    return sandbox


def number(text: str) -> int:
    return int(text.replace(",", ""))


def weighted_file(path: Path) -> Path:
    """Ten multi-turn examples with a system prompt and an assistant turn of weight 0 (billed, not trained)."""
    rows = [{"messages": [
        {"role": "system", "content": "You are Elle, a patient chemistry tutor who answers in two sentences."},
        {"role": "user", "content": f"What is the charge of ion number {i}?"},
        {"role": "assistant", "content": "A wrong first draft that the model should not learn from.", "weight": 0},
        {"role": "user", "content": "Try again, carefully."},
        {"role": "assistant", "content": f"Ion {i} carries a charge of +{i % 3 + 1}. Count its lost electrons."}]}
        for i in range(10)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize(("name", "argv"), [
    ("elle_single_turn.jsonl", ["--validation", str(SAMPLES / "elle_validation.jsonl")]),  # the README's flow
    ("weighted.jsonl", ["--epochs", "2"]),
    ("elle_dpo.jsonl", ["--method", "dpo"]),
])
def test_the_estimate_equals_what_the_sandbox_reports(env: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      name: str, argv: list[str]) -> None:
    path = weighted_file(tmp_path / name) if name == "weighted.jsonl" else SAMPLES / name
    code = main(["train", str(path), "--model", MODEL, "--yes", "--poll", "0.05", *argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    estimate, reported = ESTIMATE.search(err), REPORTED.search(err)
    assert estimate is not None and reported is not None, err
    per_epoch, epochs, total = (number(g) for g in estimate.groups())
    assert per_epoch * epochs == total == number(reported.group(1))
    job = openai.OpenAI(base_url=env.base_url, api_key="sandbox", max_retries=0).fine_tuning.jobs.list().data[0]
    assert job.fine_tuned_model == out.strip() and job.trained_tokens == total  # what the API itself says
    counted = compute(path, model=MODEL)
    assert per_epoch == counted.billed_tokens  # every token of the file, not only the trained ones
    if name == "weighted.jsonl":
        assert counted.trained_tokens < counted.billed_tokens and epochs == 2


def test_the_readme_flow_bills_every_token_of_the_training_file(env: Sandbox,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """The hostile first user's numbers: 1,139 x 7 = 7,973 estimated; the sandbox said 6,426 (its own word count)."""
    code = main(["train", str(SAMPLES / "elle_single_turn.jsonl"), "--model", MODEL, "--yes", "--poll", "0.05",
                 "--validation", str(SAMPLES / "elle_validation.jsonl")])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "= 1,139 billed tokens x 7 epochs (auto) = 7,973 billed tokens (the job's trained_tokens)" in err
    assert "(7,973 billed tokens: the job's trained_tokens)" in err  # validation tokens are not billed
    assert main(["stats", str(SAMPLES / "elle_single_turn.jsonl"), "--model", MODEL]) == 0  # the same words
    assert ("billed in all: 1,139 billed tokens x 7 epochs (auto) = 7,973 billed tokens (the job's trained_tokens)\n"
            in capsys.readouterr().out)
