"""The provider and model catalog (``data/catalog.toml``): limits are data, not code."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from . import formats
from .errors import UsageError

# what the marks of a fine-tuned model id template stand for (``fine_tuned_ids`` in a profile)
_ID_MARKS = {"{base}": "(?P<base>[^:]+?)", "{hex}": "[0-9a-fA-F]+", "*": ".*"}


@dataclass(frozen=True)
class Model:
    """One fine-tunable model of one provider, as the catalog describes it."""

    provider: str
    name: str
    context: int
    encoding: str
    methods: tuple[str, ...]
    images: int = 0
    shutdown: dt.date | None = None
    shutdown_source: str | None = None
    replacement: str | None = None
    price: float | None = None
    price_unit: str | None = None
    price_date: str | None = None
    price_source: str | None = None
    known: bool = True
    fine_tuned_from: str | None = None
    snapshot: str | None = None  # the snapshot an alias (``name``) stands for
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def is_shut_down(self, today: dt.date | None = None) -> bool:
        return self.shutdown is not None and (today or dt.date.today()) >= self.shutdown

    @property
    def full_name(self) -> str:
        """The snapshot's name when ``name`` is an alias of it (o4-mini: o4-mini-2025-04-16), else ``name``."""
        return self.snapshot or self.name


@dataclass(frozen=True)
class Deploy:
    """The step that makes a fine-tuned model answer (a profile's ``api.deploy`` table): a PUT of the deployment
    to ``url + path``, then GETs of it until the state at ``state`` is ``succeeded`` or one of ``failed``."""

    title: str  # who is asked, for messages ("Azure Resource Manager")
    url: str  # the service's root (--deploy-url overrides it)
    path: str  # the deployment's path and query: {name} and each key of ``where`` are filled in (URL-quoted)
    where: dict[str, str]  # what places the deployment, each a flag (--resource-group): key -> its help
    body: dict[str, Any]  # the PUT's JSON body; "{model}", "{sku}" and "{capacity}" are filled in
    state: str  # JSON pointer of the deployment's state in an answer
    succeeded: str
    failed: tuple[str, ...]
    skus: dict[str, str]  # --deploy-sku choice -> the value of {sku}; the first is the default
    token_env: str  # the environment variable of a bearer token for the service
    token_command: tuple[str, ...] = ()  # else this command prints one (a CLI's login)
    token_hint: str = ""  # how to get one ("sign in with `az login`")
    manual: str = ""  # the same step by hand: a command with {name}, {model} and the keys of ``where``
    note: str = ""  # what a deployment costs or how long it lives


@dataclass(frozen=True)
class Api:
    """How to reach a provider (its profile's ``api`` table): client, environment variables, endpoint, auth."""

    client: str = "http"  # "http": the openai SDK over HTTP; "local": this machine (toolkit.local)
    key_env: str = ""  # the API key's environment variable
    token_env: str = ""  # a bearer token used instead of the key (Entra ID); "" when there is none
    url_env: str = ""  # the endpoint's environment variable (--base-url wins)
    default_url: str = ""  # the endpoint when none is given; "": one must be given
    url_path: str = ""  # the API's path under the endpoint, added when missing ("/openai/v1")
    api_version_env: str = ""  # set (or --api-version): the classic endpoint with that api-version
    org_env: str = ""
    project_env: str = ""
    auth_header: str = "bearer"  # "bearer" or "api-key" (sent next to the bearer)
    wait_for_files: bool = False  # a job may use a file only once the provider has processed it
    deploy: Deploy | None = None  # the step that makes a fine-tuned model answer; None: none needed
    compatible_endpoints: bool = False  # another base URL is a compatible server: model rules and prices advise
    fine_tuned_ids: tuple[str, ...] = ()  # templates of the model ids its jobs make ("ft:{base}:*"); none: no such id

    def base_of(self, model_id: str) -> str | None:
        """The base model of ``model_id`` when it is one of this provider's fine-tuned model ids, else None."""
        for pattern in _id_patterns(self.fine_tuned_ids):
            found = pattern.fullmatch(model_id)
            if found and found.group("base"):
                return found.group("base")
        return None

    @property
    def local(self) -> bool:
        """Jobs run on this machine: no endpoint, no credential."""
        return self.client == "local"

    def variables(self) -> tuple[str, ...]:
        """Every environment variable this provider reads, in the order a user sets them."""
        return tuple(v for v in (self.url_env, self.key_env, self.token_env, self.api_version_env, self.org_env,
                                 self.project_env) if v)

    def is_compatible(self, base_url: str) -> bool:
        """Whether ``base_url`` is another server speaking this provider's API (not the provider itself)."""
        return self.compatible_endpoints and base_url.rstrip("/") != self.default_url.rstrip("/")


