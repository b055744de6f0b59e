"""DRF errors in the original's shape: `{"status": "error", "code", "error", "message"}`."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.response import Response


def handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.PermissionDenied):
        status, kind, message = 401, "unauthorized", "Invalid authorization token"
    elif isinstance(exc, exceptions.ParseError):
        status, kind, message = 400, "invalid_json", f"request body is not valid JSON: {exc.detail}"
    elif isinstance(exc, exceptions.MethodNotAllowed):
        status, kind, message = 405, "method_not_allowed", str(exc.detail)
    elif isinstance(exc, exceptions.APIException):
        status, kind, message = exc.status_code, "error", str(exc.detail)
    else:
        return None
    return Response({"status": "error", "code": status, "error": kind, "message": message}, status=status)
