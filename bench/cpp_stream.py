"""Copilot++ benchmark: time to the first event of /cpp/stream through the proxy, against StreamCpp direct.

    .venv/bin/python bench/cpp_stream.py [--concurrency 1,20,50] [--rounds 10]

Starts the fake upstream and the server like bench/run.py, then measures, at each concurrency, the
time to the first completion event: the first `text` SSE event through the proxy, the first
StreamCppResponse with text directly (our upstream client to the fake).
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


def proxy_caller(client: httpx.AsyncClient, url: str):
    headers = {"Authorization": f"Bearer {run.AUTH}", "x-client-key": CLIENT_KEY}

    async def one() -> run.Sample:
        start = time.perf_counter()
        first = None
        try:
            async with client.stream("POST", url, json=REQUEST, headers=headers) as r:
                async for line in r.aiter_lines():
                    if first is None and line.startswith("event: text"):
                        first = time.perf_counter() - start
            return run.Sample(first, time.perf_counter() - start, r.status_code == 200 and first is not None)
        except httpx.HTTPError:
            return run.Sample(None, time.perf_counter() - start, False)

    return one


def direct_caller(client: CursorClient, account: Account):
    message = pb.StreamCppRequest()
    message.current_file.relative_workspace_path = "m.py"
    message.current_file.contents = CONTENTS
    message.current_file.cursor_position.line = 1
    body = message.SerializeToString()

    async def one() -> run.Sample:
        start = time.perf_counter()
        first = None
        try:
            async for batch in client.stream(account, hosts.CPP_STREAM, body, fs_client_key=CLIENT_KEY):
                if first is None and any(pb.StreamCppResponse.FromString(p).text for p in batch):
                    first = time.perf_counter() - start
            return run.Sample(first, time.perf_counter() - start, first is not None)
        except Exception:
            return run.Sample(None, time.perf_counter() - start, False)

    return one


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
        await run.run_load(20, 4, proxy_caller(client, url))
        await run.run_load(20, 4, direct_caller(direct, account))
        for c in levels:
            for name, one in (
                ("direct", direct_caller(direct, account)),
                ("proxy", proxy_caller(client, url)),
            ):
                before = run.cpu_seconds(pids[name])
                samples, wall = await run.run_load(max(30, c * rounds), c, one)
                result = run.Result(f"{name}-cppstream", c, samples, wall)
                result.server_cpu = run.cpu_seconds(pids[name]) - before
                out.append(result.stats())
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
    python = sys.executable
    root = run.ROOT
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
        results = asyncio.run(
            measure(levels, args.rounds, app_port, fake_port, {"proxy": server.pid, "direct": fake.pid})
        )
    finally:
        for proc in (server, fake):
            if proc is not None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(10)
    for r in results:
        print(
            f"{r['name']:>17} c={r['concurrency']:<3} first event p50 {r['ttft_p50_ms']} ms"
            f" p99 {r['ttft_p99_ms']} ms  total p50 {r['total_p50_ms']} ms"
            f"  {r['rps']} req/s  errors {r['errors']}"
        )
    print(json.dumps({"results": results}))


if __name__ == "__main__":
    main()
