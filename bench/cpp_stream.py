"""Copilot++ benchmark: time to the first event of /cpp/stream through the proxy, against StreamCpp direct.

    .venv/bin/python bench/cpp_stream.py [--concurrency 1,20,50] [--rounds 10]

Starts the fake upstream and the server like bench/run.py (whose helpers it uses), then measures at
each concurrency: the time to the first event (the first SSE event through the proxy, the first
StreamCppResponse directly, i.e. our upstream client to the fake) and to the first completion text
(the first `text` event / the first response with text), p50 and p99.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run

from cursorapi.upstream import checksum, hosts, jwt
from cursorapi.upstream.client import ClientConfig, CursorClient
from cursorapi.upstream.headers import Account
from cursorapi.upstream.proto import aiserver_pb2 as pb

CLIENT_KEY = "ab" * 32
CONTENTS = "def add(a, b):\n    return a + b\n" * 20
REQUEST = {
    "current_file": {"relative_workspace_path": "m.py", "contents": CONTENTS, "cursor_position": {"line": 1}}
}


@dataclass
class Sample:
    first_event: float | None
    first_text: float | None
    total: float
    ok: bool


def proxy_caller(client: httpx.AsyncClient, url: str):
    headers = {"Authorization": f"Bearer {run.AUTH}", "x-client-key": CLIENT_KEY}

    async def one() -> Sample:
        start = time.perf_counter()
        first = text = None
        ended = False
        try:
            async with client.stream("POST", url, json=REQUEST, headers=headers) as r:
                async for line in r.aiter_lines():
                    if not line.startswith("event: "):
                        continue
                    now = time.perf_counter() - start
                    first = now if first is None else first
                    if text is None and line == "event: text":
                        text = now
                    ended = line == "event: stream_end"
            ok = r.status_code == 200 and text is not None and ended
            return Sample(first, text, time.perf_counter() - start, ok)
        except httpx.HTTPError:
            return Sample(None, None, time.perf_counter() - start, False)

    return one


def direct_caller(client: CursorClient, account: Account):
    message = pb.StreamCppRequest()
    message.current_file.relative_workspace_path = "m.py"
    message.current_file.contents = CONTENTS
    message.current_file.cursor_position.line = 1
    body = message.SerializeToString()

    async def one() -> Sample:
        start = time.perf_counter()
        first = text = None
        try:
            async for batch in client.stream(account, hosts.CPP_STREAM, body, fs_client_key=CLIENT_KEY):
                now = time.perf_counter() - start
                first = now if first is None else first
                if text is None and any(pb.StreamCppResponse.FromString(p).text for p in batch):
                    text = now
            return Sample(first, text, time.perf_counter() - start, text is not None)
        except Exception:
            return Sample(None, None, time.perf_counter() - start, False)

    return one


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return round(values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))] * 1000, 2)


def stats(name: str, concurrency: int, samples: list[Sample], wall: float, cpu: float) -> dict:
    good = [s for s in samples if s.ok]
    first = [s.first_event for s in good if s.first_event is not None]
    text = [s.first_text for s in good if s.first_text is not None]
    return {
        "name": name,
        "concurrency": concurrency,
        "requests": len(samples),
        "errors": len(samples) - len(good),
        "rps": round(len(good) / wall, 1) if wall else 0,
        "first_event_p50_ms": _pct(first, 50),
        "first_event_p99_ms": _pct(first, 99),
        "first_text_p50_ms": _pct(text, 50),
        "first_text_p99_ms": _pct(text, 99),
        "total_p50_ms": _pct([s.total for s in good], 50),
        "server_cpu_ms_per_request": round(cpu * 1000 / max(1, len(samples)), 2),
    }


async def measure(
    levels: list[int], rounds: int, app_port: int, fake_port: int, pids: dict[str, int]
) -> list[dict]:
    account = Account(
        token=jwt.mint(),
        checksum_first=checksum.random_hash(),
        checksum_second=checksum.random_hash(),
        client_key=checksum.random_hash(),
        session_id=str(uuid.uuid4()),
    )
    direct = CursorClient(ClientConfig(upstream=f"http://127.0.0.1:{fake_port}"))
    url = f"http://127.0.0.1:{app_port}/cpp/stream"
    out = []
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        await run.run_load(20, 4, proxy_caller(client, url))  # warm up both paths
        await run.run_load(20, 4, direct_caller(direct, account))
        for c in levels:
            for name, one in (
                ("direct", direct_caller(direct, account)),
                ("proxy", proxy_caller(client, url)),
            ):
                before = run.cpu_seconds(pids[name])
                samples, wall = await run.run_load(max(30, c * rounds), c, one)
                out.append(stats(name, c, samples, wall, run.cpu_seconds(pids[name]) - before))
    await direct.aclose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--concurrency", default="1,20,50")
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="cursorapi-bench-cpp-"))
    fake_port, app_port = run.free_port(), run.free_port()
    env = {
        **os.environ,
        "DATA_DIR": str(tmp),
        "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
        "AUTH_TOKEN": run.AUTH,
        "CURSOR_UPSTREAM": f"http://127.0.0.1:{fake_port}",
        "LOG_LEVEL": "WARNING",
    }
    python, root = sys.executable, run.ROOT
    fake = subprocess.Popen(
        [python, "manage.py", "fakecursor", "--port", str(fake_port), "--no-clock-check"], cwd=root, env=env
    )
    server = None
    try:
        subprocess.run([python, "manage.py", "migrate", "-v", "0"], cwd=root, env=env, check=True)
        tokens = tmp / "tokens"
        tokens.write_text(jwt.mint() + "\n")
        subprocess.run([python, "manage.py", "import_tokens", str(tokens)], cwd=root, env=env, check=True)
        server = subprocess.Popen([python, "manage.py", "serve", "--port", str(app_port)], cwd=root, env=env)
        run.wait_http(f"http://127.0.0.1:{fake_port}/__fake__/requests")
        run.wait_http(f"http://127.0.0.1:{app_port}/health")
        pids = {"proxy": server.pid, "direct": fake.pid}
        results = asyncio.run(measure(levels, args.rounds, app_port, fake_port, pids))
    finally:
        for proc in (server, fake):
            if proc is not None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(10)
    columns = [
        "path",
        "clients",
        "requests",
        "errors",
        "req/s",
        "first event p50",
        "p99",
        "first text p50",
        "p99",
    ]
    print("| " + " | ".join([*columns, "CPU/req"]) + " |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(
            f"| {r['name']} | {r['concurrency']} | {r['requests']} | {r['errors']} | {r['rps']}"
            f" | {r['first_event_p50_ms']} ms | {r['first_event_p99_ms']} ms"
            f" | {r['first_text_p50_ms']} ms | {r['first_text_p99_ms']} ms"
            f" | {r['server_cpu_ms_per_request']} ms |"
        )
    print(json.dumps({"results": results}))


if __name__ == "__main__":
    main()
