"""The fine-tuning sandbox, driven by the real openai SDK.

Most tests go through Prism (``prism_proxy``), so every request and every response is checked
against OpenAI's published spec. A few go straight to the sandbox because Prism cannot carry them:
- file content: the spec says ``application/json`` for ``GET /files/{id}/content`` while a file's
  bytes are JSONL or CSV (Prism rejects the answer; its mock answers the SDK's
  ``Accept: application/binary`` with 406);
- ``paused`` jobs: the real API (and the spec's own pause example) returns ``status: "paused"``,
  which the spec's ``FineTuningJob.status`` enum lacks;
- streamed chat completions (Prism validates the event stream as one JSON object).
"""

from __future__ import annotations

import csv
import http.client
import io
import itertools
import json
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import openai
import pytest
from fixtures_openai import PrismProxy, SandboxClock, wait_for_job, wait_for_status

from toolkit.sandbox import Sandbox
from toolkit.sandbox.faults import parse as parse_fault
from toolkit.sandbox.job_lifecycle import WIND_DOWN
from toolkit.sandbox.multipart import Field, parse_form
from toolkit.sandbox.validate import Dataset, FileProblem, check_file

PREFIX = "The job failed due to a file format error in the training file. Invalid file format. "


def example(i: int) -> dict[str, Any]:
    return {"messages": [{"role": "system", "content": "You are a terse calculator."},
                         {"role": "user", "content": f"What is {i} plus {i}?"},
                         {"role": "assistant", "content": f"{i} plus {i} is {2 * i}."}]}


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), "utf-8")
    return path


@pytest.fixture
def train_file(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "train.jsonl", [example(i) for i in range(12)])


def direct(sandbox: Sandbox, **kwargs: Any) -> openai.OpenAI:
    kwargs.setdefault("max_retries", 0)
    return openai.OpenAI(base_url=sandbox.base_url, api_key="test", **kwargs)


def failed_job(client: openai.OpenAI, path: Path, model: str = "gpt-4o-mini", **kwargs: Any) -> Any:
    file = client.files.create(file=path, purpose="fine-tune")
    job = client.fine_tuning.jobs.create(model=model, training_file=file.id, **kwargs)
    job, seen = wait_for_job(client, job.id)
    assert seen[-1] == "failed" and not {"queued", "running"} & set(seen)  # fails while validating files
    assert job.fine_tuned_model is None and job.finished_at is not None
    return job


# --- the whole training round trip, checked against the spec ---------------------------------

