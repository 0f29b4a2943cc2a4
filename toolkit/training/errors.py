"""Turn ``openai`` SDK exceptions into clear, secret-free :class:`ToolkitError` messages.

The SDK already retried 408/409/429/5xx and lost connections (``max_retries``)
before any of these reach the user.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from .. import catalog
from ..errors import ToolkitError
from .console import printable

# server message pattern -> the lint rule that would have caught the problem before upload
RULE_HINTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"invalid_n_examples|must have at least \d+ examples"), "F060"),
    (re.compile(r"missing key 'messages'"), "C010"),
    (re.compile(r"contains an extra"), "C020"),
    (re.compile(r"invalid token"), "F100"),
    (re.compile(r"discriminator 'role'", re.IGNORECASE), "C030"),
    (re.compile(r"cannot be parsed|invalid json", re.IGNORECASE), "F010"),
    (re.compile(r"is not a (JSON )?dictionary"), "F013"),
)


class ApiError(ToolkitError):
    """The provider refused or failed a request."""

    exit_code = 1


class NotFound(ApiError):
    """The provider has no job, file or model by the id given (404): the input names nothing, as a wrong path does."""

    exit_code = 2


class JobFailed(ToolkitError):
    """A fine-tuning job ended in ``failed`` (or was cancelled)."""

    exit_code = 1


class FollowFailed(ToolkitError):
    """Following a job stopped on an error; the job itself may still be running."""

    exit_code = 3


SHORTEST_SECRET = 8  # a shorter "key" (``x``, ``sandbox``) is a placeholder, and masking it would garble words


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret (and anything shaped like a bearer token) replaced by ``***``.

    Secrets shorter than :data:`SHORTEST_SECRET` are left alone: with ``OPENAI_API_KEY=sandbox``,
    "The sandbox failed" must stay readable (longest secrets first, so none is left half-masked).
    """
    for secret in sorted(set(secrets), key=len, reverse=True):
        if len(secret) >= SHORTEST_SECRET:
            text = text.replace(secret, "***")
    return re.sub(r"(?i)(bearer\s+|api-key[\"']?\s*[:=]\s*[\"']?)[A-Za-z0-9._\-]{8,}", r"\1***", text)


def rule_hint(message: str, code: str | None = None) -> str | None:
    """Which lint rule would have caught a server-side file error, as a sentence (or None)."""
    text = f"{code or ''} {message}"
    for pattern, rule in RULE_HINTS:
        if pattern.search(text):
            return f"lint rule {_rule_label(rule)} catches this before upload: run `tunesmith lint` on the file"
    return None


def _rule_label(code: str) -> str:
    from ..rules import load_all

    rule = load_all().get(code)
    return f"{code} ({rule.name})" if rule else code


