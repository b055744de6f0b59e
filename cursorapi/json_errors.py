"""Unknown routes, wrong methods and crashes answer JSON in the route family's error shape.

Django answers a URL nothing matches, a method a view refuses (`require_http_methods`) and an
unhandled exception with an HTML page (with `DEBUG` on, its technical pages), which API clients
cannot read. This middleware looks at the status of each non-JSON response once (nothing per
chunk, so streams pay nothing) and swaps such a page for a JSON body:

- under `/v1/` (after `ROUTE_PREFIX`): OpenAI's shape, except `/v1/messages...`: Anthropic's;
- `/analytics/`: its `{"error": ...}`;
- elsewhere: the generic `{"status": "error", "code", "error", "message"}` of the management API.

The admin (`/admin/`) is HTML for people and keeps Django's pages.
"""

from __future__ import annotations

from asgiref.sync import markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase, JsonResponse

from cursorapi import error_shapes
from cursorapi.middleware import Handler

_REPLACED = {404, 405, 500}


def _message(status: int, request: HttpRequest, allowed: str) -> str:
    where = f"{request.method} {request.path}"
    if status == 404:
        return f"Unknown request URL: {where}. Check the path and the API's base URL."
    if status == 405:
        return f"Method {request.method} is not allowed on {request.path}; allowed: {allowed}."
    return "The server had an error while processing the request."


def _is_json(response: HttpResponseBase) -> bool:
    return response.get("Content-Type", "").startswith("application/json")


class JsonErrorsMiddleware:
    async_capable = True
    sync_capable = False

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        markcoroutinefunction(self)

    async def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = await self.get_response(request)
        status = response.status_code
        if status not in _REPLACED or request.path.startswith("/admin/"):
            return response
        # A JSON 404 or 500 is a view's own answer (an unknown session, say); a 405 is never one of
        # ours, but Django REST framework's `{"detail": ...}`, which is not the routes' shape.
        if status != 405 and _is_json(response):
            return response
        allowed = response.get("Allow", "")
        message = _message(status, request, allowed)
        replaced = JsonResponse(error_shapes.body(status, message, request.path, settings.ROUTE_PREFIX))
        replaced.status_code = status
        for name, value in response.items():  # Allow, and the CORS headers of the inner middleware
            if name.lower() not in ("content-type", "content-length"):
                replaced[name] = value
        return replaced
