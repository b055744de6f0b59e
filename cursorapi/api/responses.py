"""POST /v1/responses: the OpenAI Responses API over the chat core (see docs/responses.md)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from cursorapi import auth
from cursorapi.chat import options as chat_options
from cursorapi.chat.catalog import catalog
from cursorapi.chat.service import ChatFailure, ChatRun
from cursorapi.chat.types import ChatInputError, Turn
from cursorapi.dbwork import db
from cursorapi.dialects import responses
from storedresponses import services as stored

from .views import _admit, _caller_and_body, _headers, _openai_error

log = logging.getLogger(__name__)


async def _history(caller: auth.Caller, body: Any) -> list[Turn] | HttpResponse:
    """The stored conversation behind previous_response_id (none without one)."""
    previous = body.get("previous_response_id") if isinstance(body, dict) else None
    if previous is None:
        return []
    if not isinstance(previous, str) or not previous:
        return _openai_error(
            400, "previous_response_id must be a string", "invalid_request_error", "previous_response_id"
        )
    try:
        return (await db(stored.get_for)(caller, previous)).turns
    except stored.ResponseNotFound:
        return _openai_error(
            400,
            f"Previous response with id '{previous}' not found.",
            "invalid_request_error",
            "previous_response_id",
            "previous_response_not_found",
        )


async def _store(caller: auth.Caller, call: responses.ResponsesCall, renderer: responses.Renderer) -> None:
    try:
        await db(stored.save)(caller, renderer.final, call.input_items, renderer.turns())
    except Exception:
        # The caller has its answer; only a later previous_response_id will miss this one.
        log.exception("could not store response %s", renderer.id)


async def _stored_before_end(
    content: AsyncIterator[bytes],
    caller: auth.Caller,
    call: responses.ResponsesCall,
    renderer: responses.Renderer,
) -> AsyncIterator[bytes]:
    """The stream, with the response stored just before the write that completes it.

    Stored before, not after, so that a client reading `response.completed` can at once continue
    from it (on any worker). One write per request, at its end: none per chunk.
    """
    saved = False
    async for chunk in content:
        if not saved and renderer.final is not None:
            saved = True
            await _store(caller, call, renderer)
        yield chunk


@csrf_exempt
@require_http_methods(["POST"])
async def create(request: HttpRequest) -> HttpResponse:
    got = await _caller_and_body(request, _openai_error)
    if isinstance(got, HttpResponse):
        return got
    caller, body = got
    history = await _history(caller, body)
    if isinstance(history, HttpResponse):
        return history
    try:
        options = chat_options.for_caller(caller)
        call = await responses.parse(body, catalog, _headers(request), options, history=history)
    except ChatInputError as exc:
        return _openai_error(exc.status, exc.message, "invalid_request_error", exc.param, exc.code)
    chat = call.chat
    run = ChatRun(chat, caller, request.request_id, "responses")  # type: ignore[attr-defined]
    if refused := await _admit(run):
        status, kind, message = refused
        return _openai_error(status, message, kind)
    renderer = responses.Renderer(call)

    def error_body(failure: ChatFailure) -> dict[str, Any]:
        return responses.error_body(failure.message, failure.kind, code=failure.code)

    from .chat_http import serve

    response = await serve(run, renderer, error_body, request)
    if not call.store or response.status_code != 200:
        return response
    if isinstance(response, StreamingHttpResponse):
        response.streaming_content = _stored_before_end(response.streaming_content, caller, call, renderer)
    elif renderer.final is not None:
        await _store(caller, call, renderer)
    return response


@csrf_exempt
@require_http_methods(["POST"])
async def compact(request: HttpRequest) -> JsonResponse:
    """Compaction is not offered: a JSON 404 that clients can tell from a broken route."""
    return _openai_error(
        404,
        "POST /v1/responses/compact is not supported by this server",
        "invalid_request_error",
        None,
        "unsupported",
    )
