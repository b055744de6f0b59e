"""Serving a ChatRun over HTTP: gate on the first event, then stream SSE (or answer one JSON body)."""

from __future__ import annotations

import asyncio
import collections
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
    if not run.chat.stream:
        return await _complete(run, events, renderer, error_body)
    feed = _Feed(events, settings.SSE_KEEPALIVE_S)
    # Wait briefly for the first event, so that an early failure (bad token, rate limit, no
    # account) becomes an HTTP error; after that the client gets headers and keep-alives.
    try:
        first = await feed.next()
    except asyncio.CancelledError:  # the client left before the first event
        run.cancelled = True
        await _close(run, events, feed)
        raise
    if isinstance(first, ChatFailure):
        await _close(run, events, feed)
        return failure_response(first, error_body)
    response = StreamingHttpResponse(
        _sse(run, events, feed, first, renderer), content_type="text/event-stream"
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


async def _complete(
    run: ChatRun, events: AsyncIterator[list[Event]], renderer: Renderer, error_body: ErrorShape
) -> HttpResponse:
    collected: list[Event] = []
    try:
        async for batch in events:
            collected.extend(batch)
    except ChatFailure as failure:
        return failure_response(failure, error_body)
    except asyncio.CancelledError:
        run.cancelled = True
        raise
    finally:
        await _close(run, events)
    renderer.metadata = run.metadata()  # type: ignore[attr-defined]
    return JsonResponse(renderer.complete(collected))


async def _sse(
    run: ChatRun, events: AsyncIterator[list[Event]], feed: _Feed, item: _Item, renderer: Renderer
) -> AsyncIterator[bytes]:
    try:
        while item is not _END:
            if item is _QUIET:
                yield renderer.keepalive
            elif isinstance(item, ChatFailure):
                # Headers are gone: the error travels in-band, then the stream ends properly.
                yield renderer.error_event(item.message, item.kind, item.code)
                break
            elif isinstance(item, BaseException):
                raise item
            else:
                if isinstance(item[-1], Finish):
                    renderer.metadata = run.metadata()  # type: ignore[attr-defined]
                # Events that arrived together leave together: one write for the batch.
                chunk = b"".join(filter(None, map(renderer.event, item)))
                if chunk:
                    yield chunk
            item = await feed.next()
        if renderer.done:
            yield renderer.done
    except asyncio.CancelledError:
        run.cancelled = True
        raise
    finally:
        item = None  # an exception held here would keep this frame, and the request, in a cycle
        await _close(run, events, feed)


def failure_response(failure: ChatFailure, error_body: ErrorShape) -> JsonResponse:
    response = JsonResponse(error_body(failure), status=failure.status)
    if failure.retry_after is not None:
        response["Retry-After"] = str(failure.retry_after)
    return response


async def _close(run: ChatRun, events: AsyncIterator[list[Event]], feed: _Feed | None = None) -> None:
    """Stop the upstream call (if it still runs) and write the log record: the request's end."""
    if feed is not None:
        await feed.close()
    with contextlib.suppress(RuntimeError):
        await events.aclose()  # type: ignore[attr-defined]
    await run.close_log()


_END = object()  # the chat's events are all read
_QUIET = object()  # nothing came for a keep-alive interval
_Item = list[Event] | ChatFailure | BaseException | object


class _Feed:
    """The chat's event batches, read by a task of its own.

    The response waits on this feed rather than on the upstream read itself, so that a quiet
    upstream gets keep-alives without its read being cancelled. Per batch that costs one future
    and a clock read; one timer per request covers the keep-alives (instead of a task and a
    timed wait for every chunk, whose garbage the collector then had to find).
    """

    def __init__(self, events: AsyncIterator[list[Event]], keepalive: float) -> None:
        self._loop = asyncio.get_running_loop()
        self._items: collections.deque[_Item] = collections.deque()
        self._waiter: asyncio.Future[bool] | None = None
        self._keepalive = keepalive
        self._last = self._loop.time()
        self._timer = self._loop.call_at(self._last + keepalive, self._tick)
        self._task = asyncio.ensure_future(self._read(events))

    async def _read(self, events: AsyncIterator[list[Event]]) -> None:
        item: _Item = _END
        try:
            async for batch in events:
                self._put(batch)
        except asyncio.CancelledError:
            raise
        except ChatFailure as failure:
            # Its traceback would tie this frame, and through it the request, into a cycle.
            item = failure.with_traceback(None)
        except BaseException as exc:
            item = exc  # the response raises it: a bug, or the process stopping
        self._put(item)

    def _put(self, item: _Item) -> None:
        self._items.append(item)
        self._last = self._loop.time()
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(False)

    def _tick(self) -> None:
        due = self._last + self._keepalive
        if self._loop.time() < due:
            self._timer = self._loop.call_at(due, self._tick)
            return
        self._last = self._loop.time()
        self._timer = self._loop.call_at(self._last + self._keepalive, self._tick)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(True)

    async def next(self) -> _Item:
        """The next batch, failure or end; `_QUIET` when nothing came for a keep-alive interval."""
        if not self._items:
            self._waiter = waiter = self._loop.create_future()
            try:
                quiet = await waiter
            finally:
                self._waiter = None
            if quiet and not self._items:
                return _QUIET
        return self._items.popleft()

    async def close(self) -> None:
        self._timer.cancel()
        if not self._task.done():
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
        self._items.clear()
