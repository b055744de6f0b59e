"""Connections to Cursor that grow with demand: a set of HTTP/2 connections per origin.

httpcore keeps handing requests to a busy HTTP/2 connection, where they queue on its stream
semaphore (100 slots, whatever the server allows) even when another connection could be opened: so
the 101st call of a process waited for a minutes-long chat stream to end. This transport holds, per
origin, a list of "lanes": one httpx transport each, limited to one connection. A call goes to the
oldest lane with a free stream slot (the limit is the MAX_CONCURRENT_STREAMS that lane's server
advertised, as httpcore applies it); when every slot is taken a new lane (connection) is opened.
Filling old lanes first lets the newest ones drain; lanes idle for `idle_expiry` are closed.

Two per-process limits bound it all (most calls in flight, most connections open). Beyond them a
call waits at most `slot_wait` seconds for a place, then fails with UpstreamBusy (503, Retry-After):
never an unbounded queue. Long calls (chat streams) leave `short_reserve` places to short ones, so
a Copilot++ completion or a model-list refresh still gets through when streams fill the process.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import h2.settings
import httpcore
import httpx

from .errors import UpstreamError

LONG_CALL = "cursorapi.long_call"  # request extension: True for calls that may last minutes (chat)
# Slot wait buckets, seconds.
WAIT_BUCKETS = (0.001, 0.01, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0)
_MAX_STREAMS = h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS


class UpstreamBusy(UpstreamError):
    """This process already holds as many upstream calls or connections as it may: try again soon."""

    http_status = 503
    retry_after = 1  # seconds: calls end all the time; a client should come back soon, not hammer


@dataclass(frozen=True, slots=True)
class PoolLimits:
    max_calls: int = 2000  # upstream calls in flight in this process, all routes together
    max_connections: int = 64  # upstream connections open in this process
    short_reserve: int = 50  # of max_calls, kept for short calls (long ones stop before them)
    slot_wait: float = 2.0  # seconds a call may wait for a place under the limits
    idle_expiry: float = 60.0  # seconds an extra connection may stay unused before it is closed
    assumed_streams: int = 100  # slots of a connection whose server has not said yet


class _Usage:
    """The process's counters: limits are per process, whichever client or event loop calls."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls = 0
        self.refused = 0
        self.wait_sum = 0.0
        self.wait_count = 0
        self.wait_buckets = [0] * len(WAIT_BUCKETS)

    def take_call(self, long: bool, limits: PoolLimits) -> bool:
        cap = limits.max_calls - (limits.short_reserve if long else 0)
        with self.lock:
            if self.calls >= cap:
                return False
            self.calls += 1
            return True

    def give_call(self) -> None:
        with self.lock:
            self.calls -= 1

    def waited(self, seconds: float) -> None:
        with self.lock:
            self.wait_sum += seconds
            self.wait_count += 1
            for i, bound in enumerate(WAIT_BUCKETS):
                if seconds <= bound:
                    self.wait_buckets[i] += 1


USAGE = _Usage()
# Every live transport: a client dropped when settings change (tests do it all the time) leaves with
# its transport, so its lanes stop counting without anyone closing them.
_transports: weakref.WeakSet[ScalingTransport] = weakref.WeakSet()
_transports_lock = threading.Lock()


def _live_transports() -> list[ScalingTransport]:
    with _transports_lock:
        return list(_transports)


def lanes_in_process() -> int:
    """Connections (open or opening) of the whole process: counted when a lane is about to open."""
    return sum(len(lanes) for t in _live_transports() for lanes in list(t.origins.values()))


_lane_ids = itertools.count(1)


def _connection(transport: httpx.AsyncBaseTransport) -> object | None:
    connections = getattr(getattr(transport, "_pool", None), "connections", None)
    return connections[0] if connections else None


