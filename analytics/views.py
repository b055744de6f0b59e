"""Our copy of Cursor's Admin API AI-code endpoints, served from the synced tables."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from cursorapi.auth import can_read_analytics

from .query import BadParameter, Query, parse_query
from .reading import ENDPOINTS, CsvExport, json_page

T = TypeVar("T")


async def _can_read_analytics(request: HttpRequest) -> bool:
    """The one gate for these routes: the admin, or a named API key with `can_read_analytics`."""
    return await can_read_analytics(request, lambda fn: _database(request, fn))


def _error(status: int, message: str, param: str | None = None) -> JsonResponse:
    body: dict[str, str] = {"error": message}
    if param:
        body["param"] = param
    return JsonResponse(body, status=status)


async def _checked(request: HttpRequest) -> Query | JsonResponse:
    if not await _can_read_analytics(request):
        return _error(401, "unauthorized: send Authorization: Bearer <admin token>")
    try:
        return parse_query(request.GET, now=timezone.now())
    except BadParameter as exc:
        return _error(400, f"invalid {exc.param}: {exc.message}", exc.param)


def _database(request: HttpRequest, fn: Callable[..., T]) -> Callable[..., Awaitable[T]]:
    """Run `fn` off the event loop: under ASGI in the shared pool, like the other views' database
    work; under WSGI (and Django's test client) on the request's own thread, where its connection
    and transaction live."""
    return sync_to_async(fn, thread_sensitive=not isinstance(request, ASGIRequest))


@require_GET
async def metrics_json(request: HttpRequest, endpoint: str) -> HttpResponse:
    query = await _checked(request)
    if isinstance(query, JsonResponse):
        return query
    page = await _database(request, json_page)(ENDPOINTS[endpoint], query)
    return JsonResponse(page)


@require_GET
async def metrics_csv(request: HttpRequest, endpoint: str) -> HttpResponse:
    query = await _checked(request)
    if isinstance(query, JsonResponse):
        return query
    export = CsvExport(ENDPOINTS[endpoint], query)
    # Under ASGI Django would buffer a sync iterator whole, so ASGI gets the async one.
    stream = aiter(export) if isinstance(request, ASGIRequest) else iter(export)
    response = StreamingHttpResponse(stream, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{endpoint}.csv"'
    response["Cache-Control"] = "no-store"
    return response