def test_training_round_trip_through_prism(prism_proxy: PrismProxy, train_file: Path,
                                          sandbox_clock: SandboxClock) -> None:
    client = prism_proxy.client()
    file = client.files.create(file=train_file, purpose="fine-tune")
    assert re.fullmatch(r"file-[A-Za-z0-9]{22}", file.id)
    assert (file.object, file.purpose, file.bytes, file.filename) == (
        "file", "fine-tune", train_file.stat().st_size, "train.jsonl")
    assert client.files.retrieve(file.id).id == file.id
    assert file.id in [f.id for f in client.files.list(purpose="fine-tune")]
    assert client.files.list(purpose="batch").data == []  # an empty page matches the spec too

    sandbox_clock.stop()  # the first poll sees the job unfinished, however busy the machine
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file.id, suffix="calc",
                                         seed=7, metadata={"run": "round-trip"})
    assert re.fullmatch(r"ftjob-[A-Za-z0-9]{24}", job.id)
    assert (job.status, job.model, job.fine_tuned_model) == ("validating_files", "gpt-4o-mini-2024-07-18", None)
    assert client.fine_tuning.jobs.retrieve(job.id).status == "validating_files"
    sandbox_clock.start()
    job, seen = wait_for_job(client, job.id)
    # a busy machine may first see the job after it finished: only the order of what was seen is fixed
    assert seen[-1] == "succeeded" and set(seen) <= {"validating_files", "queued", "running", "succeeded"}
    assert re.fullmatch(r"ft:gpt-4o-mini-2024-07-18:sandbox:calc:[A-Za-z0-9]{8}", job.fine_tuned_model)
    # 12 examples: auto epochs = 100 // 12 (the Cookbook heuristic)
    assert job.hyperparameters.n_epochs == 8 and job.hyperparameters.batch_size == 1
    assert job.trained_tokens and job.trained_tokens > 0 and job.error is None and len(job.result_files) == 1
    assert [j.id for j in client.fine_tuning.jobs.list(metadata={"run": "round-trip"})] == [job.id]
    assert job.id not in [j.id for j in client.fine_tuning.jobs.list(metadata={"run": "other"})]

    events = list(client.fine_tuning.jobs.list_events(job.id, limit=25))  # auto-paginates with after=
    assert [e.created_at for e in events] == sorted((e.created_at for e in events), reverse=True)
    assert events[-1].message == f"Created fine-tuning job: {job.id}"
    assert events[0].message == "The job has successfully completed"
    assert {e.type for e in events} == {"message", "metrics"}
    metrics = [e for e in events if e.type == "metrics"]
    assert len(metrics) == 96 and all(re.fullmatch(r"ftevent-[A-Za-z0-9]{24}", e.id) for e in events)
    last = metrics[0]
    assert last.message.startswith("Step 96/96: training loss=")
    assert {"step", "train_loss", "train_mean_token_accuracy", "total_steps"} <= set(last.data)

    checkpoints = client.fine_tuning.jobs.checkpoints.list(job.id).data
    assert [c.step_number for c in checkpoints] == [96, 84, 72]  # the last three epochs (12 steps each)
    for c in checkpoints:
        assert c.id.startswith("ftckpt_") and c.fine_tuning_job_id == job.id
        assert c.fine_tuned_model_checkpoint == f"{job.fine_tuned_model}:ckpt-step-{c.step_number}"
        assert c.metrics.step == c.step_number and c.metrics.train_loss is not None

    reply = client.chat.completions.create(model=job.fine_tuned_model,
                                           messages=[{"role": "user", "content": "what is 5 plus 5"}])
    assert reply.choices[0].message.content == "5 plus 5 is 10."
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens > 0
    checkpoint_reply = client.chat.completions.create(model=checkpoints[-1].fine_tuned_model_checkpoint,
                                                      messages=[{"role": "user", "content": "3 plus 3?"}])
    assert checkpoint_reply.choices[0].message.content == "3 plus 3 is 6."

    # file content cannot pass Prism (see the module docstring): read it from the sandbox itself
    result = client.files.retrieve(job.result_files[0])
    assert (result.purpose, result.filename) == ("fine-tune-results", "step_metrics.csv")
    table = list(csv.DictReader(io.StringIO(direct(prism_proxy.sandbox).files.content(result.id).text)))
    assert list(table[0]) == ["step", "train_loss", "train_accuracy", "valid_loss", "valid_mean_token_accuracy"]
    assert [int(r["step"]) for r in table] == list(range(1, 97))
    assert float(table[-1]["train_loss"]) < float(table[0]["train_loss"])
    assert table[-1]["valid_loss"] == ""  # no validation file

    assert client.files.delete(file.id).deleted is True
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(file.id)


def test_a_validation_file_adds_validation_metrics(prism_proxy: PrismProxy, train_file: Path,
                                                   tmp_path: Path) -> None:
    client = prism_proxy.client()
    train = client.files.create(file=train_file, purpose="fine-tune")
    valid = client.files.create(file=write_jsonl(tmp_path / "valid.jsonl", [example(i) for i in range(3)]),
                                purpose="fine-tune")
    job = client.fine_tuning.jobs.create(model="gpt-4.1-mini", training_file=train.id, validation_file=valid.id,
                                         hyperparameters={"n_epochs": 2})
    job, _ = wait_for_job(client, job.id)
    assert job.status == "succeeded" and job.hyperparameters.n_epochs == 2
    events = client.fine_tuning.jobs.list_events(job.id, limit=30).data
    metric = next(e for e in events if e.type == "metrics")
    assert ", validation loss=" in metric.message and "valid_loss" in metric.data
    content = direct(prism_proxy.sandbox).files.content(job.result_files[0]).text
    rows = list(csv.DictReader(io.StringIO(content)))
    assert len(rows) == 24 and all(r["valid_loss"] and r["valid_mean_token_accuracy"] for r in rows)


def test_the_same_seed_gives_the_same_metrics(sandbox: Sandbox, train_file: Path) -> None:
    client = direct(sandbox)
    file = client.files.create(file=train_file, purpose="fine-tune")
    results = []
    for _ in range(2):
        job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file.id, seed=42,
                                             hyperparameters={"n_epochs": 1})
        job, _ = wait_for_job(client, job.id)
        results.append(client.files.content(job.result_files[0]).text)
    assert results[0] == results[1] and results[0].count("\n") == 13


# --- files that fail validation --------------------------------------------------------------

def test_too_few_examples_fail_with_invalid_n_examples(prism_proxy: PrismProxy, tmp_path: Path) -> None:
    client = prism_proxy.client()
    job = failed_job(client, write_jsonl(tmp_path / "small.jsonl", [example(i) for i in range(7)]))
    assert (job.error.code, job.error.param) == ("invalid_n_examples", "training_file")
    assert job.error.message == "Training file has 7 example(s), but must have at least 10 examples"
    events = client.fine_tuning.jobs.list_events(job.id).data
    assert events[0].level == "error" and events[0].message == job.error.message


