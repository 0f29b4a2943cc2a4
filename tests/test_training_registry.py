"""The local registry: uploads and jobs recorded, found and updated offline, no secrets stored."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest

from toolkit.errors import InputError
from toolkit.training.local_registry import JobRow, Registry, default_path
from toolkit.training.provenance import git_state, provenance, sha256_file

ACCOUNT = "openai|api.openai.com||"


def _job(job_id: str = "ftjob-1", account: str = ACCOUNT, **kw: Any) -> JobRow:
    base: dict[str, Any] = dict(account=account, provider="openai", host="api.openai.com", job_id=job_id, model="gpt-4.1-mini",
                method="supervised", hyperparameters={"n_epochs": 3}, suffix="demo", seed=7,
                metadata={"team": "nlp"}, training_file="file-a", training_path="/data/train.jsonl",
                training_sha256="ab" * 32)
    return JobRow(**(base | kw))


def test_default_path_honours_tunesmith_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path / "home"))
    assert default_path() == tmp_path / "home" / "registry.sqlite3"


def test_default_path_uses_the_platform_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    import platformdirs

    monkeypatch.delenv("TUNESMITH_HOME", raising=False)
    assert default_path().parent == Path(platformdirs.user_data_dir("tunesmith", appauthor=False))


def test_upload_is_found_by_hash_and_account_only(tmp_path: Path) -> None:
    data = tmp_path / "train.jsonl"
    data.write_text('{"messages": []}\n')
    reg = Registry(tmp_path / "r.sqlite3")
    source = provenance(data)
    reg.record_upload(account=ACCOUNT, provider="openai", host="api.openai.com", file_id="file-1",
                      filename="train-x.jsonl", source=source)
    found = reg.find_upload(ACCOUNT, source.sha256)
    assert found is not None and found.file_id == "file-1" and found.path == str(data.resolve())
    assert found.bytes == data.stat().st_size
    assert reg.find_upload("azure|other.example||", source.sha256) is None
    assert reg.find_upload(ACCOUNT, "0" * 64) is None
    reg.forget_upload(ACCOUNT, "file-1")
    assert reg.find_upload(ACCOUNT, source.sha256) is None


def test_job_round_trip_and_update(tmp_path: Path) -> None:
    reg = Registry(tmp_path / "r.sqlite3")
    reg.record_job(_job())
    assert reg.update_job("ftjob-1", status="succeeded", fine_tuned_model="ft:gpt-4.1-mini:org::abc")
    row = reg.find_job("ftjob-1")
    assert row is not None
    assert (row.status, row.fine_tuned_model) == ("succeeded", "ft:gpt-4.1-mini:org::abc")
    assert row.hyperparameters == {"n_epochs": 3} and row.metadata == {"team": "nlp"}
    assert row.seed == 7 and row.suffix == "demo" and row.created_at > 0
    # a later status without a model keeps the model
    reg.update_job("ftjob-1", status="succeeded")
    assert (row := reg.find_job("ftjob-1")) is not None and row.fine_tuned_model == "ft:gpt-4.1-mini:org::abc"
    assert not reg.update_job("ftjob-unknown", status="failed")


def test_same_job_id_on_two_accounts_is_two_rows(tmp_path: Path) -> None:
    reg = Registry(tmp_path / "r.sqlite3")
    reg.record_job(_job(account=ACCOUNT))
    reg.record_job(_job(account="openai|127.0.0.1:4010||", host="127.0.0.1:4010"))
    assert len(reg.jobs()) == 2
    reg.update_job("ftjob-1", status="failed", account=ACCOUNT)
    assert (row := reg.find_job("ftjob-1", ACCOUNT)) is not None and row.status == "failed"
    assert (row := reg.find_job("ftjob-1", "openai|127.0.0.1:4010||")) is not None and row.status is None


def test_jobs_are_listed_newest_first_with_a_limit(tmp_path: Path) -> None:
    reg = Registry(tmp_path / "r.sqlite3")
    for i in range(5):
        reg.record_job(_job(f"ftjob-{i}", created_at=1000.0 + i))
    assert [j.job_id for j in reg.jobs(limit=3)] == ["ftjob-4", "ftjob-3", "ftjob-2"]


def test_a_corrupt_registry_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "r.sqlite3"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(InputError, match="cannot use the local registry"):
        Registry(bad).jobs()


def test_a_file_where_the_registry_folder_goes_is_named(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.write_text("not a folder")
    with pytest.raises(InputError) as raised:  # it said "cannot create the local registry (File exists)"
        Registry(home / "registry.sqlite3").jobs()
    assert str(raised.value) == (f"{home}: is a file, so the local registry cannot go in it ({home / 'registry.sqlite3'}):"
                                 " set TUNESMITH_HOME to a folder, or move the file away")


def test_the_schema_has_no_column_for_credentials(tmp_path: Path) -> None:
    reg = Registry(tmp_path / "r.sqlite3")
    reg.jobs()
    with sqlite3.connect(reg.path) as db:
        columns = {row[1] for table in ("uploads", "jobs") for row in db.execute(f"PRAGMA table_info({table})")}
    assert not {c for c in columns if "key" in c or "token" in c or "secret" in c or "url" in c}


def test_sha256_and_git_state(tmp_path: Path) -> None:
    data = tmp_path / "repo" / "train.jsonl"
    data.parent.mkdir()
    data.write_bytes(b"abc")
    assert sha256_file(data) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert git_state(data) == (None, None)
    git = ["git", "-C", str(data.parent), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "train.jsonl"], check=True)
    subprocess.run([*git, "commit", "-qm", "data"], check=True)
    commit, dirty = git_state(data)
    assert commit is not None and len(commit) == 40 and dirty is False
    data.write_bytes(b"abcd")
    assert git_state(data) == (commit, True)


def test_pending_uploads_resume_until_they_expire(tmp_path: Path) -> None:
    import time

    reg = Registry(tmp_path / "r.sqlite3")
    reg.start_pending_upload(account="a", upload_id="upload_1", filename="f.jsonl", size=10, sha256="s" * 64,
                             part_size=4, expires_at=time.time() + 3600)
    reg.record_part("a", "upload_1", 0, "part_0", "h0")
    reg.record_part("a", "upload_1", 1, "part_1", "h1")
    assert reg.pending_upload("a", "s" * 64, 10, 4) == ("upload_1", "f.jsonl", {0: ("part_0", "h0"),
                                                                                 1: ("part_1", "h1")})
    assert reg.pending_upload("b", "s" * 64, 10, 4) is None  # another account
    assert reg.pending_upload("a", "s" * 64, 10, 8) is None  # other part size: other parts
    reg.start_pending_upload(account="a", upload_id="upload_2", filename="g.jsonl", size=10, sha256="t" * 64,
                             part_size=4, expires_at=time.time() + 60)  # within the safety margin: not resumed
    assert reg.pending_upload("a", "t" * 64, 10, 4) is None
    reg.forget_pending_upload("a", "upload_1")
    assert reg.pending_upload("a", "s" * 64, 10, 4) is None


def test_jobs_list_local_prints_the_registry_as_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from toolkit.cli.main import main

    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path))
    assert main(["jobs", "list", "--local", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []  # valid JSON for a script, also when empty
    Registry().record_job(_job("ftjob-1", created_at=1.0))
    Registry().record_job(_job("ftjob-2", created_at=2.0, status="succeeded"))
    assert main(["jobs", "list", "--local", "--format", "json"]) == 0  # offline: no key, no server
    listed = json.loads(capsys.readouterr().out)
    assert [j["job_id"] for j in listed] == ["ftjob-2", "ftjob-1"]
    assert listed[0]["status"] == "succeeded" and listed[0]["training_sha256"] == "ab" * 32
    assert listed[1]["hyperparameters"] == {"n_epochs": 3} and listed[1]["metadata"] == {"team": "nlp"}
