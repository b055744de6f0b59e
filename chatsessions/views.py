"""/v1/sessions: list, read, create and delete the caller's stateful sessions (cursorpipe's API)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from cursorapi import auth, jsonbody
from cursorapi.chat.catalog import catalog
from cursorapi.chat.types import ChatInputError
from cursorapi.dbwork import db

from . import services


def _error(status: int, message: str, kind: str, code: str | None = None) -> JsonResponse:
    return JsonResponse(
        {"error": {"message": message, "type": kind, "param": None, "code": code}}, status=status
    )


def _not_found(session_id: str) -> JsonResponse:
    return _error(404, f"Session {session_id!r} not found", "not_found_error", "session_not_found")


async def _caller(request: HttpRequest) -> auth.Caller | None:
    return await auth.authenticate(request)


@csrf_exempt
@require_http_methods(["GET", "POST"])
async def sessions(request: HttpRequest) -> HttpResponse:
    caller = await _caller(request)
    if caller is None:
        return _error(401, "Invalid or missing API key.", "authentication_error", "invalid_api_key")
    if request.method == "GET":
        return JsonResponse({"object": "list", "data": await db(services.list_for)(caller)})
    body: Any = {}
    if request.body:
        try:
            body = jsonbody.loads(request.body)
        except jsonbody.BadJson as exc:
            return _error(400, str(exc), "invalid_request_error")
    if not isinstance(body, dict):
        return _error(400, "the request body must be a JSON object", "invalid_request_error")
    model = body.get("model")
    if model is None:
        model = ""
    if not isinstance(model, str):
        return _error(400, "model must be a string", "invalid_request_error")
    if model:
        try:
            catalog.resolve(model)
        except ChatInputError as exc:
            return _error(exc.status, exc.message, "invalid_request_error", exc.code)
    return JsonResponse(await db(services.create_for)(caller, model), status=201)


@csrf_exempt
@require_http_methods(["GET", "DELETE"])
async def session(request: HttpRequest, session_id: str) -> HttpResponse:
    caller = await _caller(request)
    if caller is None:
        return _error(401, "Invalid or missing API key.", "authentication_error", "invalid_api_key")
    try:
        if request.method == "GET":
            return JsonResponse(await db(services.get_for)(caller, session_id))
        await db(services.delete_for)(caller, session_id)
    except services.SessionNotFound:
        return _not_found(session_id)
    return JsonResponse({"deleted": True, "id": session_id})
