"""Hundreds of streams in one process: upstream connections grow instead of queueing (issue #19).

The fake advertises 100 streams per HTTP/2 connection, as Cursor does. Before connections scaled,
the 101st upstream call of a process waited on httpcore's stream semaphore for a whole stream to
end, Copilot++ included. These tests go through our server on a socket (Daphne in this process).

Timing on a shared 2-core machine: every stream's reply comes after a fixed stall of the fake's
(STALL_S) that dominates the figure, all at once (few frames: little CPU per stream); 1-stream
figures are measured in the same test, just before; starts are spread over SPREAD_S so the load
is steady rather than one burst (server, fake and this load generator share one interpreter
here). The 25% margin has an absolute floor (FLOOR_S): with the machine's load average near 10
(other test runs) this process got too little CPU to set up 100 requests a second on time (about
9 ms of CPU each, server, fake and client together), up to 1.5 s late. Queueing costs whole
streams: before connections scaled, a call past the 100th waited for the first stream to end
(TTFT p90 15 s against 3 s alone, Copilot++ 15 s against 0.5 s), far outside the margin.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from urllib.parse import urlsplit

import httpx
import pytest

from cpp.tests.helpers import CLIENT_KEY, stream_request
from tests.fixtures import AUTH, add_token

STREAMS = 300
STALL_S = 4.0  # the fake's pause before every stream's reply (which then comes at once)
SPREAD_S = 3.0  # streams start evenly over this long (100 a second); each lasts longer
FLOOR_S = 0.75  # added to the 25% margin: CPU starvation on a shared machine, not queueing
CPP_STALL_S = 0.5
MARKER = b"alpha"

pytestmark = pytest.mark.timeout(60)


def _chat_body() -> bytes:
    directive = f"#fake: stall_ms={int(STALL_S * 1000)} chunks=1 reply={MARKER.decode()}"
    return json.dumps(
        {"model": "claude-4.5-sonnet", "stream": True, "messages": [{"role": "user", "content": directive}]}
    ).encode()


def _cpp_body() -> bytes:
    contents = f"#fake: stall_ms={int(CPP_STALL_S * 1000)}\nx = 1\n"
    return json.dumps(stream_request(path="a.py", contents=contents, line=1)).encode()


async def _post(
    port: int, path: str, body: bytes, marker: bytes, extra: str = ""
) -> tuple[float | None, bool]:
    """Time to `marker` in the response, and whether the response was a complete 200.

    Raw HTTP/1.1 on its own connection: a load generator this cheap leaves the CPU to the server.
    """
    start = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {AUTH}\r\n{extra}"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    writer.write(head.encode() + body)
    seen = b""
    at: float | None = None
    try:
        while data := await reader.read(65536):
            seen += data
            if at is None and marker in seen:
                at = time.perf_counter() - start
    finally:
        writer.close()
    return at, seen.startswith(b"HTTP/1.1 200") and (b"stream_end" in seen or b"[DONE]" in seen)


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1]


def test_300_streams_keep_their_first_token_time_and_copilot_its_latency(live, fake, fake_server) -> None:
    assert fake_server.server.max_streams == 100
    for alias in ("t1", "t2", "t3", "t4"):
        add_token(alias)
    port = urlsplit(live.url).port
    chat, cpp = _chat_body(), _cpp_body()
    cpp_headers = f"x-client-key: {CLIENT_KEY}\r\n"

    async def run() -> tuple[float, float, list[tuple[float | None, bool]], tuple[float | None, bool]]:
        # Warm: connections, imports, the editor's token affinity.
        await _post(port, "/cpp/stream", cpp, b"stream_end", cpp_headers)
        alone, ok = await _post(port, "/v1/chat/completions", chat, MARKER)
        assert ok and alone is not None
        cpp_idle, ok = await _post(port, "/cpp/stream", cpp, b"stream_end", cpp_headers)
        assert ok and cpp_idle is not None

        async def later(i: int) -> tuple[float | None, bool]:
            await asyncio.sleep(SPREAD_S * i / STREAMS)
            return await _post(port, "/v1/chat/completions", chat, MARKER)

        async def copilot_in_the_middle() -> tuple[float | None, bool]:
            await asyncio.sleep(SPREAD_S + 0.2)  # every stream started, none finished
            return await _post(port, "/cpp/stream", cpp, b"stream_end", cpp_headers)

        streams = [asyncio.create_task(later(i)) for i in range(STREAMS)]
        middle = await copilot_in_the_middle()
        return alone, cpp_idle, await asyncio.gather(*streams), middle

    alone, cpp_idle, results, (cpp_busy, cpp_ok) = asyncio.run(run())
    ttfts = [t for t, ok in results if ok and t is not None]
    assert len(ttfts) == STREAMS, f"{STREAMS - len(ttfts)} streams failed"
    p90 = _p90(ttfts)
    assert p90 <= alone * 1.25 + FLOOR_S, f"TTFT p90 {p90:.2f}s with {STREAMS} streams, {alone:.2f}s alone"
    assert cpp_ok and cpp_busy is not None
    assert cpp_busy <= cpp_idle * 1.25 + FLOOR_S, (
        f"Copilot++ {cpp_busy:.2f}s under load, {cpp_idle:.2f}s idle"
    )


def test_metrics_show_connections_streams_and_slot_waits(live, fake) -> None:
    add_token("t1")
    body = {"model": "claude-4.5-sonnet", "messages": [{"role": "user", "content": "hi"}]}
    assert (
        httpx.post(
            f"{live.url}/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {AUTH}"}
        ).status_code
        == 200
    )
    text = httpx.get(f"{live.url}/metrics", headers={"Authorization": f"Bearer {AUTH}"}).text
    assert "cursorapi_upstream_connections{" in text
    assert "cursorapi_upstream_connection_streams{" in text
    assert "cursorapi_upstream_connection_stream_limit{" in text and "} 100" in text
    assert "cursorapi_upstream_slot_wait_seconds_count{" in text
    assert "cursorapi_upstream_limit{" in text
