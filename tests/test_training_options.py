"""Job options (FORMAT_RULES J-03..J-07), grader configs (R-08) and provider settings, checked before any request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openai
import pytest

from toolkit.cli.main import main
from toolkit.errors import InputError, UsageError
from toolkit.training.graders import load_grader
from toolkit.training.job_request import Hyperparameters, JobSpec, method_body, parse_metadata, validate
from toolkit.training.providers import connection, make_client, read_env_file

STRING_CHECK = {"type": "string_check", "name": "exact", "input": "{{ sample.output_text }}",
                "reference": "{{ item.answer }}", "operation": "eq"}


def spec(**kw: Any) -> JobSpec:
    return JobSpec(**({"model": "gpt-4.1-mini-2025-04-14"} | kw))


@pytest.mark.parametrize(("kw", "provider", "message"), [
    ({"hyperparameters": Hyperparameters(n_epochs=0)}, "openai", "--epochs must be between 1 and 50"),
    ({"hyperparameters": Hyperparameters(n_epochs=51)}, "openai", "--epochs must be between 1 and 50"),
    ({"hyperparameters": Hyperparameters(batch_size=512)}, "openai", "--batch-size must be between 1 and 256"),
    ({"hyperparameters": Hyperparameters(learning_rate_multiplier=0)}, "openai", "--lr-multiplier must be greater"),
    ({"hyperparameters": Hyperparameters(beta=0.5)}, "openai", "--beta only applies to --method dpo"),
    ({"method": "dpo", "hyperparameters": Hyperparameters(beta=2.5)}, "openai", "--beta must be greater than 0"),
    ({"method": "dpo", "hyperparameters": Hyperparameters(beta=0)}, "openai", "--beta must be greater than 0"),
    ({"suffix": ""}, "openai", "--suffix must be 1 to 64 characters on openai"),
    ({"suffix": "x" * 65}, "openai", "--suffix must be 1 to 64 characters on openai"),
    ({"suffix": "x" * 41}, "azure", "--suffix must be 1 to 40 characters on azure"),
    ({"suffix": "my model"}, "openai", "use only letters, digits"),
    ({"seed": -1}, "openai", "--seed must be between 0 and 2147483647"),
    ({"seed": 2**31}, "openai", "--seed must be between 0 and 2147483647"),
    ({"metadata": {f"k{i}": "v" for i in range(16)}}, "openai", "at most 15 pairs"),
    ({"metadata": {"k" * 65: "v"}}, "openai", "keys are at most 64 characters"),
    ({"metadata": {"k": "v" * 513}}, "openai", "values are at most 512 characters"),
    ({"method": "reinforcement"}, "openai", "needs --grader FILE"),
    ({"grader": STRING_CHECK}, "openai", "--grader only applies to --method reinforcement"),
    ({"method": "sft"}, "openai", "--method must be one of"),
    ({"model": " "}, "openai", "--model must name a model"),
])
def test_rejected_options(kw: dict[str, object], provider: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        validate(spec(**kw), provider=provider)


def test_accepted_options_at_the_limits() -> None:
    validate(spec(hyperparameters=Hyperparameters(n_epochs=50, batch_size=256, learning_rate_multiplier=0.02),
                  suffix="x" * 64, seed=2**31 - 1, metadata={f"k{i}": "v" * 512 for i in range(15)}))
    validate(spec(suffix="x" * 40), provider="azure")
    validate(spec(method="dpo", hyperparameters=Hyperparameters(beta=2)))
    validate(spec(method="reinforcement", grader=STRING_CHECK), has_validation=True)
    with pytest.raises(UsageError, match="RFT jobs require a validation file"):
        validate(spec(method="reinforcement", grader=STRING_CHECK), has_validation=False)


def test_method_body_puts_hyperparameters_under_the_method() -> None:
    assert method_body(spec()) == {"type": "supervised", "supervised": {}}
    body = method_body(spec(method="dpo", hyperparameters=Hyperparameters(n_epochs=2, beta=0.1)))
    assert body == {"type": "dpo", "dpo": {"hyperparameters": {"n_epochs": 2, "beta": 0.1}}}
    rft = method_body(spec(method="reinforcement", grader=STRING_CHECK))
    assert rft == {"type": "reinforcement", "reinforcement": {"grader": STRING_CHECK}}


def test_metadata_pairs() -> None:
    assert parse_metadata(["team=nlp", "note=a=b", "empty="]) == {"team": "nlp", "note": "a=b", "empty": ""}
    with pytest.raises(UsageError, match="expected KEY=VALUE"):
        parse_metadata(["team"])
    with pytest.raises(UsageError, match="expected KEY=VALUE"):
        parse_metadata(["=x"])


# -- graders: the file is read here, its shape is checked by the linter's R080 checks -----------------------

def test_load_grader_names_the_file_and_the_json_error(tmp_path: Path) -> None:
    good = tmp_path / "grader.json"
    good.write_text(json.dumps(STRING_CHECK))
    assert load_grader(good) == STRING_CHECK
    broken = tmp_path / "broken.json"
    broken.write_text('{"type": "string_check",\n  "name": }')
    with pytest.raises(InputError, match=r"broken.json:2:11: grader config is not valid JSON"):
        load_grader(broken)
    with pytest.raises(InputError, match="grader file not found"):
        load_grader(tmp_path / "missing.json")
    listed = tmp_path / "list.json"
    listed.write_text(json.dumps([STRING_CHECK]))
    with pytest.raises(InputError, match="a grader config must be a JSON object"):
        load_grader(listed)


@pytest.mark.parametrize(("grader", "problem"), [
    (STRING_CHECK | {"operation": "neq"}, 'grader.operation is "neq"; use one of: eq, ne, like, ilike'),
    ({k: v for k, v in STRING_CHECK.items() if k != "reference"}, "grader (string_check) lacks reference"),
    ({"type": "label_model", "name": "l"}, "label_model is allowed only inside a multi grader"),
])
def test_load_grader_refuses_what_the_api_would(grader: dict[str, object], problem: str, tmp_path: Path) -> None:
    path = tmp_path / "grader.json"
    path.write_text(json.dumps(grader))
    with pytest.raises(InputError, match=r"grader\.json: the grader config is not one the API accepts") as info:
        load_grader(path)
    assert problem in str(info.value)


def test_reinforcement_settings_with_a_response_format(tmp_path: Path) -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "answer", "schema": {"type": "object"}, "strict": True}}
    path = tmp_path / "rft.json"
    path.write_text(json.dumps({"grader": STRING_CHECK, "response_format": fmt}))
    body = method_body(spec(method="reinforcement", grader=load_grader(path),
                            hyperparameters=Hyperparameters(n_epochs=1)))
    assert body == {"type": "reinforcement", "reinforcement": {"hyperparameters": {"n_epochs": 1},
                                                                "grader": STRING_CHECK, "response_format": fmt}}


def test_reinforcement_knobs_wandb_and_training_type_in_the_request() -> None:
    from toolkit.training.job_request import request_body

    hp = Hyperparameters(reasoning_effort="high", compute_multiplier=2.5, eval_interval=10, eval_samples=3)
    rft = spec(method="reinforcement", grader=STRING_CHECK, hyperparameters=hp, wandb_project="p", wandb_entity="me",
               training_type="globalstandard")
    validate(rft, provider="azure", has_validation=True)
    body = request_body(rft, "file-t", "file-v")
    assert body["method"]["reinforcement"]["hyperparameters"] == {
        "reasoning_effort": "high", "compute_multiplier": 2.5, "eval_interval": 10, "eval_samples": 3}
    assert body["integrations"] == [{"type": "wandb", "wandb": {"project": "p", "entity": "me"}}]
    assert body["extra_body"] == {"trainingType": "globalstandard"} and body["validation_file"] == "file-v"
    assert "extra_body" not in request_body(spec(), "file-t")


@pytest.mark.parametrize(("kw", "provider", "message"), [
    ({"hyperparameters": Hyperparameters(eval_samples=2)}, "openai",
     "--eval-samples only apply to --method reinforcement"),
    ({"method": "reinforcement", "grader": STRING_CHECK, "hyperparameters": Hyperparameters(compute_multiplier=11)},
     "openai", "--compute-multiplier must be greater than 0.00001 and at most 10"),
    ({"method": "reinforcement", "grader": STRING_CHECK, "hyperparameters": Hyperparameters(reasoning_effort="max")},
     "openai", "--reasoning-effort must be one of default, low, medium, high"),
    ({"method": "reinforcement", "grader": STRING_CHECK, "hyperparameters": Hyperparameters(eval_interval=0)},
     "openai", "--eval-interval must be at least 1"),
    ({"training_type": "standard"}, "openai", "--training-type is for providers that offer several training tiers"),
    ({"training_type": "premium"}, "azure", "--training-type must be one of standard, globalstandard, developer"),
    ({"wandb_entity": "me"}, "openai", "--wandb-entity needs --wandb-project"),
    ({"metadata": {"tunesmith_request": "x"}}, "openai", "this key is tunesmith's own"),
])
def test_new_options_rejected(kw: dict[str, object], provider: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        validate(spec(**kw), provider=provider, has_validation=True)


# -- providers ---------------------------------------------------------------------------------------------

def test_openai_connection_from_the_environment() -> None:
    conn = connection("openai", environ={"OPENAI_API_KEY": "sk-abc", "OPENAI_ORG_ID": "org-1",
                                         "OPENAI_PROJECT_ID": "proj_1"})
    assert (conn.base_url, conn.host, conn.organization, conn.project) == (
        "https://api.openai.com/v1", "api.openai.com", "org-1", "proj_1")
    assert conn.account == "openai|api.openai.com|org-1|proj_1"
    assert "sk-abc" not in repr(conn) and conn.secrets == ("sk-abc",)
    flagged = connection("openai", base_url="http://127.0.0.1:8765/v1",
                         environ={"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": "http://elsewhere/v1"})
    assert flagged.host == "127.0.0.1:8765"


def test_missing_variables_are_named() -> None:
    with pytest.raises(UsageError, match=r"--provider openai needs OPENAI_API_KEY \(any non-empty value for a "
                                         r"compatible endpoint that needs no key\): set it in the environment"):
        connection("openai", environ={})
    with pytest.raises(UsageError, match="needs AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_API_KEY"):
        connection("azure", environ={})
    with pytest.raises(UsageError, match=r"needs AZURE_OPENAI_API_KEY \(or a token in AZURE_OPENAI_AD_TOKEN\)"):
        connection("azure", environ={"AZURE_OPENAI_ENDPOINT": "https://r.openai.azure.com"})
    with pytest.raises(UsageError, match="unknown provider 'bedrock'"):
        connection("bedrock", environ={})
    with pytest.raises(UsageError, match="--api-version is for a classic api-version endpoint \\(azure\\); openai has none"):
        connection("openai", api_version="2024-10-21", environ={"OPENAI_API_KEY": "k"})


def test_azure_v1_endpoint_by_default_and_classic_with_api_version() -> None:
    env = {"AZURE_OPENAI_ENDPOINT": "https://res.openai.azure.com/", "AZURE_OPENAI_API_KEY": "azkey"}
    v1 = connection("azure", environ=env)
    assert v1.base_url == "https://res.openai.azure.com/openai/v1" and v1.api_version is None
    client = make_client(v1)
    assert str(client.base_url) == "https://res.openai.azure.com/openai/v1/"
    assert client.default_headers["api-key"] == "azkey"
    classic = connection("azure", api_version="2024-10-21", environ=env)
    client = make_client(classic)
    assert isinstance(client, openai.AzureOpenAI)
    assert str(client.base_url) == "https://res.openai.azure.com/openai/"
    for pasted in ("https://res.openai.azure.com/openai", "https://res.openai.azure.com/openai/v1/"):
        assert connection("azure", environ=env | {"AZURE_OPENAI_ENDPOINT": pasted}).base_url == v1.base_url
        assert str(make_client(connection("azure", api_version="2024-10-21", environ=env | {
            "AZURE_OPENAI_ENDPOINT": pasted}))._base_url) == "https://res.openai.azure.com/openai/"
    token = connection("azure", environ=env | {"AZURE_OPENAI_AD_TOKEN": "entra-token"})
    assert (token.api_key, token.ad_token) == (None, "entra-token")
    assert "entra-token" not in repr(token)


def test_env_file_wins_and_is_parsed_like_dotenv(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("# settings\nexport OPENAI_API_KEY='sk-file'\nOPENAI_BASE_URL=http://127.0.0.1:9/v1  # local\n"
                        'OPENAI_ORG_ID="org-x"\n\n')
    assert read_env_file(env_file) == {"OPENAI_API_KEY": "sk-file", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
                                       "OPENAI_ORG_ID": "org-x"}
    conn = connection("openai", env_file=env_file, environ={"OPENAI_API_KEY": "sk-env"})
    assert conn.api_key == "sk-file" and conn.host == "127.0.0.1:9"
    bad = tmp_path / "bad.env"
    bad.write_text("OPENAI_API_KEY sk-secret-value\n")
    with pytest.raises(InputError) as info:
        read_env_file(bad)
    assert "bad.env:1: expected KEY=value" in str(info.value) and "sk-secret" not in str(info.value)
    with pytest.raises(InputError, match="env file not found"):
        read_env_file(tmp_path / "none.env")


@pytest.mark.parametrize("url", ["ftp://host/v1", "127.0.0.1:8000", "https://user:pw@host/v1"])
def test_bad_base_urls(url: str) -> None:
    with pytest.raises(UsageError):
        connection("openai", base_url=url, environ={"OPENAI_API_KEY": "k"})


# -- the CLI refuses bad options before it lints, uploads or connects -------------------------------------

@pytest.mark.parametrize(("argv", "message"), [
    (["--epochs", "0"], "--epochs must be between 1 and 50"),
    (["--suffix", "x" * 41, "--provider", "azure"], "--suffix must be 1 to 40 characters on azure"),
    (["--metadata", "novalue"], "--metadata 'novalue': expected KEY=VALUE"),
    (["--beta", "3"], "--beta must be greater than 0 and at most 2"),
    (["--method", "reinforcement"], "needs --grader FILE"),
    (["--deploy", "d"], "--deploy is for --provider azure"),
    (["--deploy", "d", "--provider", "azure"], "--deploy needs --subscription, --resource-group, --account"),
    (["--poll", "0"], "--poll must be positive"),
])
def test_train_usage_errors(argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens: no request may be made
    data = tmp_path / "train.jsonl"
    data.write_text('{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}\n')
    assert main(["train", str(data), "--model", "gpt-4.1-mini-2025-04-14", *argv]) == 2
    assert message in capsys.readouterr().err


def test_train_takes_an_rft_file_as_reinforcement_as_lint_does(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """No --method: the file's format decides, as in lint (F111 there, --validation and --grader here), not
    "supervised" and a page of chat errors about its developer messages."""
    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens: no request may be made
    data = tmp_path / "rft.jsonl"
    data.write_text("".join(json.dumps({"messages": [{"role": "developer", "content": "Solve."},
                                                     {"role": "user", "content": f"{i}+3?"}], "answer": "3"}) + "\n"
                            for i in range(20)))
    assert main(["train", str(data), "--model", "o4-mini-2025-04-16", "--dry-run"]) == 2
    assert "reinforcement fine-tuning needs --grader FILE" in capsys.readouterr().err  # no --method was given
    grader = tmp_path / "grader.json"
    grader.write_text(json.dumps(STRING_CHECK))
    assert main(["train", str(data), "--model", "o4-mini-2025-04-16", "--grader", str(grader), "--dry-run"]) == 2
    assert "error: reinforcement fine-tuning needs --validation FILE" in capsys.readouterr().err


def test_train_names_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", str(tmp_path / "nope.jsonl"), "--model", "m"]) == 2
    assert "nope.jsonl: no such file" in capsys.readouterr().err


def test_train_names_a_folder_or_a_pipe_as_such(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Both said "no such file" about something that exists."""
    import os

    assert main(["train", str(tmp_path), "--model", "m"]) == 2
    assert f"{tmp_path}: is a folder; pass a .jsonl file" in capsys.readouterr().err
    fifo = tmp_path / "data.jsonl"
    os.mkfifo(fifo)
    data = tmp_path / "train.jsonl"
    data.write_text("")
    assert main(["train", str(data), "--validation", str(fifo), "--model", "m"]) == 2
    assert (f"{fifo}: is a pipe, not a regular file; train reads its input twice: save the data to a file first"
            in capsys.readouterr().err)


def test_the_command_line_stays_light() -> None:
    """Building every subcommand's parser imports no SDK: `tunesmith lint` starts fast."""
    import subprocess
    import sys

    code = ("import sys; from toolkit.cli.main import build_parser; build_parser(); "
            "print(sorted(m for m in ('openai', 'pandas', 'streamlit', 'PIL', 'sqlite3') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_reattach_command_keeps_provider_flags_but_no_secret() -> None:
    import argparse

    from toolkit.cli.training_opts import reattach_command

    args = argparse.Namespace(provider="azure", base_url="https://r.openai.azure.com", api_version=None,
                              env_file="my env/.env")
    assert reattach_command(args, "ftjob-1") == ("tunesmith jobs follow ftjob-1 --provider azure --base-url "
                                                 "https://r.openai.azure.com --env-file 'my env/.env'")
    plain = argparse.Namespace(provider="openai", base_url=None, api_version=None, env_file=None)
    assert reattach_command(plain, "ftjob-1") == "tunesmith jobs follow ftjob-1"
