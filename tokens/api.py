"""The original's `/tokens/*` JSON API (the paths and shapes scripts already use).

All routes are POST with `Authorization: Bearer <AUTH_TOKEN>`; errors use the original's shape
`{"status": "error", "code", "error", "message"}`. Shapes follow R4 (seeds/001); R3 bodies are
accepted too where they differ. Deliberate differences are listed in docs/management.md.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from rest_framework.request import Request
from rest_framework.response import Response

from proxies.models import Proxy

from . import bulk, exchange, maintenance, services
from .api_base import admin_view, body, error
from .models import Token


@admin_view(["POST"])
def tokens_get(request: Request) -> Response:
    tokens = Token.objects.select_related("proxy").order_by("id")
    items = [[t.pk, t.alias, exchange.token_info(t, t.proxy.name if t.proxy_id else None)] for t in tokens]
    return Response({"status": "success", "tokens": items, "tokens_count": len(items)})


@admin_view(["POST"])
def tokens_set(request: Request) -> Response:
    data = body(request)
    if not isinstance(data, list) or not all(isinstance(i, list) and len(i) in (2, 3) for i in data):
        return error(400, "invalid_request", "body must be [[alias, token info], ...]")
    items = []
    for n, item in enumerate(data):
        alias, info = item[-2], item[-1]  # an export's [id, alias, info] works too
        try:
            items.append((alias if isinstance(alias, str) else "", exchange.parse_info(alias, info)))
        except services.TokenInputError as exc:
            return error(422, "invalid_token", f"[{n}] {exc}")
    try:
        count = bulk.replace_pool(items)
    except IntegrityError:
        return error(409, "conflict", "two entries name the same token or alias")
    return Response(
        {"status": "success", "tokens_count": count, "message": "Token files have been updated and reloaded"}
    )


@admin_view(["POST"])
def tokens_add(request: Request) -> Response:
    data = body(request)
    if not isinstance(data, dict) or not isinstance(data.get("tokens"), list):
        return error(400, "invalid_request", 'body must be {"tokens": [{"token": ...}, ...]}')
    # R4's "enabled", or R3's "status"; added tokens are enabled unless told otherwise.
    enabled = data.get("enabled", data.get("status", "enabled") != "disabled")
    if not isinstance(enabled, bool):
        return error(400, "invalid_request", "enabled must be true or false")
    proxies = {p.name: p for p in Proxy.objects.all()}
    added, problems = 0, []
    for n, item in enumerate(data["tokens"]):
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
                enabled=enabled,
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
            token.proxy = proxies.get(str(item["proxy"]))
        services.save_new_token(token)
        added += 1
    message = "New tokens have been added and reloaded" if added else "No new tokens were added"
    out: dict[str, Any] = {"status": "success", "tokens_count": Token.objects.count(), "message": message}
    if problems:
        out["failed"] = problems
    return Response(out)


@admin_view(["POST"])
def tokens_del(request: Request) -> Response:
    data = body(request)
    if not isinstance(data, dict) or not isinstance(data.get("aliases"), list):
        return error(400, "invalid_request", 'body must be {"aliases": [...]}')
    expectation = data.get("expectation", "simple")
    if expectation not in ("simple", "updated_tokens", "failed_tokens", "detailed"):
        return error(
            422,
            "invalid_expectation",
            "expectation must be simple, updated_tokens, failed_tokens or detailed",
        )
    aliases = [a for a in data["aliases"] if isinstance(a, str)]
    with transaction.atomic():
        found = set(Token.objects.filter(alias__in=aliases).values_list("alias", flat=True))
        Token.objects.filter(alias__in=found).delete()
    out: dict[str, Any] = {"status": "success"}
    if expectation in ("updated_tokens", "detailed"):
        out["updated_tokens"] = list(Token.objects.order_by("id").values_list("alias", flat=True))
    if data.get("include_failed_tokens") or expectation in ("failed_tokens", "detailed"):
        out["failed_tokens"] = [a for a in aliases if a not in found]
    return Response(out)


def _aliases(data: Any, key: str = "aliases") -> list[str] | Response:
    if not isinstance(data, dict) or not isinstance(data.get(key), list) or not data[key]:
        return error(400, "no_tokens", "No tokens provided")
    return [a for a in data[key] if isinstance(a, str)]


def _set_many(aliases: list[str], verb: str, **fields: Any) -> Response:
    updated = Token.objects.filter(alias__in=aliases).update(**fields)
    failed = len(aliases) - updated
    return Response(
        {"status": "success", "message": f"Set {verb} for {updated} tokens, {failed} tokens failed"}
    )


@admin_view(["POST"])
def tokens_status_set(request: Request) -> Response:
    data = body(request)
    aliases = _aliases(data)
    if isinstance(aliases, Response):
        return aliases
    if "enabled" in data:
        enabled = data["enabled"]
    elif data.get("status") in ("enabled", "disabled"):
        enabled = data["status"] == "enabled"
    else:
        return error(400, "invalid_status", 'give "enabled": true|false (or "status": "enabled"|"disabled")')
    if not isinstance(enabled, bool):
        return error(400, "invalid_status", "enabled must be true or false")
    return _set_many(aliases, "status", enabled=enabled)


@admin_view(["POST"])
def tokens_alias_set(request: Request) -> Response:
    data = body(request)
    if not isinstance(data, dict) or not data:
        return error(400, "no_tokens", "No tokens provided")
    done = failed = 0
    for old, new in data.items():
        if (
            not isinstance(new, str)
            or not new.strip()
            or len(new.strip()) > 64
            or Token.objects.filter(alias=new.strip()).exists()
            or not Token.objects.filter(alias=old).update(alias=new.strip())
        ):
            failed += 1
        else:
            done += 1
    return Response({"status": "success", "message": f"Set alias for {done} tokens, {failed} tokens failed"})


@admin_view(["POST"])
def tokens_proxy_set(request: Request) -> Response:
    data = body(request)
    aliases = _aliases(data)
    if isinstance(aliases, Response):
        return aliases
    name = data.get("proxy")
    proxy = None
    if name is not None:
        proxy = Proxy.objects.filter(name=name).first() if isinstance(name, str) else None
        if proxy is None:
            return error(404, "proxy_not_found", f"no proxy is named {name!r}")
    return _set_many(aliases, "proxy", proxy=proxy)


@admin_view(["POST"])
def tokens_timezone_set(request: Request) -> Response:
    data = body(request)
    aliases = _aliases(data)
    if isinstance(aliases, Response):
        return aliases
    value = data.get("timezone")
    try:
        tz = services.normalize_timezone(value if isinstance(value, str) else None)
    except services.TokenInputError as exc:
        return error(422, "invalid_timezone", str(exc))
    if value is not None and not isinstance(value, str):
        return error(422, "invalid_timezone", "timezone must be an IANA name or null")
    return _set_many(aliases, "timezone", timezone=tz)


@admin_view(["POST"])
def tokens_merge(request: Request) -> Response:
    data = body(request)
    if not isinstance(data, dict) or not data:
        return error(400, "no_tokens", "No tokens provided")
    try:
        merged, failed = bulk.merge(data)
    except services.TokenInputError as exc:
        return error(422, "invalid_token", str(exc))
    out: dict[str, Any] = {
        "status": "success",
        "message": f"Merged {merged} tokens, {len(failed)} tokens failed to merge",
    }
    if failed:
        out["failed"] = failed
    return Response(out)


# --- the calls to Cursor -------------------------------------------------------------------------


def _alias_list(data: Any) -> list[str] | Response:
    """The maintenance routes take a JSON list of aliases (or {"aliases": [...]})."""
    if isinstance(data, dict):
        data = data.get("aliases")
    if not isinstance(data, list) or not data:
        return error(400, "no_tokens", "No tokens provided")
    if not all(isinstance(a, str) for a in data):
        return error(400, "invalid_request", "aliases must be strings")
    return data


def _batch_reply(batch: maintenance.Batch, message: str) -> Response:
    out: dict[str, Any] = {"status": "success", "message": message}
    if batch.failed:
        out["failed"] = batch.failures()
    return Response(out)


@admin_view(["POST"])
def tokens_profile_update(request: Request) -> Response:
    aliases = _alias_list(body(request))
    if isinstance(aliases, Response):
        return aliases
    batch = maintenance.update_profiles(aliases)
    return _batch_reply(batch, f"Updated {batch.done} token profiles, {batch.failed} tokens failed to update")


@admin_view(["POST"])
def tokens_config_version_update(request: Request) -> Response:
    aliases = _alias_list(body(request))
    if isinstance(aliases, Response):
        return aliases
    batch = maintenance.update_config_versions(aliases)
    return _batch_reply(
        batch, f"Updated {batch.done} token config versions, {batch.failed} tokens failed to update"
    )


@admin_view(["POST"])
def tokens_refresh(request: Request) -> Response:
    aliases = _alias_list(body(request))
    if isinstance(aliases, Response):
        return aliases
    batch = maintenance.refresh_tokens(aliases)
    return _batch_reply(batch, f"Refreshed {batch.done} tokens, {batch.failed} tokens failed to refresh")
