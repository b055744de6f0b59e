"""/health: a readiness probe with the original's fields, correct across processes, without secrets."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.api.helpers import last_log, post, user
from tests.fixtures import add_token
from tests.processes import first_answer, free_port
from tokens.models import Token

ROOT = Path(__file__).resolve().parents[1]


def test_success_with_a_healthy_pool(live, fake) -> None:
    token = add_token("h")
    assert (
        post(
            live.url, "/v1/chat/completions", {"model": "claude-4.5-sonnet", "messages": user("hi")}
        ).status_code
        == 200
    )
    last_log()
    response = httpx.get(f"{live.url}/health")
    body = response.json()
    assert response.status_code == 200 and body["status"] == "success"
    assert body["service"]["name"] == "cursorapi" and body["runtime"]["uptime_seconds"] >= 0
    assert body["checks"] == {
        "database": "ok",
        "pool": {"total": 1, "enabled": 1, "healthy": 1},
        "upstream": {"last_success_at": body["checks"]["upstream"]["last_success_at"]},
    }
    assert body["checks"]["upstream"]["last_success_at"] is not None
    assert body["runtime"]["requests"] == {"total": 1, "active": 0, "errors": 0}
    assert "claude-4.5-sonnet-max-online" in body["capabilities"]["models"]
    assert "/v1/chat/completions" in body["capabilities"]["endpoints"]
    assert body["system"]["memory"]["used_bytes"] > 0
    assert token.primary_token not in response.text


def test_warning_without_a_usable_token(live, fake) -> None:
    add_token("off", enabled=False)
    response = httpx.get(f"{live.url}/health")
    assert response.status_code == 200 and response.json()["status"] == "warning"
    assert response.json()["checks"]["pool"] == {"total": 1, "enabled": 0, "healthy": 0}
    Token.objects.update(enabled=True)
    assert httpx.get(f"{live.url}/health").json()["status"] == "success"


def test_error_and_503_when_the_database_is_down(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path),
        # A database file in a directory that does not exist: every connection fails.
        "DATABASE_URL": f"sqlite:///{tmp_path / 'missing' / 'db.sqlite3'}",
    }
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        response = first_answer(f"http://127.0.0.1:{port}/health")
        assert response.status_code == 503
        assert response.json()["status"] == "error" and response.json()["checks"]["database"] == "down"
    finally:
        proc.terminate()
        proc.wait(10)


def test_metrics_in_prometheus_format(live, pool_token, fake, settings) -> None:
    post(live.url, "/v1/chat/completions", {"model": "claude-4.5-sonnet", "messages": user("hi")})
    post(
        live.url,
        "/v1/chat/completions",
        {"model": "claude-4.5-sonnet", "messages": user("#fake: error=not_found")},
    )
    last_log()
    assert httpx.get(f"{live.url}/metrics").status_code == 401
    text = httpx.get(f"{live.url}/metrics", headers={"Authorization": "Bearer test-admin-token"}).text
    assert 'cursorapi_requests_total{dialect="openai",status="success",http_status="200"} 1' in text
    assert 'cursorapi_requests_total{dialect="openai",status="failure",http_status="404"} 1' in text
    assert 'cursorapi_tokens{health="usable"} 1' in text
    assert 'cursorapi_upstream_ttft_ms_bucket{le="+Inf"} 1' in text
    assert "cursorapi_streams_in_flight 0" in text
    settings.METRICS_PUBLIC = True
    assert httpx.get(f"{live.url}/metrics").status_code == 200


def test_totals_agree_across_two_worker_processes(tmp_path: Path, fake_server) -> None:
    """Two real servers on one database report the same request totals in /health."""
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "AUTH_TOKEN": "two-workers",
        "CURSOR_UPSTREAM": fake_server.url,
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    tokens = tmp_path / "tokens"
    from cursorapi.upstream import jwt

    tokens.write_text(jwt.mint() + "\n")
    subprocess.run(
        [sys.executable, "manage.py", "import_tokens", str(tokens)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    ports = [free_port(), free_port()]
    procs = [
        subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(p), "--workers", "1"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for p in ports
    ]
    try:
        urls = [f"http://127.0.0.1:{p}" for p in ports]
        for url in urls:
            first_answer(f"{url}/health")
        body = {"model": "claude-4.5-sonnet", "messages": user("hi")}
        for n in range(3):
            response = httpx.post(
                f"{urls[n % 2]}/v1/chat/completions",
                json=body,
                headers={"Authorization": "Bearer two-workers"},
            )
            assert response.status_code == 200
        # Each record's end is written by its worker's log thread just after the response: poll.
        expected = {"total": 3, "active": 0, "errors": 0}
        deadline = time.monotonic() + 10
        while True:
            totals = [httpx.get(f"{url}/health").json()["runtime"]["requests"] for url in urls]
            if totals[0] == totals[1] == expected or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert totals[0] == totals[1] == expected
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(10)
