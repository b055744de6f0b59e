"""Three replicas of `manage.py serve` on one PostgreSQL behind a real nginx, on loopback.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_replicas .venv/bin/python bench/replicas.py

Needs nginx (Debian's package: `apt-get install nginx`) and PostgreSQL. Starts the fake upstream,
imports 6 tokens, starts 3 single-worker replicas and nginx in front of them (deploy/nginx.conf's
settings for streaming), then checks what a team deployment relies on:

1. token rotation is even across replicas (chats through nginx, counted per token in the log);
2. a session busy on one replica is 409 on another;
3. a configuration change made on one replica is seen by the others within 2 seconds;
4. /health and /metrics agree across replicas about the pool;
5. one replica killed (SIGKILL) under streaming traffic loses only its own in-flight streams, whose
   clients see a clean error, while the others serve on and new requests all succeed.

Prints each figure; exits non-zero when a check fails.
"""

from __future__ import annotations

import collections
import concurrent.futures
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.processes import first_answer, free_port  # noqa: E402

AUTH = "bench-replicas-secret"
MODEL = "claude-4.5-sonnet"
PYTHON = sys.executable
failures: list[str] = []


def check(ok: bool, what: str) -> None:
    print(("  ok    " if ok else "  FAIL  ") + what)
    if not ok:
        failures.append(what)


def manage(*args: str, env: dict[str, str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, text=True, capture_output=True, **kwargs
    )


def nginx_conf(prefix: Path, port: int, backends: list[int]) -> Path:
    template = (ROOT / "deploy" / "nginx.conf").read_text()
    servers = "\n".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in backends)
    body = template.replace("    server app:3000;", servers).replace(
        "listen 80;", f"listen 127.0.0.1:{port};"
    )
    conf = prefix / "nginx.conf"
    conf.write_text(
        "worker_processes 1;\npid nginx.pid;\nerror_log error.log warn;\n"
        "events { worker_connections 4096; }\n"
        "http {\n  access_log off;\n  client_body_temp_path tmp;\n  proxy_temp_path tmp;\n" + body + "\n}\n"
    )
    (prefix / "tmp").mkdir(exist_ok=True)
    return conf


def chat(client: httpx.Client, base: str, text: str, **headers: str) -> httpx.Response:
    return client.post(
        f"{base}/v1/chat/completions",
        json={"model": MODEL, "messages": [{"role": "user", "content": text}]},
        headers={"Authorization": f"Bearer {AUTH}", **headers},
        timeout=60,
    )


def stream(base: str, text: str) -> str:
    """'ok' when the stream ends with [DONE]; otherwise what went wrong, as the client saw it."""
    body = {"model": MODEL, "stream": True, "messages": [{"role": "user", "content": text}]}
    try:
        with httpx.stream(
            "POST",
            f"{base}/v1/chat/completions",
            json=body,
            headers={"Authorization": f"Bearer {AUTH}"},
            timeout=60,
        ) as response:
            if response.status_code != 200:
                response.read()
                kind = (
                    "JSON"
                    if response.headers.get("content-type", "").startswith("application/json")
                    else "HTML"
                )
                return f"status {response.status_code} {kind}"
            data = "".join(response.iter_text())
        return "ok" if "data: [DONE]" in data else "cut short"
    except httpx.HTTPError as exc:
        return type(exc).__name__