def test_broken_json_fails_with_invalid_file_format(prism_proxy: PrismProxy, tmp_path: Path) -> None:
    rows: list[Any] = [example(i) for i in range(12)]
    rows[3] = '{"messages": [{"role": "user", "content": "hi"} {"role": "assistant"}]}'
    job = failed_job(prism_proxy.client(), write_jsonl(tmp_path / "broken.jsonl", rows))
    assert (job.error.code, job.error.param) == ("invalid_file_format", "training_file")
    assert job.error.message == (PREFIX + "Example 4 cannot be parsed. Error: line contains invalid json: "
                                 "Expecting ',' delimiter: line 1 column 49 (char 48) (line 4)")


def test_a_line_without_messages_fails(sandbox: Sandbox, tmp_path: Path) -> None:
    rows: list[Any] = [example(i) for i in range(12)]
    rows[2] = {"conversation": []}
    job = failed_job(direct(sandbox), write_jsonl(tmp_path / "keys.jsonl", rows))
    assert job.error.message == PREFIX + "Example 3 is missing key 'messages'."


def test_a_chat_file_for_a_dpo_job_fails_like_the_real_service(sandbox: Sandbox, train_file: Path) -> None:
    client = direct(sandbox)
    job = failed_job(client, train_file, model="gpt-4.1-mini", method={"type": "dpo"})
    file_id = job.training_file
    assert job.error.message == (PREFIX + f"Input file {file_id} is in the fine-tune-chat format, but the "
                                 "specified fine-tuning job is not using 'supervised' as the training method "
                                 "(provided method=dpo). ")


def test_a_preference_file_trains_with_dpo(prism_proxy: PrismProxy, tmp_path: Path) -> None:
    rows = [{"input": {"messages": [{"role": "user", "content": f"Say {i}"}]},
             "preferred_output": [{"role": "assistant", "content": f"{i}!"}],
             "non_preferred_output": [{"role": "assistant", "content": "No."}]} for i in range(10)]
    client = prism_proxy.client()
    file = client.files.create(file=write_jsonl(tmp_path / "dpo.jsonl", rows), purpose="fine-tune")
    job = client.fine_tuning.jobs.create(model="gpt-4.1-mini", training_file=file.id,
                                         method={"type": "dpo", "dpo": {"hyperparameters": {"n_epochs": 1}}})
    job, _ = wait_for_job(client, job.id)
    assert job.status == "succeeded" and job.method.dpo.hyperparameters.beta == 0.1
    answer = client.chat.completions.create(model=job.fine_tuned_model, messages=[{"role": "user", "content": "Say 4"}])
    assert answer.choices[0].message.content == "4!"


@pytest.mark.parametrize(("data", "detail"), [
    (b"[1, 2]\n", "Example 1 is not a JSON dictionary."),
    (b'{"messages": [{"content": "hi"}]}\n', "Example 1, message 1 Discriminator 'role' is missing in value"),
    (b'{"messages": [{"role": "robot", "content": "hi"}]}\n',
     "Example 1, message 1: No match for discriminator 'role' and value 'robot' (allowed values: 'assistant', "
     "'developer', 'function', 'system', 'tool', 'user')"),
    (b'{"messages": []}\n', "Example 1, key 'messages': Input should be a non-empty list."),
    (b'{"messages": [{"role": "user", "content": "\xff"}]}\n',
     "Example 1 cannot be parsed. Error: line is not valid UTF-8 (invalid start byte at byte 44) (line 1)"),
])
def test_file_checks_name_the_example(data: bytes, detail: str) -> None:
    problem = check_file(data, file_id="file-x", param="training_file", method="supervised", expected="chat")
    assert problem == FileProblem("invalid_file_format", PREFIX + detail, "training_file")


@pytest.mark.parametrize(("rows", "expected", "detail"), [
    ([{"prompt": "2+2=", "completion": "4"}], "chat", "Example 1 is missing key 'messages'."),
    ([example(1)], "completion", "Example 1 is missing key 'prompt'."),
])
def test_a_file_for_another_kind_of_model_misses_its_keys(rows: list[Any], expected: str, detail: str) -> None:
    data = "".join(json.dumps(r) + "\n" for r in rows).encode()
    problem = check_file(data, file_id="file-x", param="training_file", method="supervised", expected=expected)
    assert problem == FileProblem("invalid_file_format", PREFIX + detail, "training_file")


