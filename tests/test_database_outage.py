"""The database going away under a running server: JSON 503s, an honest /health, and recovery."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from cursorapi.upstream import jwt
from tests.processes import first_answer, free_port

ROOT = Path(__file__).resolve().parents[1]
AUTH = "outage-admin"
OPENAI = {"model": "claude-4.5-sonnet", "messages": [{"role": "user", "content": "hi"}]}
ANTHROPIC = {**OPENAI, "max_tokens": 50, "stream": True}


def _immutable(path: Path, on: bool) -> bool:
    """chattr +i: not even root may write the file, through descriptors already open included."""
    files = [path, *path.iterdir()]
    flag = "+i" if on else "-i"
    return subprocess.run(["chattr", flag, *map(str, files)], capture_output=True).returncode == 0


@pytest.fixture
def data_dir(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "probe").touch()
    if not _immutable(data, True):
        pytest.skip("chattr +i needs CAP_LINUX_IMMUTABLE and a filesystem with the flag")
    _immutable(data, False)
    (data / "probe").unlink()
    yield data
    _immutable(data, False)


def _serve(data: Path, fake_url: str) -> tuple[subprocess.Popen[bytes], str, dict[str, str]]:
    env = {
        **os.environ,
        "DATA_DIR": str(data),
        "DATABASE_URL": f"sqlite:///{data / 'db.sqlite3'}",
        "AUTH_TOKEN": AUTH,
        "CURSOR_UPSTREAM": fake_url,
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", f"{port}", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(data.parent / "serve.log").open("wb"),
    )
    return proc, f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {AUTH}"}


def test_a_read_only_sqlite_file_is_a_503_and_the_server_lives_on(data_dir, fake_server) -> None:
    proc, url, headers = _serve(data_dir, fake_server.url)
    try:
        first_answer(f"{url}/health")
        httpx.post(f"{url}/tokens/add", json={"tokens": [{"token": jwt.mint()}]}, headers=headers)
        assert httpx.post(f"{url}/v1/chat/completions", json=OPENAI, headers=headers).status_code == 200
        # Its record is written just after the response: wait for it, so the files freeze idle.
        deadline = time.monotonic() + 10
        while (
            httpx.post(f"{url}/logs/get", json={"query": {"status": "success"}}, headers=headers).json()[
                "total"
            ]
            != 1
        ):
            assert time.monotonic() < deadline
            time.sleep(0.05)

        assert _immutable(data_dir, True)
        health = httpx.get(f"{url}/health")
        assert health.status_code == 503 and health.json()["checks"]["database"] == "unwritable"
        for _ in range(3):
            chat = httpx.post(f"{url}/v1/chat/completions", json=OPENAI, headers=headers, timeout=30)
            assert chat.status_code == 503, chat.text
            assert chat.json()["error"]["code"] == "database_unavailable" and chat.headers["Retry-After"]
        messages = httpx.post(f"{url}/v1/messages", json=ANTHROPIC, headers=headers, timeout=30)
        assert messages.status_code == 503
        assert messages.json() == {
            "type": "error",
            "error": {"type": "overloaded_error", "message": "The database is unavailable; retry shortly"},
        }
        assert proc.poll() is None  # alive

        assert _immutable(data_dir, False)
        assert httpx.post(f"{url}/v1/chat/completions", json=OPENAI, headers=headers).status_code == 200
        assert httpx.get(f"{url}/health").json()["checks"]["database"] == "ok"
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(15)
        proc.kill()
