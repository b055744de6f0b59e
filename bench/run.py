"""Chat benchmark: the proxy under Daphne against the fake upstream, and the fake directly, in one run.

    .venv/bin/python bench/run.py [--profile realistic|throughput] [--concurrency 1,50,200] [--rounds 3]
                                  [--targets chat,responses]

Starts `manage.py fakecursor` and `manage.py serve` (Daphne, SQLite in a temporary directory), then
for non-stream and stream requests at each concurrency measures requests/s, time to first token
(p50/p99) and total latency (p50/p99), through the proxy and directly (Cursor's protocol spoken to
the fake by our upstream client). `--targets` picks the proxy's routes: `chat` (/v1/chat/completions,
rows `proxy-*`) and `responses` (/v1/responses with store: false, rows `responses-*`). Prints a
table and one JSON line; errors are counted, not hidden.
On a machine with two or more cores the server runs on its own half of them and the harness (load
generator and fake) on the other half; `--no-pin` lets them all share every core.

    .venv/bin/python bench/run.py --sweep [--concurrency 1,100,300,1000] [--workers 0]

`--sweep` measures long streams instead (several seconds each, like agent turns): at each level that
many streams open at once (their starts spread so the server is never handed more than
--sweep-rate new requests a second), one client connection each, through the proxy only. It reports
TTFT and total p50/p90/p99 against the 1-stream figures (with --sweep-direct, also the same
streams sent straight to the fake from this process, the harness's own ceiling), errors, the
server's CPU and peak RSS, and the upstream connections /metrics showed at the peak. 1,000 streams
need about 1,100 file descriptors in the server and as many in this process: raise `ulimit -n`
past 1024 first.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cursorapi.upstream import checksum, hosts, jwt  # noqa: E402
from cursorapi.upstream.client import ClientConfig, CursorClient  # noqa: E402
from cursorapi.upstream.headers import Account  # noqa: E402
from cursorapi.upstream.proto import aiserver_pb2 as pb  # noqa: E402

AUTH = "bench-admin"
# How the fake answers. "realistic" paces a reply like a model does (first token after 300 ms, then
# about 30 chunks a second); "throughput" answers as fast as it can, to find the CPU ceiling.
PROFILES = {
    "realistic": "#fake: stall_ms=300 chunks=24 delay_ms=33",
    "throughput": "#fake: chunks=16 delay_ms=2",
}
PROMPT = PROFILES["realistic"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def _tree(pid: int) -> list[int]:
    """The process and its children (the Daphne workers of `serve --workers N`)."""
    pids = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def cpu_seconds(pid: int | None) -> float:
    if pid is None:
        return 0.0
    total = 0
    for p in _tree(pid):
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory of the server: the sum over its processes."""
    total = 0
    for p in _tree(pid):
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1])
    return total / 1024


@dataclass
class Sample:
    ttft: float | None
    total: float
    ok: bool
    target: str = ""  # which caller sent it, when one run mixes two (see `interleaved`)


@dataclass
class Result:
    name: str
    concurrency: int
    samples: list[Sample] = field(default_factory=list)
    wall: float = 0.0
    server_cpu: float = 0.0  # seconds of CPU the serving process spent on this run

    def stats(self) -> dict[str, float | int | str]:
        good = [s for s in self.samples if s.ok]
        ttft = sorted(s.ttft for s in good if s.ttft is not None)
        total = sorted(s.total for s in good)

        def pct(values: list[float], p: float) -> float:
            if not values:
                return float("nan")
            return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))] * 1000

        return {
            "name": self.name,
            "concurrency": self.concurrency,
            "requests": len(self.samples),
            "errors": len(self.samples) - len(good),
            "rps": round(len(good) / self.wall, 1) if self.wall else 0,
            "ttft_p50_ms": round(pct(ttft, 50), 2),
            "ttft_p99_ms": round(pct(ttft, 99), 2),
            "total_p50_ms": round(pct(total, 50), 2),
            "total_p99_ms": round(pct(total, 99), 2),
            "server_cpu_ms_per_request": round(self.server_cpu * 1000 / max(1, len(self.samples)), 2),
        }


