"""Two small proxies on loopback for the tests: HTTP (CONNECT and forwarding) and SOCKS5.

Each runs on its own event loop in a thread and counts what went through it, so a test can assert
that upstream traffic really took the proxy. Optional credentials are checked like real proxies do.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ipaddress
import threading
from typing import Self
from urllib.parse import urlsplit


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


async def _splice(a: tuple[asyncio.StreamReader, asyncio.StreamWriter], b: tuple) -> None:
    await asyncio.gather(_pipe(a[0], b[1]), _pipe(b[0], a[1]))


class _Threaded:
    scheme = ""

    def __init__(self, user: str | None = None, password: str | None = None) -> None:
        self.user, self.password = user, password
        self.connections = 0  # tunnels opened to an upstream
        self.refused = 0  # clients turned away for bad credentials
        self.targets: list[str] = []
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.base_events.Server | None = None

    def start(self) -> Self:
        threading.Thread(target=self._loop.run_forever, daemon=True, name=f"{self.scheme}-proxy").start()
        server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, "127.0.0.1", 0), self._loop
        ).result(5)
        self._server = server
        self.port = server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)

    def reset(self) -> None:
        self.connections = self.refused = 0
        self.targets.clear()

    @property
    def url(self) -> str:
        auth = f"{self.user}:{self.password}@" if self.user else ""
        return f"{self.scheme}://{auth}127.0.0.1:{self.port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._serve(reader, writer)
        except asyncio.CancelledError:  # shutting down; a cancelled handler would be logged
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError


class HttpProxy(_Threaded):
    """CONNECT tunnels (https upstreams) and absolute-form forwarding (http upstreams, as httpx
    sends them), one request per forwarded connection."""

    scheme = "http"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        request_line, *header_lines = head.decode("latin-1").split("\r\n")[:-2]
        method, target, version = request_line.split(" ", 2)
        headers = [line.split(":", 1) for line in header_lines if ":" in line]
        if self.user:
            expected = "Basic " + base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
            sent = next((v.strip() for k, v in headers if k.lower() == "proxy-authorization"), "")
            if sent != expected:
                self.refused += 1
                writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
                writer.close()
                return
        if method == "CONNECT":
            host, port = target.rsplit(":", 1)
            upstream = await asyncio.open_connection(host, int(port))
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        else:
            url = urlsplit(target)
            host, port = url.hostname or "", url.port or 80
            upstream = await asyncio.open_connection(host, port)
            path = url.path + (f"?{url.query}" if url.query else "")
            kept = [
                (k, v) for k, v in headers if not k.lower().startswith("proxy-") and k.lower() != "connection"
            ]
            lines = [f"{method} {path} {version}", *(f"{k}:{v}" for k, v in kept), "Connection: close"]
            upstream[1].write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        self.connections += 1
        self.targets.append(f"{host}:{port}")
        await _splice((reader, writer), upstream)


class Socks5Proxy(_Threaded):
    """RFC 1928 CONNECT with no auth or username/password (RFC 1929)."""

    scheme = "socks5"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            _version, count = await reader.readexactly(2)
            methods = await reader.readexactly(count)
            if self.user:
                if 2 not in methods:
                    raise PermissionError
                writer.write(b"\x05\x02")
                await writer.drain()
                _, size = await reader.readexactly(2)
                user = (await reader.readexactly(size)).decode()
                (size,) = await reader.readexactly(1)
                password = (await reader.readexactly(size)).decode()
                if (user, password) != (self.user, self.password):
                    writer.write(b"\x01\x01")
                    raise PermissionError
                writer.write(b"\x01\x00")
            else:
                writer.write(b"\x05\x00")
            _version, command, _reserved, kind = await reader.readexactly(4)
            if kind == 1:
                host = str(ipaddress.IPv4Address(await reader.readexactly(4)))
            elif kind == 3:
                (size,) = await reader.readexactly(1)
                host = (await reader.readexactly(size)).decode()
            else:
                host = str(ipaddress.IPv6Address(await reader.readexactly(16)))
            port = int.from_bytes(await reader.readexactly(2), "big")
            if command != 1:
                writer.write(b"\x05\x07\x00\x01" + bytes(6))
                raise ConnectionError
            upstream = await asyncio.open_connection(host, port)
            writer.write(b"\x05\x00\x00\x01" + bytes(6))
        except PermissionError:
            self.refused += 1
            await writer.drain()
            writer.close()
            return
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            writer.close()
            return
        self.connections += 1
        self.targets.append(f"{host}:{port}")
        await _splice((reader, writer), upstream)
