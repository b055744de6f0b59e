"""Every JSON route, with the error shape it answers in: one line per route.

The bad-input tests and the property-based tests walk this table, so a new route is one more line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def openai_shape(body: Any) -> bool:
    error = body.get("error") if isinstance(body, dict) else None
    return (
        isinstance(error, dict)
        and isinstance(error.get("message"), str)
        and isinstance(error.get("type"), str)
    )


def anthropic_shape(body: Any) -> bool:
    error = body.get("error") if isinstance(body, dict) else None
    return (
        body.get("type") == "error"
        and isinstance(error, dict)
        and isinstance(error.get("type"), str)
        and isinstance(error.get("message"), str)
    )


def original_shape(body: Any) -> bool:
    """The original's management shape: {"status": "error", "code", "error", "message"}."""
    return (
        isinstance(body, dict)
        and body.get("status") == "error"
        and isinstance(body.get("code"), int)
        and isinstance(body.get("error"), str)
        and isinstance(body.get("message"), str)
    )


def analytics_shape(body: Any) -> bool:
    return isinstance(body, dict) and isinstance(body.get("error"), str)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    shape: Any  # body -> bool
    chat: bool = False  # takes a chat body (model, messages)
    headers: tuple[tuple[str, str], ...] = ()
    reads_body: bool = True  # False: the route ignores its body


CHAT_ROUTES = [
    Route("POST", "/v1/chat/completions", openai_shape, chat=True),
    Route("POST", "/v1/messages", anthropic_shape, chat=True),
    Route("POST", "/v1/messages/count_tokens", anthropic_shape, chat=True),
    Route("POST", "/v1/responses", openai_shape, chat=True),
]

MANAGEMENT_ROUTES = [
    Route("POST", "/v1/sessions", openai_shape),
    Route("POST", "/tokens/get", original_shape, reads_body=False),
    Route("POST", "/tokens/set", original_shape),
    Route("POST", "/tokens/add", original_shape),
    Route("POST", "/tokens/del", original_shape),
    Route("POST", "/tokens/status/set", original_shape),
    Route("POST", "/tokens/alias/set", original_shape),
    Route("POST", "/tokens/proxy/set", original_shape),
    Route("POST", "/tokens/timezone/set", original_shape),
    Route("POST", "/tokens/merge", original_shape),
    Route("POST", "/build-key", original_shape),
    Route("POST", "/config-version/get", original_shape),
    Route("POST", "/token-profile/get", original_shape),
    Route("POST", "/proxies/get", original_shape, reads_body=False),
    Route("POST", "/proxies/set", original_shape),
    Route("POST", "/proxies/add", original_shape),
    Route("POST", "/proxies/del", original_shape),
    Route("POST", "/proxies/set-general", original_shape),
    Route("POST", "/logs/get", original_shape),
    Route("POST", "/logs/tokens/get", original_shape),
    Route("POST", "/config/set", original_shape, headers=(("x-config-hash", "0" * 64),)),
    Route("POST", "/cpp/config", original_shape, headers=(("x-client-key", "ab" * 32),)),
    Route("POST", "/cpp/stream", original_shape, headers=(("x-client-key", "ab" * 32),)),
    Route("POST", "/file/upload", original_shape, headers=(("x-client-key", "ab" * 32),)),
    Route("POST", "/file/sync", original_shape, headers=(("x-client-key", "ab" * 32),)),
]

ROUTES = CHAT_ROUTES + MANAGEMENT_ROUTES
JSON_ROUTES = [route for route in ROUTES if route.reads_body]

# Routes that answer only some methods; a wrong one must get a JSON 405 in the route's shape.
WRONG_METHOD = [
    ("GET", Route("POST", "/v1/chat/completions", openai_shape)),
    ("GET", Route("POST", "/v1/messages", anthropic_shape)),
    ("GET", Route("POST", "/v1/messages/count_tokens", anthropic_shape)),
    ("POST", Route("GET", "/v1/models", openai_shape)),
    ("PUT", Route("GET", "/v1/sessions", openai_shape)),
    ("GET", Route("POST", "/logs/get", original_shape)),
    ("GET", Route("POST", "/logs/tokens/get", original_shape)),
    ("POST", Route("GET", "/logs", original_shape)),
    ("GET", Route("POST", "/config/get", original_shape)),
    ("POST", Route("GET", "/config/reload", original_shape)),
    ("GET", Route("POST", "/tokens/get", original_shape, reads_body=False)),
    ("GET", Route("POST", "/proxies/get", original_shape, reads_body=False)),
    ("POST", Route("GET", "/gen-uuid", original_shape)),
    ("GET", Route("POST", "/cpp/config", original_shape)),
    ("POST", Route("GET", "/analytics/ai-code/commits", analytics_shape)),
]
