"""What the JSON management views share: auth, body reading and the original's error shape."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import ParseError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from cursorapi import auth
from runtime import config as runtime_config


class IsAdmin(BasePermission):
    """`Authorization: Bearer <AUTH_TOKEN>`, as the original's admin routes read it."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return auth.is_admin(request._request)


class IsAdminOrShared(BasePermission):
    """The admin token or the shared token (when one is set): /build-key and the account lookups."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if auth.is_admin(request._request):
            return True
        shared = runtime_config.current()["share_token"]
        secret = auth.bearer(request._request)
        return bool(shared) and bool(secret) and hmac.compare_digest(secret.encode(), shared.encode())


def error(status: int, kind: str, message: str) -> Response:
    return Response({"status": "error", "code": status, "error": kind, "message": message}, status=status)


class BadBody(Exception):
    pass


def body(request: Request) -> Any:
    try:
        return request.data
    except ParseError as exc:
        raise BadBody(str(exc.detail)) from exc


def _view(methods: list[str], permission: type[BasePermission]) -> Callable[[Callable], Callable]:
    from cursorapi.openapi import documented

    auth_text = "Bearer AUTH_TOKEN" if permission is IsAdmin else "Bearer AUTH_TOKEN or the shared token"

    def wrap(fn: Callable[[Request], Response]) -> Callable:
        def view(request: Request) -> Response:
            try:
                return fn(request)
            except BadBody as exc:
                return error(400, "invalid_json", f"request body is not valid JSON: {exc}")

        view.__name__ = fn.__name__
        view.__doc__ = fn.__doc__
        return documented(fn, methods, auth_text)(api_view(methods)(permission_classes([permission])(view)))

    return wrap


def admin_view(methods: list[str]) -> Callable[[Callable], Callable]:
    return _view(methods, IsAdmin)


def shared_view(methods: list[str]) -> Callable[[Callable], Callable]:
    return _view(methods, IsAdminOrShared)
