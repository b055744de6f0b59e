"""Three `manage.py serve` replicas on one PostgreSQL behind a real nginx, on loopback.

Shows: token rotation across replicas, a session's 409 across replicas, a config change on one
replica seen by the others, /health and /metrics agreeing, and one replica killed under traffic
losing only its in-flight streams. A private PostgreSQL cluster (initdb in a temporary directory)
and the fake Cursor upstream are started for the run; nothing shared is touched.

    .venv/bin/python bench/replicas.py        # needs initdb/pg_ctl and nginx (Debian: nginx-light)
"""

from __future__ import annotations

import collections
import concurrent.futures
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cursorapi.settings")

from tests.processes import first_answer, free_port  # noqa: E402
from tests.test_postgres_outage import PrivatePostgres  # noqa: E402

AUTH = "replicas-bench"
HEADERS = {"Authorization": f"Bearer {AUTH}"}
MODEL = "claude-4.5-sonnet"


def chat(text: str, stream: bool = False) -> dict:
    return {"model": MODEL, "stream": stream, "messages": [{"role": "user", "content": text}]}


def nginx_conf(work: Path, port: int, replicas: list[int]) -> Path:
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=0;" for p in replicas)
    conf = work / "nginx.conf"
    conf.write_text(f"""
daemon off;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    upstream cursorapi {{
{servers}
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 32m;
        location / {{
            proxy_pass http://cursorapi;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
            proxy_request_buffering off;
            proxy_read_timeout 3600s;
            proxy_next_upstream error timeout;
        }}
    }}
}}
""")
    return conf


