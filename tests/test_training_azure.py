"""Azure: the v1 endpoint through the sandbox, and its profile's deploy step through a local ARM stand-in."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from toolkit import catalog
from toolkit.cli.main import main
from toolkit.errors import UsageError
from toolkit.sandbox import Sandbox
from toolkit.training.deploy import deploy, instructions, token
from toolkit.training.errors import ApiError

TRAIN = Path(__file__).resolve().parents[1] / "samples" / "elle_single_turn.jsonl"
TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOi.entra.management.token"


class Arm:
    """Answers ARM deployment PUT/GET like Azure: Creating first, then ``final`` (or an error status)."""

    def __init__(self, final: str = "Succeeded", status: int = 200) -> None:
        self.final, self.status = final, status
        self.calls: list[tuple[str, str, dict[str, str], Any]] = []
        arm = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                self._answer(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))

            def do_GET(self) -> None:
                self._answer(None)

            def _answer(self, body: Any) -> None:
                arm.calls.append((self.command, self.path, dict(self.headers), body))
                if arm.status != 200:
                    data: dict[str, Any] = {"error": {"code": "AuthorizationFailed",
                                                      "message": f"no access with {TOKEN}"}}
                    code = arm.status
                else:
                    state = "Creating" if self.command == "PUT" else arm.final
                    data, code = {"name": "elle", "properties": {"provisioningState": state}}, 201 \
                        if self.command == "PUT" else 200
                raw = json.dumps(data).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Arm:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


WHERE = {"subscription": "sub-1", "resource_group": "rg-1", "account": "my resource"}
PATH = ("/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.CognitiveServices/accounts/my%20resource/"
        "deployments/elle?api-version=2024-10-21")


def test_deploy_puts_the_model_and_waits_for_success() -> None:
    states: list[str] = []
    with Arm() as arm:
        assert deploy("azure", "gpt-4.1-2025-04-14.ft-abc", WHERE, "elle", TOKEN, root=arm.url, poll=0.01,
                      on_state=states.append) == "Succeeded"
    put, get = arm.calls
    assert (put[0], put[1], get[0], get[1]) == ("PUT", PATH, "GET", PATH)
    assert put[2]["Authorization"] == f"Bearer {TOKEN}"
    assert put[3] == {"sku": {"name": "standard", "capacity": 1},
                      "properties": {"model": {"format": "OpenAI", "name": "gpt-4.1-2025-04-14.ft-abc",
                                               "version": "1"}}}
    assert states == ["Creating", "Succeeded"]


def test_deploy_failures_are_clear_and_hide_the_token() -> None:
    with Arm(final="Failed") as arm, pytest.raises(ApiError, match="deployment elle ended Failed"):
        deploy("azure", "m.ft-1", WHERE, "elle", TOKEN, root=arm.url, poll=0.01)
    with Arm(status=403) as arm, pytest.raises(ApiError) as info:
        deploy("azure", "m.ft-1", WHERE, "elle", TOKEN, root=arm.url)
    assert "Azure Resource Manager refused the deployment (403): AuthorizationFailed: no access with ***" \
        in str(info.value)
    assert TOKEN not in str(info.value)
    with pytest.raises(ApiError, match="could not reach Azure Resource Manager"):
        deploy("azure", "m.ft-1", WHERE, "elle", TOKEN, root="http://127.0.0.1:9")
    with pytest.raises(UsageError, match="OpenAI serves fine-tuned models without a deployment"):
        deploy("openai", "ft:m:x::y", WHERE, "elle", TOKEN)


def test_the_management_token_comes_from_the_profiles_variable_or_command(monkeypatch: pytest.MonkeyPatch) -> None:
    step = catalog.provider("azure").api.deploy
    assert step is not None
    assert token(step, {"AZURE_MANAGEMENT_TOKEN": "t"}) == "t"
    monkeypatch.setenv("PATH", "")  # no `az` to ask
    with pytest.raises(UsageError, match="set AZURE_MANAGEMENT_TOKEN or sign in with `az login`"):
        token(step, {})


def test_instructions_name_the_model_and_both_ways_to_deploy() -> None:
    assert instructions("openai", "ft:gpt-4.1-2025-04-14:o::x", "ftjob-1") == ""  # no deploy step
    text = instructions("azure", "gpt-4.1-2025-04-14.ft-abc", "ftjob-1")
    assert ("tunesmith jobs follow ftjob-1 --provider azure --deploy DEPLOYMENT --subscription SUBSCRIPTION "
            "--resource-group RESOURCE_GROUP --account ACCOUNT [--deploy-sku standard|globalstandard|developer]") in text
    assert "az cognitiveservices account deployment create" in text and "--model-name gpt-4.1-2025-04-14.ft-abc" in text
    assert "15 days" in text and "per hour" in text


LOG: list[str] = []


@pytest.fixture
def azure_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    yield from _azure_sandbox(tmp_path, monkeypatch)


def _azure_sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, azure: bool = False,
                   endpoint_tail: str = "") -> Iterator[Sandbox]:
    LOG.clear()
    with Sandbox(speed=25, log=LOG.append, azure=azure) as sandbox:  # the log has each request line as sent
        for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "AZURE_OPENAI_AD_TOKEN", "OPENAI_API_VERSION"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path / "home"))
        monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", sandbox.url + endpoint_tail)
        monkeypatch.setenv("AZURE_OPENAI_API_KEY", "azure-key-SECRET")
        yield sandbox


def test_train_on_azure_then_deploy(azure_env: Sandbox, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_MANAGEMENT_TOKEN", TOKEN)
    with Arm() as arm:
        code = main(["train", str(TRAIN), "--model", "gpt-4.1-mini-2025-04-14", "--provider", "azure", "--poll",
                     "0.05", "--deploy", "elle", "--subscription", "sub-1", "--resource-group", "rg-1",
                     "--account", "my resource", "--arm-url", arm.url])
    out, err = capsys.readouterr()
    assert code == 0, err
    model = out.strip()
    assert any('"POST /openai/v1/fine_tuning/jobs HTTP/1.1"' in line for line in LOG)  # the v1 endpoint
    assert f"deploying {model} as elle on sub-1 / rg-1 / my resource (standard)" in err
    assert "deployment: Succeeded" in err
    assert 'tunesmith chat elle "hello" --provider azure' in err
    assert arm.calls[0][3]["properties"]["model"]["name"] == model
    assert "azure-key-SECRET" not in out + err and TOKEN not in out + err


def test_train_on_azure_explains_the_deployment(azure_env: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["train", str(TRAIN), "--model", "gpt-4.1-mini-2025-04-14", "--provider", "azure",
                 "--api-version", "2024-10-21", "--poll", "0.05"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"Azure OpenAI / Microsoft Foundry serves {out.strip()} only after you deploy it" in err
    assert any('"POST /openai/fine_tuning/jobs?api-version=2024-10-21 HTTP/1.1"' in line for line in LOG)


# --- the sandbox's Azure mode: pending jobs, trainingType, BASE.ft-hex models, null result_files --------------

@pytest.fixture
def foundry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    yield from _azure_sandbox(tmp_path, monkeypatch, azure=True, endpoint_tail="/openai")  # as pasted from the portal


def test_train_on_foundry_with_a_training_type(foundry: Sandbox, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_MANAGEMENT_TOKEN", TOKEN)
    with Arm() as arm:
        code = main(["train", str(TRAIN), "--model", "gpt-4.1-mini-2025-04-14", "--provider", "azure", "--poll",
                     "0.05", "--training-type", "globalstandard", "--suffix", "elle", "--deploy", "elle",
                     "--deploy-sku", "developer", "--subscription", "s", "--resource-group", "g", "--account", "a",
                     "--arm-url", arm.url])
    out, err = capsys.readouterr()
    assert code == 0, err
    model = out.strip()
    assert re.fullmatch(r"gpt-4\.1-mini-2025-04-14\.ft-[0-9a-f]{32}-elle", model)
    assert "status pending)" in err and "through the Files API" in err  # Azure jobs start pending
    assert any('"POST /openai/v1/fine_tuning/jobs HTTP/1.1"' in line for line in LOG)  # not /openai/openai/v1
    assert any('"POST /openai/v1/files HTTP/1.1" 201' in line for line in LOG)
    assert arm.calls[0][3]["sku"] == {"name": "DeveloperTier", "capacity": 1}
    assert "azure-key-SECRET" not in out + err
    job_id = re.findall(r"created job (ftjob-\S+)", err)[0]
    shown = json.loads((main(["jobs", "show", job_id, "--provider", "azure", "--format", "json"]),
                        capsys.readouterr().out)[1])
    assert shown["fine_tuned_model"] == model and shown["result_files"]


def test_foundry_without_a_training_type_is_explained(foundry: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["train", str(TRAIN), "--model", "gpt-4.1-mini-2025-04-14", "--provider", "azure", "--detach"])
    _, err = capsys.readouterr()
    assert code == 1 and "note: no --training-type (standard, globalstandard, developer)" in err
    assert "does not support fine-tuning" in err and "hint: pass --training-type" in err
    assert foundry.trainer.jobs == {}


def test_classic_api_version_without_pause_says_so(foundry: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    foundry.trainer.speed = 2.0
    code = main(["train", str(TRAIN), "--model", "gpt-4.1-mini-2025-04-14", "--provider", "azure", "--detach",
                 "--training-type", "standard", "--api-version", "2024-10-21"])
    job_id = capsys.readouterr().out.strip()
    assert code == 0 and job_id.startswith("ftjob-")
    code = main(["jobs", "pause", job_id, "--provider", "azure", "--api-version", "2024-10-21"])
    err = capsys.readouterr().err
    assert code == 1 and "has no pause for fine-tuning jobs on api-version 2024-10-21 (404)" in err
    assert "drop --api-version" in err and "Resource not found" not in err


def test_a_dry_run_on_foundry_shows_the_training_type_and_no_key(foundry: Sandbox,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["train", str(TRAIN), "--model", "gpt-4.1-mini-2025-04-14", "--provider", "azure", "--dry-run",
                 "--training-type", "developer"])
    out, err = capsys.readouterr()
    assert code == 0 and foundry.requests == []
    assert f"POST {foundry.url}/openai/v1/fine_tuning/jobs" in out and '"trainingType": "developer"' in out
    assert "azure-key-SECRET" not in out + err
