"""GET/DELETE /v1/responses/{id} and GET /v1/responses/{id}/input_items, for the owner only."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from cursorapi import auth
from cursorapi.dbwork import db

from . import services


def _error(
    status: int, message: str, kind: str, param: str | None = None, code: str | None = None
) -> JsonResponse:
    return JsonResponse(
        {"error": {"message": message, "type": kind, "param": param, "code": code}}, status=status
    )


def _not_found(response_id: str) -> JsonResponse:
    return _error(
        404, f"Response with id '{response_id}' not found.", "invalid_request_error", None, "not_found"
    )


async def _caller(request: HttpRequest) -> auth.Caller | JsonResponse:
    caller = await auth.authenticate(request)
    if caller is None:
        return _error(401, "Invalid or missing API key.", "authentication_error", None, "invalid_api_key")
    return caller


@csrf_exempt
@require_http_methods(["GET", "DELETE"])
async def response(request: HttpRequest, response_id: str) -> HttpResponse:
    caller = await _caller(request)
    if isinstance(caller, JsonResponse):
        return caller
    try:
        if request.method == "GET":
            return JsonResponse((await db(services.get_for)(caller, response_id)).body)
        await db(services.delete_for)(caller, response_id)
    except services.ResponseNotFound:
        return _not_found(response_id)
    return JsonResponse({"id": response_id, "object": "response.deleted", "deleted": True})


def _page(items: list[dict], request: HttpRequest) -> dict | JsonResponse:
    """A list page as the API pages them: `order`, `after`, `limit` (1-100, default 20)."""
    order = request.GET.get("order", "desc")
    if order not in ("asc", "desc"):
        return _error(400, "order must be asc or desc", "invalid_request_error", "order")
    try:
        limit = int(request.GET.get("limit", "20"))
    except ValueError:
        limit = 0
    if not 1 <= limit <= 100:
        return _error(400, "limit must be an integer from 1 to 100", "invalid_request_error", "limit")
    ordered = items if order == "asc" else list(reversed(items))
    after = request.GET.get("after")
    if after:
        ids = [i.get("id") for i in ordered]
        ordered = ordered[ids.index(after) + 1 :] if after in ids else []
    page = ordered[:limit]
    return {
        "object": "list",
        "data": page,
        "first_id": page[0]["id"] if page else None,
        "last_id": page[-1]["id"] if page else None,
        "has_more": len(ordered) > limit,
    }


@require_http_methods(["GET"])
async def input_items(request: HttpRequest, response_id: str) -> HttpResponse:
    caller = await _caller(request)
    if isinstance(caller, JsonResponse):
        return caller
    try:
        found = await db(services.get_for)(caller, response_id)
    except services.ResponseNotFound:
        return _not_found(response_id)
    page = _page(found.input_items, request)
    return page if isinstance(page, JsonResponse) else JsonResponse(page)
