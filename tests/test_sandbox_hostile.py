"""The sandbox on hostile input: it answers like a server (400/413, never 500), never hangs, stays up.

Every test talks real HTTP to a sandbox on 127.0.0.1; raw sockets send what no SDK would.
Every wait has a deadline.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import openai
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit.sandbox import Sandbox, job_lifecycle, validate
from toolkit.sandbox.multipart import parse_form

DEADLINE = 10.0  # seconds any one exchange may take
KEY = b"Authorization: Bearer test\r\n"


def example(i: int) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": f"What is {i} plus {i}?"},
                         {"role": "assistant", "content": f"{i} plus {i} is {2 * i}."}]}


TRAIN = "".join(json.dumps(example(i)) + "\n" for i in range(12)).encode()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(speed=25) as running:
        yield running


def client(sandbox: Sandbox) -> openai.OpenAI:
    return openai.OpenAI(base_url=sandbox.base_url, api_key="test", max_retries=0, timeout=DEADLINE)


def connect(sandbox: Sandbox) -> socket.socket:
    assert sandbox._server is not None
    return socket.create_connection((sandbox.host, sandbox._server.server_address[1]), timeout=DEADLINE)


def exchange(sandbox: Sandbox, raw: bytes) -> tuple[int, bytes]:
    """Send ``raw`` bytes, read one answer: its status and body (0, b"" when the server just hangs up)."""
    with connect(sandbox) as sock:
        sock.sendall(raw)
        response = http.client.HTTPResponse(sock)
        try:
            response.begin()
        except (http.client.RemoteDisconnected, ConnectionResetError):
            return 0, b""
        return response.status, response.read()


def post(path: str, body: bytes, *, content_type: str = "application/json", extra: bytes = b"") -> bytes:
    return (f"POST /v1{path} HTTP/1.1\r\nHost: sandbox\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n").encode() + KEY + extra + b"\r\n" + body


def error_message(body: bytes) -> str:
    return str(json.loads(body)["error"]["message"])


# --- request bodies ------------------------------------------------------------------------------

@pytest.mark.parametrize("body, says", [
    (b'{"model": ' + b"7" * 5000 + b"}", "could not parse the JSON body"),  # over Python's 4,300 digits
    (b"[" * 100_000 + b"]" * 100_000, "could not parse the JSON body"),
    (b'{"model": "gpt-4o-mini", "seed": NaN}', "could not parse the JSON body"),
    (b'{"model": "gpt-4o-mini", "seed": 1e999}', "could not parse the JSON body"),
    (b'\xff\xfe{"model"', "could not parse the JSON body"),
])
def test_json_bodies_that_python_cannot_read_get_400(sandbox: Sandbox, body: bytes, says: str) -> None:
    for path in ("/fine_tuning/jobs", "/uploads", "/chat/completions"):
        status, answer = exchange(sandbox, post(path, body))
        assert status == 400 and says in error_message(answer)


@pytest.mark.parametrize("headers, says", [
    (b"Content-Length: abc\r\n", "invalid Content-Length"),
    (b"Content-Length: -5\r\n", "invalid Content-Length"),
    (b"Content-Length: 5\r\nContent-Length: 6\r\n", "conflicting Content-Length"),
    (b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n", "invalid chunk size"),
    (b"Transfer-Encoding: chunked\r\n\r\n-3\r\nabc\r\n0\r\n", "invalid chunk size"),
    (b"Transfer-Encoding: chunked\r\n\r\n2\r\nabcdef\r\n0\r\n", "longer than its size line"),
    (b"Transfer-Encoding: chunked\r\n\r\n" + b"f" * 40 + b"\r\n", "invalid chunk size"),
])
def test_bad_lengths_and_chunk_sizes_get_400(sandbox: Sandbox, headers: bytes, says: str) -> None:
    head, _, rest = headers.partition(b"\r\n\r\n")
    raw = b"POST /v1/uploads HTTP/1.1\r\nHost: sandbox\r\n" + KEY + head + b"\r\n\r\n" + rest + b"\r\n"
    status, answer = exchange(sandbox, raw)
    assert status == 400 and says in error_message(answer)


def test_a_body_that_ends_early_gets_400(sandbox: Sandbox) -> None:
    with connect(sandbox) as sock:
        sock.sendall(b"POST /v1/uploads HTTP/1.1\r\nHost: sandbox\r\nContent-Length: 100\r\n" + KEY + b"\r\n{")
        sock.shutdown(socket.SHUT_WR)
        response = http.client.HTTPResponse(sock)
        response.begin()
        assert response.status == 400 and "ended after 1 of the 100 bytes" in error_message(response.read())


def test_an_oversized_body_is_refused_before_it_is_read(sandbox: Sandbox) -> None:
    length = sandbox.store.max_request_bytes + 1
    raw = f"POST /v1/files HTTP/1.1\r\nHost: sandbox\r\nContent-Length: {length}\r\n".encode() + KEY + b"\r\n"
    started = time.monotonic()
    status, answer = exchange(sandbox, raw)  # nothing of the body is sent: the answer must not wait for it
    assert status == 413 and "too large" in error_message(answer)
    assert time.monotonic() - started < DEADLINE
    status, _ = exchange(sandbox, raw.replace(str(length).encode(), b"9" * 5000))
    assert status == 413


def test_other_transfer_encodings_are_not_guessed(sandbox: Sandbox) -> None:
    raw = b"POST /v1/uploads HTTP/1.1\r\nHost: sandbox\r\nTransfer-Encoding: gzip\r\n" + KEY + b"\r\n"
    assert exchange(sandbox, raw)[0] == 501


def test_a_chunked_body_is_still_served(sandbox: Sandbox) -> None:
    body = json.dumps({"filename": "a.jsonl", "purpose": "fine-tune", "bytes": 3, "mime_type": "text/jsonl"})
    chunks = b"".join(f"{len(p):x}\r\n".encode() + p.encode() + b"\r\n" for p in (body[:5], body[5:]))
    raw = (b"POST /v1/uploads HTTP/1.1\r\nHost: sandbox\r\nTransfer-Encoding: chunked\r\n" + KEY + b"\r\n"
           + chunks + b"0\r\nX-Trailer: 1\r\n\r\n")
    status, answer = exchange(sandbox, raw)
    assert status == 200 and json.loads(answer)["status"] == "pending"


# --- connections ---------------------------------------------------------------------------------

def test_a_stalled_client_is_dropped_and_others_are_served() -> None:
    sandbox = Sandbox()
    sandbox.idle_timeout = 0.5
    with sandbox:
        with connect(sandbox) as silent, connect(sandbox) as half:
            half.sendall(b"POST /v1/uploads HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n" + KEY + b"\r\n{")
            assert client(sandbox).files.list().data == []  # served while two clients stall
            for sock in (silent, half):
                sock.settimeout(DEADLINE)
                started = time.monotonic()
                assert sock.recv(1024) == b""  # the server closed the connection...
                assert time.monotonic() - started < DEADLINE  # ...after its idle timeout, not never


def test_a_burst_of_100_clients_is_served() -> None:
    with Sandbox() as sandbox:
        assert sandbox._server is not None and sandbox._server.request_queue_size >= 100
        barrier = threading.Barrier(100, timeout=DEADLINE)

        def one(_: int) -> int:
            barrier.wait()
            return exchange(sandbox, b"GET /v1/files HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + KEY
                            + b"\r\n")[0]

        with ThreadPoolExecutor(100) as pool:
            statuses = list(pool.map(one, range(100), timeout=4 * DEADLINE))
        assert statuses == [200] * 100


# --- uploads and files ---------------------------------------------------------------------------

def test_uploads_have_a_size_cap_and_their_declared_bytes_are_held_to() -> None:
    with Sandbox() as sandbox:
        sandbox.store.max_upload_bytes, sandbox.store.max_part_bytes, sandbox.store.max_file_bytes = 100, 40, 50
        api = client(sandbox)
        with pytest.raises(openai.BadRequestError, match="at most 100 bytes"):
            api.uploads.create(filename="a.jsonl", purpose="fine-tune", bytes=101, mime_type="text/jsonl")
        upload = api.uploads.create(filename="a.jsonl", purpose="fine-tune", bytes=10, mime_type="text/jsonl")
        with pytest.raises(openai.BadRequestError, match="at most 40 bytes"):
            api.uploads.parts.create(upload.id, data=b"x" * 41)
        api.uploads.parts.create(upload.id, data=b"x" * 8)
        with pytest.raises(openai.BadRequestError, match="more than the bytes=10"):  # the declared size lied
            api.uploads.parts.create(upload.id, data=b"x" * 8)
        with pytest.raises(openai.BadRequestError, match="at most 50 bytes"):
            api.files.create(file=("big.jsonl", b"x" * 51), purpose="fine-tune")
        assert api.files.list().data == []


# --- jobs ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("line, reason", [
    (b'{"messages": [{"role": "user", "content": "x", "n": ' + b"1" * 5000 + b"}]}", "a number has too many digits"),
    (b'{"messages": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", "it is nested too deeply"),
])
def test_a_bad_training_file_fails_its_job_and_nothing_else(sandbox: Sandbox, line: bytes, reason: str) -> None:
    api = client(sandbox)
    bad = api.files.create(file=("bad.jsonl", line + b"\n" + TRAIN), purpose="fine-tune")
    job = api.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=bad.id)
    deadline = time.monotonic() + DEADLINE
    while (job := api.fine_tuning.jobs.retrieve(job.id)).status == "validating_files":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert job.status == "failed" and job.error is not None and job.error.code == "invalid_file_format"
    assert f"Example 1 cannot be parsed. Error: line contains invalid json: {reason} (line 1)" in job.error.message
    good = api.files.create(file=("good.jsonl", TRAIN), purpose="fine-tune")
    other = api.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=good.id)
    assert job.id in [j.id for j in api.fine_tuning.jobs.list(limit=100).data]
    assert api.fine_tuning.jobs.cancel(other.id).status == "cancelled"


def test_files_are_checked_outside_the_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    """A file that takes long to check (here: until released) holds up no other request."""
    release, started = threading.Event(), threading.Event()
    real = validate.check_file  # what job_lifecycle calls (it imports it by name)

    def slow_check(*args: Any, **kwargs: Any) -> Any:
        started.set()
        release.wait(DEADLINE)
        return real(*args, **kwargs)

    monkeypatch.setattr(job_lifecycle, "check_file", slow_check)
    with Sandbox(speed=25) as sandbox:
        api = client(sandbox)
        file = api.files.create(file=("t.jsonl", TRAIN), purpose="fine-tune")
        job = api.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file.id)
        assert started.wait(DEADLINE)
        time.sleep(0.2)  # well past the sandbox's validation time at speed 25
        began = time.monotonic()
        assert api.fine_tuning.jobs.retrieve(job.id).status == "validating_files"
        assert [j.id for j in api.fine_tuning.jobs.list().data] == [job.id]
        second = api.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file.id)
        assert api.fine_tuning.jobs.cancel(second.id).status == "cancelled"
        assert time.monotonic() - began < DEADLINE / 2
        release.set()
        deadline = time.monotonic() + DEADLINE
        while (job := api.fine_tuning.jobs.retrieve(job.id)).status not in job_lifecycle.TERMINAL:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert job.status == "succeeded"
        events = [e.message for e in api.fine_tuning.jobs.list_events(job.id, limit=1000).data]
        assert "Files validated, moving job to queued state" in events


# --- generated bodies ----------------------------------------------------------------------------

JSON_ROUTES = ["/fine_tuning/jobs", "/uploads", "/chat/completions", "/uploads/upload_x/complete",
               "/openai/deployments/d/chat/completions"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20)
job_keys = st.sampled_from(["model", "training_file", "validation_file", "hyperparameters", "method", "suffix",
                            "seed", "metadata", "integrations", "messages", "n", "stream", "stream_options",
                            "filename", "purpose", "bytes", "mime_type", "part_ids", "md5"])
json_bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(job_keys, json_values, max_size=6).map(lambda v: json.dumps(v).encode()),
)


@settings(deadline=DEADLINE * 1000, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(route=st.sampled_from(JSON_ROUTES), body=json_bodies)
def test_generated_json_bodies_never_get_500(sandbox: Sandbox, route: str, body: bytes) -> None:
    path = route if route.startswith("/openai") else "/v1" + route
    raw = post("", body).replace(b"POST /v1 ", f"POST {path} ".encode(), 1)
    status, _ = exchange(sandbox, raw)
    assert 200 <= status < 500 and status != 0


boundaries = st.text(st.characters(codec="latin-1", exclude_characters="\r\n\""), min_size=0, max_size=12)


@settings(deadline=DEADLINE * 1000, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(content_type=st.one_of(st.text(max_size=60), boundaries.map(lambda b: f"multipart/form-data; boundary={b}"),
                              st.just("multipart/form-data; boundary*=utf-8''%E2%82%AC")),
       body=st.one_of(st.binary(max_size=300),
                      st.lists(st.sampled_from([b"--b\r\n", b"--b--", b"\r\n\r\n", b"\r\n", b"x",
                                                b'Content-Disposition: form-data; name="purpose"\r\n',
                                                b'Content-Disposition: form-data; name="file"; filename*=x\r\n',
                                                b"fine-tune", b"\xff"]), max_size=12).map(b"".join)))
def test_generated_multipart_bodies_never_get_500(sandbox: Sandbox, content_type: str, body: bytes) -> None:
    content_type = content_type.replace("\r", " ").replace("\n", " ")
    for path in ("/files", "/uploads/upload_x/parts"):
        status, _ = exchange(sandbox, post(path, body, content_type=content_type.encode("latin-1", "replace")
                                           .decode("latin-1")))
        assert 200 <= status < 500 and status != 0


@settings(deadline=DEADLINE * 1000, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(framing=st.lists(st.one_of(st.binary(max_size=20), st.sampled_from([b"\r\n", b"0\r\n\r\n", b"5\r\n",
                                                                          b"ffffffffffffffffff\r\n", b";x\r\n"])),
                        max_size=8).map(b"".join))
def test_generated_chunked_framing_never_gets_500_or_hangs(sandbox: Sandbox, framing: bytes) -> None:
    with connect(sandbox) as sock:
        sock.sendall(b"POST /v1/uploads HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n" + KEY + b"\r\n"
                     + framing)
        sock.shutdown(socket.SHUT_WR)  # whatever is missing will never come: the server must answer or close
        response = http.client.HTTPResponse(sock)
        try:
            response.begin()
        except (http.client.RemoteDisconnected, ConnectionResetError):
            return
        assert response.status < 500


def test_form_parsing_refuses_a_boundary_it_cannot_encode() -> None:
    with pytest.raises(ValueError, match="boundary"):
        parse_form(b"--\xe2\x82\xac--", "multipart/form-data; boundary*=utf-8''%E2%82%AC")


@pytest.fixture(scope="module")
def training_file_id(sandbox: Sandbox) -> str:
    return str(client(sandbox).files.create(file=("t.jsonl", TRAIN), purpose="fine-tune").id)


@settings(deadline=DEADLINE * 1000, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(extra=st.dictionaries(st.sampled_from(["hyperparameters", "method", "suffix", "seed", "metadata",
                                              "integrations", "validation_file"]),
                             json_values | st.fixed_dictionaries({}, optional={
                                 "type": st.sampled_from(["supervised", "dpo", "reinforcement", 3]),
                                 "supervised": st.dictionaries(st.just("hyperparameters"), json_values),
                                 "dpo": st.dictionaries(st.just("hyperparameters"), json_values)}),
                             max_size=4),
       model=st.sampled_from(["gpt-4o-mini", "gpt-4.1-nano", "davinci-002", "ft:gpt-4o-mini:x::y", ""]))
def test_generated_job_requests_never_get_500(sandbox: Sandbox, training_file_id: str, extra: dict[str, Any],
                                              model: str) -> None:
    body = json.dumps({"model": model, "training_file": training_file_id, **extra}).encode()
    status, answer = exchange(sandbox, post("/fine_tuning/jobs", body))
    assert status in (200, 400, 403, 404), answer
    status, answer = exchange(sandbox, b"GET /v1/fine_tuning/jobs?limit=100 HTTP/1.1\r\nHost: x\r\n" + KEY + b"\r\n")
    assert status == 200, answer


messages = st.lists(st.dictionaries(st.sampled_from(["role", "content"]),
                                    json_values | st.sampled_from(["user", "assistant"])), max_size=3)
rows = st.dictionaries(st.sampled_from(["messages", "input", "preferred_output", "non_preferred_output", "prompt",
                                        "completion"]), json_values | messages, max_size=4)


@settings(deadline=DEADLINE * 1000)
@given(lines=st.lists(st.one_of(st.binary(max_size=40), json_values.map(lambda v: json.dumps(v).encode()),
                                rows.map(lambda v: json.dumps(v).encode())), max_size=12),
       method=st.sampled_from([("supervised", "chat"), ("dpo", "preference"), ("supervised", "completion")]),
       param=st.sampled_from(["training_file", "validation_file"]))
def test_file_checks_never_crash(lines: list[bytes], method: tuple[str, str], param: str) -> None:
    from toolkit.sandbox.validate import Dataset, FileProblem, check_file

    result = check_file(b"\n".join(lines), file_id="file-x", param=param, method=method[0], expected=method[1])
    assert isinstance(result, (Dataset, FileProblem))


def test_the_request_log_writes_control_characters_out() -> None:
    lines: list[str] = []
    with Sandbox(log=lines.append) as sandbox:
        exchange(sandbox, b"GET /v1/files\x1b[2J\x07 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + KEY + b"\r\n")
    assert lines and not any("\x1b" in line or "\x07" in line for line in lines)
    assert any("\\x1b[2J\\x07" in line for line in lines)
