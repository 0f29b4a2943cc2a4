"""The model catalog (toolkit/data/catalog.toml) against its JSON Schema: no unknown or misspelled key."""

from __future__ import annotations

import copy
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest

DATA = Path(__file__).resolve().parents[1] / "toolkit" / "data"
SCHEMA = json.loads((DATA / "catalog.schema.json").read_text("utf-8"))
CATALOG = tomllib.loads((DATA / "catalog.toml").read_text("utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def problems(catalog: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(catalog)]


def test_the_schema_is_a_valid_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_the_catalog_matches_its_schema() -> None:
    assert problems(CATALOG) == []


def test_every_default_model_alias_and_replacement_names_a_model() -> None:
    for name, provider in CATALOG["providers"].items():
        models = provider["models"]
        assert provider["default_model"] in models, name
        # an alias names a model to fine-tune, or a grader model (graders name models by alias too)
        assert set(provider.get("aliases", {}).values()) <= set(models) | set(provider.get("grader_models", ())), name


def a_model() -> tuple[str, str]:
    provider = next(iter(CATALOG["providers"]))
    return provider, next(iter(CATALOG["providers"][provider]["models"]))


@pytest.mark.parametrize(("where", "key", "value"), [
    ("model", "contxt", 4096),          # misspelled: would be dropped silently
    ("model", "context", "4096"),       # wrong type
    ("model", "methods", ["sft"]),      # unknown method
    ("model", "shutdown", "14/01/2027"),
    ("model", "price_unit", "token"),
    ("provider", "default_modle", "x"),
    ("provider", "bom", "always"),
    ("top", "provider", {}),
    ("top", "default_provider", "Open AI"),
    ("api", "key_env", "OPENAI API KEY"),   # not an environment variable name
    ("api", "auth_header", "x-api-key"),     # only bearer and api-key are implemented
    ("api", "client", "grpc"),
    ("api", "default_url", "api.openai.com/v1"),  # no scheme
    ("api", "url_path", "openai/v1"),        # not a path
    ("api", "wait_for_files", "yes"),
    ("api", "deploy", "kubernetes"),         # a table, not a name
    ("api", "deploy", {"title": "x"}),        # without the path, body, state...
    ("api", "compatible_endpoint", True),    # misspelled: would be dropped silently
])
def test_a_bad_key_or_value_is_reported(where: str, key: str, value: Any) -> None:
    catalog = copy.deepcopy(CATALOG)
    provider, model = a_model()
    target = {"top": catalog, "provider": catalog["providers"][provider],
              "model": catalog["providers"][provider]["models"][model], "api": catalog["providers"][provider]["api"]}[where]
    target[key] = value
    assert problems(catalog), f"{where}.{key} = {value!r} passed the schema"


def test_a_missing_required_key_is_reported() -> None:
    catalog = copy.deepcopy(CATALOG)
    provider, model = a_model()
    del catalog["providers"][provider]["models"][model]["encoding"]
    assert any("'encoding' is a required property" in p for p in problems(catalog))


@pytest.mark.parametrize(("api", "missing"), [
    ({"client": "http", "url_env": "X_URL", "auth_header": "bearer"}, "'key_env' is a required property"),
    ({"client": "http", "key_env": "X_KEY", "auth_header": "bearer"}, "'url_env' is a required property"),
    ({"client": "http", "key_env": "X_KEY", "url_env": "X_URL", "auth_header": "bearer", "compatible_endpoints": True},
     "'default_url' is a dependency of 'compatible_endpoints'"),
])
def test_a_profile_that_cannot_connect_is_reported(api: dict[str, Any], missing: str) -> None:
    catalog = copy.deepcopy(CATALOG)
    provider, _ = a_model()
    catalog["providers"][provider]["api"] = api
    assert any(missing in p for p in problems(catalog)), problems(catalog)


def test_every_provider_has_a_profile_and_the_default_provider_exists() -> None:
    catalog = copy.deepcopy(CATALOG)
    assert CATALOG["default_provider"] in CATALOG["providers"]
    provider, _ = a_model()
    del catalog["providers"][provider]["api"]
    assert any("'api' is a required property" in p for p in problems(catalog))
    for name, table in CATALOG["providers"].items():  # a successor is a provider of the catalog
        assert table.get("successor", name) in CATALOG["providers"], name
    for name, table in CATALOG["providers"].items():  # a deploy step's path places the deployment by its where
        step = table["api"].get("deploy")
        if step:
            assert set(re.findall(r"\{(\w+)\}", step["path"])) == {*step["where"], "name"}, name