def advertised_limit(transport: httpx.AsyncBaseTransport) -> int | None:
    """The stream slots of the lane's connection as httpcore applies them; None before its server said.

    httpcore uses min(server's MAX_CONCURRENT_STREAMS, its own 100). An HTTP/1.1 connection has one.
    A connection that can take no new stream (GOAWAY received, ids used up) has none.
    """
    pool = getattr(transport, "_pool", None)
    connections = getattr(pool, "connections", None)
    if not connections:
        return None
    outer = connections[0]
    inner = getattr(outer, "_connection", None)
    if inner is None:  # still connecting
        return None
    if not outer.is_available() and not outer.is_idle():
        return 0
    if isinstance(inner, httpcore.AsyncHTTP11Connection):
        return 1
    state = getattr(inner, "_h2_state", None)
    if state is None:  # a proxy tunnel that is not through yet
        return None
    if _MAX_STREAMS not in state.remote_settings:
        return None
    return min(state.remote_settings.max_concurrent_streams, state.local_settings.max_concurrent_streams)


class _Opening:
    """What _admit says while an origin's first connection has not told its stream limit yet."""


OPENING = _Opening()


class _Lane:
    __slots__ = ("answered", "id", "idle_since", "in_flight", "transport")

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self.id = next(_lane_ids)
        self.transport = transport
        self.in_flight = 0
        self.idle_since = time.monotonic()
        # The connection a response came on: that server's SETTINGS have been read.
        self.answered: object | None = None

    def is_open(self) -> bool:
        pool = getattr(self.transport, "_pool", None)
        return bool(getattr(pool, "connections", None))


class _Released(httpx.AsyncByteStream):
    """The response body; closing it gives the call's slot back (once)."""

    def __init__(self, inner: httpx.AsyncByteStream, owner: ScalingTransport, lane: _Lane) -> None:
        self._inner = inner
        self._owner: ScalingTransport | None = owner
        self._lane = lane
        # Where client._cancel_http2_stream finds the HTTP/2 stream to reset.
        self._httpcore_stream = getattr(inner, "_httpcore_stream", None)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            owner, self._owner = self._owner, None
            if owner is not None:
                owner._release(self._lane)


