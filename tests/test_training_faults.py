"""Training you can trust with money: the real ``openai`` SDK over real HTTP against the sandbox,
whose fault injection loses answers, fails parts and rate-limits with Retry-After.

- a lost answer to "create job" never makes a second job (counted on the server);
- a lost answer to cancel reports the job as it is;
- following honours Retry-After; a 429 insufficient_quota is not retried;
- an upload whose parts keep failing resumes in the next run from the first missing part;
- what is recorded is the hash of what was sent.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import openai
import pytest

from toolkit.cli.main import main
from toolkit.errors import InputError
from toolkit.sandbox import Sandbox
from toolkit.training import connection, make_client, watch
from toolkit.training.errors import ApiError
from toolkit.training.local_registry import Registry
from toolkit.training.submit import REQUEST_KEY, CreationUnknown, submit
from toolkit.training.upload import upload_dataset

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ROOT / "samples" / "elle_single_turn.jsonl"
MODEL = "gpt-4.1-mini-2025-04-14"
KEY = "sk-faults-NEVERSHOWN0123456789"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox) -> Sandbox:
    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", sandbox.base_url)
    for name in ("OPENAI_ORG_ID", "OPENAI_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)
    return sandbox


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert KEY not in out + err and "Traceback" not in err
    return code, out, err


def server_jobs(sandbox: Sandbox) -> list[Any]:
    client = openai.OpenAI(base_url=sandbox.base_url, api_key="t", max_retries=0)
    return list(client.fine_tuning.jobs.list(limit=100).data)


def creates(sandbox: Sandbox) -> list[int]:
    return [status for method, path, status in sandbox.requests if (method, path) == ("POST", "/fine_tuning/jobs")]


# --- never bill twice --------------------------------------------------------------------------

def test_a_lost_create_answer_makes_one_job_not_two(env: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    env.inject(r"^/fine_tuning/jobs$", method="POST", lose=True)
    code, out, err = cli(capsys, "train", str(TRAIN), "--model", MODEL, "--poll", "0.05")
    assert code == 0, err
    jobs = server_jobs(env)
    assert len(jobs) == 1 and creates(env) == [-200]  # one create, handled, its answer lost; never sent again
    assert out.strip() == jobs[0].fine_tuned_model
    assert f"the answer to the job creation was lost (connection lost), but the job exists: {jobs[0].id}" in err
    assert Registry().find_job(jobs[0].id) is not None  # the job nobody heard of is recorded


def test_a_failed_create_is_retried_after_looking(env: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    env.inject(r"^/fine_tuning/jobs$", method="POST", status=503, retry_after=0.05, times=2)
    code, _out, err = cli(capsys, "train", str(TRAIN), "--model", MODEL, "--detach")
    assert code == 0, err
    looked = [path for method, path, _ in env.requests if method == "GET" and path == "/fine_tuning/jobs"]
    assert len(looked) == 3  # before each retry, and once after to catch a job a retry may have doubled
    assert len(server_jobs(env)) == 1 and creates(env) == [503, 503, 200]
    assert err.count("no job was created; trying again in 0 s") == 2


def test_jobs_the_request_made_twice_are_reported(env: Sandbox) -> None:
    client = make_client(connection("openai"))
    file_id = client.files.create(file=TRAIN.open("rb"), purpose="fine-tune").id
    body = {"model": MODEL, "training_file": file_id}
    twins = [client.fine_tuning.jobs.create(**body, metadata={REQUEST_KEY: "r1"}).id for _ in range(2)]
    env.inject(r"^/fine_tuning/jobs$", method="POST", status=500)
    done = submit(client, body, request_id="r1", sleep=lambda s: None)
    assert done.recovered and done.job.id == twins[0] and [j.id for j in done.others] == [twins[1]]
    assert len(server_jobs(env)) == 2  # nothing new


def test_no_retry_when_the_server_cannot_say_whether_the_job_exists(env: Sandbox,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    env.inject(r"^/fine_tuning/jobs$", method="POST", lose=True)
    env.inject(r"^/fine_tuning/jobs$", method="GET", status=404, times=None)
    code, _out, err = cli(capsys, "train", str(TRAIN), "--model", MODEL, "--detach")
    assert code == CreationUnknown.exit_code == 3
    request = re.search(rf"--metadata {REQUEST_KEY}=([0-9a-f]{{32}})", err)
    assert request and "nothing was sent again" in err
    env.clear_faults()
    jobs = server_jobs(env)
    assert len(jobs) == 1 and jobs[0].metadata[REQUEST_KEY] == request.group(1)


def test_insufficient_quota_is_not_retried_and_says_why(env: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    env.inject(r"^/files$", method="POST", status=429, code="insufficient_quota", times=None)
    code, _, err = cli(capsys, "train", str(TRAIN), "--model", MODEL, "--detach")
    assert code == 1 and "insufficient_quota" in err and "add credit" in err and "not retried" in err
    assert [s for m, p, s in env.requests if (m, p) == ("POST", "/files")] == [429]  # asked once


def test_a_lost_cancel_answer_reports_the_job_as_it_is(env: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    env.trainer.speed = 1.0  # a ~12 s job: still running when cancelled
    _, out, _ = cli(capsys, "train", str(TRAIN), "--model", MODEL, "--detach")
    job_id = out.strip()
    env.inject(r"/cancel$", lose=True)
    code, said, err = cli(capsys, "jobs", "cancel", job_id)
    assert code == 0 and said == f"{job_id}: cancelled\n"
    assert "the answer to the cancel request was lost" in err
    assert [s for m, p, s in env.requests if p.endswith("/cancel")] == [-200]  # not sent again
    assert (row := Registry().find_job(job_id)) is not None and row.status == "cancelled"
    code, _, err = cli(capsys, "jobs", "cancel", job_id)  # a real "already cancelled" stays an error
    assert code == 1 and "only an unfinished job can be cancelled" in err and f"job {job_id} is cancelled" in err


def test_a_server_error_on_pause_is_retried_until_the_job_is_paused(capsys: pytest.CaptureFixture[str],
                                                                     env: Sandbox) -> None:
    env.trainer.speed = 1.0
    _, out, _ = cli(capsys, "train", str(TRAIN), "--model", MODEL, "--detach")
    job_id = out.strip()
    client = openai.OpenAI(base_url=env.base_url, api_key="t", max_retries=0)
    _wait_status(client, job_id, "running")
    env.inject(r"/pause$", status=502, retry_after=0.05)
    code, said, _ = cli(capsys, "jobs", "pause", job_id)
    assert code == 0 and said == f"{job_id}: paused\n"
    code, out, err = cli(capsys, "jobs", "follow", job_id, "--poll", "0.05")
    assert code == 4 and out == job_id + "\n" and f"resume it with: tunesmith jobs resume {job_id}" in err


def _wait_status(client: openai.OpenAI, job_id: str, status: str, timeout: float = 60.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while client.fine_tuning.jobs.retrieve(job_id).status != status:
        assert time.monotonic() < deadline, f"job {job_id} never reached {status}"
        time.sleep(0.05)


# --- following ---------------------------------------------------------------------------------

def test_follow_waits_as_long_as_retry_after_asks(env: Sandbox) -> None:
    client = make_client(connection("openai"))
    file_id = client.files.create(file=TRAIN.open("rb"), purpose="fine-tune").id
    job = client.fine_tuning.jobs.create(model=MODEL, training_file=file_id)
    env.inject(r"/events$", status=429, retry_after=10, times=3)
    slept: list[float] = []
    updates = list(watch(client, job.id, poll=0.01, sleep=slept.append))
    retries = [u.message for u in updates if u.kind == "retry"]
    assert [s for s in slept if s > 1] == [10.0, 10.0, 10.0]  # not 1, 2, 4
    assert retries[0] == "rate limited (429); retrying in 10 s (as the server asked)"
    assert updates[-1].job.status == "succeeded"


def test_following_that_fails_has_its_own_exit_code_and_says_how_to_reattach(
        env: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    env.inject(r"/fine_tuning/jobs/[^/]+$", method="GET", status=403, times=None)
    code, out, err = cli(capsys, "train", str(TRAIN), "--model", MODEL, "--poll", "0.05")
    job_id = re.findall(r"created job (ftjob-\S+)", err)[0]
    assert code == 3 and out == job_id + "\n"
    assert "denied access (403)" in err and "restricted key" in err and "Contributor role" not in err
    assert f"re-attach with: tunesmith jobs follow {job_id}" in err and "may still be running" in err


# --- large files -------------------------------------------------------------------------------

def big_file(tmp_path: Path, parts: int = 3, part_size: int = 2048) -> Path:
    """A valid dataset of a little over ``parts - 1`` parts."""
    path = tmp_path / "big.jsonl"
    lines, size, i = [], 0, 0
    while size <= (parts - 1) * part_size + 100:
        line = json.dumps({"messages": [{"role": "user", "content": f"q{i}"},
                                        {"role": "assistant", "content": f"a{i}"}]}) + "\n"
        lines.append(line)
        size += len(line)
        i += 1
    path.write_text("".join(lines), "utf-8")
    return path


def part_posts(sandbox: Sandbox) -> list[int]:
    return [s for m, p, s in sandbox.requests if m == "POST" and p.endswith("/parts")]


def test_an_upload_whose_parts_keep_failing_resumes_in_the_next_run(env: Sandbox, tmp_path: Path) -> None:
    path = big_file(tmp_path)
    conn, registry = connection("openai"), Registry()
    client = make_client(conn, max_retries=1)

    def arm_after_first_part(sent: int, total: int) -> None:
        if sent == 2048 and not env.faults._armed:
            env.inject(r"/parts$", status=500, times=None)

    with pytest.raises(ApiError, match=r"part 2 of 3 of big.jsonl kept failing \(500.*1 part sent so far "
                                       r"is kept for an hour: run the same command again"):
        upload_dataset(client, path, conn, registry, files_api_limit=1000, part_size=2048,
                       on_progress=arm_after_first_part)
    assert part_posts(env) == [200, 500, 500]  # the SDK retried once, then gave up; nothing was cancelled
    assert not [p for m, p, s in env.requests if p.endswith("/cancel")]
    env.clear_faults()
    notes: list[str] = []
    done = upload_dataset(client, path, conn, registry, files_api_limit=1000, part_size=2048, notice=notes.append)
    assert (done.parts, done.resumed_parts, done.via) == (3, 1, "Uploads API")
    assert part_posts(env) == [200, 500, 500, 200, 200]  # only parts 2 and 3 again
    assert notes and "1 of 3 parts were sent by an earlier run" in notes[0]
    remote = client.files.content(done.file_id).read()
    assert remote == path.read_bytes() and done.source.sha256 == hashlib.sha256(remote).hexdigest()
    assert registry.pending_upload(conn.account, done.source.sha256, done.source.bytes, 2048) is None


def test_a_resumed_upload_of_a_changed_file_starts_again(env: Sandbox, tmp_path: Path) -> None:
    path = big_file(tmp_path)
    conn, registry = connection("openai"), Registry()
    client = make_client(conn, max_retries=0)
    env.inject(r"/parts$", status=500, times=None)
    with pytest.raises(ApiError):
        upload_dataset(client, path, conn, registry, files_api_limit=1000, part_size=2048)
    env.clear_faults()
    # the same content and size but a part recorded with another hash: the old upload is dropped
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    pending = registry.pending_upload(conn.account, sha, path.stat().st_size, 2048)
    assert pending is not None
    upload_id = pending[0]
    registry.record_part(conn.account, upload_id, 0, "part_bogus", "0" * 64)
    notes: list[str] = []
    done = upload_dataset(client, path, conn, registry, files_api_limit=1000, part_size=2048, notice=notes.append)
    assert done.resumed_parts == 0 and "starting again from part 1" in notes[-1]
    assert client.files.content(done.file_id).read() == path.read_bytes()


def test_a_dropped_connection_mid_upload_is_named_as_such(env: Sandbox, tmp_path: Path) -> None:
    path = big_file(tmp_path)
    conn = connection("openai")
    env.inject(r"/parts$", drop=True, times=None)
    with pytest.raises(ApiError, match=r"connection to .* was lost during the upload of big.jsonl") as caught:
        upload_dataset(make_client(conn, max_retries=0), path, conn, Registry(), files_api_limit=1000,
                       part_size=2048)
    assert "base URL" not in str(caught.value)


def test_a_file_edited_during_its_upload_is_not_recorded_under_the_old_hash(env: Sandbox, tmp_path: Path) -> None:
    path = big_file(tmp_path)
    conn, registry = connection("openai"), Registry()
    original = path.read_bytes()

    def edit(sent: int, total: int) -> None:
        if sent == 2048:  # after part 1: same size, other bytes
            path.write_bytes(original.replace(b'"q1"', b'"Q1"', 1)[:2048] + original[2048:].replace(b"a", b"b"))

    with pytest.raises(InputError, match="changed while it was being uploaded"):
        upload_dataset(make_client(conn), path, conn, registry, files_api_limit=1000, part_size=2048,
                       on_progress=edit)
    assert registry.find_upload(conn.account, hashlib.sha256(original).hexdigest()) is None
    client = make_client(conn)
    assert [f for f in client.files.list(purpose="fine-tune").data] == []  # the mixed upload was deleted


def test_the_files_api_records_the_hash_of_what_it_sent(env: Sandbox, tmp_path: Path) -> None:
    conn, registry = connection("openai"), Registry()
    done = upload_dataset(make_client(conn), TRAIN, conn, registry)
    assert done.via == "Files API"
    sent = make_client(conn).files.content(done.file_id).read()
    assert done.source.sha256 == hashlib.sha256(sent).hexdigest()


# --- scriptable and cost-aware -------------------------------------------------------------------

def test_max_cost_refuses_before_anything_is_sent(env: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "train", str(TRAIN), "--model", MODEL, "--max-cost", "0.001")
    assert code == 1 and out == "" and "refusing to create the job: the estimate $0.04 is above --max-cost $0.001" in err
    assert re.search(r"estimated cost: \$0\.04 = [\d,]+ billed tokens x \d+ epochs \(auto\) = [\d,]+ billed tokens "
                     r"\(the job's trained_tokens\)", err)
    assert env.requests == []
    code, _, err = cli(capsys, "train", str(TRAIN), "--model", MODEL, "--max-cost", "5", "--detach")
    assert code == 0 and len(server_jobs(env)) == 1


@pytest.mark.parametrize(("estimate", "limit", "said"), [
    (0.04, 0.001, ("0.04", "0.001")), (0.0149, 0.01, ("0.015", "0.01")), (0.0012, 0.001, ("0.0012", "0.001")),
    (12.5, 5, ("12.50", "5.00")), (1234.567, 1000.5, ("1,234.57", "1,000.50"))])
def test_max_cost_is_shown_as_given_and_the_estimate_above_it(estimate: float, limit: float,
                                                             said: tuple[str, str]) -> None:
    from toolkit.cli.train_cmd import above

    assert above(estimate, limit) == said


def test_dry_run_prints_the_requests_and_sends_nothing(env: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "train", str(TRAIN), "--model", MODEL, "--epochs", "2", "--suffix", "elle",
                         "--wandb-project", "tunes", "--dry-run")
    assert code == 0 and env.requests == [] and "dry run: nothing was sent" in err
    assert f"POST {env.base_url}/files  multipart: purpose=fine-tune, file=elle_single_turn-" in out
    body = __import__("json").loads(out[out.index("{"):])
    assert body["model"] == MODEL and body["method"] == {"type": "supervised",
                                                         "supervised": {"hyperparameters": {"n_epochs": 2}}}
    assert body["integrations"] == [{"type": "wandb", "wandb": {"project": "tunes"}}]
    assert body["training_file"].startswith("<id of elle_single_turn-") and REQUEST_KEY in body["metadata"]


def test_job_listing_filters_and_json(env: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    env.trainer.speed = 1.0
    first = cli(capsys, "train", str(TRAIN), "--model", MODEL, "--detach", "--metadata", "team=a")[1].strip()
    second = cli(capsys, "train", str(TRAIN), "--model", MODEL, "--detach", "--metadata", "team=b")[1].strip()
    code, out, _ = cli(capsys, "jobs", "list", "--metadata", "team=a", "--format", "json")
    listed = __import__("json").loads(out)
    assert code == 0 and [j["id"] for j in listed] == [first] and listed[0]["metadata"]["team"] == "a"
    assert cli(capsys, "jobs", "cancel", second)[0] == 0
    out = cli(capsys, "jobs", "list", "--status", "cancelled")[1]
    assert second in out and first not in out
    code, out, err = cli(capsys, "jobs", "list", "--status", "canceled")  # not a status: not "no jobs match"
    assert (code, out) == (2, "") and "--status canceled: a job's status is one of validating_files," in err
    out = cli(capsys, "jobs", "list", "--after", second, "--format", "json")[1]
    assert [j["id"] for j in __import__("json").loads(out)] == [first]
    shown = __import__("json").loads(cli(capsys, "jobs", "show", first, "--format", "json")[1])
    assert shown["id"] == first and shown["status"] in ("validating_files", "queued", "running")


def test_files_list_and_delete(env: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    cli(capsys, "train", str(TRAIN), "--model", MODEL, "--detach")
    code, out, _ = cli(capsys, "files", "list")
    file_id = re.findall(r"(file-\S+)\s+elle_single_turn-", out)[0]
    assert code == 0 and str(TRAIN.resolve()) in out  # the local data it came from
    assert cli(capsys, "files", "delete", file_id)[:2] == (0, f"{file_id}: deleted\n")
    assert "no files on" in cli(capsys, "files", "list")[1]
    code, _, err = cli(capsys, "files", "delete", file_id)
    assert code == 2 and "404" in err  # no such file: bad input, not a failed job (1)
    for verb in ("show", "follow"):  # a mistyped job id is not a failed job either
        code, _, err = cli(capsys, "jobs", verb, "ftjob-nope")
        assert code == 2 and "not found on" in err and "(404)" in err


def test_a_terminal_is_asked_before_the_job_is_created(env: Sandbox, tmp_path: Path) -> None:
    import os
    import pty
    import subprocess
    import sys
    import time

    def ask(answer: bytes) -> tuple[int, str, str]:
        leader, follower = pty.openpty()
        proc = subprocess.Popen([sys.executable, "-c", "from toolkit.cli.main import entry; entry()", "train",
                                 str(TRAIN), "--model", MODEL, "--detach"], cwd=ROOT, env=dict(os.environ),
                                stdin=follower, stderr=follower, stdout=subprocess.PIPE)
        os.close(follower)
        said = b""
        deadline = time.monotonic() + 120
        while b"[y/N]" not in said:
            assert time.monotonic() < deadline and proc.poll() is None, said
            said += os.read(leader, 4096)
        os.write(leader, answer)
        out = proc.communicate(timeout=120)[0].decode()
        try:
            while chunk := os.read(leader, 4096):
                said += chunk
        except OSError:  # the terminal closed with the process
            pass
        os.close(leader)
        return proc.returncode, out, said.decode(errors="replace")

    code, out, said = ask(b"n\n")
    assert code == 1 and out == "" and "estimated cost: $" in said and "not created" in said
    assert server_jobs(env) == []
    code, out, _ = ask(b"y\n")
    assert code == 0 and out.startswith("ftjob-") and len(server_jobs(env)) == 1


def test_a_create_that_times_out_but_lands_later_is_found_not_repeated(env: Sandbox) -> None:
    client = make_client(connection("openai"), timeout=0.5)
    file_id = client.files.create(file=TRAIN.open("rb"), purpose="fine-tune").id
    env.inject(r"^/fine_tuning/jobs$", method="POST", delay=1.0)  # handled after the client gave up
    notes: list[str] = []
    done = submit(client, {"model": MODEL, "training_file": file_id}, notice=notes.append,
                  sleep=lambda s: __import__("time").sleep(1.0))
    assert done.recovered and len(server_jobs(env)) == 1, notes
    assert "went through" in notes[-1]


def test_a_file_edited_after_lint_is_not_uploaded(env: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from toolkit.cli import train_cmd

    path = tmp_path / "train.jsonl"
    path.write_bytes(TRAIN.read_bytes())
    gate = train_cmd.lint_gate

    def lint_then_edit(*args: Any) -> bool:
        passed = gate(*args)
        path.write_bytes(TRAIN.read_bytes().replace(b"Elle", b"Ella"))  # after lint, before upload
        return passed

    monkeypatch.setattr(train_cmd, "lint_gate", lint_then_edit)
    code, out, err = cli(capsys, "train", str(path), "--model", MODEL, "--detach")
    assert code == 2 and "changed after it was linted" in err and out == ""
    assert not [r for r in env.requests if r[0] == "POST"]


# --- through a fault-injecting proxy in front of Prism: every exchange checked against the spec ----------

@pytest.fixture
def faulty(prism_proxy: Any, env: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Any:
    """SDK -> FaultProxy -> Prism (spec checks) -> sandbox; the CLI's client records spec problems."""
    from toolkit.sandbox.proxy import FaultProxy
    from toolkit.training import providers

    with FaultProxy(prism_proxy.base_url) as proxy:
        def client(conn: Any, **kw: Any) -> Any:
            http = openai.DefaultHttpxClient(event_hooks={"response": [prism_proxy._check]})
            return openai.OpenAI(base_url=proxy.url, api_key=KEY, http_client=http,
                                 max_retries=kw.get("max_retries", 2))

        monkeypatch.setenv("OPENAI_BASE_URL", proxy.url)
        monkeypatch.setattr(providers, "make_client", client)
        yield proxy


