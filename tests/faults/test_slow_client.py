"""A client that stops reading a stream is cut off once its unread reply passes the limit, instead
of the server holding the whole reply in memory."""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import urlsplit

from chatlogs import writer
from chatlogs.models import ChatLog
from cursorapi import slow_clients
from tests.fixtures import AUTH

# About 24 MB of reply from a small request: 3,000 frames of 8 KB, as fast as the fake can send them.
PROMPT = "x\n#fake: reply=" + "y" * 800 + " repeat=30000 chunks=3000"


def _request(url: str) -> bytes:
    body = json.dumps(
        {"model": "claude-4.5-sonnet", "stream": True, "messages": [{"role": "user", "content": PROMPT}]}
    ).encode()
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: {urlsplit(url).netloc}\r\n"
        f"Authorization: Bearer {AUTH}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def _final_status(timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        writer.flush()
        record = ChatLog.objects.order_by("-id").first()
        if record is not None and record.status != "pending":
            return record.status
        time.sleep(0.1)
    return "pending"


def test_a_client_that_stops_reading_is_cut_off(live, pool_token, fake, monkeypatch) -> None:
    monkeypatch.setattr(slow_clients, "_limit", 512 * 1024)
    parts = urlsplit(live.url)
    with socket.socket() as client:
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window: we read nothing
        client.connect((parts.hostname, parts.port))
        client.sendall(_request(live.url))
        assert client.recv(64).startswith(b"HTTP/1.1 200")
        # Never read again: the reply piles up on the server's side until the limit cuts it.
        assert _final_status() == "cancelled"
    assert len(fake.requests_to("StreamUnifiedChatWithTools")) == 1


def test_a_client_that_reads_gets_the_whole_big_reply(live, pool_token, fake, monkeypatch) -> None:
    monkeypatch.setattr(slow_clients, "_limit", 512 * 1024)
    parts = urlsplit(live.url)
    received = 0
    with socket.create_connection((parts.hostname, parts.port)) as client:
        client.sendall(_request(live.url))
        while chunk := client.recv(1 << 20):
            received += len(chunk)
            if chunk.endswith(b"0\r\n\r\n"):  # the chunked body's end
                break
    assert received > 24_000_000 and _final_status() == "success"
