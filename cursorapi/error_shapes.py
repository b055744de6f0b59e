"""Which error shape a path answers in, for errors raised before (or around) its view.

The views build their own errors; this is for the layers that answer without one: unknown routes,
wrong methods and crashes (cursorapi.json_errors), and the HTTP server's 413/408/431
(cursorapi.http_limits), which run before Django has resolved a route. Django-free on purpose:
the Twisted layer imports it.
"""

from __future__ import annotations

import json
from typing import Any

# (type, code) per status, in each route family's own words, for the errors raised outside the
# views: unknown routes, wrong methods, crashes (cursorapi.json_errors) and the HTTP server's limits.
_OPENAI = {
    404: ("invalid_request_error", "unknown_url"),
    405: ("invalid_request_error", "method_not_allowed"),
    408: ("timeout", None),
    413: ("request_too_large", None),  # as the chat views' own 413
    431: ("invalid_request_error", None),
    500: ("server_error", "internal_error"),
}
_ANTHROPIC = {
    404: "not_found_error",
    405: "invalid_request_error",
    408: "timeout_error",
    413: "request_too_large",
    431: "invalid_request_error",
}
_ORIGINAL = {
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "request_too_large",
    431: "headers_too_large",
    500: "internal_error",
}


def family(path: str, route_prefix: str = "") -> str:
    """`anthropic`, `openai`, `analytics` or `original` (the management and Copilot++ routes)."""
    prefix = "/" + route_prefix.strip("/") if route_prefix.strip("/") else ""
    for base in {f"{prefix}/v1", "/v1"}:
        if path == base or path.startswith(base + "/"):
            rest = path[len(base) + 1 :]
            return "anthropic" if rest == "messages" or rest.startswith("messages/") else "openai"
    if path.startswith("/analytics/"):
        return "analytics"
    return "original"


def body(status: int, message: str, path: str, route_prefix: str = "") -> dict[str, Any]:
    """The error body `path` answers `status` with."""
    shape = family(path, route_prefix)
    if shape == "anthropic":
        return {"type": "error", "error": {"type": _ANTHROPIC.get(status, "api_error"), "message": message}}
    if shape == "openai":
        kind, code = _OPENAI.get(status, ("api_error", None))
        return {"error": {"message": message, "type": kind, "param": None, "code": code}}
    if shape == "analytics":
        return {"error": message}
    return {"status": "error", "code": status, "error": _ORIGINAL.get(status, "error"), "message": message}


def encoded(status: int, message: str, path: str, route_prefix: str = "") -> bytes:
    return json.dumps(body(status, message, path, route_prefix)).encode()