async def run_load(n: int, concurrency: int, one, spread: float = 0.0) -> tuple[list[Sample], float]:
    """`n` requests from `concurrency` workers, each sending its next request when the last ends.

    With `spread`, worker i starts i/concurrency of it later: clients that are independent of each
    other, rather than all sending in the same millisecond every round (see --burst).
    """
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)
    samples: list[Sample] = []

    async def worker(index: int) -> None:
        if spread:
            await asyncio.sleep(spread * index / concurrency)
        while True:
            try:
                queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            samples.append(await one(index))

    start = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return samples, time.perf_counter() - start


class Clients:
    """One HTTP client per load-generating worker, each holding one keep-alive connection.

    A single httpx client shared by 200 workers spent seconds in its own connection pool: httpcore
    matches waiting requests to connections with a scan over both on every request and every
    response close, quadratic in the number of connections. At 200 streams that, not the server,
    was where the proxy's first token waited (seen with httpcore's trace: 1-5 s between a request's
    start and its first byte on the wire, with the server's event loop idle).
    """

    def __init__(self) -> None:
        self._by_worker: dict[int, httpx.AsyncClient] = {}

    def get(self, worker: int) -> httpx.AsyncClient:
        client = self._by_worker.get(worker)
        if client is None:
            limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
            client = self._by_worker[worker] = httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(60.0))
        return client

    async def aclose(self) -> None:
        for client in self._by_worker.values():
            await client.aclose()


def proxy_caller(clients: Clients, url: str, stream: bool):
    body = {"model": "claude-4.5-sonnet", "messages": [{"role": "user", "content": PROMPT}], "stream": stream}
    headers = {"Authorization": f"Bearer {AUTH}"}

    async def one(worker: int) -> Sample:
        client = clients.get(worker)
        start = time.perf_counter()
        ttft = None
        try:
            if not stream:
                r = await client.post(url, json=body, headers=headers)
                ok = r.status_code == 200 and bool(r.json()["choices"][0]["message"]["content"])
                return Sample(None, time.perf_counter() - start, ok)
            ok = False
            async with client.stream("POST", url, json=body, headers=headers) as r:
                if r.status_code != 200:
                    return Sample(None, time.perf_counter() - start, False)
                # Raw bytes, not decoded lines: the load generator shares its core with the fake, and
                # its own parsing would otherwise count as the proxy's latency.
                tail = b""
                async for data in r.aiter_raw():
                    seen = tail + data
                    if ttft is None and b'"content"' in seen:
                        ttft = time.perf_counter() - start
                    if b"\ndata: [DONE]\n" in seen or seen.startswith(b"data: [DONE]\n"):
                        ok = ttft is not None
                    tail = seen[-32:]
            return Sample(ttft, time.perf_counter() - start, ok)
        except httpx.HTTPError:
            return Sample(None, time.perf_counter() - start, False)

    return one


def responses_caller(clients: Clients, url: str, stream: bool):
    """/v1/responses, as Codex calls it (store: false); first token = the first output_text.delta."""
    body = {"model": "claude-4.5-sonnet", "input": PROMPT, "stream": stream, "store": False}
    headers = {"Authorization": f"Bearer {AUTH}"}

    async def one(worker: int) -> Sample:
        client = clients.get(worker)
        start = time.perf_counter()
        ttft = None
        try:
            if not stream:
                r = await client.post(url, json=body, headers=headers)
                ok = r.status_code == 200 and r.json()["status"] == "completed"
                return Sample(None, time.perf_counter() - start, ok)
            ok = False
            async with client.stream("POST", url, json=body, headers=headers) as r:
                if r.status_code != 200:
                    return Sample(None, time.perf_counter() - start, False)
                tail = b""
                async for data in r.aiter_raw():
                    seen = tail + data
                    if ttft is None and b"event: response.output_text.delta" in seen:
                        ttft = time.perf_counter() - start
                    if b"event: response.completed" in seen:
                        ok = ttft is not None
                    tail = seen[-40:]
            return Sample(ttft, time.perf_counter() - start, ok)
        except httpx.HTTPError:
            return Sample(None, time.perf_counter() - start, False)

    return one


