"""What the HTTP server refuses before Django reads a request, against a real `manage.py serve`.

Each answer is JSON in the shape of the route the request names, and comes without the server
reading what the client is (or is not) sending: a 413 before a 100 MB body, a 408 for a request
that never finishes, a 431 for oversized headers.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.processes import first_answer, free_port

from .routes import anthropic_shape, openai_shape, original_shape

ROOT = Path(__file__).resolve().parents[2]
BODY_LIMIT = 100_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    data = tmp_path_factory.mktemp("limits")
    port = free_port()
    env = {
        **os.environ,
        "DATA_DIR": str(data),
        "DATABASE_URL": f"sqlite:///{data / 'db.sqlite3'}",
        "AUTH_TOKEN": "limits-admin",
        "REQUEST_BODY_LIMIT": str(BODY_LIMIT),
        "REQUEST_HEADER_LIMIT": "8192",
        "REQUEST_HEADER_TIMEOUT": "1",
        "REQUEST_BODY_TIMEOUT": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        first_answer(f"http://127.0.0.1:{port}/gen-uuid")
        yield "127.0.0.1", port
    finally:
        proc.terminate()
        proc.wait(15)


def _exchange(server: tuple[str, int], *parts: bytes, pause: float = 0.0) -> tuple[int, dict, float]:
    """Send `parts` (pausing between them), then read until the server closes: status, JSON, seconds."""
    started = time.monotonic()
    with socket.create_connection(server, timeout=15) as sock:
        for n, part in enumerate(parts):
            if n and pause:
                time.sleep(pause)
            try:
                sock.sendall(part)
            except (BrokenPipeError, ConnectionResetError):
                break  # the server answered and closed while we were still sending
        received = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            received += chunk
    elapsed = time.monotonic() - started
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 "), received[:200]
    assert b"content-type: application/json" in head.lower()
    return int(head.split()[1]), json.loads(body), elapsed


def test_a_body_over_the_limit_is_refused_before_it_is_read_or_the_caller_checked(server) -> None:
    head = b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n"
    status, body, elapsed = _exchange(server, head + b"{" * 1000)
    assert status == 413 and openai_shape(body) and body["error"]["type"] == "request_too_large"
    assert str(BODY_LIMIT) in body["error"]["message"]
    assert elapsed < 5  # answered at once: neither the 100 MB nor the 1 s body timeout was waited for


def test_a_chunked_body_over_the_limit_is_refused(server) -> None:
    head = b"POST /tokens/add HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    chunk = b"%x\r\n%s\r\n" % (50_000, b"a" * 50_000)
    status, body, _ = _exchange(server, head, *[chunk] * 5)
    assert status == 413 and original_shape(body)


def test_a_body_that_never_arrives_gets_a_408(server) -> None:
    head = b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"
    status, body, elapsed = _exchange(server, head)
    assert status == 408 and anthropic_shape(body)
    assert elapsed < 10


def test_a_body_trickling_in_gets_a_408_even_though_bytes_keep_coming(server) -> None:
    head = b"POST /logs/get HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"
    status, body, _ = _exchange(server, head, *[b" "] * 30, pause=0.1)
    assert status == 408 and original_shape(body)
    assert body["error"] == "request_timeout"


def test_headers_that_never_end_get_a_408(server) -> None:
    status, body, _ = _exchange(server, b"POST /config/set HTTP/1.1\r\nHost: x\r\n")
    assert status == 408 and original_shape(body)


def test_a_100kb_header_gets_a_431(server) -> None:
    request = b"GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n"
    status, body, _ = _exchange(server, request)
    assert status == 431 and openai_shape(body)


def test_many_headers_over_the_total_get_a_431(server) -> None:
    lines = b"".join(b"X-H%d: %s\r\n" % (n, b"b" * 1000) for n in range(20))
    status, body, _ = _exchange(server, b"POST /proxies/get HTTP/1.1\r\nHost: x\r\n" + lines + b"\r\n")
    assert status == 431 and original_shape(body)


def test_requests_within_the_limits_are_served(server) -> None:
    host, port = server
    with httpx.Client(base_url=f"http://{host}:{port}", timeout=15) as client:
        assert client.get("/gen-uuid").status_code == 200
        response = client.post("/v1/chat/completions", content=b"{" + b" " * 50_000 + b"}")
        assert response.status_code == 401  # read in full, then the caller checked
        # The same keep-alive connection serves a second request after the first finished.
        assert client.get("/gen-uuid").status_code == 200


def _read_response(sock: socket.socket) -> bytes:
    """One response's head; its body is chunked (Twisted's way with a streamed ASGI body)."""
    data = b""
    while not data.endswith(b"0\r\n\r\n"):
        chunk = sock.recv(65536)
        assert chunk, data
        data += chunk
    return data.partition(b"\r\n\r\n")[0]


def test_a_keep_alive_connection_idle_between_requests_is_not_timed_out(server) -> None:
    request = b"GET /gen-uuid HTTP/1.1\r\nHost: x\r\n\r\n"
    with socket.create_connection(server, timeout=15) as sock:
        sock.sendall(request)
        assert _read_response(sock).startswith(b"HTTP/1.1 200")
        time.sleep(1.5)  # longer than the header timeout: only a started request is timed
        sock.sendall(request)
        assert _read_response(sock).startswith(b"HTTP/1.1 200")
