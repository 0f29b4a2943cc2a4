"""A provider added only as data (a table in catalog.toml and its profile) keeps every rule, and trains against
the local sandbox over real HTTP with nothing but its profile: its variables, its auth header (issue 12)."""

from __future__ import annotations

import copy
import json
import re
import textwrap
import threading
import tomllib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from rules_support import corpus_file
from test_catalog_schema import problems

from toolkit import catalog
from toolkit.cli.main import main
from toolkit.config import Settings
from toolkit.engine import Linter
from toolkit.errors import UsageError
from toolkit.rules import RULES, load_all
from toolkit.sandbox import Sandbox, api
from toolkit.training.local_registry import Registry

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
SAMPLE = SAMPLES / "elle_broken.jsonl"
KEY = "contoso-key-NEVERPRINTED-0123456789"
CONTRIBUTING = Path(__file__).resolve().parents[1] / "CONTRIBUTING.md"


def recipe_profile() -> dict[str, object]:
    """The profile CONTRIBUTING.md's "add a provider" recipe shows (its TOML blocks): the tests train and deploy
    with exactly that."""
    recipe = CONTRIBUTING.read_text("utf-8").split("## Recipe: add a provider", 1)[1]
    blocks = re.findall(r"```toml\n(.*?)```", recipe, re.DOTALL)
    assert len(blocks) == 2, "CONTRIBUTING.md's recipe shows the profile and its deploy step"
    profile: dict[str, object] = tomllib.loads("\n".join(textwrap.dedent(b) for b in blocks))["providers"]["contoso"]["api"]
    return profile


# Contoso's profile: its own variables and header, files processed before a job, and a deploy step unlike Azure's
# in every part (its path, what places it, its body, its states, its tiers, its token)
CONTOSO_API = recipe_profile()


@pytest.fixture
def with_copies(monkeypatch):
    """The catalog plus "contoso" (a copy of azure's table) and "bare" (openai's, without a validator)."""
    raw = copy.deepcopy(catalog._raw())
    raw["providers"]["contoso"] = {**copy.deepcopy(raw["providers"]["azure"]), "api": CONTOSO_API}
    bare = copy.deepcopy(raw["providers"]["openai"])
    del bare["validator"]
    raw["providers"]["bare"] = bare
    monkeypatch.setattr(catalog, "_raw", lambda: raw)
    monkeypatch.setattr(catalog, "PROVIDERS", catalog.provider_names())  # what the CLI offers
    catalog.provider.cache_clear()
    yield
    catalog.provider.cache_clear()


def _lint(provider: str, path: Path = SAMPLE) -> list[tuple[object, ...]]:
    result = Linter(Settings(provider=provider)).lint(path)
    return [(d.line, d.column, d.pointer, d.rule, d.severity, d.message) for d in result.diagnostics]


def test_a_provider_copied_as_data_lints_exactly_like_its_original(with_copies):
    azure = _lint("azure")
    rules = {d[3] for d in azure}
    assert len(azure) > 40 and {"F010", "F032", "C153", "C182"} <= rules  # Azure's own rules (validator) and BOM
    assert _lint("contoso") == azure
    for path in [*sorted(SAMPLES.glob("*.jsonl")), corpus_file("azureai_stock_train_hallucination_functions.jsonl"),
                 corpus_file("foundry_rft_countdown_train_25.jsonl")]:
        assert _lint("contoso", path) == _lint("azure", path), path.name