def test_legacy_models_train_on_prompt_completion_pairs(sandbox: Sandbox, tmp_path: Path) -> None:
    client = direct(sandbox)
    rows = [{"prompt": f"{i} doubled is", "completion": f" {2 * i}"} for i in range(10)]
    file = client.files.create(file=write_jsonl(tmp_path / "pairs.jsonl", rows), purpose="fine-tune")
    job = client.fine_tuning.jobs.create(model="babbage-002", training_file=file.id,
                                         hyperparameters={"n_epochs": 1})
    job, _ = wait_for_job(client, job.id)
    assert job.status == "succeeded" and job.fine_tuned_model.startswith("ft:babbage-002:sandbox::")
    answer = client.chat.completions.create(model=job.fine_tuned_model,
                                            messages=[{"role": "user", "content": "7 doubled is"}])
    assert answer.choices[0].message.content == " 14"


def test_a_file_deleted_before_validation_fails_the_job(train_file: Path) -> None:
    with Sandbox(speed=5) as slow:  # validation after 0.2 s
        client = direct(slow)
        file = client.files.create(file=train_file, purpose="fine-tune")
        job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file.id)
        client.files.delete(file.id)
        job, _ = wait_for_job(client, job.id)
        assert (job.status, job.error.code, job.error.param) == ("failed", "invalid_file", "training_file")


def test_ipv6_loopback() -> None:
    try:
        sandbox = Sandbox("::1").start()
    except OSError as exc:
        pytest.skip(f"no IPv6 loopback here: {exc}")
    try:
        assert re.fullmatch(r"http://\[::1\]:\d+", sandbox.url)
        assert direct(sandbox).files.list().data == []
    finally:
        sandbox.stop()


def test_file_checks_skip_blank_lines_and_a_bom() -> None:
    rows = b"\n".join(json.dumps(example(i)).encode() for i in range(10))
    result = check_file(b"\xef\xbb\xbf" + rows.replace(b"\n", b"\r\n\r\n") + b"\n", file_id="file-x",
                        param="training_file", method="supervised", expected="chat")
    assert isinstance(result, Dataset) and result.examples == 10 and len(result.pairs) == 10


# --- job control ------------------------------------------------------------------------------

def test_cancel(prism_proxy: PrismProxy, train_file: Path, sandbox_clock: SandboxClock) -> None:
    client = prism_proxy.client()
    file = client.files.create(file=train_file, purpose="fine-tune")
    sandbox_clock.stop()  # the job cannot finish before the cancel arrives, however busy the machine
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file.id)
    cancelled = client.fine_tuning.jobs.cancel(job.id)
    assert cancelled.status == "cancelled" and cancelled.finished_at is not None
    sandbox_clock.advance(3600)  # an hour later: long enough for the job to have finished, had it not been cancelled
    assert client.fine_tuning.jobs.retrieve(job.id).status == "cancelled"
    with pytest.raises(openai.BadRequestError, match="only an unfinished job can be cancelled"):
        client.fine_tuning.jobs.cancel(job.id)


def test_pause_and_resume(train_file: Path, sandbox_clock: SandboxClock) -> None:
    with Sandbox(speed=10) as sandbox:  # slower: ~1 s of running to pause in
        client = direct(sandbox)
        file = client.files.create(file=train_file, purpose="fine-tune")
        job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file.id)
        with pytest.raises(openai.BadRequestError, match="only a running job can be paused"):
            client.fine_tuning.jobs.pause(job.id)
        wait_for_status(client, job.id, "running")
        assert client.fine_tuning.jobs.pause(job.id).status == "paused"
        steps = len(client.fine_tuning.jobs.list_events(job.id, limit=200).data)
        sandbox_clock.advance(3600)  # an hour later: a running job would have finished long ago
        assert client.fine_tuning.jobs.retrieve(job.id).status == "paused"
        assert len(client.fine_tuning.jobs.list_events(job.id, limit=200).data) == steps  # the clock stood still
        assert client.fine_tuning.jobs.resume(job.id).status == "running"
        job, _ = wait_for_job(client, job.id)
        assert job.status == "succeeded"
        messages = [e.message for e in client.fine_tuning.jobs.list_events(job.id, limit=200)]
        assert "Fine-tuning job paused" in messages and "Fine-tuning job resumed" in messages


# --- errors the API answers with ---------------------------------------------------------------

def test_training_not_available(prism_proxy: PrismProxy, train_file: Path) -> None:
    client = prism_proxy.client()
    file = client.files.create(file=train_file, purpose="fine-tune")
    with pytest.raises(openai.PermissionDeniedError) as caught:
        client.fine_tuning.jobs.create(model="gpt-4o-mini-training-not-available", training_file=file.id)
    assert caught.value.code == "training_not_available" and caught.value.status_code == 403
    assert isinstance(caught.value.body, dict) and caught.value.body["message"] == WIND_DOWN
    prism_proxy.sandbox.training_available = False  # the server-wide switch (tunesmith sandbox --training-unavailable)
    with pytest.raises(openai.PermissionDeniedError, match="winding down"):
        client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file.id)


