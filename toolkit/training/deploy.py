"""The deploy step of a provider whose fine-tuned models answer only once deployed (its profile's ``api.deploy``).

One implementation for every such provider, driven by the profile: PUT the deployment (the profile's path
and body, filled in), then GET it until its state settles. Azure's is Azure Resource Manager's REST API with
an Entra token; a provider without a ``deploy`` table has no such step.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from .. import catalog
from ..errors import UsageError
from ..pointers import split
from .errors import ApiError, scrub


def step(provider: str) -> catalog.Deploy | None:
    """The provider's deploy step, or None when its fine-tuned models answer without one."""
    return catalog.provider(provider).api.deploy


def url(profile: catalog.Deploy, where: Mapping[str, str], name: str, root: str | None = None) -> str:
    """The deployment's URL: ``root`` (default: the profile's) and the path with ``name`` and ``where`` URL-quoted."""
    values = {key: quote(value, safe="") for key, value in {**where, "name": name}.items()}
    return (root or profile.url).rstrip("/") + profile.path.format(**values)


def body(profile: catalog.Deploy, model_id: str, sku: str, capacity: int) -> Any:
    """The PUT's JSON body: the profile's, with ``{model}``, ``{sku}`` and ``{capacity}`` filled in (a string that
    is only a placeholder takes the value's own JSON type)."""
    values: dict[str, Any] = {"model": model_id, "sku": profile.skus.get(sku, sku), "capacity": capacity}

    def fill(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        if isinstance(value, str):
            whole = value[1:-1] if value.startswith("{") and value.endswith("}") else None
            return values[whole] if whole in values else value.format(**values)
        return value

    return fill(profile.body)


def instructions(provider: str, model_id: str, job_id: str, *, name: str = "DEPLOYMENT") -> str:
    """What to do after a job of ``provider`` succeeds, as text for the terminal ("" without a deploy step)."""
    profile = step(provider)
    if profile is None:
        return ""
    prov = catalog.provider(provider)
    flags = " ".join(f"--{key.replace('_', '-')} {key.upper()}" for key in profile.where)
    skus = "|".join(profile.skus)
    lines = [f"{prov.title} serves {model_id} only after you deploy it. Either let tunesmith do it (a token for "
             f"{profile.title} from {profile.token_env}{' or ' + profile.token_hint if profile.token_hint else ''}):",
             f"  tunesmith jobs follow {job_id} --provider {provider} --deploy {name} {flags}"
             + (f" [--deploy-sku {skus}]" if skus else "")]
    if profile.manual:
        lines += ["or by hand:", "  " + profile.manual.format(name=name, model=model_id,
                                                               **{key: key.upper() for key in profile.where})]
    lines.append(f"Then: tunesmith chat {name} \"hello\" --provider {provider}")
    if profile.note:
        lines.append(profile.note)
    return "\n".join(lines)


def token(profile: catalog.Deploy, environ: Mapping[str, str] | None = None) -> str:
    """A bearer token for the deploy service: the profile's variable, else what its ``token_command`` prints."""
    env = os.environ if environ is None else environ
    found = env.get(profile.token_env)
    if found:
        return found
    program = shutil.which(profile.token_command[0]) if profile.token_command else None
    if program:
        try:
            proc = subprocess.run([program, *profile.token_command[1:]], capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            proc = None
        if proc is not None and proc.returncode == 0 and proc.stdout.strip():
            return proc.stdout.strip()
    raise UsageError(f"deploying needs a token for {profile.title}: set {profile.token_env}"
                     + (f" or {profile.token_hint}" if profile.token_hint else ""))


def _request(profile: catalog.Deploy, method: str, to: str, secret: str, data: Any = None) -> dict[str, Any]:
    sent = json.dumps(data).encode() if data is not None else None
    req = urllib.request.Request(to, data=sent, method=method, headers={"Content-Type": "application/json"})
    req.add_unredirected_header("Authorization", f"Bearer {secret}")  # urllib would send it on to any redirect's host
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            answer = json.loads(resp.read() or b"{}")
        if not isinstance(answer, dict):
            raise ValueError("not an object")
        return answer
    except (ValueError, RecursionError):
        raise ApiError(f"{profile.title} answered with something that is not a JSON object; check --deploy-url "
                       "and any proxy in between") from None
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")
        try:
            err = json.loads(detail).get("error", {})
            detail = f"{err.get('code', '')}: {err.get('message', '')}".strip(": ")
        except (ValueError, AttributeError):
            pass
        raise ApiError(scrub(f"{profile.title} refused the deployment ({exc.code}): {detail}", [secret])) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise ApiError(scrub(f"could not reach {profile.title}: {exc}", [secret])) from None


def _state(profile: catalog.Deploy, answer: dict[str, Any]) -> str:
    value: Any = answer
    for key in split(profile.state):
        value = value.get(key) if isinstance(value, dict) else None
    return str(value or "Unknown")


def deploy(provider: str, model_id: str, where: Mapping[str, str], name: str, secret: str, *,
           root: str | None = None, sku: str | None = None, capacity: int = 1, poll: float = 5.0,
           timeout: float = 1800.0, sleep: Callable[[float], None] = time.sleep,
           on_state: Callable[[str], None] | None = None) -> str:
    """Create (or update) deployment ``name`` of ``model_id`` at ``where`` and wait until its state settles;
    return it. ``root`` replaces the profile's service URL; ``sku`` is a ``--deploy-sku`` choice (default: the
    profile's first)."""
    profile = step(provider)
    if profile is None:
        raise UsageError(f"{catalog.provider(provider).title} serves fine-tuned models without a deployment")
    to = url(profile, where, name, root)
    sent = body(profile, model_id, sku or next(iter(profile.skus), ""), capacity)
    state = _state(profile, _request(profile, "PUT", to, secret, sent))
    deadline = time.monotonic() + timeout
    while True:
        if on_state:
            on_state(state)
        if state == profile.succeeded or state in profile.failed:
            break
        if time.monotonic() >= deadline:
            raise ApiError(f"deployment {name} is still {state} after {timeout:.0f} s; check the portal")
        sleep(poll)
        state = _state(profile, _request(profile, "GET", to, secret))
    if state != profile.succeeded:
        raise ApiError(f"deployment {name} ended {state}; see the activity log of {profile.title}")
    return state
