"""Upstream connections that follow demand, against the fake on a socket advertising few streams."""

from __future__ import annotations

import asyncio
import gc
import time

import pytest

from cursorapi.upstream import connections, hosts
from cursorapi.upstream.client import ClientConfig, CursorClient, UpstreamBusy
from cursorapi.upstream.connections import PoolLimits
from cursorapi.upstream.fake.app import FakeCursor
from cursorapi.upstream.fake.server import ThreadedFakeServer
from cursorapi.upstream.proto import aiserver_pb2 as pb
from tests.upstream.test_client_against_fake import account, chat_request, collect, texts  # noqa: F401

SLOW = "#fake: stall_ms=400 reply=done"


@pytest.fixture
def small_fake():
    """A fake whose connections carry 3 streams at a time (h2 ends a connection that opens a 4th)."""
    server = ThreadedFakeServer(FakeCursor(), max_streams=3).start()
    yield server
    server.stop()


def _client(server: ThreadedFakeServer, **limits) -> CursorClient:
    return CursorClient(ClientConfig(upstream=server.url, read_timeout=5.0, limits=PoolLimits(**limits)))


async def test_connections_grow_to_the_advertised_stream_limit(small_fake, account) -> None:  # noqa: F811
    client = _client(small_fake)
    peak = 0

    async def watch() -> None:
        nonlocal peak
        while True:
            peak = max(peak, small_fake.server.connections)
            await asyncio.sleep(0.02)

    watcher = asyncio.create_task(watch())
    try:
        started = time.perf_counter()
        replies = await asyncio.gather(*(collect(client, account, SLOW) for _ in range(10)))
        elapsed = time.perf_counter() - started
    finally:
        watcher.cancel()
    assert [texts(r) for r in replies] == ["done"] * 10
    # 10 streams at 3 a connection: 4 connections, all at once (no stream waited for another).
    assert peak == 4
    assert elapsed < 2 * 0.4 + 0.3
    limits = {view.limit for view in connections.snapshot() if view.origin == small_fake.url}
    assert limits == {3}
    await client.aclose()


async def test_extra_connections_close_once_idle(small_fake, account) -> None:  # noqa: F811
    client = _client(small_fake, idle_expiry=0.0)
    await asyncio.gather(*(collect(client, account, SLOW) for _ in range(7)))
    assert small_fake.server.connections == 3
    await asyncio.sleep(1.05)  # the sweep runs at most once a second, as calls arrive
    await collect(client, account, "hi")
    await asyncio.sleep(0.1)
    assert small_fake.server.connections == 1
    assert len([v for v in connections.snapshot() if v.origin == small_fake.url]) == 1
    await client.aclose()


async def test_beyond_the_call_limit_a_call_is_refused_quickly(small_fake, account) -> None:  # noqa: F811
    client = _client(small_fake, max_calls=2, short_reserve=0, slot_wait=0.1)
    held = [asyncio.create_task(collect(client, account, "#fake: stall_ms=1000 reply=x")) for _ in range(2)]
    await asyncio.sleep(0.2)
    started = time.perf_counter()
    with pytest.raises(UpstreamBusy) as info:
        await collect(client, account, "hi")
    assert time.perf_counter() - started < 0.5
    assert info.value.http_status == 503 and info.value.retry_after == 1
    assert "UPSTREAM_MAX_CALLS=2" in str(info.value)
    await asyncio.gather(*held)
    assert texts(await collect(client, account, "#fake: reply=again")) == "again"
    await client.aclose()


async def test_beyond_the_connection_limit_a_call_is_refused(small_fake, account) -> None:  # noqa: F811
    gc.collect()  # other tests' clients, and their lanes, go: the limit counts the whole process
    client = _client(small_fake, max_connections=connections.lanes_in_process() + 1, slot_wait=0.1)
    held = [asyncio.create_task(collect(client, account, "#fake: stall_ms=1000 reply=x")) for _ in range(3)]
    await asyncio.sleep(0.2)
    with pytest.raises(UpstreamBusy):
        await collect(client, account, "hi")
    await asyncio.gather(*held)
    await client.aclose()


async def test_a_call_waits_briefly_for_a_freed_place(small_fake, account) -> None:  # noqa: F811
    client = _client(small_fake, max_calls=1, short_reserve=0, slot_wait=3.0)
    before = connections.USAGE.wait_sum
    first = asyncio.create_task(collect(client, account, "#fake: stall_ms=300 reply=one"))
    await asyncio.sleep(0.05)
    assert texts(await collect(client, account, "#fake: reply=two")) == "two"
    assert texts(await first) == "one"
    assert connections.USAGE.wait_sum - before >= 0.2
    await client.aclose()


async def test_long_calls_leave_places_to_short_ones(small_fake, account) -> None:  # noqa: F811
    client = _client(small_fake, max_calls=3, short_reserve=1, slot_wait=0.1)
    held = [asyncio.create_task(collect(client, account, "#fake: stall_ms=1000 reply=x")) for _ in range(2)]
    await asyncio.sleep(0.2)
    with pytest.raises(UpstreamBusy):  # a third chat stream: only the reserved place is left
        await collect(client, account, "hi")
    # A short call (a model list) still goes through.
    reply = await client.unary(
        account, hosts.AVAILABLE_MODELS, pb.AvailableModelsRequest().SerializeToString()
    )
    assert pb.AvailableModelsResponse.FromString(reply.body).models
    await asyncio.gather(*held)
    await client.aclose()


async def test_the_fake_advertises_its_stream_limit(small_fake, account) -> None:  # noqa: F811
    import h2.settings
    import httpx

    async with httpx.AsyncClient(http1=False, http2=True) as raw:
        await raw.get(f"{small_fake.url}/__fake__/requests")
        (conn,) = raw._transport._pool.connections
        remote = conn._connection._h2_state.remote_settings
        assert remote[h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS] == 3