class ScalingTransport(httpx.AsyncBaseTransport):
    """Sends each request on a lane with a free stream slot, opening lanes as demand needs them."""

    def __init__(
        self, make_lane: Callable[[httpx.URL], httpx.AsyncBaseTransport], limits: PoolLimits, route: str
    ) -> None:
        self._make_lane = make_lane
        self.limits = limits
        self.route = route  # "direct", "proxy" or "system": never the proxy's URL (it may hold a password)
        self.origins: dict[str, list[_Lane]] = {}
        self._known: dict[str, int] = {}  # origin -> last advertised limit seen
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._closing: set[asyncio.Task[None]] = set()
        self._swept = time.monotonic()
        with _transports_lock:
            _transports.add(self)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        long = bool(request.extensions.get(LONG_CALL))
        origin = f"{request.url.scheme}://{request.url.netloc.decode('ascii')}"
        started = time.perf_counter()
        got = self._admit(origin, request.url, long)
        lane = got if isinstance(got, _Lane) else await self._wait(origin, request.url, long, started)
        USAGE.waited(time.perf_counter() - started)
        try:
            response = await lane.transport.handle_async_request(request)
        except BaseException:
            self._release(lane)
            raise
        lane.answered = _connection(lane.transport)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _Released(response.stream, self, lane)
        return response

    def _admit(self, origin: str, url: httpx.URL, long: bool) -> _Lane | _Opening | None:
        """A lane with a free slot for this call (taking it), OPENING, or None when the limits say wait.

        OPENING: the origin's first connection has not yet said how many streams it takes. One
        call goes ahead on it; the others wait the moment until it says, rather than each opening
        a connection of its own (or crowding onto one that may take fewer).
        """
        limits = self.limits
        self._sweep()
        if not USAGE.take_call(long, limits):
            return None
        lanes = self.origins.setdefault(origin, [])
        known = self._known.get(origin)
        opening = False
        for lane in lanes:
            limit = advertised_limit(lane.transport)
            if limit is None:
                if lane.answered is not None and lane.answered is _connection(lane.transport):
                    # The server's SETTINGS precede any response; without a stream limit in them
                    # httpcore sends one stream at a time.
                    limit = 1
                elif known is not None:
                    limit = known  # a new connection to a server whose limit we saw
                else:
                    limit = 1
                    opening = True
            elif limit:
                self._known[origin] = known = limit
            if lane.in_flight < limit:
                lane.in_flight += 1
                return lane
        if opening or lanes_in_process() >= limits.max_connections:
            USAGE.give_call()
            return OPENING if opening else None
        lane = _Lane(self._make_lane(url))
        lane.in_flight = 1
        lanes.append(lane)
        return lane

    async def _wait(self, origin: str, url: httpx.URL, long: bool, started: float) -> _Lane:
        deadline = started + self.limits.slot_wait
        loop = asyncio.get_running_loop()
        while True:
            got = self._admit(origin, url, long)
            if isinstance(got, _Lane):
                return got
            if got is OPENING:
                # Until the first connection answers or fails (its call then gives its place back).
                await asyncio.sleep(0.005)
                deadline = max(deadline, time.perf_counter() + self.limits.slot_wait)
                continue
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                with USAGE.lock:
                    USAGE.refused += 1
                raise UpstreamBusy(
                    "this server holds as many calls to Cursor as it may "
                    f"(UPSTREAM_MAX_CALLS={self.limits.max_calls}, "
                    f"UPSTREAM_MAX_CONNECTIONS={self.limits.max_connections}); try again shortly"
                )
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.append(waiter)
            try:
                # A place freed in another event loop (tests, management commands) does not wake
                # this one; the deadline still bounds the wait.
                await asyncio.wait_for(waiter, min(remaining, 0.25))
            except TimeoutError:
                pass
            finally:
                if not waiter.done():
                    waiter.cancel()

    def _release(self, lane: _Lane) -> None:
        lane.in_flight -= 1
        USAGE.give_call()
        if lane.in_flight == 0:
            lane.idle_since = time.monotonic()
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                break

    def _sweep(self) -> None:
        """Close lanes (other than each origin's first) that have been idle for `idle_expiry`.

        Runs as calls arrive, at most once a second: with no calls at all, httpcore's keep-alive
        expiry closes the idle sockets themselves and only the empty lanes remain.
        """
        now = time.monotonic()
        if now - self._swept < 1.0:
            return
        self._swept = now
        expiry = self.limits.idle_expiry
        for lanes in self.origins.values():
            for lane in lanes[1:]:
                if lane.in_flight == 0 and now - lane.idle_since >= expiry:
                    lanes.remove(lane)
                    self._close_lane(lane)

    def _close_lane(self, lane: _Lane) -> None:
        task = asyncio.get_running_loop().create_task(lane.transport.aclose())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def aclose(self) -> None:
        origins, self.origins = self.origins, {}
        for lanes in origins.values():
            for lane in lanes:
                await lane.transport.aclose()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    def sweep_now(self) -> None:
        """Run the idle sweep at once (the sweep otherwise runs as new lanes open, at most each second)."""
        self._swept = 0.0
        self._sweep()


@dataclass(frozen=True, slots=True)
class LaneView:
    route: str
    origin: str
    lane: int
    open: bool
    in_flight: int
    limit: int | None


def snapshot() -> list[LaneView]:
    """Every lane of every transport in this process, for /metrics."""
    out = []
    for transport in _live_transports():
        for origin, lanes in list(transport.origins.items()):
            for lane in list(lanes):
                out.append(
                    LaneView(
                        transport.route,
                        origin,
                        lane.id,
                        lane.is_open(),
                        lane.in_flight,
                        advertised_limit(lane.transport),
                    )
                )
    return out