def interleaved(callers: list[tuple[str, object]]):
    """One caller that takes turns among several, tagging each sample with the one it used.

    Two of the proxy's routes measured in one run see the same machine at the same moment; measured
    one after the other, whatever else runs on a shared machine in between lands on one of them.
    """
    turn = itertools.count()

    async def one(worker: int) -> Sample:
        name, call = callers[next(turn) % len(callers)]
        sample = await call(worker)  # type: ignore[operator]
        sample.target = name
        return sample

    return one


def direct_caller(client: CursorClient, account: Account, stream: bool):
    def request() -> bytes:
        message = pb.ConversationMessage(text=PROMPT, type=1, bubble_id=str(uuid.uuid4()))
        chat = pb.StreamUnifiedChatRequest(conversation=[message], conversation_id=str(uuid.uuid4()))
        return pb.StreamUnifiedChatRequestWithTools(stream_unified_chat_request=chat).SerializeToString()

    async def one(worker: int) -> Sample:
        start = time.perf_counter()
        ttft = None
        try:
            async for batch in client.stream(account, hosts.CHAT, request()):
                for payload in batch:
                    message = pb.StreamUnifiedChatResponseWithTools.FromString(payload)
                    if ttft is None and message.stream_unified_chat_response.text:
                        ttft = time.perf_counter() - start
            return Sample(ttft if stream else None, time.perf_counter() - start, ttft is not None)
        except Exception:
            return Sample(None, time.perf_counter() - start, False)

    return one


def cpu_layout(pin: bool) -> tuple[set[int] | None, set[int] | None]:
    """Cores for the server, and for the harness (this load generator and the fake upstream).

    Pinned, the server under test never waits for a core behind its own load generator, as it would
    not in production; both paths are measured with the same harness cores. Unpinned, all processes
    share every core and the added latency includes that contention (see bench/RESULTS.md).
    """
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if not pin or len(cores) < 2:
        return None, None
    half = len(cores) // 2
    return set(cores[:half]), set(cores[half:])


