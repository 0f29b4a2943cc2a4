"""Azure's extra step: a fine-tuned model answers only once it is deployed (ARM REST, Entra token)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from ..errors import UsageError
from .errors import ApiError, scrub

ARM_URL = "https://management.azure.com"
ARM_API_VERSION = "2024-10-21"
_DONE = ("Succeeded", "Failed", "Canceled")


@dataclass(frozen=True)
class Target:
    """Where to deploy: the Azure OpenAI (Foundry) resource and the deployment name."""

    subscription: str
    resource_group: str
    account: str
    name: str

    def url(self, arm_url: str = ARM_URL) -> str:
        parts = [quote(p, safe="") for p in (self.subscription, self.resource_group, self.account, self.name)]
        return (f"{arm_url.rstrip('/')}/subscriptions/{parts[0]}/resourceGroups/{parts[1]}/providers/"
                f"Microsoft.CognitiveServices/accounts/{parts[2]}/deployments/{parts[3]}"
                f"?api-version={ARM_API_VERSION}")


def instructions(model_id: str, job_id: str, *, name: str = "DEPLOYMENT") -> str:
    """What to do after an Azure job succeeds, as text for the terminal."""
    return "\n".join([
        f"Azure serves {model_id} only after you deploy it. Either let tunesmith do it (Entra token from",
        "AZURE_MANAGEMENT_TOKEN or `az login`):",
        f"  tunesmith jobs follow {job_id} --provider azure --deploy {name} "
        "--subscription SUB --resource-group RG --account RESOURCE [--deploy-sku standard|globalstandard|developer]",
        "or use the Azure CLI:",
        f"  az cognitiveservices account deployment create -g RG -n RESOURCE --deployment-name {name} "
        f"--model-name {model_id} --model-version 1 --model-format OpenAI --sku-name Standard --sku-capacity 1",
        f"Then: tunesmith chat {name} \"hello\" --provider azure",
        "A deployment is billed per hour while it exists; one with no calls for 15 days is deleted "
        "(the model stays).",
    ])


def management_token(environ: Mapping[str, str] | None = None) -> str:
    """An Entra token for ARM: ``AZURE_MANAGEMENT_TOKEN``, else from the Azure CLI's login."""
    env = os.environ if environ is None else environ
    token = env.get("AZURE_MANAGEMENT_TOKEN")
    if token:
        return token
    az = shutil.which("az")
    if az:
        proc = subprocess.run([az, "account", "get-access-token", "--resource", "https://management.azure.com/",
                               "--query", "accessToken", "-o", "tsv"], capture_output=True, text=True, timeout=60)
        if proc.returncode == 0 and proc.stdout.strip():
            return proc.stdout.strip()
    raise UsageError("deploying needs an Entra token for Azure Resource Manager: set AZURE_MANAGEMENT_TOKEN "
                     "or sign in with `az login`")


def _request(method: str, url: str, token: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    req.add_unredirected_header("Authorization", f"Bearer {token}")  # urllib would send it on to any redirect's host
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            answer = json.loads(resp.read() or b"{}")
        if not isinstance(answer, dict):
            raise ValueError("not an object")
        return answer
    except (ValueError, RecursionError):
        raise ApiError("Azure Resource Manager answered with something that is not a JSON object; check --arm-url "
                       "and any proxy in between") from None
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")
        try:
            err = json.loads(detail).get("error", {})
            detail = f"{err.get('code', '')}: {err.get('message', '')}".strip(": ")
        except (ValueError, AttributeError):
            pass
        message = f"Azure Resource Manager refused the deployment ({exc.code}): {detail}"
        raise ApiError(scrub(message, [token])) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise ApiError(scrub(f"could not reach Azure Resource Manager: {exc}", [token])) from None


def deploy(model_id: str, target: Target, token: str, *, arm_url: str = ARM_URL, sku: str = "standard",
           capacity: int = 1, poll: float = 5.0, timeout: float = 1800.0,
           sleep: Callable[[float], None] = time.sleep, on_state: Callable[[str], None] | None = None) -> str:
    """Create (or update) the deployment and wait for ARM's ``provisioningState``; return it."""
    body = {"sku": {"name": sku, "capacity": capacity},
            "properties": {"model": {"format": "OpenAI", "name": model_id, "version": "1"}}}
    url = target.url(arm_url)
    state = _state(_request("PUT", url, token, body))
    deadline = time.monotonic() + timeout
    while True:
        if on_state:
            on_state(state)
        if state in _DONE:
            break
        if time.monotonic() >= deadline:
            raise ApiError(f"deployment {target.name} is still {state} after {timeout:.0f} s; check the portal")
        sleep(poll)
        state = _state(_request("GET", url, token))
    if state != "Succeeded":
        raise ApiError(f"deployment {target.name} ended {state}; see the resource's activity log in the portal")
    return state


def _state(data: dict[str, Any]) -> str:
    return str((data.get("properties") or {}).get("provisioningState") or "Unknown")
