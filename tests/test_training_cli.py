"""`tunesmith train / jobs / chat / compare` end to end, over real HTTP.

Most tests run the CLI in-process against the sandbox behind ``prism proxy --errors``: the
SDK client the CLI builds is the fixture's checked client, so every request and response of
the command is validated against OpenAI's published spec. Tests that need what Prism cannot
carry (result-file downloads, paused jobs, timing) talk to a sandbox directly.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from fixtures_openai import PrismProxy, SandboxClock, wait_for_job, wait_for_status

from toolkit.cli.main import main
from toolkit.sandbox import Sandbox
from toolkit.training import providers
from toolkit.training.local_registry import Registry

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
TRAIN = SAMPLES / "elle_single_turn.jsonl"
VALID = SAMPLES / "elle_validation.jsonl"
MODEL = "gpt-4.1-mini-2025-04-14"
KEY = "sk-proj-NEVERPRINTED0123456789"
FT_ID = re.compile(r"^ft:gpt-4\.1-mini-2025-04-14:[^:]+:[^:]*:[A-Za-z0-9]+$")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh registry and a secret-looking key; no OpenAI settings leak in from outside."""
    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    for name in ("OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "home"


@pytest.fixture
def proxied(prism_proxy: PrismProxy, home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PrismProxy]:
    """The CLI talks to the proxy with the fixture's client, whose every exchange is checked against the spec."""
    monkeypatch.setenv("OPENAI_BASE_URL", prism_proxy.base_url)
    monkeypatch.setattr(providers, "make_client", lambda conn, **kw: prism_proxy.client(max_retries=2))
    yield prism_proxy


@pytest.fixture
def direct(sandbox: Sandbox, home: Path, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    monkeypatch.setenv("OPENAI_BASE_URL", sandbox.base_url)
    return sandbox


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert KEY not in out and KEY not in err
    return code, out, err


def sdk(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key="test", max_retries=0)


def test_train_to_a_fine_tuned_model_through_the_spec_proxy(proxied: PrismProxy, home: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "train", str(TRAIN), "--model", MODEL, "--validation", str(VALID),
                         "--suffix", "elle", "--epochs", "2", "--seed", "42", "--metadata", "team=chem", "run=1",
                         "--poll", "0.05")
    assert code == 0, err
    model = out.strip()
    assert FT_ID.match(model) and ":elle:" in model
    assert "Found 0 errors" in err and "created job ftjob-" in err
    assert err.count("Fine-tuning job started") == 1  # each event once
    steps = re.findall(r"step (\d+)/(\d+)", err)
    assert steps and len({s for s, _ in steps}) == len(steps) and steps[-1][0] == steps[-1][1]
    assert "valid loss" in err and err.rstrip().endswith("billed tokens: the job's trained_tokens)")
    assert re.findall(r"^status: (\w+)$", err, re.M)[-1] == "succeeded"

    job_id = re.findall(r"created job (ftjob-\S+)", err)[0]
    row = Registry().find_job(job_id)
    assert row is not None and (row.status, row.fine_tuned_model) == ("succeeded", model)
    assert row.training_sha256 == hashlib.sha256(TRAIN.read_bytes()).hexdigest()
    assert row.validation_path == str(VALID.resolve()) and row.validation_file
    request = row.metadata.pop("tunesmith_request")  # the id that makes creation safe to retry
    assert re.fullmatch(r"[0-9a-f]{32}", request)
    assert (row.hyperparameters, row.seed, row.metadata, row.suffix) == ({"n_epochs": 2}, 42,
                                                                        {"team": "chem", "run": "1"}, "elle")
    assert row.provider == "openai" and row.host == proxied.base_url.split("//")[1]
    remote = sdk(proxied.sandbox.base_url).fine_tuning.jobs.retrieve(job_id)
    assert remote.model_dump()["method"]["supervised"]["hyperparameters"]["n_epochs"] == 2
    assert remote.metadata == {"team": "chem", "run": "1", "tunesmith_request": request}
    assert KEY.encode() not in (home / "registry.sqlite3").read_bytes()


def test_detach_then_follow(proxied: PrismProxy, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "train", str(TRAIN), "--model", MODEL, "--detach")
    job_id = out.strip()
    assert code == 0 and re.fullmatch(r"ftjob-\w+", job_id)
    assert f"follow it with: tunesmith jobs follow {job_id}" in err and "status:" not in err
    assert (row := Registry().find_job(job_id)) is not None and row.status == "validating_files"
    code, out, err = cli(capsys, "jobs", "follow", job_id, "--poll", "0.05")
    assert code == 0 and FT_ID.match(out.strip())
    assert (row := Registry().find_job(job_id)) is not None and row.fine_tuned_model == out.strip()
    # following again replays the history once and ends at once
    code, again, err2 = cli(capsys, "jobs", "follow", job_id, "--poll", "0.05")
    assert again == out and err2.count("The job has successfully completed") == 1


def test_an_identical_file_is_uploaded_once(proxied: PrismProxy, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "unique.jsonl"
    data.write_bytes(TRAIN.read_bytes() + TRAIN.read_bytes().splitlines(keepends=True)[0].replace(
        b"Elle is", f"Elle ({tmp_path.name}) is".encode()))
    _, _, first = cli(capsys, "train", str(data), "--model", MODEL, "--detach")
    _, _, second = cli(capsys, "train", str(data), "--model", MODEL, "--detach")
    file_id = re.findall(r"uploaded \S+ as (file-\w+)", first)[0]
    assert f"reusing {file_id}: identical to {data.resolve()}" in second
    posts = [r for r in proxied.sandbox.requests if r[:2] == ("POST", "/files")]
    assert sum(1 for r in posts) >= 1 and first.count("uploaded") == 1


def test_lint_errors_stop_the_upload_unless_forced(proxied: PrismProxy, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    small = tmp_path / "small.jsonl"
    small.write_bytes(b"".join(TRAIN.read_bytes().splitlines(keepends=True)[:7]))
    before = len(proxied.sandbox.requests)
    code, out, err = cli(capsys, "train", str(small), "--model", MODEL)
    assert code == 1 and out == ""
    assert f"{small}: F060 error: the training file has 7 examples" in err
    assert "refusing to upload: fix the errors above, or pass --force" in err
    assert len(proxied.sandbox.requests) == before  # nothing was sent

    code, out, err = cli(capsys, "train", str(small), "--model", MODEL, "--force", "--poll", "0.05")
    job_id = re.findall(r"created job (ftjob-\S+)", err)[0]
    assert code == 1 and out == job_id + "\n"  # the failed job's id, for scripts
    assert "failed: invalid_n_examples: Training file has 7 example(s), but must have at least 10 examples" in err
    assert "(param: training_file)" in err and "hint: lint rule F060" in err
    row = Registry().find_job(job_id)
    assert row is not None and row.status == "failed" and "invalid_n_examples" in (row.error or "")


@pytest.mark.parametrize(("data", "why"), [
    (b"", "it is empty or has only blank lines"),
    (b"not json\n{\"broken\n", "none of its 2 non-blank lines is a JSON record: `tunesmith lint` says why")])
def test_a_file_without_examples_is_an_error_even_forced(direct: Sandbox, tmp_path: Path, data: bytes, why: str,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """It printed "estimated cost: unknown (could not count tokens (NoExamples))" and uploaded the file."""
    path = tmp_path / "none.jsonl"
    path.write_bytes(data)
    before = len(direct.requests)
    code, out, err = cli(capsys, "train", str(path), "--model", MODEL, "--force", "--yes")
    assert code == 1 and out == ""
    assert err.endswith(f"tunesmith: error: {path}: no examples to count ({why}), so there is no training estimate: "
                        "add examples, one JSON object per line (lint reports this as F060)\n")
    assert "estimated cost" not in err and "NoExamples" not in err
    assert len(direct.requests) == before  # nothing was uploaded


def test_training_not_available(proxied: PrismProxy, capsys: pytest.CaptureFixture[str]) -> None:
    proxied.sandbox.training_available = False
    code, out, err = cli(capsys, "train", str(TRAIN), "--model", MODEL)
    assert code == 1 and out == ""
    assert "refused to create the job (403 training_not_available)" in err
    assert "2027-01-06" in err and "--provider azure" in err and "Traceback" not in err


def test_a_preference_file_trains_with_dpo(proxied: PrismProxy, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "train", str(SAMPLES / "elle_dpo.jsonl"), "--model", MODEL, "--beta", "0.2",
                         "--detach")
    assert code == 0 and "(dpo, model" in err
    job = sdk(proxied.sandbox.base_url).fine_tuning.jobs.retrieve(out.strip())
    method = job.model_dump()["method"]
    assert method["type"] == "dpo" and method["dpo"]["hyperparameters"]["beta"] == 0.2


def test_continue_training_a_fine_tuned_model(proxied: PrismProxy, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = cli(capsys, "train", str(TRAIN), "--model", MODEL, "--poll", "0.05")
    tuned = out.strip()
    code, out, err = cli(capsys, "train", str(TRAIN), "--model", tuned, "--detach")
    assert code == 0 and f"continuing training from the fine-tuned model {tuned}" in err
    assert sdk(proxied.sandbox.base_url).fine_tuning.jobs.retrieve(out.strip()).model == tuned


def test_jobs_list_show_events_checkpoints(proxied: PrismProxy, capsys: pytest.CaptureFixture[str]) -> None:
    _, model, _ = cli(capsys, "train", str(TRAIN), "--model", MODEL, "--poll", "0.05")
    job_id = Registry().jobs()[0].job_id
    code, out, _ = cli(capsys, "jobs", "list", "--limit", "50")
    assert code == 0 and out.startswith("JOB ") and job_id in out and model.strip() in out
    code, out, _ = cli(capsys, "jobs", "show", job_id)
    assert code == 0
    shown = dict(re.split(r"\s{2,}", line, maxsplit=1) for line in out.splitlines())
    assert shown["status"] == "succeeded" and shown["fine-tuned model"] == model.strip()
    assert shown["data"] == str(TRAIN.resolve()) and shown["sha256"] == hashlib.sha256(TRAIN.read_bytes()).hexdigest()
    code, out, _ = cli(capsys, "jobs", "events", job_id, "--limit", "3")
    assert code == 0 and out.splitlines()[-1].endswith("The job has successfully completed")
    assert len(out.splitlines()) == 3
    code, out, _ = cli(capsys, "jobs", "checkpoints", job_id)
    lines = out.splitlines()
    assert code == 0 and lines[0].split()[:2] == ["STEP", "CHECKPOINT"] and len(lines) == 4
    assert lines[-1].split()[1] == f"{model.strip()}:ckpt-step-{lines[-1].split()[0]}"


def test_cancel(proxied: PrismProxy, capsys: pytest.CaptureFixture[str], sandbox_clock: SandboxClock) -> None:
    sandbox_clock.stop()  # the job cannot finish before the cancel arrives, however busy the machine
    _, out, _ = cli(capsys, "train", str(TRAIN), "--model", MODEL, "--detach")
    code, said, _ = cli(capsys, "jobs", "cancel", out.strip())
    assert code == 0 and said == f"{out.strip()}: cancelled\n"
    assert (row := Registry().find_job(out.strip())) is not None and row.status == "cancelled"
    code, _, err = cli(capsys, "jobs", "follow", out.strip(), "--poll", "0.05")
    assert code == 1 and f"job {out.strip()} was cancelled" in err
    code, _, err = cli(capsys, "jobs", "cancel", out.strip())
    assert code == 1 and "rejected the request (400" in err and "only an unfinished job can be cancelled" in err


def test_unknown_job_is_a_clear_404(proxied: PrismProxy, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "jobs", "show", "ftjob-doesnotexist")
    assert code == 2 and "not found on" in err and "(404)" in err and "ftjob-doesnotexist" in err  # input, not a failed job


def test_jobs_list_local_works_offline(proxied: PrismProxy, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    _, out, _ = cli(capsys, "train", str(TRAIN), "--model", MODEL, "--detach")
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    code, listing, err = cli(capsys, "jobs", "list", "--local")
    assert code == 0, err
    header, row = listing.splitlines()[:2]
    assert header.split() == ["JOB", "STATUS", "PROVIDER", "MODEL", "FINE-TUNED", "MODEL", "DATA", "SHA256", "GIT",
                              "CREATED"]
    assert row.startswith(out.strip()) and str(TRAIN.resolve()) in row
    assert hashlib.sha256(TRAIN.read_bytes()).hexdigest()[:12] in row


def test_metrics_table_and_png(direct: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, _model, _ = cli(capsys, "train", str(TRAIN), "--model", MODEL, "--validation", str(VALID), "--poll", "0.05")
    job_id = Registry().jobs()[0].job_id
    png = tmp_path / "curves.png"
    code, out, err = cli(capsys, "jobs", "metrics", job_id, "--plot", str(png), "--width", "20")
    assert code == 0, err
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:]}
    assert set(rows) == {"train_loss", "train_accuracy", "valid_loss", "valid_accuracy"}
    assert float(rows["train_loss"][2]) < float(rows["train_loss"][1])  # the loss went down
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"chart written to {png}" in err


def test_metrics_before_the_job_ends(direct: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    direct.trainer.speed = 1.0  # ~12 s per job: a busy machine cannot finish it between the two commands
    _, out, _ = cli(capsys, "train", str(TRAIN), "--model", MODEL, "--detach")
    code, _, err = cli(capsys, "jobs", "metrics", out.strip())
    assert code == 1 and "has no result file yet" in err


def test_chat_and_compare(direct: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = cli(capsys, "train", str(TRAIN), "--model", MODEL, "--poll", "0.05")
    tuned = out.strip()
    first = json.loads(TRAIN.read_text().splitlines()[0])["messages"]
    code, answer, err = cli(capsys, "chat", tuned, first[1]["content"], "--system", first[0]["content"])
    assert code == 0 and answer.strip() == first[2]["content"]
    assert re.search(r"\(\d+ prompt \+ \d+ completion tokens, \d+\.\d\d s, ft:", err)

    code, table, err = cli(capsys, "compare", "--base", MODEL, "--tuned", tuned, "--file", str(TRAIN), "--limit", "3")
    assert code == 0 and err.count("compared") == 3
    assert "#1  " in table and "#3  " in table and "#4  " not in table
    assert re.search(r"^reference\s+base \(\d+\+\d+ tok, \d+\.\d\d s\)\s+tuned \(", table, re.M)
    summary = {line.split("  ")[0]: line.split() for line in table.splitlines()
               if line.startswith(("matches", "model"))}
    assert summary["model"][1:] == [MODEL, tuned]
    assert summary["matches reference"][2:] == ["0/3", "3/3"]

    report = tmp_path / "compare.html"
    code, _, err = cli(capsys, "compare", "--base", MODEL, "--tuned", tuned, "--file", str(VALID), "--limit", "2",
                       "--format", "html", "--output", str(report))
    page = report.read_text()
    assert code == 0 and page.startswith("<!DOCTYPE html>") and page.count("<tr><td>") == 2
    code, data, _ = cli(capsys, "compare", "--base", MODEL, "--tuned", tuned, "--file", str(VALID), "--limit", "2",
                        "--format", "json")
    parsed = json.loads(data)
    assert parsed["summary"]["tuned"]["model"] == tuned and len(parsed["rows"]) == 2
    assert parsed["rows"][0]["line"] == 1 and parsed["rows"][0]["reference"]


def test_follow_survives_a_dropped_connection_and_a_500(direct: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = cli(capsys, "train", str(TRAIN), "--model", MODEL, "--detach")
    job_id = out.strip()
    direct.inject(r"/fine_tuning/jobs/[^/]+/events$", drop=True, times=1)
    direct.inject(rf"/fine_tuning/jobs/{job_id}$", status=500, times=1)
    code, model, err = cli(capsys, "jobs", "follow", job_id, "--poll", "0.05")
    assert code == 0 and FT_ID.match(model.strip())
    assert "! connection lost; retrying in 1 s" in err and "! server error (500); retrying in" in err
    assert "! reconnected; resuming from the last event seen" in err
    assert err.count("Fine-tuning job started") == 1 and err.count("The job has successfully completed") == 1


def test_secrets_stay_out_of_the_registry(direct: Sandbox, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cli(capsys, "train", str(TRAIN), "--model", MODEL, "--poll", "0.05")
    with sqlite3.connect(home / "registry.sqlite3") as db:
        dump = "\n".join(db.iterdump())
    assert KEY not in dump and "ftjob-" in dump and direct.base_url.split("//")[1].split("/")[0] in dump


def test_pause_follow_and_resume(home: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    with Sandbox(speed=10) as sandbox:  # direct: the spec's status enum has no "paused"
        monkeypatch.setenv("OPENAI_BASE_URL", sandbox.base_url)
        _, out, _ = cli(capsys, "train", str(TRAIN), "--model", MODEL, "--detach")
        job_id = out.strip()
        client = sdk(sandbox.base_url)
        wait_for_status(client, job_id, "running")
        assert cli(capsys, "jobs", "pause", job_id)[:2] == (0, f"{job_id}: paused\n")
        assert (row := Registry().find_job(job_id)) is not None and row.status == "paused"
        code, out, err = cli(capsys, "jobs", "follow", job_id, "--poll", "0.05", "--base-url", sandbox.base_url)
        assert code == 4 and out == job_id + "\n"  # paused: its own exit code, the job id for scripts
        assert (f"job {job_id} is paused; resume it with: tunesmith jobs resume {job_id} --base-url "
                f"{sandbox.base_url}") in err  # with the provider options it was followed with
        assert cli(capsys, "jobs", "resume", job_id)[:2] == (0, f"{job_id}: running\n")
        code, out, err = cli(capsys, "jobs", "follow", job_id, "--poll", "0.05")
        assert code == 0 and FT_ID.match(out.strip()) and err.count("Fine-tuning job paused") == 1
        job, _ = wait_for_job(client, job_id)
        assert job.status == "succeeded"


def test_model_rules_bind_openai_only(direct: Sandbox, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A model OpenAI shut down (M010) stops an upload to OpenAI, not to another endpoint."""
    code, out, err = cli(capsys, "train", str(TRAIN), "--model", "gpt-3.5-turbo-0125", "--detach")
    assert code == 0 and out.startswith("ftjob-") and "M010 error" in err
    assert f"{direct.base_url.split('//')[1].split('/')[0]} decides which models it trains" in err
    monkeypatch.delenv("OPENAI_BASE_URL")  # api.openai.com: refused before any request
    code, out, err = cli(capsys, "train", str(TRAIN), "--model", "gpt-3.5-turbo-0125", "--detach")
    assert code == 1 and out == "" and "refusing to upload" in err and "decides which models" not in err
