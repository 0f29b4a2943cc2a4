"""One target (provider, model, method) from [tool.tunesmith] plus flags, for every command (issue 12).

A project whose pyproject.toml says Azure gets Azure's limits from stats, fix, convert, train's lint gate and
the editor without a flag; a flag overrides the config.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from toolkit.cli.main import main
from toolkit.config import Target, load_settings
from toolkit.errors import UsageError

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
# differs by provider in the catalog: context 32,768 tokens on Azure, 65,536 on OpenAI
NANO = "gpt-4.1-nano-2025-04-14"
BOM = b"\xef\xbb\xbf"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project whose config says Azure and a model; the commands run from elsewhere."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text(f'[tool.tunesmith]\nprovider = "azure"\nmodel = "{NANO}"\n', "utf-8")
    shutil.copyfile(SAMPLES / "elle_single_turn.jsonl", root / "data.jsonl")
    monkeypatch.chdir(tmp_path)  # not the project: the config is found from the data file
    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path / "home"))
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT",
                 "AZURE_OPENAI_AD_TOKEN", "OPENAI_API_VERSION"):
        monkeypatch.delenv(name, raising=False)
    return root


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_target_comes_from_the_config_under_the_flags(project: Path) -> None:
    settings = load_settings(start=project)
    assert settings.target == Target("azure", NANO, None)
    assert settings.merged(provider="openai", method="dpo").target == Target("openai", NANO, "dpo")


@pytest.mark.parametrize(("table", "message"), [
    ('provider = "bedrock"', "provider 'bedrock' is not in the catalog; choose one of: openai, azure"),
    ("model = 4", "model must be a model name"),
    ('method = "sft"', "method must be one of supervised, dpo, reinforcement"),
])
def test_a_bad_target_in_the_config_names_the_file(tmp_path: Path, table: str, message: str) -> None:
    config = tmp_path / "pyproject.toml"
    config.write_text(f"[tool.tunesmith]\n{table}\n", "utf-8")
    with pytest.raises(UsageError, match=f"{config} \\[tool.tunesmith\\]: {message}"):
        load_settings(config)


def test_stats_uses_the_configured_provider_and_model(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "stats", str(project / "data.jsonl"), "--format", "json")
    summary = json.loads(out)
    assert code == 0 and (summary["provider"], summary["model"], summary["context"]) == ("azure", NANO, 32768)
    code, out, _ = run(capsys, "stats", str(project / "data.jsonl"), "--format", "json", "--provider", "openai")
    summary = json.loads(out)
    assert (summary["provider"], summary["model"], summary["context"]) == ("openai", NANO, 65536)


def test_fix_keeps_the_bom_azure_asks_for(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = project / "data.jsonl"
    data.write_bytes(BOM + data.read_bytes())
    code, out, _ = run(capsys, "fix", str(data))
    assert code == 0 and "F031" not in out  # Azure's profile: bom = "recommended"
    code, out, _ = run(capsys, "fix", str(data), "--provider", "openai")
    assert code == 1 and f"{data}:1: F031 remove the UTF-8 byte-order mark" in out
    bare = project / "bare.jsonl"
    bare.write_bytes(data.read_bytes()[len(BOM):])
    code, out, _ = run(capsys, "fix", str(bare), "--add-bom", "--write", "--no-backup")
    assert code == 0 and bare.read_bytes().startswith(BOM)  # --add-bom goes with the configured Azure
    code, _, err = run(capsys, "fix", str(bare), "--add-bom", "--provider", "openai")
    assert code == 2 and "--add-bom goes with a provider that asks for a BOM (azure)" in err


def long_file(path: Path) -> Path:
    """Ten examples over Azure's 32,768-token context for the nano model (within OpenAI's 65,536)."""
    example = json.loads((SAMPLES / "elle_single_turn.jsonl").read_text("utf-8").splitlines()[0])
    example["messages"][1]["content"] = "hydrogen helium lithium " * 12000
    path.write_text("".join(json.dumps(example) + "\n" for _ in range(10)), "utf-8")
    return path


def test_trains_lint_gate_and_endpoint_follow_the_config(project: Path, capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "http://127.0.0.1:9")  # a dry run sends nothing
    long = long_file(project / "long.jsonl")
    code, out, err = run(capsys, "train", str(long), "--dry-run", "--training-type", "standard")
    assert code == 0, err
    assert "C200" in err and "32,768" in err  # Azure's context for the configured model
    assert "POST http://127.0.0.1:9/openai/v1/fine_tuning/jobs" in out and f'"model": "{NANO}"' in out
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    code, out, err = run(capsys, "train", str(long), "--dry-run", "--provider", "openai", "--model",
                         "gpt-4.1-mini-2025-04-14")
    assert code == 0, err
    assert "32,768" not in err and "POST http://127.0.0.1:9/v1/fine_tuning/jobs" in out


def test_train_takes_the_model_from_the_config_or_asks_for_one(project: Path, capsys: pytest.CaptureFixture[str],
                                                               tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.jsonl"
    shutil.copyfile(project / "data.jsonl", elsewhere)
    code, _, err = run(capsys, "train", str(elsewhere), "--dry-run")
    assert code == 2 and "--model is required (or set model in [tool.tunesmith]" in err


def test_convert_lints_its_result_for_the_configured_target(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = project / "rows.csv"
    table.write_text("question,answer\n" + "".join(f"q{i},{'word ' * 40000}\n" for i in range(10)), "utf-8")
    code, out, _ = run(capsys, "convert", str(table), str(project / "rows.jsonl"), "--from", "csv",
                       "--map", "question=user", "--map", "answer=assistant")
    assert code == 0 and "C200" in out and "32,768" in out  # a warning: Azure truncates the long examples
    code, out, _ = run(capsys, "convert", str(table), str(project / "rows2.jsonl"), "--from", "csv",
                       "--map", "question=user", "--map", "answer=assistant", "--provider", "openai")
    assert code == 1 and "32,768" not in out and "M010 error: gpt-4.1-nano-2025-04-14 was shut down" in out  # OpenAI's


def test_split_checks_the_two_files_against_the_target_providers_limits(project: Path, tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    rows = project / "rft.jsonl"  # RFT rows: OpenAI takes at most 1,000 in a validation file, Azure states no limit
    rows.write_text("".join(json.dumps({"messages": [{"role": "user", "content": f"What is {i} squared?"}],
                                        "answer": str(i * i)}) + "\n" for i in range(1200)), "utf-8")
    code, _, err = run(capsys, "split", str(rows), "--validation", "1100")
    assert code == 0 and "1,100 examples" not in err  # the project says Azure
    code, _, err = run(capsys, "split", str(rows), "--validation", "1100", "--provider", "openai", "--force")
    assert code == 0 and "warning: validation: 1,100 examples, but OpenAI takes at most 1,000 in an RFT validation " \
                         "file (lint F080): ask for --validation 1000" in err


def test_a_reattach_command_names_the_provider_when_the_config_here_says_another(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import argparse

    from toolkit.cli.training_opts import reattach_command

    monkeypatch.chdir(project)  # [tool.tunesmith] provider = "azure"
    args = argparse.Namespace(provider="openai", base_url=None, api_version=None, env_file=None, config=None)
    assert reattach_command(args, "ftjob-1") == "tunesmith jobs follow ftjob-1 --provider openai"
    args.provider = "azure"
    assert reattach_command(args, "ftjob-1") == "tunesmith jobs follow ftjob-1"


def test_train_reads_the_config_given_with_config(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "http://127.0.0.1:9")
    other = tmp_path / "other.toml"
    other.write_text(f'[tool.tunesmith]\nprovider = "azure"\nmodel = "{NANO}"\nignore = ["C200"]\n', "utf-8")
    long = long_file(tmp_path / "long.jsonl")  # no pyproject.toml above it
    code, out, err = run(capsys, "train", str(long), "--dry-run", "--training-type", "standard", "--config", str(other))
    assert code == 0, err
    assert "C200" not in err and "POST http://127.0.0.1:9/openai/v1/fine_tuning/jobs" in out  # the gate: its ignore


def test_a_missing_key_names_where_the_provider_came_from_and_what_to_set(
        project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    data = str(project / "data.jsonl")
    code, _, err = run(capsys, "train", data)  # the project's pyproject.toml says azure
    assert code == 2 and (f"provider azure (from {project / 'pyproject.toml'} [tool.tunesmith]) needs "
                          "AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_API_KEY (or a token in AZURE_OPENAI_AD_TOKEN): set "
                          "them in the environment or in the file given to --env-file") in err
    code, _, err = run(capsys, "train", data, "--provider", "openai")
    assert code == 2 and "--provider openai needs OPENAI_API_KEY" in err
    monkeypatch.chdir(tmp_path)  # no [tool.tunesmith] here, nor above
    code, _, err = run(capsys, "jobs", "list")
    assert code == 2 and ("provider openai (the default: no --provider was given and no [tool.tunesmith] names one) "
                          "needs OPENAI_API_KEY") in err


def test_each_file_is_linted_with_its_own_nearest_config(project: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """As ruff: two projects in one run, each file under the [tool.tunesmith] nearest to it."""
    other = tmp_path / "other"
    (other / "sub").mkdir(parents=True)
    (other / "pyproject.toml").write_text('[tool.tunesmith]\nprovider = "openai"\nignore = ["C200"]\n', "utf-8")
    azure, openai = long_file(project / "long.jsonl"), long_file(other / "sub" / "long.jsonl")
    code, out, _ = run(capsys, "lint", str(azure), str(openai), "--format", "json")
    files = {Path(f["path"]): f for f in json.loads(out)["files"]}
    assert {d["rule"] for d in files[azure]["diagnostics"]} >= {"C200", "F032"}  # Azure's context and BOM
    assert not {"C200", "F032"} & {d["rule"] for d in files[openai]["diagnostics"]}  # OpenAI's, C200 ignored
    assert json.loads(out)["summary"]["provider"] == "azure, openai" and code == 0
    # the same files in the other order, and a folder: each still under its own config
    code, out, _ = run(capsys, "lint", str(other), str(azure), "--format", "json")
    rules = [{d["rule"] for d in f["diagnostics"]} for f in json.loads(out)["files"]]
    assert "C200" not in rules[0] and "C200" in rules[1]
    # --config puts every file under one configuration; a flag wins over every config
    code, out, _ = run(capsys, "lint", str(azure), str(openai), "--format", "json", "--config",
                       str(other / "pyproject.toml"))
    assert all("C200" not in {d["rule"] for d in f["diagnostics"]} for f in json.loads(out)["files"])
    code, out, _ = run(capsys, "lint", str(azure), str(openai), "--format", "json", "--provider", "azure")
    rules = [{d["rule"] for d in f["diagnostics"]} for f in json.loads(out)["files"]]
    assert "F032" in rules[0] and "F032" in rules[1] and "C200" not in rules[1]  # provider flag; the ignore stays


def test_fix_reads_each_files_own_config(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "pyproject.toml").write_text('[tool.tunesmith]\nprovider = "openai"\n', "utf-8")
    azure, openai = project / "data.jsonl", other / "data.jsonl"
    azure.write_bytes(BOM + azure.read_bytes())
    openai.write_bytes(azure.read_bytes())
    code, out, _ = run(capsys, "fix", str(azure), str(openai))
    assert code == 1 and out == f"{openai}:1: F031 remove the UTF-8 byte-order mark\n"  # Azure asks for it


BROKEN = [  # a malformed pyproject.toml: (its text, the line:column and what is wrong)
    ('[tool.tunesmith\nprovider = "azure"\n', ":1:16: not valid TOML: expected ']' at the end of a table declaration "
                                              "in `[tool.tunesmith`"),
    ('[tool.tunesmith]\nprovider = "azure"\nstrict = tru\n', ":3:10: not valid TOML: invalid value in `strict = tru`"),
]


@pytest.mark.parametrize(("text", "says"), BROKEN)
@pytest.mark.parametrize("command", ["lint", "fix", "stats", "split", "convert", "train"])
def test_a_malformed_nearest_pyproject_stops_every_command_with_its_line(
        project: Path, capsys: pytest.CaptureFixture[str], command: str, text: str, says: str) -> None:
    """Skipping it would silently train and lint for the default provider instead of the configured one."""
    config = project / "pyproject.toml"
    config.write_text(text, "utf-8")
    data = str(project / "data.jsonl")
    argv = {"convert": ["convert", data, str(project / "out.json"), "--to", "sharegpt"],
            "train": ["train", data, "--model", NANO, "--dry-run"]}.get(command, [command, data])
    before = sorted(project.iterdir())
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and "internal error" not in err
    assert err == f"tunesmith: error: {config}{says}; fix it: it is the nearest pyproject.toml, where tunesmith " \
                  "reads its settings ([tool.tunesmith])\n"
    assert sorted(project.iterdir()) == before  # nothing written (split, convert, fix)


def test_a_pyproject_without_the_table_is_passed_over_but_a_malformed_one_above_is_not(
        tmp_path: Path) -> None:
    inner = tmp_path / "outer" / "inner"
    inner.mkdir(parents=True)
    (inner / "pyproject.toml").write_text('[project]\nname = "data"\n', "utf-8")  # valid, no [tool.tunesmith]
    (tmp_path / "outer" / "pyproject.toml").write_text('[tool.tunesmith]\nprovider = "azure"\n', "utf-8")
    assert load_settings(start=inner).provider == "azure"
    (tmp_path / "outer" / "pyproject.toml").write_text('[tool.tunesmith]\nprovider = azure\n', "utf-8")
    with pytest.raises(UsageError, match=r"outer/pyproject.toml:2:12: not valid TOML: invalid value in "
                                         r"`provider = azure`; fix it: it is the nearest pyproject.toml"):
        load_settings(start=inner)


@pytest.mark.parametrize(("text", "says"), [
    (b"x = [", ":1:6: not valid TOML: invalid value in `x = [`"),
    (b"x = [\n", ":2:1: not valid TOML: invalid value"),
    (b'name = "caf\xe9"\n', ":1:12: not valid TOML: byte 0xe9 is not UTF-8 (TOML files are UTF-8 text)"),
    (b'[tool.tunesmith]\nstrict = "false"\n', " [tool.tunesmith]: strict must be true or false (no quotes), not 'false'"),
])
def test_a_config_given_with_config_says_where_it_is_wrong(tmp_path: Path, text: bytes, says: str) -> None:
    config = tmp_path / "settings.toml"
    config.write_bytes(text)
    with pytest.raises(UsageError) as raised:
        load_settings(config)
    assert str(raised.value).startswith(f"{config}{says}")


def test_a_dry_run_needs_no_credentials_nor_endpoint_and_sends_nothing(
        project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The README: a dry run lints, estimates and shows the requests with no credentials (the config says azure,
    which has no default endpoint)."""
    import socket

    def refuse(*args: object) -> None:
        raise AssertionError("a dry run opened a connection")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    long = long_file(project / "long.jsonl")
    code, out, err = run(capsys, "train", str(long), "--dry-run", "--training-type", "standard")
    assert code == 0, err
    assert "C200" in err and "estimated cost: " in err and "dry run: nothing was sent" in err
    assert "POST <AZURE_OPENAI_ENDPOINT (not set)>/openai/v1/fine_tuning/jobs" in out and f'"model": "{NANO}"' in out
    code, _, err = run(capsys, "train", str(long), "--training-type", "standard")  # a real run still asks
    assert code == 2 and "needs AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_API_KEY" in err


