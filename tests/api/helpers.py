"""Reading what our server streams, and what the fake received."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from chatlogs.models import ChatLog
from cursorapi.upstream.fake.app import FakeCursor, Received
from cursorapi.upstream.proto import aiserver_pb2 as pb
from tests.fixtures import AUTH


def sse_events(body: str) -> list[tuple[str | None, str]]:
    """(event name, data) pairs; comments come back as (':', text)."""
    out = []
    for block in body.split("\n\n"):
        if not block.strip():
            continue
        name, data = None, []
        for line in block.split("\n"):
            if line.startswith(":"):
                out.append((":", line[1:].strip()))
            elif line.startswith("event: "):
                name = line[len("event: ") :]
            elif line.startswith("data: "):
                data.append(line[len("data: ") :])
        if data:
            out.append((name, "\n".join(data)))
    return out


def post(
    url: str, path: str, payload: Any, *, key: str = AUTH, headers: dict | None = None
) -> httpx.Response:
    hdrs = {"Authorization": f"Bearer {key}", **(headers or {})}
    return httpx.post(f"{url}{path}", json=payload, headers=hdrs, timeout=20)


def chat_request(fake: FakeCursor) -> pb.StreamUnifiedChatRequest:
    (seen,) = fake.requests_to("StreamUnifiedChatWithTools")
    return seen.message.stream_unified_chat_request


def only_request(fake: FakeCursor, suffix: str) -> Received:
    (seen,) = fake.requests_to(suffix)
    return seen


def last_log(wait: float = 3.0) -> ChatLog:
    """The newest log record once it is final (the end write happens as the response ends)."""
    from chatlogs import writer

    writer.flush()  # records are queued, not written, by the request: our server runs in this process
    deadline = time.time() + wait
    while True:
        log = ChatLog.objects.order_by("-id").first()
        if log is not None and log.status != "pending":
            return log
        if time.time() > deadline:
            raise AssertionError(f"no finished log record (last: {log and log.status})")
        time.sleep(0.02)


def user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def data_json(events: list[tuple[str | None, str]]) -> list[dict]:
    return [json.loads(d) for n, d in events if n != ":" and d != "[DONE]"]
