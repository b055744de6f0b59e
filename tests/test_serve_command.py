"""`manage.py serve --workers N`: N Daphne processes answering on one port."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.processes import first_answer, free_port

ROOT = Path(__file__).resolve().parents[1]


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def test_workers_share_one_port(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert first_answer(f"http://127.0.0.1:{port}/health").json()["checks"]["database"] == "ok"
        assert len(_children(proc.pid)) == 2
        for _ in range(10):
            assert httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200
    finally:
        proc.terminate()
        assert proc.wait(15) == 0


def test_by_default_one_worker_per_core(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "WEB_WORKERS"}
    env.update({"DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        first = proc.stdout.readline()
        first_answer(f"http://127.0.0.1:{port}/health")  # not migrated: a 503, but it answers
        expected = min(4, os.cpu_count() or 1)
        assert first.strip().endswith(f"({expected} worker(s))")
        assert len(_children(proc.pid)) == (expected if expected > 1 else 0)
    finally:
        proc.terminate()
        assert proc.wait(15) == 0


@pytest.mark.parametrize("workers", [1, 2])
def test_the_listening_socket_queues_many_connections(tmp_path: Path, workers: int) -> None:
    # Twisted's default backlog of 50 made clients beyond it retry their connection after 1-7 s.
    port = free_port()
    env = {**os.environ, "DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    proc = subprocess.Popen(
        [
            *(sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(port)),
            *("--workers", str(workers)),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        first_answer(f"http://127.0.0.1:{port}/health")
        # For a listening socket, ss shows the accept queue's limit as Send-Q.
        out = subprocess.run(
            ["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True, check=True
        ).stdout
        backlogs = {int(line.split()[2]) for line in out.splitlines()}
        assert backlogs and min(backlogs) >= min(2048, _somaxconn())
    finally:
        proc.terminate()
        assert proc.wait(15) == 0


def _somaxconn() -> int:
    return int(Path("/proc/sys/net/core/somaxconn").read_text())
