"""A worker killed mid-stream: `serve` restarts it, its record ends `interrupted`, its session is free."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from cursorapi.upstream import jwt
from tests.processes import first_answer, free_port
from tests.test_serve_command import _children

ROOT = Path(__file__).resolve().parents[1]
AUTH = "recovery-admin"


def _wait(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout} s")


def _query(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db, timeout=5) as conn:
        return conn.execute(sql).fetchall()


def test_a_killed_worker_is_restarted_and_leaves_nothing_stuck(tmp_path: Path, fake_server) -> None:
    fake_server.server.handler.clear()
    db = tmp_path / "db.sqlite3"
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{db}",
        "AUTH_TOKEN": AUTH,
        "CURSOR_UPSTREAM": fake_server.url,
        "WORKER_HEARTBEAT_SECONDS": "0.3",
        "WORKER_STALE_SECONDS": "3",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "2",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
    headers = {"Authorization": f"Bearer {AUTH}"}
    try:
        first_answer(f"{url}/health")
        added = httpx.post(f"{url}/tokens/add", json={"tokens": [{"token": jwt.mint()}]}, headers=headers)
        assert added.status_code == 200
        # A slow stream on a session, cut by killing every worker under it.
        session = {**headers, "X-Cursor-Session-ID": "kept-across-a-crash"}
        payload = {
            "model": "claude-4.5-sonnet",
            "stream": True,
            "messages": [{"role": "user", "content": "#fake: chunks=100 delay_ms=200"}],
        }
        streaming = threading.Event()
        outcome: list[str] = []

        def client() -> None:
            try:
                with httpx.stream(
                    "POST", f"{url}/v1/chat/completions", json=payload, headers=session, timeout=30
                ) as response:
                    for line in response.iter_lines():
                        if line.startswith("data: "):
                            streaming.set()
                outcome.append("ended")
            except httpx.HTTPError as exc:
                outcome.append(type(exc).__name__)

        reader = threading.Thread(target=client, daemon=True)
        reader.start()
        assert streaming.wait(15)
        _wait(
            lambda: _query(db, "SELECT status FROM chatlogs_chatlog") == [("pending",)], 10, "pending record"
        )
        old = set(_children(proc.pid))
        assert len(old) == 2
        for pid in old:
            os.kill(pid, signal.SIGKILL)
        reader.join(10)
        assert outcome, "the client was left hanging"

        # The supervisor starts two new workers; their heartbeats close what the dead ones left.
        _wait(lambda: len(set(_children(proc.pid)) - old) == 2, 15, "two new workers")
        rows = _wait(
            lambda: _query(db, "SELECT status, error FROM chatlogs_chatlog WHERE status <> 'pending'"),
            15,
            "record closed",
        )
        assert rows[0][0] == "interrupted" and "worker" in rows[0][1]
        released = "SELECT lease_until, lease_owner FROM chatsessions_chatsession"
        _wait(lambda: _query(db, released) == [(None, "")], 10, "session lease released")
        again = dict(payload, messages=[{"role": "user", "content": "hello again"}], stream=False)
        response = httpx.post(f"{url}/v1/chat/completions", json=again, headers=session, timeout=30)
        assert response.status_code == 200, response.text
        logs = httpx.post(
            f"{url}/logs/get", json={"query": {"status": "interrupted"}}, headers=headers
        ).json()
        assert logs["total"] == 1
    finally:
        proc.terminate()
        proc.wait(15)
    assert "killed by signal SIGKILL" in log_path.read_text()
