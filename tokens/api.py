"""The original's JSON management API for the pool (the paths and shapes scripts already use).

All routes are POST with `Authorization: Bearer <AUTH_TOKEN>`; errors use the original's shape
`{"status": "error", "code", "error", "message"}`.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import ParseError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from cursorapi import auth
from cursorapi.upstream import checksum
from proxies.models import Proxy

from . import services
from .models import Token


class IsAdmin(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return auth.is_admin(request._request)


def error(status: int, kind: str, message: str) -> Response:
    return Response({"status": "error", "code": status, "error": kind, "message": message}, status=status)


def _body(request: Request) -> Any:
    try:
        return request.data
    except ParseError as exc:
        raise _BadBody(str(exc.detail)) from exc


class _BadBody(Exception):
    pass


def _info(token: Token) -> dict[str, Any]:
    """A token as the original's `/tokens/get` shows it to the admin (R4's flattened shape)."""
    return {
        "primary_token": token.primary_token,
        "secondary_token": token.secondary_token or None,
        "checksum": {"first": token.checksum_first, "second": token.checksum_second},
        "client_key": token.client_key,
        "session_id": str(token.session_id),
        "config_version": str(token.config_version) if token.config_version else None,
        "proxy": token.proxy.name if token.proxy_id else None,
        "timezone": token.timezone or None,
        "gcpp_host": token.gcpp_host or None,
        "status": {"enabled": token.enabled, "health": token.health},
        "user": {"user_id": token.user_id, "email": token.email or None} if token.user_id else None,
        "usage": token.profile.get("usage") if token.profile else None,
        "stripe": token.profile.get("stripe") if token.profile else None,
    }


def _admin_view(methods: list[str]):
    def wrap(fn):
        def view(request: Request) -> Response:
            try:
                return fn(request)
            except _BadBody as exc:
                return error(400, "invalid_json", f"request body is not valid JSON: {exc}")

        view.__name__ = fn.__name__
        view.__doc__ = fn.__doc__
        return api_view(methods)(permission_classes([IsAdmin])(view))

    return wrap


@_admin_view(["POST"])
def tokens_get(request: Request) -> Response:
    tokens = Token.objects.select_related("proxy").order_by("id")
    items = [[t.pk, t.alias, _info(t)] for t in tokens]
    return Response({"status": "success", "tokens": items, "tokens_count": len(items)})


@_admin_view(["POST"])
def tokens_add(request: Request) -> Response:
    body = _body(request)
    if not isinstance(body, dict) or not isinstance(body.get("tokens"), list):
        return error(400, "invalid_request", 'body must be {"tokens": [{"token": ...}, ...]}')
    enabled = body.get("enabled", True)
    added, problems = 0, []
    for n, item in enumerate(body["tokens"]):
        if not isinstance(item, dict) or not isinstance(item.get("token"), str):
            problems.append(f"tokens[{n}]: needs a token string")
            continue
        try:
            token = services.build_token(
                item["token"],
                alias=str(item.get("alias") or ""),
                checksum_value=str(item.get("checksum") or ""),
                client_key=item.get("client_key"),
                session_id=item.get("session_id"),
                config_version=item.get("config_version"),
                timezone_name=item.get("timezone"),
                gcpp_host=item.get("gcpp_host"),
                enabled=bool(enabled),
            )
        except services.TokenInputError as exc:
            problems.append(f"tokens[{n}]: {exc}")
            continue
        if Token.objects.filter(token_digest=token.token_digest).exists():
            continue  # already in the pool: adding is idempotent
        if token.alias and Token.objects.filter(alias=token.alias).exists():
            problems.append(f"tokens[{n}]: alias {token.alias!r} is taken")
            continue
        if item.get("proxy"):
            token.proxy = Proxy.objects.filter(name=item["proxy"]).first()
        services.save_new_token(token)
        added += 1
    message = "New tokens have been added and reloaded" if added else "No new tokens were added"
    out: dict[str, Any] = {"status": "success", "tokens_count": Token.objects.count(), "message": message}
    if problems:
        out["failed"] = problems
    return Response(out)


@_admin_view(["POST"])
def tokens_del(request: Request) -> Response:
    body = _body(request)
    if not isinstance(body, dict) or not isinstance(body.get("aliases"), list):
        return error(400, "invalid_request", 'body must be {"aliases": [...]}')
    aliases = [a for a in body["aliases"] if isinstance(a, str)]
    with transaction.atomic():
        found = set(Token.objects.filter(alias__in=aliases).values_list("alias", flat=True))
        Token.objects.filter(alias__in=found).delete()
    out: dict[str, Any] = {"status": "success"}
    if body.get("include_failed_tokens"):
        out["failed_tokens"] = [a for a in aliases if a not in found]
    return Response(out)


def _aliases(body: Any, key: str = "aliases") -> list[str] | Response:
    if not isinstance(body, dict) or not isinstance(body.get(key), list) or not body[key]:
        return error(400, "no_tokens", "No tokens provided")
    return [a for a in body[key] if isinstance(a, str)]


def _set_many(aliases: list[str], verb: str, **fields: Any) -> Response:
    updated = Token.objects.filter(alias__in=aliases).update(**fields)
    failed = len(aliases) - updated
    return Response(
        {"status": "success", "message": f"Set {verb} for {updated} tokens, {failed} tokens failed"}
    )


@_admin_view(["POST"])
def tokens_status_set(request: Request) -> Response:
    body = _body(request)
    aliases = _aliases(body)
    if isinstance(aliases, Response):
        return aliases
    if "enabled" in body:
        enabled = body["enabled"]
    elif body.get("status") in ("enabled", "disabled"):
        enabled = body["status"] == "enabled"
    else:
        return error(400, "invalid_status", 'give "enabled": true|false (or "status": "enabled"|"disabled")')
    if not isinstance(enabled, bool):
        return error(400, "invalid_status", "enabled must be true or false")
    return _set_many(aliases, "status", enabled=enabled)


@_admin_view(["POST"])
def tokens_alias_set(request: Request) -> Response:
    body = _body(request)
    if not isinstance(body, dict) or not body:
        return error(400, "no_tokens", "No tokens provided")
    done = failed = 0
    for old, new in body.items():
        if (
            not isinstance(new, str)
            or not new.strip()
            or Token.objects.filter(alias=new).exists()
            or not Token.objects.filter(alias=old).update(alias=new.strip())
        ):
            failed += 1
        else:
            done += 1
    return Response(
        {"status": "success", "message": f"Set aliases for {done} tokens, {failed} tokens failed"}
    )


@_admin_view(["POST"])
def tokens_proxy_set(request: Request) -> Response:
    body = _body(request)
    aliases = _aliases(body)
    if isinstance(aliases, Response):
        return aliases
    name = body.get("proxy")
    proxy = None
    if name is not None:
        proxy = Proxy.objects.filter(name=name).first()
        if proxy is None:
            return error(404, "proxy_not_found", f"no proxy named {name!r}")
    return _set_many(aliases, "proxy", proxy=proxy)


@_admin_view(["POST"])
def tokens_timezone_set(request: Request) -> Response:
    body = _body(request)
    aliases = _aliases(body)
    if isinstance(aliases, Response):
        return aliases
    try:
        tz = services.normalize_timezone(body.get("timezone"))
    except services.TokenInputError as exc:
        return error(422, "invalid_timezone", str(exc))
    return _set_many(aliases, "timezone", timezone=tz)


# --- small generators (text/plain, no auth), in the original's formats ------------------------


def _text(value: str) -> HttpResponse:
    return HttpResponse(value, content_type="text/plain; charset=utf-8")


def gen_uuid(request: Any) -> HttpResponse:
    return _text(str(uuid.uuid4()))


def gen_hash(request: Any) -> HttpResponse:
    return _text(checksum.random_hash(settings.SAFE_HASH))


def gen_checksum(request: Any) -> HttpResponse:
    return _text(
        checksum.build(checksum.random_hash(settings.SAFE_HASH), checksum.random_hash(settings.SAFE_HASH))
    )


def get_checksum_header(request: Any) -> HttpResponse:
    return _text(checksum.time_header())