def test_a_dry_run_connection_shows_an_endpoint_it_was_given_and_holds_no_secret() -> None:
    from toolkit.training.providers import connection

    conn = connection("azure", environ={}, dry_run=True)
    assert (conn.base_url, conn.secrets) == ("<AZURE_OPENAI_ENDPOINT (not set)>/openai/v1", ())
    conn = connection("azure", environ={"AZURE_OPENAI_ENDPOINT": "https://res.openai.azure.com"}, dry_run=True)
    assert conn.base_url == "https://res.openai.azure.com/openai/v1"
    with pytest.raises(UsageError, match="needs AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_API_KEY"):
        connection("azure", environ={})


def test_fix_leaves_what_the_files_config_turns_off_as_lint_does(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """fix used only the config's provider: it removed a BOM and blank lines that the project ignores."""
    (tmp_path / "pyproject.toml").write_text('[tool.tunesmith]\nignore = ["F031"]\n'
                                             '[tool.tunesmith.per-file-ignores]\n"raw_*.jsonl" = ["F020"]\n', "utf-8")
    line = (SAMPLES / "elle_single_turn.jsonl").read_bytes().splitlines()[0]
    raw = tmp_path / "raw_data.jsonl"
    raw.write_bytes(BOM + line + b"\n\n" + line + b"\r\n")
    code, out, _ = run(capsys, "fix", str(raw))
    assert code == 1 and out.startswith(f"{raw}: F033 ") and out.count("\n") == 1  # F031 and F020 are off
    code, out, _ = run(capsys, "fix", str(raw), "--select", "F031,F020")
    assert (code, out) == (0, "")  # as `lint --select F031` reports nothing the config ignores
    code, out, _ = run(capsys, "fix", str(raw), "--write", "--no-backup")
    assert code == 0 and raw.read_bytes() == BOM + line + b"\n\n" + line + b"\n"
    other = tmp_path / "other.jsonl"  # the per-file ignore does not name it: its blank line goes
    other.write_bytes(line + b"\n\n" + line + b"\n")
    code, out, _ = run(capsys, "fix", str(other))
    assert code == 1 and out == f"{other}:2: F020 remove the blank line\n"


def test_the_lint_gate_checks_a_file_named_like_a_validation_set_as_the_training_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`train holdout.jsonl` passed the gate with 3 examples (linted as a validation set, which needs fewer), then
    the server refused the uploaded file: invalid_n_examples."""
    held = tmp_path / "holdout.jsonl"
    held.write_text("".join(json.dumps({"messages": [{"role": "user", "content": f"q{i}"},
                                                     {"role": "assistant", "content": f"a{i}"}]}) + "\n"
                            for i in range(3)), "utf-8")
    code, _, err = run(capsys, "train", str(held), "--dry-run", "--provider", "openai", "--model",
                       "gpt-4.1-mini-2025-04-14")
    assert code == 1 and "F060 error: the training file has 3 examples, but must have at least 10" in err


def test_a_pyproject_is_parsed_once_for_the_same_bytes_and_again_when_they_change(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """lint looks for the nearest config once per folder and reads it again for the settings: one parse; an edit
    (the editor saves the config while it runs) is read afresh."""
    import tomllib

    from toolkit import config

    parsed: list[str] = []
    real = tomllib.loads

    def counting(text: str) -> dict[str, object]:
        parsed.append(text)
        return real(text)

    monkeypatch.setattr(tomllib, "loads", counting)
    path = tmp_path / "pyproject.toml"
    path.write_text('[tool.tunesmith]\nprovider = "azure"\n', "utf-8")
    assert config.find_pyproject(tmp_path) == path
    assert load_settings(start=tmp_path).provider == "azure"
    assert len(parsed) == 1
    path.write_text('[tool.tunesmith]\nprovider = "openai"\n', "utf-8")
    assert load_settings(start=tmp_path).provider == "openai"
    assert len(parsed) == 2
    path.write_text('[tool.tunesmith]\nprovider = "openai"\nmodel = \n', "utf-8")
    with pytest.raises(UsageError, match="not valid TOML"):  # a broken edit is said each time, never hidden
        load_settings(start=tmp_path)
    with pytest.raises(UsageError, match="not valid TOML"):
        load_settings(start=tmp_path)


def test_a_config_given_without_a_tool_tunesmith_table_is_refused(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """`provider = "azure"` at the top of the file given to --config was read as nothing: OpenAI's defaults, silently."""
    config = tmp_path / "tunesmith.toml"
    config.write_text('provider = "azure"\n', "utf-8")
    data = tmp_path / "train.jsonl"
    shutil.copy(SAMPLES / "elle_single_turn.jsonl", data)
    code, out, err = run(capsys, "lint", str(data), "--config", str(config))
    assert code == 2 and out == ""
    assert err == (f"tunesmith: error: {config}: has no [tool.tunesmith] table, so --config would change nothing "
                   "(provider must go under it): put the settings under [tool.tunesmith], or leave --config out\n")
    with pytest.raises(UsageError, match=r"no \[tool\.tunesmith\] table"):
        load_settings(config)