def _on(cores: set[int] | None):
    return None if cores is None else (lambda: os.sched_setaffinity(0, cores))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3, help="requests per level = concurrency x rounds")
    parser.add_argument("--min-requests", type=int, default=30)
    parser.add_argument(
        "--concurrency", default=None, help="levels; default 1,50,200 (--sweep: 1,100,300,1000)"
    )
    parser.add_argument("--tokens", type=int, default=8)
    parser.add_argument("--modes", default="nonstream,stream")
    parser.add_argument("--targets", default="chat", help="the proxy's routes to measure: chat,responses")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="realistic")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="Daphne processes (manage.py serve --workers); -1: serve's own default (WEB_WORKERS)",
    )
    parser.add_argument("--sweep", action="store_true", help="long streams at each concurrency (see above)")
    parser.add_argument(
        "--sweep-rate", type=float, default=200, help="--sweep: new streams a second, at most"
    )
    parser.add_argument(
        "--sweep-gap-ms",
        type=int,
        default=SWEEP_GAP_MS,
        help="--sweep: the fake's pause between frames (streams last about 9.5 gaps)",
    )
    parser.add_argument(
        "--sweep-direct",
        action="store_true",
        help="--sweep: also the same streams from here straight to the fake (the harness's own limit)",
    )
    parser.add_argument(
        "--burst",
        action="store_true",
        help="start all clients at once, so that they send in step every round (the worst case)",
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="count the first round at each level (new connections at once; with no warm round to time "
        "a request by, clients start together as with --burst)",
    )
    parser.add_argument(
        "--no-pin", dest="pin", action="store_false", help="let the server share cores with the harness"
    )
    args = parser.parse_args()
    server_cores, harness_cores = cpu_layout(args.pin)
    if server_cores is not None:
        print(f"cores: server {sorted(server_cores)}, load generator and fake {sorted(harness_cores)}")
        os.sched_setaffinity(0, harness_cores)  # this process and the fake it starts
    else:
        print("cores: shared by the server, the load generator and the fake")
    levels = [
        int(c) for c in (args.concurrency or ("1,100,300,1000" if args.sweep else "1,50,200")).split(",")
    ]
    global PROMPT, SWEEP_PROMPT
    PROMPT = PROFILES[args.profile]
    SWEEP_PROMPT = SWEEP_PROMPT_TEMPLATE.format(gap=args.sweep_gap_ms)

    tmp = Path(tempfile.mkdtemp(prefix="cursorapi-bench-"))
    fake_port, app_port = free_port(), free_port()
    env = {
        **os.environ,
        "DATA_DIR": str(tmp),
        "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{tmp / 'bench.sqlite3'}"),
        "AUTH_TOKEN": AUTH,
        "CURSOR_UPSTREAM": f"http://127.0.0.1:{fake_port}",
        "LOG_LEVEL": "WARNING",
    }
    python = sys.executable
    fake = subprocess.Popen(
        [python, "manage.py", "fakecursor", "--port", str(fake_port), "--no-clock-check"], cwd=ROOT, env=env
    )
    server = None
    try:
        subprocess.run([python, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        # A reused BENCH_DATABASE_URL holds tokens sealed with another run's key: start empty.
        subprocess.run([python, "manage.py", "flush", "--noinput"], cwd=ROOT, env=env, check=True)
        tokens_file = tmp / "tokens"
        tokens_file.write_text("\n".join(jwt.mint() for _ in range(args.tokens)) + "\n")
        subprocess.run(
            [python, "manage.py", "import_tokens", str(tokens_file)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        workers = [] if args.workers < 0 else ["--workers", str(args.workers)]
        server = subprocess.Popen(
            [python, "manage.py", "serve", "--port", str(app_port), *workers],
            cwd=ROOT,
            env=env,
            preexec_fn=_on(server_cores),
        )
        wait_http(f"http://127.0.0.1:{fake_port}/__fake__/requests")
        wait_http(f"http://127.0.0.1:{app_port}/health")
        if os.environ.get("BENCH_PAUSE"):
            print(f"server pid {server.pid}", flush=True)
            time.sleep(float(os.environ["BENCH_PAUSE"]))
        pids = {"proxy": server.pid, "direct": fake.pid}
        if args.sweep:
            rows = asyncio.run(
                sweep(
                    levels,
                    app_port,
                    server.pid,
                    fake.pid,
                    args.sweep_rate,
                    fake_port if args.sweep_direct else None,
                )
            )
            report_sweep(rows, peak_rss_mb(server.pid), server_cores is not None, args.workers)
            return
        results = asyncio.run(
            measure(
                levels,
                args.rounds,
                args.min_requests,
                app_port,
                fake_port,
                args.modes.split(","),
                pids,
                warm_round=not args.cold,
                burst=args.burst,
                targets=args.targets.split(","),
            )
        )
        rss = peak_rss_mb(server.pid)
    finally:
        for proc in (server, fake):
            if proc is not None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(10)
    report(results, rss, server_cores is not None)


async def measure(
    levels: list[int],
    rounds: int,
    min_requests: int,
    app_port: int,
    fake_port: int,
    modes: list[str],
    pids: dict[str, int],
    warm_round: bool = True,
    burst: bool = False,
    targets: tuple[str, ...] | list[str] = ("chat",),
) -> list[dict]:
    out = []
    account = Account(
        token=jwt.mint(),
        checksum_first=checksum.random_hash(),
        checksum_second=checksum.random_hash(),
        client_key=checksum.random_hash(),
        session_id=str(uuid.uuid4()),
    )
    direct = CursorClient(ClientConfig(upstream=f"http://127.0.0.1:{fake_port}", read_timeout=60))
    url = f"http://127.0.0.1:{app_port}/v1/chat/completions"
    responses_url = f"http://127.0.0.1:{app_port}/v1/responses"
    clients = Clients()
    try:
        # Warm both paths (connections, imports, first queries).
        for stream in (False, True):
            await run_load(20, 5, proxy_caller(clients, url, stream))
            if "responses" in targets:
                await run_load(20, 5, responses_caller(clients, responses_url, stream))
            await run_load(20, 5, direct_caller(direct, account, stream))
        for stream in [m == "stream" for m in modes]:
            for c in levels:
                requests = max(min_requests, c * rounds)
                proxied = []
                if "chat" in targets:
                    proxied.append(("proxy", proxy_caller(clients, url, stream)))
                if "responses" in targets:
                    proxied.append(("responses", responses_caller(clients, responses_url, stream)))
                callers = [("direct", direct_caller(direct, account, stream))]
                if len(proxied) > 1:  # the routes take turns within one run
                    callers.append(("+".join(name for name, _ in proxied), interleaved(proxied)))
                    requests *= len(proxied)
                else:
                    callers += proxied
                for name, one in callers:
                    spread = 0.0
                    if warm_round:
                        # One round at this concurrency first, not counted: the clients' connections
                        # are open and the server is past its start-up burst, as in steady use.
                        warm, _ = await run_load(c, c, one)
                        if not burst:
                            spread = statistics.median(sample.total for sample in warm)
                    # CPU of the process that serves the request: our server, or the fake itself.
                    before = cpu_seconds(pids["direct" if name == "direct" else "proxy"])
                    samples, wall = await run_load(requests, c, one, spread)
                    cpu = cpu_seconds(pids["direct" if name == "direct" else "proxy"]) - before
                    mode = "stream" if stream else "nonstream"
                    for part in name.split("+"):
                        mine = [x for x in samples if x.target in ("", part)]
                        result = Result(f"{part}-{mode}", c, mine, wall * len(mine) / len(samples))
                        result.server_cpu = cpu * len(mine) / len(samples)
                        out.append(result.stats())
    finally:
        await clients.aclose()
        await direct.aclose()
    return out


# --- the long-stream sweep ------------------------------------------------------------------------

# About 7 s a stream: the reply's first words after 3.2 s (a 0.5 s stall, then the fake's frames
# 0.9 s apart), three more pieces to the end; few frames, as a model's reply over HTTP/2 batches.
SWEEP_PROMPT_TEMPLATE = "#fake: stall_ms=500 chunks=4 delay_ms={gap} reply='alpha alpha alpha alpha'"
SWEEP_GAP_MS = 900
SWEEP_PROMPT = SWEEP_PROMPT_TEMPLATE.format(gap=SWEEP_GAP_MS)


async def _long_stream(port: int, body: bytes, start_after: float) -> Sample:
    """One stream on its own raw HTTP/1.1 connection: the cheapest client, so the numbers are the server's."""
    await asyncio.sleep(start_after)
    start = time.perf_counter()
    ttft = None
    seen = b""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        head = (
            f"POST /v1/chat/completions HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {AUTH}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        writer.write(head.encode() + body)
        try:
            while data := await reader.read(65536):
                seen = seen[-64:] + data if ttft is not None else seen + data
                if ttft is None and b"alpha" in seen:
                    ttft = time.perf_counter() - start
        finally:
            writer.close()
    except OSError:
        return Sample(None, time.perf_counter() - start, False)
    ok = ttft is not None and b"[DONE]" in seen
    return Sample(ttft, time.perf_counter() - start, ok)


async def _upstream_connections(port: int) -> int | None:
    """Connections to the fake that /metrics shows (the one worker that answers)."""
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            text = (
                await client.get(
                    f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {AUTH}"}
                )
            ).text
    except httpx.HTTPError:
        return None
    return sum(
        int(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("cursorapi_upstream_connections{")
    )


async def _direct_stream(client: CursorClient, account: Account, start_after: float) -> Sample:
    await asyncio.sleep(start_after)
    message = pb.ConversationMessage(text=SWEEP_PROMPT, type=1, bubble_id=str(uuid.uuid4()))
    chat = pb.StreamUnifiedChatRequest(conversation=[message], conversation_id=str(uuid.uuid4()))
    body = pb.StreamUnifiedChatRequestWithTools(stream_unified_chat_request=chat).SerializeToString()
    start = time.perf_counter()
    ttft = None
    try:
        async for batch in client.stream(account, hosts.CHAT, body):
            if ttft is None and any(b"alpha" in payload for payload in batch):
                ttft = time.perf_counter() - start
    except Exception:
        return Sample(None, time.perf_counter() - start, False)
    return Sample(ttft, time.perf_counter() - start, ttft is not None)


async def _direct_level(fake_port: int, c: int, spread: float) -> dict:
    """The same streams from this process straight to the fake: what the harness itself can do."""
    account = Account(
        token=jwt.mint(),
        checksum_first=checksum.random_hash(),
        checksum_second=checksum.random_hash(),
        client_key=checksum.random_hash(),
        session_id=str(uuid.uuid4()),
    )
    client = CursorClient(ClientConfig(upstream=f"http://127.0.0.1:{fake_port}", read_timeout=60))
    try:
        if c == 1:
            samples = [await _direct_stream(client, account, 0.0) for _ in range(3)]
        else:
            samples = list(
                await asyncio.gather(*(_direct_stream(client, account, spread * i / c) for i in range(c)))
            )
    finally:
        await client.aclose()
    ttft = sorted(s.ttft for s in samples if s.ok and s.ttft is not None)
    p90 = ttft[min(len(ttft) - 1, round(0.9 * (len(ttft) - 1)))] * 1000 if ttft else float("nan")
    return {"direct_errors": sum(not s.ok for s in samples), "direct_ttft_p90_ms": round(p90, 1)}


async def sweep(
    levels: list[int],
    app_port: int,
    server_pid: int,
    fake_pid: int,
    rate: float,
    fake_port: int | None = None,
) -> list[dict]:
    body = json.dumps(
        {
            "model": "claude-4.5-sonnet",
            "stream": True,
            "messages": [{"role": "user", "content": SWEEP_PROMPT}],
        }
    ).encode()
    await asyncio.gather(*(_long_stream(app_port, body, i / 50) for i in range(10)))  # warm
    rows = []
    for c in levels:
        spread = c / rate if c > 1 else 0.0
        before, fake_before, harness_before = (
            cpu_seconds(server_pid),
            cpu_seconds(fake_pid),
            time.process_time(),
        )
        started = time.perf_counter()
        if c == 1:  # three streams one after the other: the reference, with more than one sample
            samples = [await _long_stream(app_port, body, 0.0) for _ in range(3)]
            connections = await _upstream_connections(app_port)
        else:
            tasks = [asyncio.create_task(_long_stream(app_port, body, spread * i / c)) for i in range(c)]
            # Every stream has started and none has ended (each lasts about 7 s): the peak.
            await asyncio.sleep(spread + 1.0)
            connections = await _upstream_connections(app_port)
            samples = list(await asyncio.gather(*tasks))
        wall = time.perf_counter() - started
        cpu = cpu_seconds(server_pid) - before
        good = [s for s in samples if s.ok]
        ttft = sorted(s.ttft for s in good if s.ttft is not None)
        total = sorted(s.total for s in good)

        def pct(values: list[float], p: float) -> float:
            if not values:
                return float("nan")
            return round(values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))] * 1000, 1)

        rows.append(
            {
                "concurrency": c,
                "errors": len(samples) - len(good),
                "start_spread_s": round(spread, 2),
                "ttft_p50_ms": pct(ttft, 50),
                "ttft_p90_ms": pct(ttft, 90),
                "ttft_p99_ms": pct(ttft, 99),
                "total_p50_ms": pct(total, 50),
                "total_p99_ms": pct(total, 99),
                "server_cpu_s": round(cpu, 2),
                "server_cpu_pct": round(100 * cpu / wall, 1),
                # The harness's share: the fake and this load generator share the other core(s).
                "fake_cpu_s": round(cpu_seconds(fake_pid) - fake_before, 2),
                "loadgen_cpu_s": round(time.process_time() - harness_before, 2),
                "wall_s": round(wall, 1),
                "upstream_connections": connections,
                "rss_mb": round(peak_rss_mb(server_pid), 1),
            }
        )
        if fake_port is not None:
            await asyncio.sleep(1.0)
            rows[-1].update(await _direct_level(fake_port, c, spread))
        print(json.dumps(rows[-1]), flush=True)
        await asyncio.sleep(1.0)
    return rows


def report_sweep(rows: list[dict], rss: float, pinned: bool, workers: int) -> None:
    base = rows[0]
    cols = [
        "concurrency",
        "errors",
        "ttft_p50_ms",
        "ttft_p90_ms",
        "ttft_p99_ms",
        "total_p50_ms",
        "total_p99_ms",
    ]
    print(" | ".join(f"{c:>13}" for c in [*cols, "ttft_p90_x1", "total_p99_x1", "cpu_s", "conns"]))
    for r in rows:
        ratios = [
            round(r["ttft_p90_ms"] / base["ttft_p90_ms"], 2),
            round(r["total_p99_ms"] / base["total_p99_ms"], 2),
        ]
        cells = [*(r[c] for c in cols), *ratios, r["server_cpu_s"], r["upstream_connections"]]
        print(" | ".join(f"{v!s:>13}" for v in cells))
    print(
        f"server peak RSS: {rss:.1f} MB; workers: {'default' if workers < 0 else workers}; pinned: {pinned}"
    )
    print(
        json.dumps({"sweep": rows, "server_peak_rss_mb": round(rss, 1), "pinned": pinned, "workers": workers})
    )


def report(results: list[dict], rss: float, pinned: bool) -> None:
    cols = [
        "name",
        "concurrency",
        "requests",
        "errors",
        "rps",
        "ttft_p50_ms",
        "ttft_p99_ms",
        "total_p50_ms",
        "total_p99_ms",
    ]
    print(" | ".join(f"{c:>13}" for c in cols))
    for r in results:
        print(" | ".join(f"{r[c]!s:>13}" for c in cols))
    overhead = []
    by_key = {(r["name"], r["concurrency"]): r for r in results}
    for (name, c), proxy in by_key.items():
        if not name.startswith(("proxy", "responses")):
            continue
        direct = by_key[("direct-" + name.split("-")[1], c)]
        metric = "ttft_p50_ms" if "stream" in name and "nonstream" not in name else "total_p50_ms"
        overhead.append(
            {
                "target": "chat" if name.startswith("proxy") else "responses",
                "mode": name.split("-")[1],
                "concurrency": c,
                "metric": metric,
                "proxy_ms": proxy[metric],
                "direct_ms": direct[metric],
                "added_ms": round(proxy[metric] - direct[metric], 2),
                "ratio": round(proxy[metric] / direct[metric], 2) if direct[metric] else None,
            }
        )
    print()
    for o in overhead:
        print(
            f"{o['target']:>9} {o['mode']:>10} c={o['concurrency']:<4} {o['metric']}: "
            f"proxy {o['proxy_ms']} ms, direct "
            f"{o['direct_ms']} ms, added {o['added_ms']} ms, ratio {o['ratio']}"
        )
    print(f"server peak RSS: {rss:.1f} MB")
    print(f"server pinned to its own cores: {'yes' if pinned else 'no'}")
    print(
        json.dumps(
            {"results": results, "overhead": overhead, "server_peak_rss_mb": round(rss, 1), "pinned": pinned}
        )
    )


if __name__ == "__main__":
    main()