def test_bad_job_requests(prism_proxy: PrismProxy, train_file: Path) -> None:
    client = prism_proxy.client()
    file = client.files.create(file=train_file, purpose="fine-tune")
    with pytest.raises(openai.BadRequestError) as caught:
        client.fine_tuning.jobs.create(model="gpt-2-turbo", training_file=file.id)
    assert caught.value.code == "model_not_available" and "not available for fine-tuning" in caught.value.message
    with pytest.raises(openai.BadRequestError, match="not supported"):
        client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file.id, method={"type": "dpo"})
    with pytest.raises(openai.NotFoundError, match="No such File object: file-missing"):
        client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file="file-missing")
    with pytest.raises(openai.NotFoundError, match="ftjob-missing"):
        client.fine_tuning.jobs.retrieve("ftjob-missing")
    with pytest.raises(openai.NotFoundError) as unknown:
        client.chat.completions.create(model="ft:gpt-4o-mini-2024-07-18:someone::abc12345",
                                       messages=[{"role": "user", "content": "hi"}])
    assert unknown.value.code == "model_not_found"


def test_prism_rejects_a_request_outside_the_spec(prism_proxy: PrismProxy, train_file: Path) -> None:
    client = prism_proxy.client()
    file = client.files.create(file=train_file, purpose="fine-tune")
    with pytest.raises(openai.UnprocessableEntityError):
        client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file.id, suffix="")  # minLength 1
    assert len(prism_proxy.problems) == 1 and "UNPROCESSABLE_ENTITY" in prism_proxy.problems[0]
    prism_proxy.problems.clear()


def test_requests_without_a_key_get_401(sandbox: Sandbox) -> None:
    for url in (f"{sandbox.base_url}/files", f"{sandbox.url}/files"):
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(url, timeout=5)
        assert caught.value.code == 401
        error = json.loads(caught.value.read())["error"]
        assert error["type"] == "invalid_request_error" and "API key" in error["message"]
    for headers, status in (({"Authorization": "Basic dXNlcjpwYXNz"}, 401), ({"api-key": "azure-key"}, 200)):
        request = urllib.request.Request(f"{sandbox.base_url}/files", headers=headers)
        try:
            code = urllib.request.urlopen(request, timeout=5).status
        except urllib.error.HTTPError as exc:
            code = exc.code
        assert code == status, headers


def test_azure_style_clients_are_served(sandbox: Sandbox, train_file: Path) -> None:
    client = openai.AzureOpenAI(azure_endpoint=sandbox.url, api_key="test", api_version="2024-10-21",
                                max_retries=0)
    file = client.files.create(file=train_file, purpose="fine-tune")
    assert client.files.retrieve(file.id).bytes == train_file.stat().st_size
    reply = client.chat.completions.create(model="my-deployment", messages=[{"role": "user", "content": "hi"}])
    assert reply.choices[0].message.content == "Sandbox reply from my-deployment: hi"
    assert ("GET", f"/files/{file.id}", 200) in sandbox.requests


# --- injected faults ---------------------------------------------------------------------------

def test_the_sdk_retries_429_and_500(prism_proxy: PrismProxy) -> None:
    upstream = prism_proxy.sandbox
    client = prism_proxy.client(max_retries=2)
    upstream.inject(r"^/files$", status=429, times=2, retry_after=0.05, method="GET")
    before = len(upstream.requests)
    assert client.files.list().object == "list"
    assert [r[2] for r in upstream.requests[before:]] == [429, 429, 200]
    upstream.inject(r"^/files$", status=500, retry_after=0.05, method="GET")
    assert client.files.list().object == "list"
    upstream.inject(r"^/files$", status=500, method="GET")
    with pytest.raises(openai.InternalServerError) as caught:
        prism_proxy.client(max_retries=0).files.list()
    assert isinstance(caught.value.body, dict) and caught.value.body["type"] == "server_error"


def test_a_dropped_connection_is_retried(prism_proxy: PrismProxy, sandbox: Sandbox) -> None:
    # through Prism, the dropped upstream connection becomes Prism's own 500 (which the SDK retries)
    prism_proxy.sandbox.inject(r"^/files$", drop=True, method="GET")
    before = len(prism_proxy.sandbox.requests)
    client = openai.OpenAI(base_url=prism_proxy.base_url, api_key="test", max_retries=1)
    assert client.files.list().to_dict()["object"] == "list"
    assert [r[2] for r in prism_proxy.sandbox.requests[before:]] == [0, 200]
    # straight to the sandbox the SDK sees the connection error itself
    sandbox.inject(r"^/files$", drop=True, method="GET")
    with pytest.raises(openai.APIConnectionError):
        direct(sandbox).files.list()
    sandbox.inject(r"^/files$", drop=True, method="GET")
    assert direct(sandbox, max_retries=1).files.list().to_dict()["object"] == "list"


