"""Two real server processes on one database share sessions and their leases."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.db import connection

from tests.api.helpers import chat_request, user
from tests.fixtures import AUTH, add_token

ROOT = Path(__file__).resolve().parents[2]
MODEL = "claude-4.5-sonnet"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def workers(transactional_db, fake) -> Iterator[list[str]]:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "SECRET_KEY": settings.SECRET_KEY,
        "TOKEN_ENCRYPTION_KEY": ",".join(settings.TOKEN_ENCRYPTION_KEYS),
        "AUTH_TOKEN": AUTH,
        "CURSOR_UPSTREAM": settings.CURSOR_UPSTREAM,
        "LOG_LEVEL": "WARNING",
    }
    ports = [_free_port(), _free_port()]
    procs = [
        subprocess.Popen([sys.executable, "manage.py", "serve", "--port", str(p)], cwd=ROOT, env=env)
        for p in ports
    ]
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    try:
        for url in urls:
            deadline = time.time() + 30
            while True:
                try:
                    httpx.get(f"{url}/health", timeout=1)
                    break
                except httpx.HTTPError:
                    assert time.time() < deadline, "a worker did not start"
                    time.sleep(0.1)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(10)


def _chat(url: str, text: str, **extra) -> httpx.Response:
    return httpx.post(
        f"{url}/v1/chat/completions",
        json={"model": MODEL, "messages": user(text), **extra},
        headers={"Authorization": f"Bearer {AUTH}", "X-Cursor-Session-ID": "shared"},
        timeout=20,
    )


def test_two_processes_share_history_and_leases(workers, fake) -> None:
    add_token("w")
    first, second = workers
    assert _chat(first, "My name is Alice.").status_code == 200
    fake.clear()
    assert _chat(second, "What is my name?").status_code == 200
    assert [m.text for m in chat_request(fake).conversation] == [
        "My name is Alice.",
        "Fake Cursor reply to: My name is Alice.",
        "What is my name?",
    ]

    started = threading.Event()
    statuses: list[int] = []

    def slow() -> None:
        with httpx.stream(
            "POST",
            f"{first}/v1/chat/completions",
            json={"model": MODEL, "messages": user("#fake: chunks=10 delay_ms=80"), "stream": True},
            headers={"Authorization": f"Bearer {AUTH}", "X-Cursor-Session-ID": "shared"},
            timeout=20,
        ) as response:
            started.set()
            response.read()
            statuses.append(response.status_code)

    thread = threading.Thread(target=slow)
    thread.start()
    assert started.wait(10)
    assert _chat(second, "am I alone?").status_code == 409
    thread.join(20)
    assert statuses == [200]
