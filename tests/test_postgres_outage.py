"""PostgreSQL restarted under a running server: JSON 503s while it is down, recovery by itself.

A private PostgreSQL (initdb in a temporary directory, its own port) is stopped and started
again; the shared server other test runs use is never touched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cursorapi.upstream import jwt
from tests.processes import first_answer, free_port

ROOT = Path(__file__).resolve().parents[1]
AUTH = "pg-outage-admin"
CHAT = {"model": "claude-4.5-sonnet", "messages": [{"role": "user", "content": "hi"}]}


class PrivatePostgres:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="cursorapi-pg-"))
        self.port = free_port()
        self.data = self.dir / "data"

    def _run(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        command = list(args)
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, timeout=150)

    def init(self) -> bool:
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        done = self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        return done.returncode == 0

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        done = self._run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"), "-w", "start"
        )
        assert done.returncode == 0, done.stderr

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    if shutil.which("initdb") is None or shutil.which("pg_ctl") is None:
        pytest.skip("PostgreSQL's server binaries (initdb, pg_ctl) are not installed")
    pg = PrivatePostgres()
    if not pg.init():
        pytest.skip("initdb could not create a private cluster here")
    pg.start()
    yield pg
    pg.stop()
    shutil.rmtree(pg.dir, ignore_errors=True)


def test_a_postgres_restart_is_a_503_then_the_server_recovers_alone(postgres, fake_server, tmp_path) -> None:
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path),
        "DATABASE_URL": postgres.url,
        "AUTH_TOKEN": AUTH,
        "CURSOR_UPSTREAM": fake_server.url,
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", f"{port}", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url, headers = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {AUTH}"}
    try:
        first_answer(f"{url}/health")
        httpx.post(f"{url}/tokens/add", json={"tokens": [{"token": jwt.mint()}]}, headers=headers)
        assert httpx.post(f"{url}/v1/chat/completions", json=CHAT, headers=headers).status_code == 200

        postgres.stop()
        for path, body in (("/v1/chat/completions", CHAT), ("/v1/messages", {**CHAT, "max_tokens": 20})):
            down = httpx.post(f"{url}{path}", json=body, headers=headers, timeout=30)
            assert down.status_code == 503, down.text
            assert down.json()["error"]["type"] == "overloaded_error" and down.headers["Retry-After"]
        health = httpx.get(f"{url}/health", timeout=30)
        assert health.status_code == 503 and health.json()["checks"]["database"] == "down"

        postgres.start()
        # Each worker thread's broken connection fails once more, then is replaced: poll briefly.
        deadline = time.monotonic() + 20
        while True:
            status = httpx.post(
                f"{url}/v1/chat/completions", json=CHAT, headers=headers, timeout=30
            ).status_code
            if status == 200 or time.monotonic() > deadline:
                break
            assert status == 503
            time.sleep(0.2)
        assert status == 200
        # /health runs in threads of its own: each may fail once more the same way.
        while httpx.get(f"{url}/health").json()["checks"]["database"] != "ok":
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert proc.poll() is None
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(15)
        proc.kill()
