"""Async middlewares that run on every request, and the gate that keeps the admin's sync stack off the API."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable

from asgiref.sync import markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.module_loading import import_string

Handler = Callable[[HttpRequest], Awaitable[HttpResponseBase]]

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


class RequestIdMiddleware:
    """Echo the caller's X-Request-ID (when sane) or make one; views and logs read request.request_id."""

    async_capable = True
    sync_capable = False

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        markcoroutinefunction(self)

    async def __call__(self, request: HttpRequest) -> HttpResponseBase:
        given = request.headers.get("X-Request-ID", "")
        request.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex  # type: ignore[attr-defined]
        response = await self.get_response(request)
        response["X-Request-ID"] = request.request_id  # type: ignore[attr-defined]
        return response


class CorsMiddleware:
    """Browsers call the API from other origins (the original allowed any), so answer preflights here."""

    async_capable = True
    sync_capable = False

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        markcoroutinefunction(self)

    async def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path.startswith("/admin/"):
            return await self.get_response(request)
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            response: HttpResponseBase = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
            response["Access-Control-Allow-Headers"] = request.headers.get(
                "Access-Control-Request-Headers", "*"
            )
            response["Access-Control-Max-Age"] = "86400"
        else:
            response = await self.get_response(request)
        response["Access-Control-Allow-Origin"] = "*"
        response["Access-Control-Expose-Headers"] = "X-Request-ID"
        return response


class AdminOnlyMiddleware:
    """Run settings.ADMIN_MIDDLEWARE for /admin/ only; everything else goes straight to the view."""

    async_capable = True
    sync_capable = False

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        markcoroutinefunction(self)
        handler: Handler = get_response
        for path in reversed(settings.ADMIN_MIDDLEWARE):
            handler = import_string(path)(handler)
        self.admin_handler = handler

    async def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path.startswith("/admin/"):
            return await self.admin_handler(request)
        return await self.get_response(request)


def close_old_connections_middleware(get_response):
    """For the admin's sync views: drop a stale connection before and after, as Django would."""
    from django.db import close_old_connections

    def middleware(request: HttpRequest) -> HttpResponseBase:
        close_old_connections()
        try:
            return get_response(request)
        finally:
            close_old_connections()

    return middleware
