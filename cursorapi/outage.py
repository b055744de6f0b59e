"""Unexpected failures as clean JSON: a database that is down or read-only is a 503, a bug a 500.

Used in three places: the chat's HTTP layer (before the first byte: a status; after it: an
in-band error event, then the stream ends), and Django's `handler500`, which catches what escapes
any view or middleware (the runtime config read, an API key lookup, ...) and answers in the shape
the path's clients expect instead of Django's HTML page.
"""

from __future__ import annotations

import logging
import sys

from django.db import DatabaseError, InterfaceError
from django.http import HttpRequest, JsonResponse

from cursorapi.chat.service import ChatFailure

log = logging.getLogger(__name__)

RETRY_AFTER = 5  # seconds: a database outage is usually a restart or a full disk away from ending


def is_database_outage(exc: BaseException | None) -> bool:
    return isinstance(exc, DatabaseError | InterfaceError)


def failure_for(exc: BaseException) -> ChatFailure:
    """What a client sees for an exception nobody expected (never its text: it may name internals)."""
    if is_database_outage(exc):
        return ChatFailure(
            503,
            "overloaded_error",
            "The database is unavailable; retry shortly",
            "database_unavailable",
            RETRY_AFTER,
        )
    return ChatFailure(500, "api_error", "internal error", "internal_error")


def body_for(path: str, failure: ChatFailure) -> dict[str, object]:
    """The failure in the shape of the API the path belongs to."""
    from cursorapi.dialects import anthropic, openai

    if path.startswith("/v1/messages"):
        return anthropic.error_body(failure.message, failure.kind)
    if path.startswith("/v1/"):
        return openai.error_body(failure.message, failure.kind, code=failure.code)
    # The original's management shape, which /tokens/*, /logs/* and Copilot++ use.
    return {"status": "error", "code": failure.status, "error": failure.code, "message": failure.message}


def server_error(request: HttpRequest) -> JsonResponse:
    """Django's handler500: called while the exception is being handled, so sys.exc_info() has it."""
    exc = sys.exc_info()[1]
    failure = failure_for(exc) if exc is not None else failure_for(RuntimeError())
    if is_database_outage(exc):
        # Django already logged the traceback; one line says what the client was told.
        log.warning(
            "%s %s: database unavailable (%s), answered 503", request.method, request.path, type(exc).__name__
        )
    response = JsonResponse(body_for(request.path, failure), status=failure.status)
    if failure.retry_after is not None:
        response["Retry-After"] = str(failure.retry_after)
    return response
