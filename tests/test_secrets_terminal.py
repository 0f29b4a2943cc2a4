"""Secrets stay secret and server text stays text: redirects, masking, env files, keys, terminals, garbage.

HTTP tests run the real openai SDK against small servers on 127.0.0.1 that the tests start.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import openai
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.cli.main import main
from toolkit.errors import InputError, UsageError
from toolkit.training.console import FollowConsole, printable, table
from toolkit.training.errors import scrub
from toolkit.training.providers import connection, make_client, read_env_file
from toolkit.training.responses import SHAPES, problem

AZURE_KEY = "azure-key-0123456789abcdef"
EMPTY_PAGE = {"object": "list", "data": [], "has_more": False}
ESC = "\x1b]0;pwned\x07\x1b[2J\x1b[31m"


class Server:
    """A tiny HTTP server: ``answer(handler) -> (status, headers, body)``; it records every request's headers."""

    def __init__(self, answer: Callable[[BaseHTTPRequestHandler], tuple[int, dict[str, str], bytes]]) -> None:
        self.seen: list[tuple[str, dict[str, str]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                outer.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                status, headers, body = answer(self)
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_DELETE = do_PUT = do_GET

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def json_answer(value: Any, status: int = 200) -> Callable[[BaseHTTPRequestHandler], tuple[int, dict[str, str], bytes]]:
    return lambda _: (status, {}, json.dumps(value).encode())


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A registry of the test's own, never the user's."""
    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path / "home"))


@pytest.fixture
def elsewhere() -> Iterator[Server]:
    """Another origin (another port) that answers every request with an empty page."""
    with Server(json_answer(EMPTY_PAGE)) as server:
        yield server


def redirecting_to(target: str) -> Callable[[BaseHTTPRequestHandler], tuple[int, dict[str, str], bytes]]:
    return lambda handler: (307, {"Location": target + handler.path}, b"")


# --- redirects -----------------------------------------------------------------------------------

@pytest.mark.parametrize("api_version", [None, "2024-10-21"])
def test_azure_credentials_never_follow_a_redirect_to_another_origin(elsewhere: Server,
                                                                     api_version: str | None) -> None:
    with Server(redirecting_to(elsewhere.url)) as endpoint:
        conn = connection("azure", api_version=api_version, environ={"AZURE_OPENAI_ENDPOINT": endpoint.url,
                                                                     "AZURE_OPENAI_API_KEY": AZURE_KEY})
        make_client(conn, max_retries=0, timeout=10).fine_tuning.jobs.list()
    [(_, sent)] = endpoint.seen
    assert sent["api-key"] == AZURE_KEY  # the endpoint itself gets the key...
    [(_, followed)] = elsewhere.seen  # ...the other origin got the redirected request, without any credential
    assert "api-key" not in followed and "authorization" not in followed
    assert AZURE_KEY not in json.dumps(followed)


def test_the_http_library_alone_would_leak_the_api_key(elsewhere: Server) -> None:
    """Why the hook exists: httpx strips only Authorization when a redirect leaves the origin."""
    with Server(redirecting_to(elsewhere.url)) as endpoint:
        plain = openai.OpenAI(base_url=endpoint.url + "/openai/v1", api_key=AZURE_KEY, max_retries=0, timeout=10,
                              default_headers={"api-key": AZURE_KEY})
        plain.fine_tuning.jobs.list()
    [(_, followed)] = elsewhere.seen
    assert followed.get("api-key") == AZURE_KEY and "authorization" not in followed


def test_a_redirect_within_the_origin_keeps_the_credentials() -> None:
    def answer(handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        if handler.path.startswith("/moved"):
            return 200, {}, json.dumps(EMPTY_PAGE).encode()
        return 307, {"Location": "/moved" + handler.path}, b""

    with Server(answer) as endpoint:
        conn = connection("azure", environ={"AZURE_OPENAI_ENDPOINT": endpoint.url, "AZURE_OPENAI_API_KEY": AZURE_KEY})
        make_client(conn, max_retries=0, timeout=10).fine_tuning.jobs.list()
    assert [sent.get("api-key") for _, sent in endpoint.seen] == [AZURE_KEY, AZURE_KEY]


# --- masking -------------------------------------------------------------------------------------

def test_short_keys_are_not_masked_inside_words() -> None:
    assert scrub("The sandbox failed to handle x", ["sandbox", "x"]) == "The sandbox failed to handle x"
    assert scrub("key sk-proj-0123456789 and sk-proj-0123456789abc", ["sk-proj-0123456789",
                                                                       "sk-proj-0123456789abc"]) == "key *** and ***"


def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], env: dict[str, str],
        *argv: str) -> tuple[int, str, str]:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY",
                 "AZURE_OPENAI_AD_TOKEN", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "OPENAI_API_VERSION"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_sandbox_key_leaves_the_server_message_readable(monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    message = {"error": {"message": "The sandbox failed to find job x", "type": "invalid_request_error"}}
    with Server(json_answer(message, 404)) as server:
        code, _, err = cli(monkeypatch, capsys, {"OPENAI_API_KEY": "sandbox", "OPENAI_BASE_URL": server.url + "/v1"},
                           "jobs", "show", "ftjob-x")
    assert code == 2 and "The sandbox failed to find job x" in err  # 404: the id names no job (bad input)


def test_a_secret_in_the_base_url_query_is_never_printed(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    secret = "qs-secret-0123456789"
    message = {"error": {"message": f"Invalid URL (GET /v1/fine_tuning/jobs?token={secret})"}}
    with Server(json_answer(message, 404)) as server:
        code, out, err = cli(monkeypatch, capsys, {"OPENAI_API_KEY": "sk-test-0123456789",
                                                   "OPENAI_BASE_URL": f"{server.url}/v1?token={secret}"},
                             "jobs", "list")
    assert code == 2 and "not found" in err and secret not in out + err  # 404: the base URL names no API
    code, out, err = cli(monkeypatch, capsys, {"OPENAI_API_KEY": "sk-test-0123456789",
                                               "OPENAI_BASE_URL": f"ftp://example.com/v1?token={secret}"},
                         "jobs", "list")
    assert code == 2 and "must start with http" in err and secret not in out + err


@pytest.mark.parametrize("url, says", [
    ("http://127.0.0.1:99999/v1", "not a valid URL"), ("http://[::1/v1", "not a valid URL"),
    ("http://\u2603.com/v1", "not a valid URL"), ("http://exa mple.com/v1", "spaces or control characters"),
])
def test_base_urls_the_http_library_cannot_use_are_usage_errors(url: str, says: str) -> None:
    with pytest.raises(UsageError, match=says):
        connection("openai", environ={"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": url})


# --- keys and env files --------------------------------------------------------------------------

@pytest.mark.parametrize("key, says", [
    ("sk-abc\u20acdef", "a non-ASCII character (U+20AC) at position 7"),
    ("sk-abc\u00a0def", "a non-ASCII character (U+00A0) at position 7"),
    ("sk-abc def", "a space at position 7"), ("sk-abc\x01def", "a control character (U+0001) at position 7"),
])
def test_a_key_that_cannot_go_into_a_header_is_a_clear_error(monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str],
                                                             key: str, says: str) -> None:
    with pytest.raises(UsageError, match=re.escape(says)) as caught:
        connection("openai", environ={"OPENAI_API_KEY": key})
    assert key not in str(caught.value)
    with pytest.raises(UsageError, match="OPENAI_ORG_ID has"):
        connection("openai", environ={"OPENAI_API_KEY": "sk-fine", "OPENAI_ORG_ID": key})
    with pytest.raises(UsageError, match="AZURE_OPENAI_API_KEY has"):
        connection("azure", environ={"AZURE_OPENAI_ENDPOINT": "https://x.example", "AZURE_OPENAI_API_KEY": key})
    code, _, err = cli(monkeypatch, capsys, {"OPENAI_API_KEY": key, "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"},
                       "chat", "m", "hi")
    assert code == 2 and says in err and "bug in tunesmith" not in err


def test_env_files_that_are_not_files_fail_fast(tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(InputError, match="not an env file"):
        read_env_file("/dev/zero")
    with pytest.raises(InputError, match="not an env file"):
        read_env_file(tmp_path)
    big = tmp_path / "big.env"
    big.write_bytes(b"A=1\n" * 300_000)
    with pytest.raises(InputError, match="too large"):
        read_env_file(big)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert read_env_file(fifo) == {}  # no writer: nothing to read, and no hang
    assert time.monotonic() - started < 10


def test_an_env_file_from_a_pipe_is_read() -> None:
    """``--env-file <(pass show openai)``: the shell hands over a pipe as /dev/fd/N."""
    read, write = os.pipe()
    try:
        os.write(write, b"OPENAI_API_KEY=sk-from-pipe\n")
        os.close(write)
        assert read_env_file(f"/dev/fd/{read}") == {"OPENAI_API_KEY": "sk-from-pipe"}
    finally:
        os.close(read)


# --- terminals -----------------------------------------------------------------------------------

def test_printable_writes_control_characters_out() -> None:
    assert printable(f"ok{ESC}\r\nline\ttab\u202eevil") == \
        "ok\\x1b]0;pwned\\x07\\x1b[2J\\x1b[31m\nline\ttab\\u202eevil"
    assert printable("a\nb\tc", one_line=True) == "a b c"
    assert "\x1b" not in table([["A", "B"], [f"x{ESC}", "y\nz"]])


def test_event_lines_cannot_drive_the_terminal() -> None:
    from io import StringIO

    from toolkit.training.follow import Update

    stream = StringIO()
    console = FollowConsole(stream, bar=False)
    console.show(Update("event", event=type("E", (), {"message": f"Fine{ESC}", "created_at": 0, "level": "error",
                                                      "type": "message", "data": None})()))
    assert "\x1b" not in stream.getvalue() and "Fine\\x1b" in stream.getvalue()


def job(**fields: Any) -> dict[str, Any]:
    return {"object": "fine_tuning.job", "id": "ftjob-1", "status": "failed", "model": "gpt-4o-mini",
            "created_at": 1, "training_file": "file-1", "result_files": [], **fields}


@pytest.mark.parametrize("argv, answer", [
    (["jobs", "show", "ftjob-1"], job(error={"code": f"bad{ESC}", "message": f"m{ESC}", "param": None})),
    (["jobs", "list"], {"object": "list", "has_more": False, "data": [job(status=f"running{ESC}")]}),
    (["jobs", "cancel", "ftjob-1"], job(status=f"cancelled{ESC}")),
    (["jobs", "events", "ftjob-1"], {"object": "list", "has_more": False, "data": [
        {"object": "fine_tuning.job.event", "id": "e1", "created_at": 1, "level": "info", "type": "message",
         "message": f"hello{ESC}"}]}),
    (["chat", "m", "hi"], {"id": "c", "object": "chat.completion", "created": 1, "model": f"m{ESC}",
                           "choices": [{"index": 0, "finish_reason": "stop",
                                        "message": {"role": "assistant", "content": f"answer{ESC}"}}]}),
])
def test_server_text_reaches_the_terminal_written_out(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str],
                                                      argv: list[str], answer: Any) -> None:
    with Server(json_answer(answer)) as server:
        code, out, err = cli(monkeypatch, capsys, {"OPENAI_API_KEY": "sk-test-0123456789",
                                                   "OPENAI_BASE_URL": server.url + "/v1"}, *argv)
    assert code == 0, err
    assert "\x1b" not in out + err and "\x07" not in out + err and "\\x1b" in out + err


def test_an_error_message_from_the_server_cannot_drive_the_terminal(monkeypatch: pytest.MonkeyPatch,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    with Server(json_answer({"error": {"message": f"no{ESC}", "type": "invalid_request_error"}}, 400)) as server:
        code, _, err = cli(monkeypatch, capsys, {"OPENAI_API_KEY": "sk-test-0123456789",
                                                 "OPENAI_BASE_URL": server.url + "/v1"}, "jobs", "show", "ftjob-1")
    assert code == 1 and "\x1b" not in err and "no\\x1b" in err


# --- garbage answers -----------------------------------------------------------------------------

@pytest.mark.parametrize("content_type, body, says", [
    ("text/html", b"<html>Sign in to the Wi-Fi</html>", "not JSON (text/html"),
    ("application/json", b"{\"data\": 5}", "data is a int (5), not a list"),
    ("application/json", b"[1, 2]", "the answer is a list"),
    ("application/json", b"{}", "is missing"),
    ("application/json", b"{\"id\": \"ftjob-1\", \"status\": \"x\", \"created_at\": 1e999}", "not a finite"),
    ("application/json", b"{\"truncated\": ", "not JSON"),
])
@pytest.mark.parametrize("argv", [["jobs", "list"], ["jobs", "show", "ftjob-1"], ["jobs", "events", "ftjob-1"],
                                  ["jobs", "checkpoints", "ftjob-1"], ["jobs", "cancel", "ftjob-1"],
                                  ["chat", "m", "hi"]])
def test_garbage_answers_are_clear_errors(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                          content_type: str, body: bytes, says: str, argv: list[str]) -> None:
    with Server(lambda _: (200, {"Content-Type": content_type}, body)) as server:
        code, _, err = cli(monkeypatch, capsys, {"OPENAI_API_KEY": "sk-test-0123456789",
                                                 "OPENAI_BASE_URL": server.url + "/v1"}, *argv)
    assert "bug in tunesmith" not in err and "internal error" not in err
    assert code == 1 and "did not answer like an OpenAI-compatible API" in err
    pages, jobs = argv[1] in ("list", "events", "checkpoints"), argv[1] in ("show", "cancel")
    if (b"data" not in body or pages) and (b"1e999" not in body or jobs):
        assert says in err


@pytest.mark.parametrize("content, says", [
    (b"step,train_loss\n1e400,1\n", "the step is not a finite number"),
    (b"step,train_loss\ninf,1\n", "the step is not a finite number"),
    (b"step,train_loss\n1," + b"9" * 200_000 + b"\n", "not a CSV file the metrics can be read from"),
    (b"\xff\xfe\x00\x1b[2J", "no 'step' column"),
])
def test_a_garbage_result_file_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                                content: bytes, says: str) -> None:
    done = job(status="succeeded", result_files=["file-r"], fine_tuned_model="ft:x")

    def answer(handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        if handler.path.endswith("/content"):
            return 200, {"Content-Type": "application/octet-stream"}, content
        return 200, {}, json.dumps(done).encode()

    with Server(answer) as server:
        code, out, err = cli(monkeypatch, capsys, {"OPENAI_API_KEY": "sk-test-0123456789",
                                                   "OPENAI_BASE_URL": server.url + "/v1"}, "jobs", "metrics", "ftjob-1")
    assert code == 2 and says in err and "internal error" not in err and "\x1b" not in out + err


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["id", "status", "data", "choices", "message", "content", "metrics", "step_number",
                         "result_files", "error", "tool_calls", "function", "usage", "x"]), inner, max_size=5),
    max_leaves=25)


@settings(deadline=None)
@given(body=st.one_of(st.binary(max_size=100), json_values.map(lambda v: json.dumps(v).encode())),
       shape=st.sampled_from(SHAPES))
def test_the_answer_check_never_fails_itself(body: bytes, shape: tuple[str, Any, Any]) -> None:
    method, pattern, _ = shape
    path = "/v1" + pattern.pattern.rstrip("$").replace("[^/]+", "x").replace("(?:cancel|pause|resume)", "cancel") \
        .replace("(?:/x/(?:complete|cancel))?", "")
    assert problem(method, path, "application/json", b"[1]") is not None  # the path is one the check knows
    found = problem(method, path, "application/json", body)
    assert found is None or found.startswith(("not JSON", "an unexpected object"))


def test_the_management_token_never_follows_a_redirect() -> None:
    from toolkit.training.deploy import deploy

    token = "arm-token-0123456789abcdef"
    creating = json.dumps({"properties": {"provisioningState": "Creating"}}).encode()
    with Server(json_answer({"properties": {"provisioningState": "Succeeded"}})) as other:
        with Server(lambda h: (200, {}, creating) if h.command == "PUT" else
                    (307, {"Location": other.url + h.path}, b"")) as arm:
            state = deploy("azure", "m.ft-1", {"subscription": "sub", "resource_group": "rg", "account": "acct"},
                           "dep", token, root=arm.url, poll=0.01, timeout=10, sleep=lambda _: None)
    assert state == "Succeeded"
    assert [sent.get("authorization") for _, sent in arm.seen] == [f"Bearer {token}"] * 2  # PUT, then a GET
    assert other.seen and all("authorization" not in sent for _, sent in other.seen)


@pytest.mark.parametrize("argv, says", [
    (["jobs", "list", "--timeout", "nan"], "--timeout: expected a finite number"),
    (["jobs", "list", "--timeout", "-5"], "--timeout: expected a number of seconds above 0"),
    (["jobs", "follow", "ftjob-1", "--poll", "inf"], "--poll: expected a finite number"),
    (["chat", "m", "hi", "--temperature", "nan"], "--temperature: expected a finite number"),
    (["sandbox", "--speed", "nan"], "--speed must be a positive, finite number"),
])
def test_numbers_that_cannot_go_into_a_request_or_a_timer(monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str],
                                                          argv: list[str], says: str) -> None:
    code, _, err = cli(monkeypatch, capsys, {"OPENAI_API_KEY": "sk-test-0123456789"}, *argv)
    assert code == 2 and says in err and "internal error" not in err
