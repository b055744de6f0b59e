"""Soak: many slow streams held open at once against one server, watching its memory.

    .venv/bin/python bench/soak.py [--streams 1000] [--seconds 120] [--workers 1]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_soak .venv/bin/python bench/soak.py --workers 2

Starts the fake upstream and `manage.py serve` (SQLite in a temporary directory unless DATABASE_URL
is set), opens `--streams` streaming chats at once, each answered one chunk a second for
`--seconds`, and samples the server's resident memory (all its processes) every 5 s. Reports errors,
memory per open stream, and whether memory stayed flat after the first 30 s (within 5%).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.processes import first_answer, free_port  # noqa: E402

AUTH = "bench-soak"


def tree_rss_mb(pid: int) -> float:
    """Resident memory of `pid` and its descendants, in MiB."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry.name))
            except (OSError, IndexError):
                continue
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo += children.get(current, [])
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


async def one_stream(client: httpx.AsyncClient, url: str, seconds: int, n: int) -> str:
    body = {
        "model": "claude-4.5-sonnet",
        "stream": True,
        "messages": [
            {
                "role": "user",
                "content": f"soak {n}\n#fake: reply={'x' * seconds} chunks={seconds} delay_ms=1000",
            }
        ],
    }
    try:
        async with client.stream(
            "POST", url, json=body, headers={"Authorization": f"Bearer {AUTH}"}
        ) as response:
            if response.status_code != 200:
                await response.aread()
                return f"status {response.status_code}"
            text = ""
            async for chunk in response.aiter_text():
                text += chunk[-64:]
            return "ok" if "[DONE]" in text else "cut short"
    except httpx.HTTPError as exc:
        return type(exc).__name__


async def soak(url: str, server_pid: int, streams: int, seconds: int) -> dict:
    limits = httpx.Limits(max_connections=streams + 10, max_keepalive_connections=0)
    samples: list[tuple[float, float]] = []
    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(seconds + 120, connect=60)) as client:
        started = time.monotonic()
        tasks = [asyncio.create_task(one_stream(client, url, seconds, n)) for n in range(streams)]
        while not all(task.done() for task in tasks):
            samples.append((time.monotonic() - started, tree_rss_mb(server_pid)))
            await asyncio.sleep(5)
        outcomes = [task.result() for task in tasks]
    return {"outcomes": outcomes, "samples": samples, "elapsed": time.monotonic() - started}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 65536)), hard))
    data = Path(tempfile.mkdtemp(prefix="soak-"))
    env = {**os.environ, "AUTH_TOKEN": AUTH, "DATA_DIR": str(data), "PROFILE_FETCH_ON_ADD": "false"}
    fake_port, port = free_port(), free_port()
    env["CURSOR_UPSTREAM"] = f"http://127.0.0.1:{fake_port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    fake = subprocess.Popen(
        [sys.executable, "manage.py", "fakecursor", "--port", str(fake_port)], cwd=ROOT, env=env, **quiet
    )
    server = None
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True, **quiet
        )
        tokens = data / "pool.tokens"
        mint = [sys.executable, "manage.py", "fakecursor", "--mint-token"]
        tokens.write_text(
            "\n".join(subprocess.check_output(mint, cwd=ROOT, env=env, text=True).strip() for _ in range(4))
        )
        subprocess.run(
            [sys.executable, "manage.py", "import_tokens", str(tokens)],
            cwd=ROOT,
            env=env,
            check=True,
            **quiet,
        )
        server = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
            ],
            cwd=ROOT,
            env=env,
            **quiet,
        )
        base = f"http://127.0.0.1:{port}"
        first_answer(f"{base}/health", timeout=60)
        time.sleep(2)
        idle = tree_rss_mb(server.pid)
        database = "PostgreSQL" if env.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
        print(
            f"{args.streams} streams of {args.seconds} s, {args.workers} worker(s), {database}; "
            f"idle RSS {idle:.0f} MiB"
        )
        result = asyncio.run(soak(f"{base}/v1/chat/completions", server.pid, args.streams, args.seconds))
    finally:
        if server is not None:
            server.terminate()
            server.wait(20)
        fake.terminate()
        fake.wait(20)
    outcomes = result["outcomes"]
    errors = {o: outcomes.count(o) for o in set(outcomes) if o != "ok"}
    samples = result["samples"]
    settled = [rss for at, rss in samples if 30 <= at <= args.seconds - 5]
    peak = max(rss for _, rss in samples)
    at_30 = settled[0] if settled else peak
    growth = (max(settled) - at_30) / at_30 * 100 if settled else 0.0
    print(f"  finished in {result['elapsed']:.0f} s: {outcomes.count('ok')} ok, errors {errors or 0}")
    per_stream = (at_30 - idle) / args.streams * 1024
    print(f"  RSS at 30 s {at_30:.0f} MiB, peak {peak:.0f} MiB; per open stream {per_stream:.0f} KiB")
    print(f"  growth after 30 s: {growth:+.1f}% (median {statistics.median(settled or [peak]):.0f} MiB)")
    print("  samples (s: MiB): " + ", ".join(f"{at:.0f}: {rss:.0f}" for at, rss in samples))
    return 0 if not errors and growth <= 5 else 1


if __name__ == "__main__":
    sys.exit(main())
