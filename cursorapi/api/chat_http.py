"""Serving a ChatRun over HTTP: gate on the first event, then stream SSE (or answer one JSON body)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, Protocol

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse

from chatsessions import services as sessions
from cursorapi.chat.service import ChatFailure, ChatRun
from cursorapi.chat.types import Event, Finish
from cursorapi.dbwork import db


class Renderer(Protocol):
    keepalive: bytes
    done: bytes

    def event(self, event: Event) -> bytes | None: ...
    def error_event(self, message: str, kind: str, code: str | None) -> bytes: ...
    def complete(self, events: list[Event]) -> dict[str, Any]: ...


class ErrorShape(Protocol):
    def __call__(self, failure: ChatFailure) -> dict[str, Any]: ...


async def serve(
    run: ChatRun, renderer: Renderer, error_body: ErrorShape, request: HttpRequest | None = None
) -> HttpResponse:
    """Answer errors that happen before anything is sent with a real status; stream the rest."""
    session_id = request.headers.get("X-Cursor-Session-ID") if request is not None else None
    if session_id:
        refused = await _claim_session(run, session_id, error_body)
        if refused is not None:
            return refused
    response = await _serve(run, renderer, error_body)
    if session_id:
        response["X-Cursor-Session-ID"] = session_id
    return response


async def _claim_session(run: ChatRun, session_id: str, error_body: ErrorShape) -> HttpResponse | None:
    try:
        claim = await db(sessions.claim)(
            sessions.check_id(session_id), run.caller, run.chat.model.requested, run.request_id
        )
    except sessions.BadSessionId as exc:
        failure = ChatFailure(400, "invalid_request_error", str(exc), "invalid_session_id")
    except sessions.SessionNotFound:
        failure = ChatFailure(
            404, "not_found_error", f"Session {session_id!r} not found", "session_not_found"
        )
    except sessions.SessionBusy:
        failure = ChatFailure(
            409, "conflict_error", "session busy: another request is using it", "session_busy"
        )
    else:
        run.bind_session(claim)
        return None
    return JsonResponse(error_body(failure), status=failure.status)


async def _serve(run: ChatRun, renderer: Renderer, error_body: ErrorShape) -> HttpResponse:
    events = run.events()
    pending: asyncio.Future[list[Event]] = asyncio.ensure_future(anext(events))
    if not run.chat.stream:
        return await _complete(run, events, pending, renderer, error_body)
    # Wait briefly for the first event, so that an early failure (bad token, rate limit, no
    # account) becomes an HTTP error; after that the client gets headers and keep-alives.
    await asyncio.wait({pending}, timeout=settings.SSE_KEEPALIVE_S)
    if pending.done() and isinstance(pending.exception(), ChatFailure):
        failure: ChatFailure = pending.exception()  # type: ignore[assignment]
        await _close(run, events, pending)
        return JsonResponse(error_body(failure), status=failure.status)
    response = StreamingHttpResponse(_sse(run, events, pending, renderer), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


async def _complete(
    run: ChatRun,
    events: AsyncIterator[list[Event]],
    pending: asyncio.Future[list[Event]],
    renderer: Renderer,
    error_body: ErrorShape,
) -> HttpResponse:
    collected: list[Event] = []
    try:
        while True:
            try:
                collected.extend(await pending)
            except StopAsyncIteration:
                break
            pending = asyncio.ensure_future(anext(events))
    except ChatFailure as failure:
        return JsonResponse(error_body(failure), status=failure.status)
    except asyncio.CancelledError:
        run.cancelled = True
        raise
    finally:
        await _close(run, events, pending)
    renderer.metadata = run.metadata()  # type: ignore[attr-defined]
    return JsonResponse(renderer.complete(collected))


async def _sse(
    run: ChatRun,
    events: AsyncIterator[list[Event]],
    pending: asyncio.Future[list[Event]] | None,
    renderer: Renderer,
) -> AsyncIterator[bytes]:
    keepalive = settings.SSE_KEEPALIVE_S
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(anext(events))
            if not pending.done():
                await asyncio.wait({pending}, timeout=keepalive)
                if not pending.done():
                    yield renderer.keepalive
                    continue
            done, pending = pending, None
            try:
                batch = done.result()
            except StopAsyncIteration:
                break
            except ChatFailure as failure:
                # Headers are gone: the error travels in-band, then the stream ends properly.
                yield renderer.error_event(failure.message, failure.kind, failure.code)
                break
            if isinstance(batch[-1], Finish):
                renderer.metadata = run.metadata()  # type: ignore[attr-defined]
            # Events that arrived together leave together: one write for the batch.
            chunk = b"".join(filter(None, map(renderer.event, batch)))
            if chunk:
                yield chunk
        if renderer.done:
            yield renderer.done
    except asyncio.CancelledError:
        run.cancelled = True
        raise
    finally:
        await _close(run, events, pending)


async def _close(
    run: ChatRun, events: AsyncIterator[list[Event]], pending: asyncio.Future[list[Event]] | None
) -> None:
    """Stop the upstream call (if it still runs) and write the log record: the request's end."""
    if pending is not None and not pending.done():
        pending.cancel()
        with contextlib.suppress(BaseException):
            await pending
    with contextlib.suppress(RuntimeError):
        await events.aclose()  # type: ignore[attr-defined]
    await run.close_log()