def test_a_slow_answer_times_out(sandbox: Sandbox) -> None:
    sandbox.inject(r"^/files$", delay=1.0)
    with pytest.raises(openai.APITimeoutError):
        direct(sandbox, timeout=0.2).files.list()
    sandbox.inject(r"^/files$", delay=0.05, times=None)
    assert direct(sandbox, timeout=5).files.list().to_dict()["object"] == "list"
    sandbox.clear_faults()
    with pytest.raises(ValueError, match="needs a status"):
        sandbox.inject(r"^/files$")


def test_a_lost_answer_is_handled_but_never_arrives(sandbox: Sandbox, train_file: Path) -> None:
    client = direct(sandbox)
    file = client.files.create(file=train_file, purpose="fine-tune")
    sandbox.inject(r"^/fine_tuning/jobs$", method="POST", lose=True)
    with pytest.raises(openai.APIConnectionError):
        client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file.id)
    assert len(client.fine_tuning.jobs.list().data) == 1  # created all the same
    assert ("POST", "/fine_tuning/jobs", -200) in sandbox.requests


@pytest.mark.parametrize(("spec", "expected"), [
    ("path=^/fine_tuning/jobs$,method=post,lose", {"method": "POST", "lose": True, "times": 1}),
    ("path=/events$, status=429, retry_after=10, times=3", {"status": 429, "retry_after": 10.0, "times": 3}),
    ("path=/parts$,status=500,times=always", {"status": 500, "times": None}),
    ("path=/parts$,delay=2", {"delay": 2.0, "status": None, "drop": False}),
    ("path=/files$,status=429,code=insufficient_quota", {"code": "insufficient_quota"}),
])
def test_fault_specs_from_the_command_line(spec: str, expected: dict[str, Any]) -> None:
    fault = parse_fault(spec)
    assert {k: getattr(fault, k) for k in expected} == expected


@pytest.mark.parametrize(("spec", "message"), [
    ("status=500", "missing path=REGEX"),
    ("path=(,status=500", "not a regular expression"),
    ("path=/x,status=200", "inject an error status"),
    ("path=/x,drop,lose", "choose one of"),
    ("path=/x", "needs status=N, drop, lose or delay"),
    ("path=/x,status=five", "whole numbers"),
    ("path=/x,explode", "unknown flag"),
    ("path=/x,colour=red", "unknown key"),
])
def test_bad_fault_specs_are_explained(spec: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValueError, match=message):
        parse_fault(spec)
    from toolkit.cli.main import main

    assert main(["sandbox", "--port", "0", "--fault", spec]) == 2  # refused before listening
    assert f"--fault {spec!r}: " in capsys.readouterr().err


@pytest.mark.parametrize("port", ["99999", "-1"])
def test_a_port_out_of_range_is_a_usage_error(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    from toolkit.cli.main import main

    assert main(["sandbox", "--port", port]) == 2  # it was "internal error: OverflowError: bind(): port must be 0-65535"
    assert capsys.readouterr().err == (f"tunesmith: error: --port must be between 1 and 65535 (or 0 for any free port), "
                                       f"not {port}\n")


def test_insufficient_quota_is_injected_with_openais_body(sandbox: Sandbox) -> None:
    sandbox.inject(r"^/files$", status=429, code="insufficient_quota")
    with pytest.raises(openai.RateLimitError) as caught:
        direct(sandbox).files.list()
    assert caught.value.code == "insufficient_quota" and "exceeded your current quota" in caught.value.message


def test_azure_mode(train_file: Path) -> None:
    with Sandbox(speed=25, azure=True) as azure:
        client = openai.OpenAI(base_url=azure.url + "/openai/v1", api_key="unused", max_retries=0,
                               default_headers={"api-key": "k"})
        raw = client.files.with_raw_response.create(file=train_file, purpose="fine-tune")
        file = raw.parse()
        assert raw.http_response.status_code == 201 and file.status == "pending"  # imported in a moment
        with pytest.raises(openai.BadRequestError, match="does not support fine-tuning"):
            client.fine_tuning.jobs.create(model="gpt-4.1-mini-2025-04-14", training_file=file.id)
        job = client.fine_tuning.jobs.create(model="gpt-4.1-mini-2025-04-14", training_file=file.id,
                                             extra_body={"trainingType": "standard"})
        assert job.status == "pending" and job.result_files is None
        job, seen = wait_for_job(client, job.id)
        assert seen[-1] == "succeeded"
        assert re.fullmatch(r"gpt-4\.1-mini-2025-04-14\.ft-[0-9a-f]{32}", job.fine_tuned_model or "")
        assert client.files.retrieve(file.id).status == "processed" and job.result_files
        nokey = urllib.request.Request(azure.url + "/openai/v1/files")
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(nokey, timeout=5)
        assert caught.value.code == 401 and b"invalid subscription key" in caught.value.read()


def test_paused_jobs_list_and_show_through_the_sdk(train_file: Path) -> None:
    """The real API (and the spec's own pause example) says "paused", which the spec's status enum lacks."""
    with Sandbox(speed=10) as slow:
        client = direct(slow)
        file = client.files.create(file=train_file, purpose="fine-tune")
        job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file.id)
        deadline = time.monotonic() + 30
        while client.fine_tuning.jobs.retrieve(job.id).status != "running":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert client.fine_tuning.jobs.pause(job.id).status == "paused"
        assert [j.status for j in client.fine_tuning.jobs.list().data] == ["paused"]
        assert client.fine_tuning.jobs.retrieve(job.id).status == "paused"