def main() -> int:
    if shutil.which("nginx") is None:
        print("nginx is not installed (apt-get install nginx)")
        return 2
    env = {**os.environ, "AUTH_TOKEN": AUTH, "DJANGO_SETTINGS_MODULE": "cursorapi.settings"}
    if not env.get("DATABASE_URL", "").startswith("postgres"):
        print("set DATABASE_URL to a PostgreSQL database")
        return 2
    subprocess.run(
        [
            "psql",
            env["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres",
            "-qc",
            f"DROP DATABASE IF EXISTS {env['DATABASE_URL'].rsplit('/', 1)[1]} WITH (FORCE)",
        ],
        check=False,
        capture_output=True,
    )
    subprocess.run(
        [
            "psql",
            env["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres",
            "-qc",
            f"CREATE DATABASE {env['DATABASE_URL'].rsplit('/', 1)[1]}",
        ],
        check=True,
        capture_output=True,
    )
    processes: list[subprocess.Popen] = []
    prefix = Path(tempfile.mkdtemp(prefix="replicas-"))
    try:
        fake_port = free_port()
        processes.append(
            subprocess.Popen(
                [PYTHON, "manage.py", "fakecursor", "--port", str(fake_port)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        env["CURSOR_UPSTREAM"] = f"http://127.0.0.1:{fake_port}"
        env["PROFILE_FETCH_ON_ADD"] = "false"
        manage("migrate", "--noinput", env=env)
        tokens = prefix / "pool.tokens"
        tokens.write_text(
            "".join(manage("fakecursor", "--mint-token", env=env).stdout.strip() + "\n" for _ in range(6))
        )
        manage("import_tokens", str(tokens), env=env)
        ports = [free_port() for _ in range(3)]
        replicas = []
        for port in ports:
            replica = subprocess.Popen(
                [PYTHON, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            processes.append(replica)
            replicas.append(replica)
        for port in ports:
            first_answer(f"http://127.0.0.1:{port}/health", timeout=60)
        front_port = free_port()
        conf = nginx_conf(prefix, front_port, ports)
        processes.append(subprocess.Popen(["nginx", "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"]))
        front = f"http://127.0.0.1:{front_port}"
        first_answer(f"{front}/health")
        direct = [f"http://127.0.0.1:{p}" for p in ports]
        print(f"3 replicas on {ports}, nginx on {front_port}, fake on {fake_port}")

        # 1. Rotation across replicas.
        with httpx.Client() as client, concurrent.futures.ThreadPoolExecutor(6) as pool:
            codes = list(pool.map(lambda n: chat(client, front, f"hello {n}").status_code, range(120)))
        check(codes.count(200) == 120, f"120 chats through nginx: {collections.Counter(codes)}")
        time.sleep(1.5)  # the log writer threads write in the background
        with psycopg.connect(env["DATABASE_URL"]) as db:
            rows = db.execute("SELECT token_alias, count(*) FROM chatlogs_chatlog GROUP BY 1").fetchall()
        counts = dict(rows)
        spread = max(counts.values()) - min(counts.values())
        check(len(counts) == 6 and spread <= 4, f"per-token chats over 6 tokens: {sorted(counts.values())}")

        # 2. A session busy on replica 1 answers 409 on replica 2.
        session = {"X-Cursor-Session-ID": "bench-shared-session"}
        with concurrent.futures.ThreadPoolExecutor(1) as pool, httpx.Client() as client:
            slow = pool.submit(
                chat, client, direct[0], "x\n#fake: reply=slowly chunks=5 delay_ms=400", **session
            )
            time.sleep(0.8)
            busy = chat(httpx.Client(), direct[1], "meanwhile", **session)
            first = slow.result()
        check(
            first.status_code == 200 and busy.status_code == 409,
            f"same session: replica 1 {first.status_code}, replica 2 meanwhile {busy.status_code}",
        )

        # 3. A configuration change on replica 1, seen by replicas 2 and 3.
        admin = {"Authorization": f"Bearer {AUTH}"}
        got = httpx.post(f"{direct[0]}/config/get", headers=admin)
        instructions = f"bench {time.time()}"
        changed = httpx.post(
            f"{direct[0]}/config/set",
            json={"default_instructions": instructions},
            headers={**admin, "x-config-hash": got.headers["x-config-hash"]},
        )
        started = time.monotonic()
        seen = {}
        while len(seen) < 2 and time.monotonic() - started < 10:
            for base in direct[1:]:
                if base not in seen:
                    config = httpx.post(f"{base}/config/get", headers=admin).json()["config"]
                    if config.get("default_instructions") == instructions:
                        seen[base] = time.monotonic() - started
            time.sleep(0.05)
        slowest = max(seen.values(), default=99)
        check(
            changed.status_code == 204 and len(seen) == 2 and slowest <= 2.0,
            "config change seen by the other replicas after "
            + ", ".join(f"{s:.2f} s" for s in seen.values()),
        )

        # 4. /health and /metrics agree.
        pools = [httpx.get(f"{base}/health").json()["checks"]["pool"] for base in direct]
        check(all(p == pools[0] for p in pools), f"/health pool on each replica: {pools}")
        metrics = [httpx.get(f"{base}/metrics", headers=admin).text for base in direct]
        pool_lines = [
            sorted(line for line in m.splitlines() if line.startswith("cursorapi_tokens{")) for m in metrics
        ]
        check(
            all(lines == pool_lines[0] for lines in pool_lines) and pool_lines[0],
            f"/metrics pool lines agree: {pool_lines[0]}",
        )

        # 5. One replica killed under streaming traffic.
        with concurrent.futures.ThreadPoolExecutor(30) as pool:
            futures = [
                pool.submit(stream, front, f"s{n}\n#fake: reply=abcdefghij chunks=10 delay_ms=300")
                for n in range(30)
            ]
            time.sleep(1.5)
            os.killpg(replicas[1].pid, signal.SIGKILL)
            killed_at = time.monotonic()
            outcomes = collections.Counter(f.result() for f in futures)
        after = collections.Counter(stream(front, f"after {n}") for n in range(30))
        lost = sum(n for outcome, n in outcomes.items() if outcome != "ok")
        check(
            0 < lost <= 15 and outcomes["ok"] >= 15,
            f"30 streams, replica 2 killed after 1.5 s: {dict(outcomes)} (its share lost, others complete)",
        )
        check(
            after == {"ok": 30},
            f"30 streams after the kill ({time.monotonic() - killed_at:.1f} s later): {dict(after)}",
        )
        print("failed:" if failures else "all checks passed", *failures, sep="\n  " if failures else "")
        return 1 if failures else 0
    finally:
        for process in reversed(processes):
            try:
                if process.args[2:3] == ["serve"]:
                    os.killpg(process.pid, signal.SIGTERM)  # the replica and any worker it started
                else:
                    process.terminate()
            except (ProcessLookupError, PermissionError):
                pass
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(prefix, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
