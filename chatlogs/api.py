"""`/logs/get` and `/logs/tokens/get` as the original serves them; `/logs` leads to the admin list."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from cursorapi import auth, jsonbody
from cursorapi.dbwork import db
from tokens.models import Token

from . import query as logquery
from .models import ChatLog, Status


def _error(status: int, kind: str, message: str) -> JsonResponse:
    return JsonResponse({"status": "error", "code": status, "error": kind, "message": message}, status=status)


async def _viewer(request: HttpRequest) -> auth.Caller | None:
    """The admin sees every record; a named API key sees its own."""
    if auth.is_admin(request):
        return auth.Caller(auth.ADMIN)
    caller = await auth.authenticate(request)
    return caller if caller is not None and caller.api_key_id is not None else None


def _logs(viewer: auth.Caller, body: dict[str, Any]) -> dict[str, Any]:
    base = logquery.with_chain(ChatLog.objects.all())
    if not viewer.is_admin:
        base = base.filter(api_key_id=viewer.api_key_id)
    query = body.get("query") or {}
    if not viewer.is_admin:
        logquery.check_filters_for_key(query)
    qs = logquery.filtered(query, base)
    total = qs.count()
    out: dict[str, Any] = {"status": "success", "total": total}
    if viewer.is_admin:
        # Two counts on the status index, not one pass over the whole table.
        out["active"] = ChatLog.objects.filter(status=Status.PENDING).count()
        out["error"] = ChatLog.objects.filter(status=Status.FAILURE).count()
    from . import billing

    # Billed cents (REAL_USAGE) today and this month: the key's own, or every named key's for the admin.
    if viewer.is_admin:
        out["spend"] = {**billing.spend_cents(), "keys": billing.spend_by_key()}
    else:
        out["spend"] = billing.spend_cents(viewer.api_key_id)
    out["logs"] = [
        logquery.record(log, pool_identity=viewer.is_admin) for log in logquery.page(query, qs, total)
    ]
    out["timestamp"] = timezone.now().isoformat()
    return out


@csrf_exempt
@require_POST
async def logs_get(request: HttpRequest) -> HttpResponse:
    viewer = await _viewer(request)
    if viewer is None:
        return _error(401, "unauthorized", "Invalid authorization token")
    try:
        body = jsonbody.loads(request.body or b"{}")
    except jsonbody.BadJson as exc:
        return _error(400, "invalid_json", str(exc))
    if not isinstance(body, dict):
        return _error(400, "invalid_request", "the request body must be an object")
    try:
        return JsonResponse(await db(_logs)(viewer, body))
    except logquery.BadFilter as exc:
        return _error(400, f"invalid_{exc.field}", str(exc))


def _bundles(aliases: list[str]) -> dict[str, Any]:
    tokens = {t.alias: t for t in Token.objects.filter(alias__in=aliases)}
    out: dict[str, Any] = {}
    for alias in aliases:
        token = tokens.get(alias)
        out[alias] = (
            None
            if token is None
            else {
                "primary_token": token.primary_token,
                "secondary_token": token.secondary_token or None,
                "checksum": {"first": token.checksum_first, "second": token.checksum_second},
                "client_key": token.client_key,
                "session_id": str(token.session_id),
                "config_version": str(token.config_version) if token.config_version else None,
                "timezone": token.timezone or None,
                "gcpp_host": token.gcpp_host or None,
                "proxy": token.proxy.name if token.proxy_id else None,
            }
        )
    return out


@csrf_exempt
@require_POST
async def logs_tokens_get(request: HttpRequest) -> HttpResponse:
    """The token behind each alias seen in the logs, in full: for the admin only."""
    if not auth.is_admin(request):
        return _error(401, "unauthorized", "Invalid authorization token")
    try:
        aliases = jsonbody.loads(request.body or b"[]")
    except jsonbody.BadJson as exc:
        return _error(400, "invalid_json", str(exc))
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        return _error(400, "invalid_request", "the body must be a JSON array of token aliases")
    tokens = await db(_bundles)(aliases)
    return JsonResponse(
        {"status": "success", "tokens": tokens, "total": len(tokens), "timestamp": timezone.now().isoformat()}
    )


@require_GET
async def logs_page(request: HttpRequest) -> HttpResponse:
    return HttpResponseRedirect("/admin/chatlogs/chatlog/")
