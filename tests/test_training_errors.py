"""SDK errors become clear messages: the status explained, the server's words, a lint hint, no secrets."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import httpx2
import openai
import pytest

from toolkit.training.errors import ApiError, JobFailed, explain, job_failure, rule_hint, scrub

KEY = "sk-proj-SECRETSECRETSECRET1234"
URL = "http://127.0.0.1:9/v1/fine_tuning/jobs"


def status_error(cls: type[openai.APIStatusError], status: int, message: str, code: str | None = None,
                 param: str | None = None) -> openai.APIStatusError:
    request = httpx2.Request("POST", URL)
    body = {"message": message, "type": "invalid_request_error", "param": param, "code": code}
    return cls(f"Error code: {status} - {body}", response=httpx2.Response(status, request=request), body=body)


def text(exc: BaseException, provider: str | None = None) -> str:
    err = explain(exc, secrets=[KEY], host="api.openai.com", provider=provider)
    assert isinstance(err, ApiError) and err.exit_code == 1
    return str(err)


def test_401_points_at_the_key_variables() -> None:
    out = text(status_error(openai.AuthenticationError, 401, f"Incorrect API key provided: {KEY}.",
                            code="invalid_api_key"))
    assert "rejected the credentials (401)" in out and "OPENAI_API_KEY" in out and "AZURE_OPENAI_API_KEY" in out
    assert KEY not in out and "Incorrect API key provided: ***" in out


def test_403_training_not_available_explains_the_wind_down() -> None:
    out = text(status_error(openai.PermissionDeniedError, 403, "OpenAI is winding down the fine-tuning platform and "
                            "your organization is no longer able to create new fine-tuning training jobs.",
                            code="training_not_available"))
    assert "403 training_not_available" in out
    assert "2027-01-06" in out and "new organisations in 2026" in out and "--provider azure" in out
    assert "no longer able to create new fine-tuning training jobs" in out
    said = text(status_error(openai.PermissionDeniedError, 403, "no", code="training_not_available"), "openai")
    assert "Train on Azure OpenAI / Microsoft Foundry instead with --provider azure (AZURE_OPENAI_ENDPOINT and " \
           "AZURE_OPENAI_API_KEY)" in said  # the catalog's successor and its profile's variables
    said = text(status_error(openai.PermissionDeniedError, 403, "no", code="training_not_available"), "azure")
    assert "Train on" not in said and "deploy" not in said  # no successor: nothing to add


@pytest.mark.parametrize(("provider", "expect", "absent"), [
    ("azure", "Cognitive Services OpenAI Contributor", "restricted key"),
    ("openai", "restricted key needs write access to Fine-tuning", "Contributor"),
    (None, "on Azure OpenAI / Microsoft Foundry: fine-tuning needs the Cognitive Services", "\x00"),
])
def test_other_403_names_the_providers_fix(provider: str | None, expect: str, absent: str) -> None:
    exc = status_error(openai.PermissionDeniedError, 403, "Principal does not have access")
    out = str(explain(exc, secrets=[KEY], host="h", provider=provider))
    assert "denied access (403)" in out and expect in out and absent not in out


# the server messages of real_error_messages.md and the lint rule that catches each before upload
@pytest.mark.parametrize(("message", "code", "rule"), [
    ("Training file has 7 example(s), but must have at least 10 examples", "invalid_n_examples", "F060"),
    ("Invalid file format. Example 3 is missing key 'messages'", "invalid_file_format", "C010"),
    ('Invalid file format. Example 1 contains an extra "weight".', "invalid_file_format", "C020"),
    ("Invalid file format. Example 6174 message contains an invalid token: <|fim_suffix|>.", None, "F100"),
    ("Invalid file format. Example 100, message 2 Discriminator 'role' is missing in value", None, "C030"),
    ("Invalid file format. Line 3, message 1: No match for discriminator 'role' and value None", None, "C030"),
    ("Invalid file format. Example 1273 cannot be parsed. Error: line contains invalid json", None, "F010"),
    ("Expected file to have JSONL format, where every line is a JSON dictionary. Line 1 is not a dictionary",
     None, "F013"),
])
def test_400_shows_the_server_message_and_the_lint_rule(message: str, code: str | None, rule: str) -> None:
    out = text(status_error(openai.BadRequestError, 400, message, code=code, param="training_file"))
    assert "rejected the request (400" in out and message in out
    assert f"hint: lint rule {rule}" in out and "tunesmith lint" in out


def test_rule_hint_names_the_rule_when_it_is_registered() -> None:
    from toolkit.rules import load_all

    name = load_all()["F060"].name
    assert f"F060 ({name})" in (rule_hint("must have at least 10 examples") or "")
    assert rule_hint("Model ft:x is not available for fine-tuning") is None


def test_400_without_a_matching_rule_has_no_hint() -> None:
    out = text(status_error(openai.BadRequestError, 400, "Model gpt-9 is not available for fine-tuning",
                            code="model_not_available"))
    assert "model_not_available" in out and "not available for fine-tuning" in out and "hint" not in out


def test_422_from_a_validating_proxy_lists_the_violations() -> None:
    request = httpx2.Request("POST", URL)
    body = {"type": "https://stoplight.io/prism/errors#UNPROCESSABLE_ENTITY", "title": "Invalid request",
            "detail": "Your request is not valid and no HTTP validation response was found in the spec",
            "validation": [{"location": ["body", "model"], "severity": "Error", "message": "must be string"}]}
    exc = openai.UnprocessableEntityError("Error code: 422", response=httpx2.Response(422, request=request), body=body)
    out = text(exc)
    assert "(422)" in out and "must be string" in out and "model" in out


@pytest.mark.parametrize(("code", "expect"), [("rate_limit_exceeded", "429 after retrying (rate limited"),
                                              ("insufficient_quota", "429 insufficient_quota: the account has no credit")])
def test_429_after_retries(code: str, expect: str) -> None:
    out = text(status_error(openai.RateLimitError, 429, "Rate limit reached", code=code))
    assert expect in out


def test_retry_after_headers_in_every_form() -> None:
    import email.utils
    import time

    from toolkit.training.retry import parse_retry_after, transient

    assert parse_retry_after({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert parse_retry_after({"retry-after": "10"}) == 10.0
    soon = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= (parse_retry_after({"retry-after": soon}) or 0) <= 31
    assert parse_retry_after({"retry-after": "soon"}) is None and parse_retry_after({}) is None
    assert transient(status_error(openai.RateLimitError, 429, "slow down", code="rate_limit_exceeded"))
    assert not transient(status_error(openai.RateLimitError, 429, "no credit", code="insufficient_quota"))
    assert transient(status_error(openai.InternalServerError, 503, "busy"))
    assert not transient(status_error(openai.BadRequestError, 400, "bad"))


def test_5xx_after_retries() -> None:
    out = text(status_error(openai.InternalServerError, 503, "The engine is currently overloaded"))
    assert "server error (503)" in out and "kept failing after retries" in out and "overloaded" in out


def test_timeouts_and_lost_connections() -> None:
    request = httpx2.Request("GET", URL)
    assert "timed out" in text(openai.APITimeoutError(request=request))
    lost = openai.APIConnectionError(request=request)
    lost.__cause__ = ConnectionRefusedError(f"[Errno 111] Connection refused (Bearer {KEY})")
    out = text(lost)
    assert "could not connect to api.openai.com" in out and "Connection refused" in out and KEY not in out


def test_scrub_removes_known_secrets_and_bearer_tokens() -> None:
    assert scrub(f"key={KEY}", [KEY]) == "key=***"
    assert scrub("Authorization: Bearer abcdefghijklmnop", []) == "Authorization: Bearer ***"
    assert scrub("api-key: 0123456789abcdef", []) == "api-key: ***"


def job(**kw: Any) -> SimpleNamespace:
    return SimpleNamespace(**({"id": "ftjob-1", "status": "failed", "error": None} | kw))


def test_failed_job_shows_code_message_param_and_hint() -> None:
    err = job_failure(job(error=SimpleNamespace(code="invalid_file_format", param="training_file",
                                                message='Invalid file format. Example 1 contains an extra "weight".')))
    assert isinstance(err, JobFailed) and err.exit_code == 1
    assert str(err).startswith('job ftjob-1 failed: invalid_file_format: Invalid file format. Example 1 contains')
    assert "(param: training_file)" in str(err) and "lint rule C020" in str(err)
    assert str(job_failure(job(status="cancelled"))) == "job ftjob-1 was cancelled"
    assert "unknown_error: no message from the server" in str(job_failure(job()))