def test_through_the_spec_proxy_a_lost_create_answer_makes_one_job(faulty: Any, prism_proxy: Any,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from toolkit.sandbox.faults import parse

    upstream = prism_proxy.sandbox
    faulty.faults.add(parse("path=^/fine_tuning/jobs$,method=POST,lose"))
    before = {j.id for j in server_jobs(upstream)}
    code, out, err = cli(capsys, "train", str(TRAIN), "--model", MODEL, "--detach")
    assert code == 0, err
    new = [j for j in server_jobs(upstream) if j.id not in before]
    assert len(new) == 1 and out.strip() == new[0].id
    assert [s for m, p, s in faulty.requests if (m, p) == ("POST", "/fine_tuning/jobs")] == [-200]


def test_through_the_spec_proxy_a_lost_cancel_answer_and_retry_after(faulty: Any, prism_proxy: Any,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from toolkit.sandbox.faults import parse

    prism_proxy.sandbox.trainer.speed = 1.0
    _, out, _ = cli(capsys, "train", str(TRAIN), "--model", MODEL, "--detach")
    job_id = out.strip()
    faulty.faults.add(parse("path=/cancel$,lose"))
    faulty.faults.add(parse("path=/events$,status=429,retry_after=0.2,times=2"))
    code, said, err = cli(capsys, "jobs", "cancel", job_id)
    assert code == 0 and said == f"{job_id}: cancelled\n" and "answer to the cancel request was lost" in err
    code, _, err = cli(capsys, "jobs", "follow", job_id, "--poll", "0.05")
    assert code == 1 and f"job {job_id} was cancelled" in err
    assert err.count("rate limited (429); retrying in 0 s (as the server asked)") == 2


def test_through_the_spec_proxy_failing_parts_resume_in_a_second_run(faulty: Any, prism_proxy: Any,
                                                                     tmp_path: Path) -> None:
    from toolkit.sandbox.faults import parse
    from toolkit.training import providers

    path = big_file(tmp_path)
    conn, registry = connection("openai"), Registry()
    client = providers.make_client(conn, max_retries=1)

    def arm(sent: int, total: int) -> None:
        if sent == 2048 and not faulty.faults._armed:
            faulty.faults.add(parse("path=/parts$,status=500,times=always"))

    with pytest.raises(ApiError, match="part 2 of 3"):
        upload_dataset(client, path, conn, registry, files_api_limit=1000, part_size=2048, on_progress=arm)
    faulty.faults.clear()
    done = upload_dataset(client, path, conn, registry, files_api_limit=1000, part_size=2048)
    posts = [s for m, p, s in faulty.requests if m == "POST" and p.endswith("/parts")]
    assert posts == [200, 500, 500, 200, 200] and done.resumed_parts == 1
    assert prism_proxy.sandbox.store.files[done.file_id].data == path.read_bytes()


def test_a_server_without_the_metadata_filter_is_still_searched(env: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    env.inject(r"^/fine_tuning/jobs$", method="POST", lose=True)
    env.inject(r"^/fine_tuning/jobs$", method="GET", status=400, times=1)  # "unknown parameter metadata"
    code, _out, err = cli(capsys, "train", str(TRAIN), "--model", MODEL, "--detach")
    assert code == 0 and len(server_jobs(env)) == 1 and "the job exists" in err


def test_as_a_user_would_a_sandbox_that_loses_the_create_answer(tmp_path: Path) -> None:
    """`tunesmith sandbox --fault ...lose` and `tunesmith train` as two processes; the jobs counted on the server."""
    import os
    import signal
    import subprocess
    import sys

    entry = [sys.executable, "-c", "from toolkit.cli.main import entry; entry()"]
    server = subprocess.Popen([*entry, "sandbox", "--port", "0", "--speed", "25", "--fault",
                               "path=^/fine_tuning/jobs$,method=POST,lose"], cwd=ROOT, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert server.stdout is not None
    try:
        lines = [server.stdout.readline() for _ in range(7)]
        base_url = next(line.split("=", 1)[1].strip() for line in lines if "OPENAI_BASE_URL=" in line)
        env = os.environ | {"OPENAI_BASE_URL": base_url, "OPENAI_API_KEY": "k",
                            "TUNESMITH_HOME": str(tmp_path / "home")}
        done = subprocess.run([*entry, "train", str(TRAIN), "--model", MODEL, "--poll", "0.1"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        jobs = openai.OpenAI(base_url=base_url, api_key="k", max_retries=0).fine_tuning.jobs.list().data
        assert len(jobs) == 1 and done.stdout.strip() == jobs[0].fine_tuned_model
        assert "the answer to the job creation was lost" in done.stderr
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def test_a_refused_first_connection_is_not_called_a_lost_upload(tmp_path: Path) -> None:
    conn = connection("openai", environ={"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"})
    with pytest.raises(openai.APIConnectionError):  # explained later as "could not connect ... base URL"
        upload_dataset(make_client(conn, max_retries=0), TRAIN, conn, Registry(tmp_path / "r.sqlite3"))
