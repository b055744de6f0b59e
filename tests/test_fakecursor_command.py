from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import httpx
from django.core.management import call_command

from cursorapi.upstream import jwt

ROOT = Path(__file__).resolve().parents[1]


def test_mint_token_prints_tokens_the_fake_accepts_or_refuses() -> None:
    out = StringIO()
    call_command("fakecursor", "--mint-token", stdout=out)
    assert not jwt.parse(out.getvalue().strip()).expired()
    out = StringIO()
    call_command("fakecursor", "--mint-token", "--expired", stdout=out)
    assert jwt.parse(out.getvalue().strip()).expired()
    out = StringIO()
    call_command("fakecursor", "--mint-token", "--web", stdout=out)
    assert jwt.parse(out.getvalue().strip()).token_type == "web"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_command_serves_http1_and_http2_on_one_port() -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "fakecursor", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "cursorapi.settings"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}/__fake__/mint"
        deadline = time.time() + 15
        while True:
            try:
                one = httpx.post(url, json={})
                break
            except httpx.ConnectError:
                assert time.time() < deadline, "fakecursor did not start"
                time.sleep(0.1)
        assert one.http_version == "HTTP/1.1"
        with httpx.Client(http1=False, http2=True) as client:
            two = client.post(url, json={"expired": True})
        assert two.http_version == "HTTP/2"
        assert jwt.parse(two.json()["token"]).expired()
    finally:
        proc.terminate()
        proc.wait(10)


def test_tool_use_flag_starts_the_fake_in_tool_use_mode(monkeypatch) -> None:
    from cursorapi.management.commands import fakecursor
    from cursorapi.upstream.fake import server

    made = {}

    class Stop(Exception):
        pass

    def fake_server(app, host, port):
        made["tool_use"] = app.tool_use
        raise Stop

    monkeypatch.setattr(server, "FakeServer", fake_server)
    with contextlib.suppress(Stop):
        call_command(fakecursor.Command(), "--tool-use")
    assert made == {"tool_use": True}
