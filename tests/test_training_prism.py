"""Against OpenAI's spec: `train --detach` on a Prism mock, and uploads (Files and Uploads APIs) through the proxy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fixtures_openai import PrismProxy

from toolkit.training import connection
from toolkit.training.local_registry import Registry
from toolkit.training.upload import remote_name, upload_dataset

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ROOT / "samples" / "elle_single_turn.jsonl"


def test_train_detach_on_a_prism_mock_prints_the_job_id(prism_mock: str, tmp_path: Path) -> None:
    """The independent check: the mock answers with the spec's canned objects, and that is enough."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "AZURE_"))}
    env |= {"OPENAI_BASE_URL": prism_mock, "OPENAI_API_KEY": "sk-test", "TUNESMITH_HOME": str(tmp_path / "home")}
    proc = subprocess.run([sys.executable, "-c", "from toolkit.cli.main import entry; entry()", "train", str(TRAIN),
                           "--model", "gpt-4.1-mini-2025-04-14", "--detach"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    job_id = proc.stdout.strip()
    assert job_id and "\n" not in job_id  # the mock's job id, alone on stdout
    assert f"created job {job_id} on 127.0.0.1" in proc.stderr
    assert "Traceback" not in proc.stderr and "422" not in proc.stderr  # every request matched the spec
    assert Registry(tmp_path / "home" / "registry.sqlite3").find_job(job_id) is not None


def _unique_copy(tmp_path: Path, copies: int = 1) -> Path:
    data = tmp_path / "elle.jsonl"
    data.write_bytes(TRAIN.read_bytes() * copies + f'{{"messages": [], "id": "{tmp_path.name}"}}\n'.encode())
    return data


def test_uploads_api_in_parts_then_reuse(prism_proxy: PrismProxy, tmp_path: Path) -> None:
    client = prism_proxy.client(max_retries=2)
    conn = connection("openai", environ={"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": prism_proxy.base_url})
    registry = Registry(tmp_path / "r.sqlite3")
    data = _unique_copy(tmp_path, copies=2)
    size = data.stat().st_size
    progress: list[tuple[int, int]] = []
    first = upload_dataset(client, data, conn, registry, files_api_limit=4096, part_size=4096,
                           on_progress=lambda sent, total: progress.append((sent, total)))
    assert not first.reused and first.parts == -(-size // 4096) >= 3
    assert progress[-1] == (size, size) and [s for s, _ in progress] == sorted(s for s, _ in progress)
    remote = client.files.retrieve(first.file_id)
    assert (remote.bytes, remote.filename, remote.purpose) == (size, remote_name(data, first.source.sha256),
                                                              "fine-tune")
    assert ("POST", "/uploads", 200) in prism_proxy.sandbox.requests

    again = upload_dataset(client, data, conn, registry)  # known to the registry, checked with files.retrieve
    assert again.reused and again.file_id == first.file_id
    fresh = upload_dataset(client, data, conn, Registry(tmp_path / "other.sqlite3"))  # found by listing
    assert fresh.reused and fresh.file_id == first.file_id

    client.files.delete(first.file_id)  # gone remotely: the registry entry is dropped and the file sent again
    redo = upload_dataset(client, data, conn, registry, on_progress=lambda sent, total: progress.append((sent, total)))
    assert not redo.reused and redo.parts == 0 and redo.file_id != first.file_id
    assert (upload := registry.find_upload(conn.account, first.source.sha256)) is not None
    assert upload.file_id == redo.file_id
    assert progress[-1] == (size, size)


def test_files_api_upload_streams_progress(prism_proxy: PrismProxy, tmp_path: Path) -> None:
    client = prism_proxy.client(max_retries=2)
    conn = connection("openai", environ={"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": prism_proxy.base_url})
    data = _unique_copy(tmp_path, copies=40)  # ~220 KB: several 64 KB reads by the HTTP client
    seen: list[int] = []
    done = upload_dataset(client, data, conn, Registry(tmp_path / "r.sqlite3"),
                          on_progress=lambda sent, total: seen.append(sent))
    assert not done.reused and done.parts == 0
    assert len(set(seen)) >= 3 and seen[-1] == data.stat().st_size
    assert client.files.retrieve(done.file_id).bytes == data.stat().st_size


def test_a_missing_or_oversized_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from toolkit.errors import InputError
    from toolkit.training import upload

    conn = connection("openai", environ={"OPENAI_API_KEY": "k"})
    with pytest.raises(InputError, match="no such file"):
        upload_dataset(None, tmp_path / "none.jsonl", conn, Registry(tmp_path / "r.sqlite3"))
    data = _unique_copy(tmp_path)
    monkeypatch.setattr(upload, "UPLOADS_API_LIMIT", 100)
    with pytest.raises(InputError, match="over the 8 GB limit of the Uploads API"):
        upload_dataset(None, data, conn, Registry(tmp_path / "r.sqlite3"))


def test_rft_job_request_matches_the_spec(prism_mock: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """The reinforcement method body (grader and all) passes the mock's request validation."""
    import json

    from toolkit.cli.main import main

    rows = [{"messages": [{"role": "developer", "content": "Answer with the number only."},
                          {"role": "user", "content": f"What is {i} + {i}?"}], "answer": str(2 * i)} for i in range(12)]
    (tmp_path / "rft.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[:10]))
    (tmp_path / "val.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[10:]))
    (tmp_path / "grader.json").write_text(json.dumps({
        "type": "string_check", "name": "exact", "input": "{{ sample.output_text }}",
        "reference": "{{ item.answer }}", "operation": "eq"}))
    monkeypatch.setenv("OPENAI_BASE_URL", prism_mock)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path / "home"))
    code = main(["train", str(tmp_path / "rft.jsonl"), "--validation", str(tmp_path / "val.jsonl"), "--grader",
                 str(tmp_path / "grader.json"), "--model", "o4-mini-2025-04-16", "--epochs", "1", "--detach"])
    out, err = capsys.readouterr()
    assert code == 0, err
    # o4-mini's OpenAI shutdown date has passed (M010), which does not bind another endpoint
    assert "M010 error" in err and "so they do not stop the upload" in err
    assert "(reinforcement, model o4-mini-2025-04-16" in err and out.strip()


class _Files:
    """files.retrieve answering a scripted sequence of statuses (Azure imports files before jobs can use them)."""

    def __init__(self, *statuses: str, details: str | None = None) -> None:
        self.statuses, self.details = list(statuses), details

    def retrieve(self, file_id: str) -> object:
        from types import SimpleNamespace

        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return SimpleNamespace(id=file_id, status=status, status_details=self.details)


def test_wait_until_processed() -> None:
    from types import SimpleNamespace

    from toolkit.training.errors import ApiError
    from toolkit.training.upload import wait_until_processed

    naps: list[float] = []
    client = SimpleNamespace(files=_Files("pending", "running", "processed"))
    wait_until_processed(client, "file-1", poll=0.5, sleep=naps.append)
    assert naps == [0.5, 0.5]
    bad = SimpleNamespace(files=_Files("error", details="Training file has 3 example(s), but must have at least 10 examples"))
    with pytest.raises(ApiError, match=r"rejected file file-1: Training file has 3 .*\n  hint: lint rule F060"):
        wait_until_processed(bad, "file-1", sleep=naps.append)
    stuck = SimpleNamespace(files=_Files("pending"))
    with pytest.raises(ApiError, match="still 'pending' after 0 s"):
        wait_until_processed(stuck, "file-1", timeout=0, sleep=naps.append)