def test_a_provider_added_as_data_takes_its_training_options_and_variables_from_its_profile(
        with_copies, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from toolkit.training.job_request import JobSpec, validate

    assert main(["train", "--help"]) == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert "contoso: CONTOSO_ENDPOINT, CONTOSO_API_KEY" in shown  # the variables its profile names
    assert "40 on contoso" in shown and "--project PROJECT" in shown  # its suffix limit, its deploy step's flag
    spec = JobSpec(model="gpt-4.1-mini-2025-04-14", suffix="x" * 41, training_type="standard")
    with pytest.raises(UsageError, match="--suffix must be 1 to 40 characters on contoso"):
        validate(spec, provider="contoso")
    with pytest.raises(UsageError, match="--training-type must be one of standard, globalstandard, developer"):
        validate(JobSpec(model="m", training_type="premium"), provider="contoso")
    monkeypatch.setenv("CONTOSO_ENDPOINT", "http://127.0.0.1:9")  # a dry run sends nothing
    monkeypatch.delenv("CONTOSO_API_KEY", raising=False)
    code = main(["train", str(SAMPLES / "elle_single_turn.jsonl"), "--provider", "contoso", "--model",
                 "gpt-4.1-mini-2025-04-14", "--training-type", "developer", "--dry-run"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "POST http://127.0.0.1:9/fine_tuning/jobs" in out and '"trainingType": "developer"' in out


def test_a_provider_without_a_validator_gets_every_rule_but_the_provider_specific_ones(with_copies):
    load_all()
    specific = {code for code, rule in RULES.items() if rule.providers}
    openai = [d for d in _lint("openai") if d[2] not in specific]
    assert _lint("bare") == openai


def test_the_cli_offers_every_provider_of_the_catalog():
    assert catalog.PROVIDERS == catalog.provider_names()
    assert {"openai", "azure"} <= set(catalog.PROVIDERS)


def test_a_provider_added_as_data_trains_against_the_sandbox_with_only_its_profile(
        with_copies, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert problems(catalog._raw()) == []  # the catalog with contoso (and CONTRIBUTING's profile) is valid data
    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path / "home"))
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT",
                 "AZURE_OPENAI_AD_TOKEN", "OPENAI_API_VERSION"):
        monkeypatch.delenv(name, raising=False)
    seen: list[dict[str, str]] = []
    checked = api._has_key

    def has_key(headers: dict[str, str]) -> bool:  # the sandbox's own check, keeping the headers it saw
        seen.append(dict(headers))
        return checked(headers)

    monkeypatch.setattr(api, "_has_key", has_key)
    train = ["train", str(SAMPLES / "elle_single_turn.jsonl"), "--provider", "contoso", "--model",
             "gpt-4.1-mini-2025-04-14", "--training-type", "standard", "--poll", "0.05", "--yes"]
    with Sandbox(speed=25, azure=True) as sandbox:
        assert main(train) == 2  # no key: the profile's variable is named
        assert "--provider contoso needs CONTOSO_API_KEY: set it in the environment" in capsys.readouterr().err
        monkeypatch.setenv("CONTOSO_ENDPOINT", sandbox.base_url)
        monkeypatch.setenv("CONTOSO_API_KEY", KEY)
        code = main(train)
        out, err = capsys.readouterr()
        assert code == 0, err
        assert re.fullmatch(r"gpt-4\.1-mini-2025-04-14\.ft-[0-9a-f]+\n", out) and KEY not in out + err
        # every request carried the key in the profile's header, none in a variable another provider reads
        assert seen and all(h.get("api-key") == KEY for h in seen)
        # the profile's wait_for_files: the upload was looked at until processed, before the job was created
        calls = [(method, path) for method, path, _ in sandbox.requests]
        create = calls.index(("POST", "/fine_tuning/jobs"))
        assert any(method == "GET" and re.fullmatch(r"/files/file-[^/]+", path) for method, path in calls[:create])
        host = sandbox.url.split("//")[1]
    row = Registry().jobs()[0]
    assert (row.provider, row.status, row.host, row.fine_tuned_model) == ("contoso", "succeeded", host, out.strip())


@pytest.mark.parametrize(("provider", "model_id", "base"), [
    ("openai", "ft:gpt-4o-mini-2024-07-18:personal::Ajo5kvNY", "gpt-4o-mini-2024-07-18"),
    ("openai", "ft:gpt-4.1-2025-04-14:acme:elle:B1x2:ckpt-step-10", "gpt-4.1-2025-04-14"),  # a checkpoint
    ("azure", "gpt-4.1-2025-04-14.ft-b044a9d3cf9c4228b5d393567f693b83", "gpt-4.1-2025-04-14"),
    ("azure", "gpt-35-turbo-0125.ft-0ab3f80e4f2242929258fff45b56a9ce-elle", "gpt-35-turbo-0125"),  # with a suffix
    ("openai", "gpt-4.1-2025-04-14.ft-b044a9d3cf9c4228b5d393567f693b83", None),  # Azure's form is not OpenAI's
    ("azure", "ft:gpt-4o-mini-2024-07-18:personal::Ajo5kvNY", None),
    ("azure", "gpt-4.1-2025-04-14.ft-", None),  # no hex: not an id Azure makes
    ("openai", "ft::x:y", None),  # no base
    ("openai", "gpt-4.1-mini-2025-04-14", None),
    ("local", "ft:Qwen2.5:x:y", None),  # a provider without fine-tuned ids has none
])
def test_fine_tuned_model_ids_are_read_with_the_providers_own_templates(provider: str, model_id: str,
                                                                         base: str | None) -> None:
    assert catalog.base_of(provider, model_id) == base
    assert catalog.resolve(provider, model_id).fine_tuned_from == base


def test_a_provider_added_as_data_names_its_fine_tuned_models_its_own_way(with_copies, monkeypatch) -> None:
    raw = catalog._raw()
    raw["providers"]["contoso"]["api"] = {**CONTOSO_API, "fine_tuned_ids": ["{base}@tuned-*"]}
    catalog.provider.cache_clear()
    tuned = catalog.resolve("contoso", "gpt-4.1-mini@tuned-7")  # an alias as the base, like any model name
    assert (tuned.fine_tuned_from, tuned.known, tuned.context) == ("gpt-4.1-mini", True, 65536)
    assert catalog.base_of("contoso", "gpt-4.1-mini-2025-04-14.ft-abc") is None  # azure's form is azure's
    assert problems(raw) == []


class DeployService:
    """A made-up deploy service on 127.0.0.1: PUT answers "starting", GET "ready"; every request is kept."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str, object]] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                self._answer(json.loads(self.rfile.read(int(self.headers["Content-Length"]))), "starting")

            def do_GET(self) -> None:
                self._answer(None, "ready")

            def _answer(self, body: object, status: str) -> None:
                service.calls.append((self.command, self.path, self.headers.get("Authorization", ""), body))
                raw = json.dumps({"deployment": {"status": status}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> DeployService:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_provider_added_as_data_deploys_with_only_its_profile(
        with_copies, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The deploy step is the profile's data: one generic implementation PUTs and follows it over real HTTP."""
    assert problems(catalog._raw()) == []
    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CONTOSO_API_KEY", KEY)
    monkeypatch.setenv("CONTOSO_DEPLOY_TOKEN", "deploy-token-NEVERPRINTED")
    train = ["train", str(SAMPLES / "elle_single_turn.jsonl"), "--provider", "contoso", "--model",
             "gpt-4.1-mini-2025-04-14", "--training-type", "standard", "--poll", "0.05", "--yes"]
    with Sandbox(speed=25, azure=True) as sandbox, DeployService() as service:
        monkeypatch.setenv("CONTOSO_ENDPOINT", sandbox.base_url)
        assert main([*train, "--deploy", "elle"]) == 2  # the profile's where is a flag, and is needed
        assert "--deploy needs --project" in capsys.readouterr().err
        code = main([*train, "--deploy", "elle", "--project", "p 1", "--deploy-sku", "large",
                     "--deploy-url", service.url])
        out, err = capsys.readouterr()
        assert code == 0, err
        model = out.strip()
        assert [(method, path) for method, path, _, _ in service.calls] == [
            ("PUT", "/v2/projects/p%201/deployments/elle"), ("GET", "/v2/projects/p%201/deployments/elle")]
        assert all(auth == "Bearer deploy-token-NEVERPRINTED" for _, _, auth, _ in service.calls)
        assert service.calls[0][3] == {"model": model, "tier": "l-4", "replicas": 1}
        assert "deployment: starting" in err and "deployment: ready" in err and "NEVERPRINTED" not in out + err
        code = main(train)  # without --deploy: the profile's instructions
        err = capsys.readouterr().err
    assert code == 0 and "contoso deploy " in err and "--project PROJECT --as DEPLOYMENT" in err
    assert "Contoso Deployments from CONTOSO_DEPLOY_TOKEN" in err


def test_a_provider_without_prices_says_why_and_where_they_are(capsys: pytest.CaptureFixture[str]) -> None:
    """Azure's stats said "no price in the catalog" as if the price were missing by mistake; Azure's prices depend
    on the region and training type and have no source here, so it says so and points to its pricing page."""
    from toolkit import stats

    data = corpus_file("cookbook_toy_chat_fine_tuning.jsonl")
    est = stats.compute(data, provider="azure").cost
    assert est.usd is None and est.charged_tokens > 0
    assert est.note.startswith("the catalog has no sourced Azure price: Azure prices training by model, region and "
                               "training type") and "https://azure.microsoft.com/pricing/details/" in est.note
    assert main(["stats", str(data), "--provider", "azure"]) == 0
    assert "estimated cost: unknown: the catalog has no sourced Azure price" in capsys.readouterr().out
    # a provider without such a note keeps the plain fact
    assert stats.compute(data, model="gpt-3.5-turbo-0613").cost.note == "no price in the catalog for gpt-3.5-turbo-0613"