@cache
def _id_patterns(templates: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    """Each template as a pattern: ``{base}`` the base model (no colon, as short as fits), ``{hex}`` hex digits, ``*`` anything;
    every other character stands for itself."""
    marks = "|".join(re.escape(m) for m in _ID_MARKS)
    return tuple(re.compile("".join(_ID_MARKS.get(part, re.escape(part)) for part in re.split(f"({marks})", t)),
                            re.DOTALL) for t in templates)


@dataclass(frozen=True)
class Provider:
    """A provider's defaults and its models."""

    name: str
    title: str
    default_model: str
    bom: str
    max_images_per_example: int
    suffix_max: int
    models: dict[str, Model]
    aliases: dict[str, str]
    note: str = ""
    max_image_examples: int = 0  # 0: no known limit
    rft_max_train_examples: int = 0
    rft_max_validation_examples: int = 0
    grader_models: tuple[str, ...] = ()  # models a score_model grader may use (empty: not checked)
    training_types: dict[str, str] = field(default_factory=dict)  # trainingType choice -> what it means; none: not sent
    files_api_max_bytes: int = 512 * 1024**2  # larger files go through the Uploads API
    open_models: bool = False  # any model trains (e.g. Hugging Face ids); the catalog lists suggestions
    tokenizer: str = "encoding"  # "model": training counts tokens with the model's own tokenizer
    validator: str = ""  # whose server-side checks apply (rules for "azure" run on every provider with "azure")
    access_hint: str = ""  # what to check when the API answers 403
    price_note: str = ""  # why its models without a price have none, and where to find it
    successor: str = ""  # where the same files and API keep training once this provider takes no new jobs
    api: Api = field(default_factory=Api)  # how to reach it


@lru_cache(maxsize=1)
def _raw() -> dict[str, Any]:
    # beside this module (importlib.resources would cost lint's start-up ~6 ms of imports for the same file)
    text = (Path(__file__).parent / "data" / "catalog.toml").read_text("utf-8")
    return tomllib.loads(text)


def provider_names() -> tuple[str, ...]:
    """The providers of the catalog, in its order (``openai``, ``azure``, and any added as data)."""
    return tuple(_raw()["providers"])


PROVIDERS = provider_names()
DEFAULT_PROVIDER: str = _raw().get("default_provider", PROVIDERS[0])  # when neither a flag nor the config names one


@cache
def provider(name: str) -> Provider:
    """Return a provider by name (``openai``, ``azure`` or ``local``)."""
    data = _raw()["providers"]
    if name not in data:
        raise UsageError(f"unknown provider {name!r}; choose one of: {', '.join(sorted(data))}")
    p = data[name]
    models = {m: _model(name, m, spec) for m, spec in p.get("models", {}).items()}
    return Provider(
        name=name, title=p["title"], default_model=p["default_model"], bom=p.get("bom", "optional"),
        max_images_per_example=p.get("max_images_per_example", 10), suffix_max=p.get("suffix_max", 64),
        models=models, aliases=dict(p.get("aliases", {})), note=p.get("note", ""),
        max_image_examples=p.get("max_image_examples", 0), rft_max_train_examples=p.get("rft_max_train_examples", 0),
        rft_max_validation_examples=p.get("rft_max_validation_examples", 0),
        grader_models=tuple(p.get("grader_models", ())), training_types=dict(p.get("training_types", {})),
        files_api_max_bytes=int(p.get("files_api_max_mb", 512)) * 1024**2,
        open_models=bool(p.get("open_models", False)), tokenizer=p.get("tokenizer", "encoding"),
        validator=str(p.get("validator", name)), access_hint=p.get("access_hint", ""),
        price_note=p.get("price_note", ""), successor=p.get("successor", ""),
        api=_api(p.get("api", {})))


def _api(table: dict[str, Any]) -> Api:
    deploy = table.get("deploy")
    if deploy is not None:
        deploy = Deploy(**{**deploy, "failed": tuple(deploy["failed"]),
                           "token_command": tuple(deploy.get("token_command", ()))})
    return Api(**{**table, "fine_tuned_ids": tuple(table.get("fine_tuned_ids", ())), "deploy": deploy})


def _model(provider_name: str, name: str, spec: dict[str, Any]) -> Model:
    known = {"context", "encoding", "methods", "images", "shutdown", "shutdown_source", "replacement",
             "price", "price_unit", "price_date", "price_source"}
    shutdown = spec.get("shutdown")
    if isinstance(shutdown, str):
        shutdown = dt.date.fromisoformat(shutdown)
    return Model(
        provider=provider_name, name=name, context=int(spec["context"]), encoding=spec["encoding"],
        methods=tuple(spec["methods"]), images=int(spec.get("images", 0)), shutdown=shutdown,
        shutdown_source=spec.get("shutdown_source"), replacement=spec.get("replacement"),
        price=spec.get("price"), price_unit=spec.get("price_unit"), price_date=spec.get("price_date"),
        price_source=spec.get("price_source"), extra={k: v for k, v in spec.items() if k not in known})


def base_of(provider_name: str, model_id: str) -> str | None:
    """The base model of ``model_id`` when it is a fine-tuned model id of the provider (its profile's
    ``fine_tuned_ids``: ``ft:BASE:org:suffix:id`` on OpenAI, ``BASE.ft-HEX`` on Azure), else None."""
    return provider(provider_name).api.base_of(model_id)


def resolve(provider_name: str = DEFAULT_PROVIDER, model: str | None = None) -> Model:
    """Find ``model`` (snapshot, alias or fine-tuned id) in the catalog of ``provider_name``.

    An unknown model gets the provider default's limits and ``known=False``, so a
    file can still be linted for a model newer than this catalog.
    """
    prov = provider(provider_name)
    name = model or prov.default_model
    base = prov.api.base_of(name)
    lookup = prov.aliases.get(base or name, base or name)
    found = prov.models.get(lookup)
    if found is None:
        default = prov.models[prov.default_model]
        same = {k: getattr(default, k) for k in ("methods", "price", "price_unit", "price_date", "price_source")
                } if prov.open_models else {"methods": formats.METHODS}  # any model: as listed
        return Model(provider=prov.name, name=name, context=default.context, encoding=default.encoding,
                     images=default.images, known=False, fine_tuned_from=base, **same)
    if base or lookup != name:
        return Model(**{**found.__dict__, "name": name, "fine_tuned_from": base or None,
                        "snapshot": None if base else lookup})
    return found


def grader_model(prov: Provider, model: str) -> str | None:
    """The snapshot a grader ``model`` (snapshot or alias) stands for among ``prov``'s grader models, else None."""
    name = prov.aliases.get(model, model)
    return name if name in prov.grader_models else None


def for_method(provider_name: str, model: str | None, method: str) -> Model:
    """``model`` if given; else the provider's default, or its first model that trains ``method``."""
    resolved = resolve(provider_name, model)
    if model is None and method not in resolved.methods:
        return next((m for m in models(provider_name) if method in m.methods), resolved)
    return resolved


def models(provider_name: str) -> list[Model]:
    """Every model of a provider, in catalog order."""
    return list(provider(provider_name).models.values())
