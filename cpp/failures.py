"""What an editor sees when a call fails: a status and generic error body, or an `error` event.

Before the first stream event the failure is a real HTTP status with the original's generic
body `{"status": "error", "code", "error", "message"}`; once events flowed it is the documented
`error` event `{"error": {"code", "type", "details"?}}`, followed by `stream_end`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cursorapi.upstream.client import UpstreamBusy, UpstreamTimeout
from cursorapi.upstream.errors import CursorError, UpstreamError
from tokens import resting
from tokens import services as pool


@dataclass(frozen=True, slots=True)
class Failure:
    status: int
    kind: str
    message: str
    details: dict[str, Any] | None = None
    retry_after: int | None = None  # seconds, sent as Retry-After


def failure_from(exc: Exception) -> Failure:
    if isinstance(exc, pool.UnknownAlias):
        return Failure(404, "alias_not_found", f"No pool token is named {exc.args[0]!r}")
    if isinstance(exc, pool.PoolResting):
        message = f"Every Cursor account is resting after a rate limit; retry in {exc.retry_after} s"
        return Failure(429, "tokens_resting", message, retry_after=exc.retry_after)
    if isinstance(exc, pool.NoTokenAvailable):
        return Failure(503, "no_tokens", "No available tokens")
    if isinstance(exc, CursorError):
        kind = exc.type if exc.error is not None else exc.code
        # A refused pool account is this proxy's problem; a 401 would tell the editor its key is bad.
        status = 502 if resting.classify(exc) is resting.Kind.REFUSED else exc.http_status
        text = ": ".join(part for part in (exc.title, exc.detail) if part) or exc.message or kind
        details: dict[str, Any] | None = None
        if exc.title or exc.detail or exc.additional_info:
            details = {"title": exc.title, "detail": exc.detail}
            if exc.additional_info:
                details["additional_info"] = dict(exc.additional_info)
        return Failure(status, kind, f"Cursor: {text}", details)
    if isinstance(exc, UpstreamBusy):
        return Failure(503, "upstream_busy", str(exc), retry_after=exc.retry_after)
    if isinstance(exc, UpstreamTimeout):
        return Failure(504, "timeout", str(exc), {"title": "Timeout", "detail": str(exc)})
    if isinstance(exc, UpstreamError):
        return Failure(502, "upstream_error", str(exc), {"title": "Upstream failed", "detail": str(exc)})
    return Failure(500, "internal_error", "internal error")


def body(failure: Failure) -> dict[str, Any]:
    return {"status": "error", "code": failure.status, "error": failure.kind, "message": failure.message}


def event(failure: Failure) -> dict[str, Any]:
    error: dict[str, Any] = {"code": failure.status, "type": failure.kind}
    if failure.details is not None:
        error["details"] = failure.details
    return {"error": error}
