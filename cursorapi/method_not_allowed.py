"""A wrong method gets a JSON 405 in the route's error shape, with `Allow`, not Django's empty one.

Django's `require_http_methods` answers an empty HttpResponseNotAllowed; rather than replace that
decorator on every view, this middleware fills in the body of any empty 405 on the way out.
"""

from __future__ import annotations

from asgiref.sync import markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase, JsonResponse

from cursorapi import error_shapes
from cursorapi.middleware import Handler


class JsonMethodNotAllowedMiddleware:
    async_capable = True
    sync_capable = False

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        markcoroutinefunction(self)

    async def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = await self.get_response(request)
        if response.status_code != 405 or request.path.startswith("/admin/"):
            return response
        if getattr(response, "streaming", False) or response.content:  # DRF's is JSON already
            return response
        allow = response.get("Allow", "")
        message = f"method {request.method} is not allowed here; use {allow or 'another method'}"
        replaced = JsonResponse(
            error_shapes.body(405, message, request.path, settings.ROUTE_PREFIX), status=405
        )
        if allow:
            replaced["Allow"] = allow
        return replaced