def main() -> None:
    out: list[str] = []

    def say(line: str) -> None:
        print(line, flush=True)
        out.append(line)

    work = Path(tempfile.mkdtemp(prefix="cursorapi-replicas-"))
    pg = PrivatePostgres()
    assert pg.init(), "initdb failed"
    pg.start()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        fake_port = free_port()
        env = {
            **os.environ,
            "DATA_DIR": str(work),
            "DATABASE_URL": pg.url,
            "AUTH_TOKEN": AUTH,
            "SECRET_KEY": "replicas-bench-secret",
            "CURSOR_UPSTREAM": f"http://127.0.0.1:{fake_port}",
            "SSE_KEEPALIVE_S": "1",
        }
        procs.append(
            subprocess.Popen(
                [sys.executable, "manage.py", "fakecursor", "--port", str(fake_port)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        ports = [free_port() for _ in range(3)]
        replicas = []
        for port in ports:
            replica = subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    f"{port}",
                    "--workers",
                    "1",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            procs.append(replica)
            replicas.append(replica)
        lb_port = free_port()
        nginx = subprocess.Popen(["nginx", "-c", str(nginx_conf(work, lb_port, ports)), "-p", str(work)])
        procs.append(nginx)
        urls = [f"http://127.0.0.1:{p}" for p in ports]
        lb = f"http://127.0.0.1:{lb_port}"
        for url in [*urls, lb]:
            first_answer(f"{url}/health", timeout=60)
        fake = f"http://127.0.0.1:{fake_port}"
        first_answer(f"{fake}/__fake__/requests")
        tokens = [httpx.post(f"{fake}/__fake__/mint", json={}).json()["token"] for _ in range(3)]
        httpx.post(f"{urls[0]}/tokens/add", json={"tokens": [{"token": t} for t in tokens]}, headers=HEADERS)
        say(f"3 replicas ({', '.join(str(p) for p in ports)}) on PostgreSQL :{pg.port}, nginx :{lb_port}")

        # 1. Rotation: 30 requests through nginx, counted per pool token at the fake.
        httpx.post(f"{fake}/__fake__/clear")
        with httpx.Client(timeout=30) as client:
            codes = [
                client.post(f"{lb}/v1/chat/completions", json=chat("hi"), headers=HEADERS).status_code
                for _ in range(30)
            ]
        seen = httpx.get(f"{fake}/__fake__/requests").json()
        bearers = collections.Counter(
            r["headers"].get("authorization")
            for r in seen
            if r["path"].endswith("StreamUnifiedChatWithTools")
        )
        per_token = sorted(bearers.values())
        statuses = dict(collections.Counter(codes))
        say(f"rotation: 30 requests via nginx, statuses {statuses}, per token {per_token}")

        # 2. A session in use on replica 1 is busy on replica 2.
        session = {**HEADERS, "X-Cursor-Session-ID": "bench-session"}
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            slow_body = chat("#fake: chunks=20 delay_ms=100", True)
            slow = pool.submit(
                httpx.post, f"{urls[0]}/v1/chat/completions", json=slow_body, headers=session, timeout=30
            )
            time.sleep(1.0)
            busy = httpx.post(f"{urls[1]}/v1/chat/completions", json=chat("hi"), headers=session, timeout=30)
            first = slow.result()
        after = httpx.post(f"{urls[2]}/v1/chat/completions", json=chat("again"), headers=session, timeout=30)
        say(
            f"session: in use on replica 1 -> replica 2 answers {busy.status_code} "
            f"({busy.json()['error']['code']}); after it ends, replica 3 answers {after.status_code}"
            f" (first stream {first.status_code})"
        )

        # 3. A configuration change on replica 1, seen by the others.
        got = httpx.post(f"{urls[0]}/config/get", headers=HEADERS)
        old_version = got.json()["version"]
        started = time.monotonic()
        changed = httpx.post(
            f"{urls[0]}/config/set",
            json={"default_instructions": "Answer briefly."},
            headers={**HEADERS, "x-config-hash": got.headers["x-config-hash"]},
        )
        version = httpx.post(f"{urls[0]}/config/get", headers=HEADERS).json()["version"]
        seen_after = []
        for url in urls[1:]:
            while httpx.post(f"{url}/config/get", headers=HEADERS).json()["version"] != version:
                time.sleep(0.05)
            seen_after.append(time.monotonic() - started)
        say(
            f"config: set on replica 1 ({changed.status_code}, version {old_version} -> {version});"
            " replicas 2 and 3 saw it after " + ", ".join(f"{s:.2f} s" for s in seen_after)
        )

        # 4. /health and /metrics agree across replicas.
        time.sleep(1.0)  # log records are written just after their responses
        totals = [httpx.get(f"{u}/health").json()["runtime"]["requests"] for u in urls]
        metric = [
            sum(
                float(line.rsplit(" ", 1)[1])
                for line in httpx.get(f"{u}/metrics", headers=HEADERS).text.splitlines()
                if line.startswith("cursorapi_requests_total{")
            )
            for u in urls
        ]
        say(f"health totals per replica: {totals}; metrics request totals: {metric}")

        # 5. One replica killed under traffic: 30 slow streams through nginx.
        def stream(n: int) -> str:
            try:
                with httpx.stream(
                    "POST",
                    f"{lb}/v1/chat/completions",
                    json=chat("#fake: chunks=30 delay_ms=100", True),
                    headers=HEADERS,
                    timeout=30,
                ) as response:
                    body = b"".join(response.iter_bytes())
                if response.status_code != 200:
                    return f"status {response.status_code}"
                return "complete" if body.endswith(b"data: [DONE]\n\n") else "cut"
            except httpx.HTTPError as exc:
                return type(exc).__name__

        with concurrent.futures.ThreadPoolExecutor(30) as pool:
            futures = [pool.submit(stream, n) for n in range(30)]
            time.sleep(1.0)
            victim = replicas[2]
            for child in [*_children(victim.pid), victim.pid]:
                os.kill(child, signal.SIGKILL)
            outcomes = collections.Counter(f.result() for f in futures)
        later = collections.Counter(
            httpx.post(f"{lb}/v1/chat/completions", json=chat("hi"), headers=HEADERS, timeout=30).status_code
            for _ in range(20)
        )
        say(f"kill -9 of replica 3 under 30 streams: {dict(outcomes)}; the next 20 requests: {dict(later)}")
        time.sleep(12)  # WORKER_STALE_SECONDS (10) and a beat
        counts = {
            status: httpx.post(
                f"{urls[0]}/logs/get", json={"query": {"status": status}}, headers=HEADERS
            ).json()["total"]
            for status in ("pending", "interrupted")
        }
        say(f"after 12 s: records {counts}")
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        pg.stop()
    print("\n".join(out))


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


if __name__ == "__main__":
    main()
