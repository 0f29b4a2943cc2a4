"""Following live: Ctrl-C detaches without cancelling, and a lost connection resumes from the last event."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import openai
import pytest
from fixtures_openai import wait_for_status

from toolkit.sandbox import Sandbox
from toolkit.training import connection, make_client, start_job, watch
from toolkit.training.job_request import JobSpec
from toolkit.training.local_registry import Registry

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ROOT / "samples" / "elle_single_turn.jsonl"
MODEL = "gpt-4.1-mini-2025-04-14"


def _lines(stream: IO[str], out: queue.Queue[str]) -> None:
    for line in iter(stream.readline, ""):
        out.put(line)
    out.put("")


def test_ctrl_c_detaches_and_the_job_keeps_running(tmp_path: Path) -> None:
    with Sandbox(speed=1) as sandbox:  # a ~12 s job: plenty of time to press Ctrl-C
        env = os.environ | {"OPENAI_BASE_URL": sandbox.base_url, "OPENAI_API_KEY": "sk-test",
                            "TUNESMITH_HOME": str(tmp_path / "home"), "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen([sys.executable, "-c", "from toolkit.cli.main import entry; entry()", "train",
                                 str(TRAIN), "--model", MODEL, "--poll", "0.1"], cwd=ROOT, env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                # Ctrl-C reaches it even when the tests run in a background shell (which ignores it)
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=_lines, args=(proc.stderr, lines), daemon=True).start()
        seen: list[str] = []
        deadline = time.monotonic() + 60
        while not any(line.startswith("status: ") for line in seen):
            assert time.monotonic() < deadline, "".join(seen)
            seen.append(lines.get(timeout=60))
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        assert proc.stdout is not None
        out = proc.stdout.read()
        while (line := lines.get(timeout=10)) != "":
            seen.append(line)
        err = "".join(seen)
        assert proc.returncode == 130, err
        job_id = err.split("created job ", 1)[1].split()[0]
        assert out == job_id + "\n" and "Traceback" not in err  # the job id, for scripts
        assert f"detached: job {job_id} keeps running on {sandbox.base_url.split('//')[1].split('/')[0]}" in err
        assert f"re-attach with: tunesmith jobs follow {job_id}\n" in err
        client = openai.OpenAI(base_url=sandbox.base_url, api_key="t", max_retries=0)
        assert client.fine_tuning.jobs.retrieve(job_id).status in ("validating_files", "queued", "running")
        assert not [r for r in sandbox.requests if r[0] == "POST" and r[1].endswith("/cancel")]


def test_watch_resumes_from_the_last_event_after_drops_and_errors(tmp_path: Path) -> None:
    with Sandbox(speed=10) as sandbox:
        conn = connection("openai", environ={"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": sandbox.base_url})
        client = make_client(conn, max_retries=0)
        started = start_job(client, conn, Registry(tmp_path / "r.sqlite3"), JobSpec(model=MODEL), TRAIN)
        job_id = started.job.id
        sandbox.inject(r"/fine_tuning/jobs/[^/]+/events$", drop=True, times=2)
        sandbox.inject(rf"/fine_tuning/jobs/{job_id}$", status=503, times=1)
        sandbox.inject(r"/fine_tuning/jobs/[^/]+/events$", status=429, times=1)
        delays: list[float] = []

        def sleep(seconds: float) -> None:
            delays.append(seconds)
            time.sleep(0.01)

        updates = list(watch(client, job_id, poll=0.05, sleep=sleep))
        # the faults hit in request order: events, events, events (429), then the job itself (503)
        assert [u.message for u in updates if u.kind == "retry"] == [
            "connection lost; retrying in 1 s", "connection lost; retrying in 2 s",
            "rate limited (429); retrying in 4 s", "server error (503); retrying in 8 s",
            "reconnected; resuming from the last event seen"]
        assert delays[:4] == [1.0, 2.0, 4.0, 8.0] and set(delays[4:]) == {0.05}
        shown = [u.event.id for u in updates if u.kind == "event"]
        every = [e.id for e in client.fine_tuning.jobs.list_events(job_id, limit=1000).data][::-1]
        assert shown == every  # each event exactly once, oldest first, none lost
        assert [u.job.status for u in updates if u.kind == "status"][-1] == "succeeded"


def test_watch_gives_up_after_too_many_failures(tmp_path: Path) -> None:
    with Sandbox(speed=10) as sandbox:
        conn = connection("openai", environ={"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": sandbox.base_url})
        client = make_client(conn, max_retries=0)
        sandbox.inject(r"/fine_tuning/jobs/", status=500, times=None)
        with pytest.raises(openai.InternalServerError):
            for _ in watch(client, "ftjob-any", sleep=lambda s: None, max_failures=3):
                pass
        assert len([r for r in sandbox.requests if r[2] == 500]) == 4


def test_watch_stops_at_a_paused_job(tmp_path: Path) -> None:
    with Sandbox(speed=10) as sandbox:
        conn = connection("openai", environ={"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": sandbox.base_url})
        client = make_client(conn, max_retries=0)
        job = start_job(client, conn, Registry(tmp_path / "r.sqlite3"), JobSpec(model=MODEL), TRAIN).job
        wait_for_status(client, job.id, "running")
        client.fine_tuning.jobs.pause(job.id)
        updates = list(watch(client, job.id, poll=0.05))
        assert updates[-1].kind == "status" and updates[-1].job.status == "paused"
        assert any(u.kind == "event" and u.event.message == "Fine-tuning job paused" for u in updates)