# --- uploads -----------------------------------------------------------------------------------

def test_uploads_in_parts_make_a_file_for_a_job(prism_proxy: PrismProxy, train_file: Path) -> None:
    client = prism_proxy.client()
    data = train_file.read_bytes()
    upload = client.uploads.create(bytes=len(data), filename="parts.jsonl", mime_type="text/jsonl",
                                   purpose="fine-tune")
    assert upload.id.startswith("upload_") and upload.status == "pending"
    cuts = [0, 700, 1500, len(data)]
    parts = [client.uploads.parts.create(upload.id, data=data[a:b]) for a, b in itertools.pairwise(cuts)]
    assert all(p.id.startswith("part_") and p.upload_id == upload.id for p in parts)
    done = client.uploads.complete(upload.id, part_ids=[p.id for p in parts])
    assert done.status == "completed" and done.file.bytes == len(data) and done.file.filename == "parts.jsonl"
    assert direct(prism_proxy.sandbox).files.content(done.file.id).content == data
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=done.file.id)
    assert wait_for_job(client, job.id)[0].status == "succeeded"


def test_upload_mistakes(prism_proxy: PrismProxy) -> None:
    client = prism_proxy.client()
    upload = client.uploads.create(bytes=10, filename="x.jsonl", mime_type="text/jsonl", purpose="fine-tune")
    first = client.uploads.parts.create(upload.id, data=b"12345")
    second = client.uploads.parts.create(upload.id, data=b"678")
    with pytest.raises(openai.BadRequestError, match="add up to 8 bytes"):
        client.uploads.complete(upload.id, part_ids=[first.id, second.id])
    third = client.uploads.parts.create(upload.id, data=b"90")
    with pytest.raises(openai.BadRequestError, match="md5"):
        client.uploads.complete(upload.id, part_ids=[first.id, second.id, third.id], md5="0" * 32)
    assert client.uploads.cancel(upload.id).status == "cancelled"
    with pytest.raises(openai.BadRequestError, match="already cancelled"):
        client.uploads.parts.create(upload.id, data=b"1")


# --- chat, paths and the server itself ----------------------------------------------------------

def test_chat_streams_and_echoes_base_models(sandbox: Sandbox) -> None:
    client = direct(sandbox)
    plain = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}])
    assert plain.choices[0].message.content == "Sandbox reply from gpt-4o-mini: hello"
    chunks = list(client.chat.completions.create(model="gpt-4o-mini", stream=True,
                                                 stream_options={"include_usage": True},
                                                 messages=[{"role": "user", "content": "hello there"}]))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Sandbox reply from gpt-4o-mini: hello there"
    streamed, whole = chunks[-1].usage, plain.usage
    assert streamed is not None and whole is not None
    assert streamed.completion_tokens == whole.completion_tokens + 1


