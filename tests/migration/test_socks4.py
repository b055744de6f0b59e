"""SOCKS4 proxies, which the original accepts: calls to Cursor go through them (httpx-socks)."""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
from collections.abc import Iterator

import pytest

from tests.api.helpers import post, user


class Socks4Server:
    """A minimal SOCKS4/4a proxy on a socket of its own: CONNECT only, then bytes both ways."""

    def __init__(self) -> None:
        self.connects: list[tuple[str, int]] = []
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self.thread.start()
        ready.wait(5)

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", 0))
        self.port = self.server.sockets[0].getsockname()[1]
        ready.set()
        self.loop.run_forever()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        version, command, port = struct.unpack("!BBH", await reader.readexactly(4))
        address = socket.inet_ntoa(await reader.readexactly(4))
        await reader.readuntil(b"\0")  # user id
        if address.startswith("0.0.0.") and address != "0.0.0.0":  # 4a: the name follows
            address = (await reader.readuntil(b"\0"))[:-1].decode()
        if version != 4 or command != 1:
            writer.close()
            return
        self.connects.append((address, port))
        up_reader, up_writer = await asyncio.open_connection(address, port)
        writer.write(b"\x00\x5a" + b"\0" * 6)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, asyncio.IncompleteReadError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    def close(self) -> None:
        async def shutdown() -> None:
            self.server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture
def socks4() -> Iterator[Socks4Server]:
    server = Socks4Server()
    yield server
    server.close()


@pytest.mark.parametrize("scheme", ["socks4", "socks4a"])
def test_chat_through_a_socks4_proxy(live, pool_token, fake, socks4, scheme) -> None:
    from proxies.models import Proxy
    from tokens import picking

    Proxy.objects.create(name="old", url=f"{scheme}://127.0.0.1:{socks4.port}", is_general=True)
    picking._general = None
    reply = post(live.url, "/v1/chat/completions", {"model": "gpt-5.1", "messages": user("through socks")})
    assert reply.status_code == 200, reply.text
    assert fake.requests_to("StreamUnifiedChatWithTools")
    assert socks4.connects and socks4.connects[0][0] == "127.0.0.1"
