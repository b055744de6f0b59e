"""Which error shape a path answers in, for errors raised before (or around) its view.

The views build their own errors; this is for the layers that answer without one: the JSON 405 for
a wrong method, and the HTTP server's 413/408/431 (cursorapi.http_limits), which run before Django
has resolved a route. Django-free on purpose: the Twisted layer imports it.
"""

from __future__ import annotations

import json
from typing import Any

# Kinds, in the route families' own words, for the statuses raised outside the views.
_OPENAI_KINDS = {
    405: "invalid_request_error",
    408: "timeout",
    413: "request_too_large",  # as the chat views' own 413
    431: "invalid_request_error",
}
_ANTHROPIC_KINDS = {
    405: "invalid_request_error",
    408: "timeout_error",
    413: "request_too_large",
    431: "invalid_request_error",
}
_ORIGINAL_KINDS = {
    405: "method_not_allowed",
    408: "request_timeout",
    413: "request_too_large",
    431: "headers_too_large",
}


def family(path: str, route_prefix: str = "") -> str:
    """`anthropic`, `openai`, `analytics` or `original` (the management and Copilot++ routes)."""
    prefix = route_prefix.rstrip("/")
    if path.startswith(f"{prefix}/v1/messages"):
        return "anthropic"
    if path.startswith(f"{prefix}/v1/"):
        return "openai"
    if path.startswith("/analytics/"):
        return "analytics"
    return "original"


def body(status: int, message: str, path: str, route_prefix: str = "") -> dict[str, Any]:
    """The error body `path` answers `status` with."""
    shape = family(path, route_prefix)
    if shape == "anthropic":
        return {
            "type": "error",
            "error": {"type": _ANTHROPIC_KINDS.get(status, "api_error"), "message": message},
        }
    if shape == "openai":
        kind = _OPENAI_KINDS.get(status, "api_error")
        return {"error": {"message": message, "type": kind, "param": None, "code": None}}
    if shape == "analytics":
        return {"error": message}
    kind = _ORIGINAL_KINDS.get(status, "error")
    return {"status": "error", "code": status, "error": kind, "message": message}


def encoded(status: int, message: str, path: str, route_prefix: str = "") -> bytes:
    return json.dumps(body(status, message, path, route_prefix)).encode()