def test_paths_with_and_without_v1_and_unknown_routes(sandbox: Sandbox) -> None:
    for base in (sandbox.base_url, sandbox.url):
        assert openai.OpenAI(base_url=base, api_key="test").files.list().data == []
    request = urllib.request.Request(f"{sandbox.base_url}/models", headers={"Authorization": "Bearer x"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    assert caught.value.code == 404
    assert json.loads(caught.value.read())["error"]["message"] == "Invalid URL (GET /models)"


def test_list_pages(sandbox: Sandbox, tmp_path: Path) -> None:
    client = direct(sandbox)
    ids = [client.files.create(file=write_jsonl(tmp_path / f"{i}.jsonl", [example(i)]), purpose="fine-tune").id
           for i in range(3)]
    first = client.files.list(limit=2)
    assert [f.id for f in first.data] == ids[::-1][:2] and first.has_more
    assert [f.id for f in client.files.list(limit=2, after=first.data[-1].id).data] == [ids[0]]
    assert [f.id for f in client.files.list(order="asc")] == ids
    empty = client.files.list(purpose="batch")
    shown = empty.to_dict()  # first_id and last_id are the API's, not fields of the SDK's page
    assert (shown["data"], shown["first_id"], shown["last_id"], shown["has_more"]) == ([], "", "", False)
    jobs = [client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=ids[0]).id for _ in range(3)]
    newest = client.fine_tuning.jobs.list(limit=2)
    assert [j.id for j in newest.data] == jobs[::-1][:2] and newest.has_more
    assert [j.id for j in client.fine_tuning.jobs.list(limit=2, after=jobs[1]).data] == [jobs[0]]
    labelled = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=ids[0], metadata={"k": "v"}).id
    unlabelled = client.fine_tuning.jobs.list(extra_query={"metadata": "null"}).data  # jobs without metadata
    assert [j.id for j in unlabelled] == jobs[::-1] and labelled not in [j.id for j in unlabelled]
    with pytest.raises(openai.BadRequestError, match="Invalid 'after'"):
        client.fine_tuning.jobs.list(after="ftjob-unknown")


def test_chunked_bodies_and_exact_multipart_bytes(sandbox: Sandbox) -> None:
    body = json.dumps({"filename": "a.jsonl", "purpose": "fine-tune", "bytes": 9, "mime_type": "text/jsonl"})
    connection = http.client.HTTPConnection(sandbox.host, int(sandbox.url.rsplit(":", 1)[1]), timeout=5)
    connection.request("POST", "/v1/uploads", body=iter([body[:10].encode(), body[10:].encode()]),
                       headers={"Authorization": "Bearer x", "Content-Type": "application/json"},
                       encode_chunked=True)
    answer = connection.getresponse()
    assert answer.status == 200 and json.loads(answer.read())["bytes"] == 9
    raw = b"a\r\nb\r\n\x00\xff--"
    form = (b"--XyZ\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n"
            b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"t.bin\"\r\n"
            b"Content-Type: application/octet-stream\r\n\r\n" + raw + b"\r\n--XyZ--\r\n")
    assert parse_form(form, "multipart/form-data; boundary=XyZ") == {
        "purpose": Field(b"fine-tune"), "file": Field(raw, "t.bin")}
    for bad in (form[:-9], form.replace(b"\r\n\r\nfine-tune", b"fine-tune")):
        connection.request("POST", "/v1/files", body=bad, headers={
            "Authorization": "Bearer x", "Content-Type": "multipart/form-data; boundary=XyZ"})
        answer = connection.getresponse()
        assert answer.status == 400 and b"Invalid multipart/form-data body" in answer.read()
    connection.close()


def test_the_request_log() -> None:
    lines: list[str] = []
    with Sandbox(log=lines.append) as sandbox:
        sandbox.inject(r"^/files$", drop=True)
        with pytest.raises(openai.APIConnectionError):
            direct(sandbox).files.list()
        direct(sandbox).files.list()
    assert "dropped (injected)" in lines[0] and '"GET /v1/files HTTP/1.1" 200' in lines[1]
    assert sandbox.requests == [("GET", "/files", 0), ("GET", "/files", 200)]


def test_stop_frees_the_port() -> None:
    sandbox = Sandbox().start()
    url = sandbox.url
    sandbox.stop()
    sandbox.stop()  # twice is harmless
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url + "/v1/files", timeout=2)


def test_the_command_prints_how_to_connect() -> None:
    command = [sys.executable, "-c", "from toolkit.cli.main import entry; entry()", "sandbox", "--port", "0"]
    proc = subprocess.Popen(command,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    try:
        lines = [proc.stdout.readline() for _ in range(6)]
        base_url = next(line.split("=", 1)[1].strip() for line in lines if "OPENAI_BASE_URL=" in line)
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", base_url)
        assert any("OPENAI_API_KEY=" in line for line in lines)
        assert openai.OpenAI(base_url=base_url, api_key="anything").files.list().data == []
    finally:
        proc.send_signal(signal.SIGTERM)  # SIGINT may be ignored when the tests run in a background shell
        assert proc.wait(timeout=10) == 0
    assert "sandbox stopped" in proc.stderr.read()


def test_prism_mock_checks_what_the_sdk_sends(prism_mock: str) -> None:
    client = openai.OpenAI(base_url=prism_mock, api_key="test", max_retries=0)
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file="file-abc123", suffix="ok")
    assert job.object == "fine_tuning.job"
    with pytest.raises(openai.UnprocessableEntityError) as caught:
        client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file="file-abc123",
                                       hyperparameters={"n_epochs": 0})
    assert "n_epochs" in json.dumps(caught.value.body)
