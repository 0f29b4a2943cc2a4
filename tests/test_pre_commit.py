"""The pre-commit hook, installed by pre-commit itself from this repository, as its users configure it.

Offline, like every test: pip takes the hook's requirements from the wheels scripts/install-hook-wheels puts into
``.tools/hook-wheels`` (scripts/test runs it), never from the package index.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HOOK_WHEELS = ROOT / ".tools" / "hook-wheels"
GOOD = "\n".join(json.dumps({"messages": [
    {"role": "system", "content": "Elle answers in limericks."},
    {"role": "user", "content": f"Element {i}?"},
    {"role": "assistant", "content": f"Element {i} is fine."}]}) for i in range(12)) + "\n"
BAD = GOOD + '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant"}]\n'


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"})


def snapshot(tmp_path: Path) -> tuple[Path, str]:
    """A git repository holding this checkout's working tree (its uncommitted changes committed), and its commit."""
    repo = tmp_path / "tunesmith"
    git(tmp_path, "clone", "-q", str(ROOT), str(repo))
    diff = subprocess.run(["git", "diff", "HEAD", "--binary"], cwd=ROOT, check=True, capture_output=True).stdout
    if diff:
        subprocess.run(["git", "apply", "--index"], cwd=repo, input=diff, check=True, capture_output=True)
        git(repo, "commit", "-q", "-m", "the working tree under test")
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, check=True, capture_output=True, text=True)
    return repo, rev.stdout.strip()


@pytest.mark.slow
@pytest.mark.timeout(900)  # one pip install (from local wheels) and its build: a minute on a busy machine
def test_hook_blocks_broken_jsonl(tmp_path: Path) -> None:
    """The hook as its users add it: a .pre-commit-config.yaml naming the repository and a commit. (`pre-commit
    try-repo` would build the hook's environment anew on every call; the store keeps it across runs.)"""
    if not any(HOOK_WHEELS.glob("*.whl")):
        message = f"the pre-commit hook's wheelhouse not found at {HOOK_WHEELS}: run scripts/install-hook-wheels"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    pre_commit = Path(sys.executable).with_name("pre-commit")
    assert pre_commit.exists(), "pre-commit is installed by the test extra"
    repo, rev = snapshot(tmp_path)
    user = tmp_path / "user-repo"
    user.mkdir()
    git(user, "init", "-q")
    (user / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {repo}\n  rev: {rev}\n  hooks:\n  - id: tunesmith-lint\n", "utf-8")
    (user / "good.jsonl").write_text(GOOD, "utf-8")
    (user / "bad.jsonl").write_text(BAD, "utf-8")
    (user / "notes.txt").write_text("not checked\n", "utf-8")
    git(user, "add", ".")
    # pre-commit's and virtualenv's caches go to tmp_path, not $HOME (~/.cache/pre-commit, ~/.cache/virtualenv).
    # No network: pip installs from the wheelhouse only (no index; the hook venv's pip reads these variables),
    # and virtualenv seeds the hook's environment from its bundled wheels without asking PyPI for newer ones.
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "NO_COLOR": "1",
           "VIRTUALENV_OVERRIDE_APP_DATA": str(tmp_path / "virtualenv"), "VIRTUALENV_NO_PERIODIC_UPDATE": "1",
           "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(HOOK_WHEELS)}
    env.pop("VIRTUAL_ENV", None)

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(pre_commit), "run", "--all-files", "--color", "never"], cwd=user, env=env,
                              capture_output=True, text=True, timeout=1200, check=False)

    proc = run()
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "Installing environment" in out, out
    assert "bad.jsonl:13:" in out, out
    assert "good.jsonl:" not in out.replace("good.jsonl: ", "")  # no finding on the good file
    assert "notes.txt" not in out

    (user / "bad.jsonl").unlink()
    git(user, "add", "-A")
    proc = run()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Installing environment" not in proc.stdout + proc.stderr  # the first run's environment, reused
    shutil.rmtree(tmp_path / "pre-commit-home", ignore_errors=True)


def test_the_repository_own_pre_commit_config_is_valid(tmp_path: Path) -> None:
    pre_commit = Path(sys.executable).with_name("pre-commit")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path)}  # not ~/.cache/pre-commit
    for args in (["validate-config", ".pre-commit-config.yaml"], ["validate-manifest", ".pre-commit-hooks.yaml"]):
        proc = subprocess.run([str(pre_commit), *args], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=60, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
