"""Calling the Copilot++ routes the way an editor does, and reading what they answer."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx

from tests.api.helpers import sse_events
from tests.fixtures import AUTH

CLIENT_KEY = "ab" * 32
OTHER_KEY = "cd" * 32


def call(
    live,
    path: str,
    payload: Any = None,
    *,
    key: str | None = CLIENT_KEY,
    auth: str = AUTH,
    cookie: str = "",
    content: bytes | None = None,
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {auth}"}
    if key is not None:
        headers["x-client-key"] = key
    if cookie:
        headers["Cookie"] = cookie
    if content is not None:
        return httpx.post(f"{live.url}{path}", content=content, headers=headers, timeout=20)
    return httpx.post(f"{live.url}{path}", json=payload, headers=headers, timeout=20)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def events(response: httpx.Response) -> list[tuple[str, dict[str, Any]]]:
    """(name, payload) of each SSE event; checks that every payload's `type` is its event name."""
    out = []
    for name, data in sse_events(response.text):
        payload = json.loads(data)
        assert payload.pop("type") == name
        out.append((name, payload))
    return out


def names(response: httpx.Response) -> list[str]:
    return [name for name, _ in events(response)]


def text_of(response: httpx.Response) -> str:
    return "".join(p["text"] for name, p in events(response) if name == "text")


def set_cookie_headers(response: httpx.Response) -> dict[str, str]:
    """Each Set-Cookie header by cookie name, raw."""
    return {raw.split("=", 1)[0]: raw for raw in response.headers.get_list("set-cookie")}


def cookie_header(response: httpx.Response) -> str:
    """The Cookie header an editor sends back after `response`: each cookie's value, verbatim."""
    pairs = [raw.split(";", 1)[0] for raw in response.headers.get_list("set-cookie")]
    return "; ".join(pairs)


def stream_request(path: str = "m.py", line: int = 1, contents: str | None = None, **extra: Any) -> dict:
    current: dict[str, Any] = {
        "relative_workspace_path": path,
        "cursor_position": {"line": line, "column": 0},
    }
    if contents is None:
        current["rely_on_filesync"] = True
    else:
        current["contents"] = contents
    return {"current_file": current, **extra}
