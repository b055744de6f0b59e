"""A small HTTP server for the fake upstream: HTTP/2 cleartext (prior knowledge) and HTTP/1.1 on one port.

Written on h2/h11 directly rather than behind an ASGI server because the fake must misbehave the
way a real network does: cut a connection in the middle of a stream, or write a frame in pieces.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings
import h11

log = logging.getLogger(__name__)

H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
# Streams a client may open at once on one connection: 100, what Cursor's servers (and most HTTP/2
# servers) advertise, so that tests meet the limit the real service imposes.
DEFAULT_MAX_STREAMS = 100


@dataclass(slots=True)
class Request:
    method: str
    path: str  # without the query string
    query: str
    headers: dict[str, str]  # lower-case names; `host` holds :authority over HTTP/2
    body: bytes
    http_version: str
    cookies: dict[str, str] = field(default_factory=dict)


class Responder:
    """What a handler uses to answer: start, send pieces, end; or drop the connection."""

    async def start(self, status: int, headers: list[tuple[str, str]]) -> None:
        raise NotImplementedError

    async def send(self, data: bytes) -> None:
        raise NotImplementedError

    async def end(self) -> None:
        raise NotImplementedError

    def drop(self) -> None:
        """Cut the response off without an end: reset the HTTP/2 stream, or close the HTTP/1.1 socket."""
        raise NotImplementedError

    async def respond(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        await self.start(status, [*headers, ("content-length", str(len(body)))])
        if body:
            await self.send(body)
        await self.end()


Handler = Callable[[Request, Responder], Awaitable[None]]


def _parse_cookies(value: str) -> dict[str, str]:
    cookies: dict[str, str] = {}
    for part in value.split(";"):
        name, sep, val = part.strip().partition("=")
        if sep:
            cookies[name] = val
    return cookies


def _make_request(method: str, target: str, headers: dict[str, str], body: bytes, version: str) -> Request:
    path, _, query = target.partition("?")
    return Request(
        method=method,
        path=path,
        query=query,
        headers=headers,
        body=body,
        http_version=version,
        cookies=_parse_cookies(headers.get("cookie", "")),
    )


# --- HTTP/2 ------------------------------------------------------------------------------------


class _H2Responder(Responder):
    def __init__(self, conn: _H2Connection, stream_id: int) -> None:
        self.conn = conn
        self.stream_id = stream_id

    async def start(self, status: int, headers: list[tuple[str, str]]) -> None:
        h2_headers = [(":status", str(status)), *((k.lower(), v) for k, v in headers)]
        self.conn.h2.send_headers(self.stream_id, h2_headers)
        await self.conn.flush()

    async def send(self, data: bytes) -> None:
        await self.conn.send_data(self.stream_id, data)

    async def end(self) -> None:
        with contextlib.suppress(h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError):
            self.conn.h2.end_stream(self.stream_id)
            await self.conn.flush()

    def drop(self) -> None:
        # Over HTTP/2 a dying backend behind Cursor's load balancer shows up as a reset of that one
        # stream (INTERNAL_ERROR); the other streams on the connection live on.
        with contextlib.suppress(h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError):
            self.conn.h2.reset_stream(self.stream_id, error_code=2)
            data = self.conn.h2.data_to_send()
            if data:
                self.conn.writer.write(data)


class _H2Connection:
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        handler: Handler,
        max_streams: int = DEFAULT_MAX_STREAMS,
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.handler = handler
        self.h2 = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
        )
        # In the first SETTINGS frame, as real servers do. Once the client acknowledges it, h2 refuses
        # a stream beyond it by ending the connection (GOAWAY): a client that ignores it fails loudly.
        self.h2.local_settings = h2.settings.Settings(
            client=False, initial_values={h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: max_streams}
        )
        self.requests: dict[int, tuple[dict[str, str], bytearray]] = {}
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self.window_open: dict[int, asyncio.Event] = {}

    async def flush(self) -> None:
        data = self.h2.data_to_send()
        if data:
            self.writer.write(data)
            await self.writer.drain()

    async def run(self, first: bytes) -> None:
        self.h2.initiate_connection()
        await self.flush()
        data = first
        try:
            while data:
                try:
                    events = self.h2.receive_data(data)
                except h2.exceptions.ProtocolError:
                    break
                for event in events:
                    self._on_event(event)
                await self.flush()
                data = await self.reader.read(65536)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            for task in self.tasks.values():
                task.cancel()
            self.writer.close()

    def _on_event(self, event: h2.events.Event) -> None:
        if isinstance(event, h2.events.RequestReceived):
            headers = {str(k): str(v) for k, v in event.headers}
            self.requests[event.stream_id] = (headers, bytearray())
            self.window_open[event.stream_id] = asyncio.Event()
        elif isinstance(event, h2.events.DataReceived):
            self.requests[event.stream_id][1].extend(event.data)
            self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, h2.events.StreamEnded):
            headers, body = self.requests.pop(event.stream_id)
            self.tasks[event.stream_id] = asyncio.create_task(
                self._serve(event.stream_id, headers, bytes(body))
            )
        elif isinstance(event, h2.events.WindowUpdated):
            targets = (
                self.window_open.values() if event.stream_id == 0 else [self.window_open.get(event.stream_id)]
            )
            for ev in targets:
                if ev is not None:
                    ev.set()
        elif isinstance(event, h2.events.StreamReset):
            task = self.tasks.pop(event.stream_id, None)
            if task:
                task.cancel()

    async def _serve(self, stream_id: int, headers: dict[str, str], body: bytes) -> None:
        pseudo = {k: v for k, v in headers.items() if k.startswith(":")}
        plain = {k: v for k, v in headers.items() if not k.startswith(":")}
        plain.setdefault("host", pseudo.get(":authority", ""))
        request = _make_request(pseudo.get(":method", "GET"), pseudo.get(":path", "/"), plain, body, "2")
        try:
            await self.handler(request, _H2Responder(self, stream_id))
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("fake upstream handler failed")
            with contextlib.suppress(Exception):
                self.h2.reset_stream(stream_id)
                await self.flush()
        finally:
            self.tasks.pop(stream_id, None)
            self.window_open.pop(stream_id, None)

    async def send_data(self, stream_id: int, data: bytes) -> None:
        view = memoryview(data)
        while view:
            window = min(self.h2.local_flow_control_window(stream_id), self.h2.max_outbound_frame_size)
            if window <= 0:
                event = self.window_open[stream_id]
                event.clear()
                await event.wait()
                continue
            piece, view = view[:window], view[window:]
            self.h2.send_data(stream_id, bytes(piece))
            await self.flush()


# --- HTTP/1.1 ----------------------------------------------------------------------------------


class _H11Responder(Responder):
    def __init__(self, conn: h11.Connection, writer: asyncio.StreamWriter) -> None:
        self.conn = conn
        self.writer = writer

    async def _write(self, event: h11.Event) -> None:
        data = self.conn.send(event)
        if data:
            self.writer.write(data)
            await self.writer.drain()

    async def start(self, status: int, headers: list[tuple[str, str]]) -> None:
        if not any(k.lower() in ("content-length", "transfer-encoding") for k, _ in headers):
            headers = [*headers, ("transfer-encoding", "chunked")]
        await self._write(h11.Response(status_code=status, headers=headers))

    async def send(self, data: bytes) -> None:
        await self._write(h11.Data(data=data))

    async def end(self) -> None:
        await self._write(h11.EndOfMessage())

    def drop(self) -> None:
        self.writer.transport.abort()


async def _serve_h11(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, first: bytes, handler: Handler
) -> None:
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(first)
    while True:
        method = target = ""
        headers: dict[str, str] = {}
        body = bytearray()
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                data = await reader.read(65536)
                conn.receive_data(data)
                if not data and conn.their_state is not h11.DONE:
                    return
                continue
            if isinstance(event, h11.Request):
                method, target = event.method.decode(), event.target.decode()
                headers = {k.decode().lower(): v.decode() for k, v in event.headers}
            elif isinstance(event, h11.Data):
                body.extend(event.data)
            elif isinstance(event, h11.EndOfMessage):
                break
            elif isinstance(event, h11.ConnectionClosed):
                return
        request = _make_request(method, target, headers, bytes(body), "1.1")
        await handler(request, _H11Responder(conn, writer))
        if conn.our_state is h11.MUST_CLOSE or conn.their_state is h11.MUST_CLOSE:
            return
        try:
            conn.start_next_cycle()
        except h11.LocalProtocolError:
            return


# --- the server --------------------------------------------------------------------------------


class FakeServer:
    """Listens on host:port and hands every request to `handler`."""

    def __init__(
        self,
        handler: Handler,
        host: str = "127.0.0.1",
        port: int = 0,
        max_streams: int = DEFAULT_MAX_STREAMS,
    ) -> None:
        self.handler = handler
        self.host = host
        self.port = port
        self.max_streams = max_streams  # HTTP/2 MAX_CONCURRENT_STREAMS; new connections see a change
        self.connections = 0  # HTTP/2 connections open now
        self._server: asyncio.base_events.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._on_connection, self.host, self.port, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]

    async def serve_forever(self) -> None:
        if self._server is None:
            await self.start()
        assert self._server is not None
        async with self._server:
            await self._server.serve_forever()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def _on_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            first = await reader.read(len(H2_PREFACE))
            while first and H2_PREFACE.startswith(first) and len(first) < len(H2_PREFACE):
                more = await reader.read(len(H2_PREFACE) - len(first))
                if not more:
                    break
                first += more
            if first == H2_PREFACE:
                self.connections += 1
                try:
                    await _H2Connection(reader, writer, self.handler, self.max_streams).run(first)
                finally:
                    self.connections -= 1
            elif first:
                await _serve_h11(reader, writer, first, self.handler)
        except (ConnectionError, h11.RemoteProtocolError, asyncio.CancelledError):
            pass
        except Exception:
            log.exception("fake upstream connection failed")
        finally:
            writer.close()


class ThreadedFakeServer:
    """Runs a FakeServer on its own event loop in a daemon thread (for tests and the benchmark)."""

    def __init__(
        self, handler: Handler, host: str = "127.0.0.1", port: int = 0, max_streams: int = DEFAULT_MAX_STREAMS
    ) -> None:
        self.server = FakeServer(handler, host, port, max_streams)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="fake-cursor", daemon=True)
        self._ready = threading.Event()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self.server.start())
        self._ready.set()
        self.loop.run_forever()

    def start(self) -> ThreadedFakeServer:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fake upstream did not start")
        return self

    def stop(self) -> None:
        async def _stop() -> None:
            await self.server.stop()
            # Open connections end too, so that nothing is left pending when the loop stops.
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(_stop(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)

    @property
    def url(self) -> str:
        return self.server.url