def server_message(exc: Any) -> str:
    """The human part of an API error body (falls back to the exception text)."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        if body.get("message"):
            return str(body["message"])
        if body.get("detail") or body.get("validation"):  # a validating proxy's 422
            parts = [str(body.get("detail") or body.get("title") or "")]
            parts += [f"{v.get('location')}: {v.get('message')}" for v in body.get("validation") or []
                      if isinstance(v, dict)]
            return "; ".join(p for p in parts if p)
    return str(getattr(exc, "message", None) or exc)


def _access_hint(provider: str | None) -> str:
    """What to check after a 403, from the provider's profile (or every profile's when unknown)."""
    names = [provider] if provider in catalog.PROVIDERS else list(catalog.PROVIDERS)
    hints = [catalog.provider(n).access_hint for n in names if catalog.provider(n).access_hint]
    if provider not in catalog.PROVIDERS:
        hints = [f"on {catalog.provider(n).title}: {catalog.provider(n).access_hint}" for n in names
                 if catalog.provider(n).access_hint]
    return "; ".join(hints) or "check the key's permissions"


def _credential_hint(provider: str | None) -> str:
    """The variables that hold the credentials, from the provider's profile (or every profile's when unknown)."""
    names = [provider] if provider in catalog.PROVIDERS else list(catalog.PROVIDERS)
    hints = [f"{' / '.join(v for v in (api.key_env, api.token_env) if v)} for --provider {name}"
             for name in names if (api := catalog.provider(name).api).key_env]
    return ", or ".join(hints) or "the credentials"


def _wind_down(provider: str | None) -> str:
    """Why a provider takes no new jobs and where the same data keeps training (its ``note`` and ``successor`` in the
    catalog; every provider's with a successor when the provider is unknown)."""
    names = [provider] if provider in catalog.PROVIDERS else catalog.PROVIDERS
    parts = []
    for prov in (catalog.provider(name) for name in names):
        if prov.successor:  # its note says why it stops
            nxt = catalog.provider(prov.successor)
            needs = " and ".join(v for v in (nxt.api.url_env, nxt.api.key_env) if v)
            parts += [prov.note, f"Train on {nxt.title} instead with --provider {prov.successor}"
                      + (f" ({needs})." if needs else ".")]
    return "".join(p + " " for p in parts if p)


def _training_type_hint(said: str, provider: str | None) -> str | None:
    """Foundry's answer to a job without ``trainingType`` blames the model: say what it means."""
    if provider not in catalog.PROVIDERS or "does not support fine-tuning" not in said:
        return None
    tiers = catalog.provider(provider).training_types
    return f"pass --training-type ({', '.join(tiers)}): without it this message is misleading" if tiers else None


def explain(exc: BaseException, *, secrets: Iterable[str] = (), host: str = "the API",
            provider: str | None = None) -> ToolkitError:
    """A user-facing error for an SDK exception (secrets scrubbed); ``provider`` picks the right hints."""
    import openai

    secrets = tuple(secrets)
    status = getattr(exc, "status_code", None)
    code = getattr(exc, "code", None)
    said = scrub(server_message(exc), secrets)
    if isinstance(exc, openai.APITimeoutError):
        text = f"the request to {host} timed out (after retrying); check the network or try again later"
    elif isinstance(exc, openai.APIResponseValidationError):  # an HTML page, a {} where a job should be
        text = (f"{host} did not answer like an OpenAI-compatible API: {scrub(exc.message, secrets)}; check the "
                "base URL (it usually ends in /v1) and any proxy in between")
    elif isinstance(exc, openai.APIConnectionError):
        cause = scrub(str(exc.__cause__ or exc), secrets)
        text = f"could not connect to {host} (after retrying): {cause}; check the base URL and the network"
    elif status == 401:
        text = f"{host} rejected the credentials (401): check {_credential_hint(provider)}. Server said: {said}"
    elif status == 403 and code == "training_not_available":
        text = f"{host} refused to create the job (403 training_not_available). {_wind_down(provider)}Server said: {said}"
    elif status == 403:
        text = (f"{host} denied access (403): the key lacks permission for this action ({_access_hint(provider)}). "
                f"Server said: {said}")
    elif status == 404:
        return NotFound(printable(f"not found on {host} (404): {said}"))
    elif status == 429:
        if code == "insufficient_quota":
            text = (f"{host} answered 429 insufficient_quota: the account has no credit or hit its spending "
                    f"limit; add credit or raise the limit, then run the command again (not retried). "
                    f"Server said: {said}")
        else:
            text = (f"{host} answered 429 after retrying (rate limited: wait a minute and run the command "
                    f"again). Server said: {said}")
    elif status is not None and status >= 500:
        text = f"{host} had a server error ({status}) and kept failing after retries; try again later. " \
               f"Server said: {said}"
    elif status is not None:
        text = f"{host} rejected the request ({status}{' ' + code if code else ''}): {said}"
        hint = rule_hint(said, code) or _training_type_hint(said, provider)
        text += f"\n  hint: {hint}" if hint else ""
    else:
        text = scrub(str(exc), secrets)
    return ApiError(printable(text))


@contextmanager
def api_errors(*, secrets: Iterable[str] = (), host: str = "the API", provider: str | None = None) -> Iterator[None]:
    """Re-raise any ``openai.OpenAIError`` inside the block as :func:`explain` describes it."""
    import openai

    try:
        yield
    except openai.OpenAIError as exc:
        raise explain(exc, secrets=secrets, host=host, provider=provider) from None


def job_failure(job: Any) -> JobFailed:
    """The error for a job that ended ``failed`` or ``cancelled``: its code, message and a lint hint."""
    if job.status == "cancelled":
        return JobFailed(f"job {job.id} was cancelled")
    err = getattr(job, "error", None)
    code = getattr(err, "code", None) or "unknown_error"
    message = getattr(err, "message", None) or "no message from the server"
    param = getattr(err, "param", None)
    text = f"job {job.id} failed: {code}: {message}" + (f" (param: {param})" if param else "")
    hint = rule_hint(message, code)
    return JobFailed(printable(text) + (f"\n  hint: {hint}" if hint else ""))
