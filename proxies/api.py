"""The original's `/proxies/*` JSON API (admin only), over the Proxy model."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from rest_framework.request import Request
from rest_framework.response import Response

from tokens.api_base import admin_view as _admin_view
from tokens.api_base import body as _body
from tokens.api_base import error

from .models import Proxy, mask_proxy_url, validate_proxy_url


def _flat() -> dict[str, str]:
    return {p.name: mask_proxy_url(p.url) for p in Proxy.objects.order_by("name")}


def _state() -> dict[str, Any]:
    proxies = _flat()
    general = Proxy.objects.filter(is_general=True).values_list("name", flat=True).first()
    for_keys = list(Proxy.objects.filter(usable_by_keys=True).order_by("name").values_list("name", flat=True))
    return {
        "status": "success",
        "proxies": proxies,
        "proxies_count": len(proxies),
        "general_proxy": general,
        "usable_by_keys": for_keys,
    }


def _checked(values: Any) -> dict[str, str] | Response:
    if not isinstance(values, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in values.items()
    ):
        return error(400, "invalid_request", '"proxies" must be an object of name: "non" | "sys" | URL')
    for name, url in values.items():
        try:
            validate_proxy_url(url)
        except ValidationError as exc:
            return error(422, "invalid_proxy", f"{name}: {exc.messages[0]}")
        if name.strip() == "" or len(name) > 64:
            return error(422, "invalid_proxy", f"{name!r}: names are 1-64 characters")
    return values


@_admin_view(["POST"])
def proxies_get(request: Request) -> Response:
    return Response(_state())


@_admin_view(["POST"])
def proxies_add(request: Request) -> Response:
    body = _body(request)
    values = _checked(body.get("proxies") if isinstance(body, dict) else None)
    if isinstance(values, Response):
        return values
    existing = set(Proxy.objects.values_list("name", flat=True))
    new = {k: v for k, v in values.items() if k not in existing}
    Proxy.objects.bulk_create(Proxy(name=k, url=v) for k, v in new.items())
    count = Proxy.objects.count()
    if not new:
        return Response(
            {"status": "success", "proxies": _flat(), "proxies_count": count, "message": "No new proxies"}
        )
    return Response({"status": "success", "proxies_count": count, "message": f"Added {len(new)} new proxies"})


@_admin_view(["POST"])
def proxies_set(request: Request) -> Response:
    body = _body(request)
    if not isinstance(body, dict) or "proxies" not in body:
        return error(400, "invalid_request", 'body must be {"proxies": {...}, "general": "name"}')
    values = _checked(body["proxies"])
    if isinstance(values, Response):
        return values
    general = body.get("general")
    with transaction.atomic():
        Proxy.objects.exclude(name__in=values).delete()
        for name, url in values.items():
            Proxy.objects.update_or_create(name=name, defaults={"url": url, "is_general": False})
        if general in values:
            Proxy.objects.filter(name=general).update(is_general=True)
    return Response(
        {"status": "success", "proxies_count": len(values), "message": "Proxy configuration updated"}
    )


@_admin_view(["POST"])
def proxies_del(request: Request) -> Response:
    body = _body(request)
    if not isinstance(body, dict) or not isinstance(body.get("names"), list):
        return error(400, "invalid_request", 'body must be {"names": [...], "expectation"?: ...}')
    expectation = body.get("expectation", "simple")
    if expectation not in ("simple", "updated_tokens", "failed_tokens", "detailed"):
        return error(
            422,
            "invalid_expectation",
            "expectation must be simple, updated_tokens, failed_tokens or detailed",
        )
    names = [n for n in body["names"] if isinstance(n, str)]
    found = set(Proxy.objects.filter(name__in=names).values_list("name", flat=True))
    Proxy.objects.filter(name__in=found).delete()  # tokens using them fall back to the general proxy
    out: dict[str, Any] = {"status": "success"}
    if expectation in ("updated_tokens", "detailed"):
        out["updated_proxies"] = _flat()
    failed = [n for n in names if n not in found]
    if expectation in ("failed_tokens", "detailed") and failed:
        out["failed_names"] = failed
    return Response(out)


@_admin_view(["POST"])
def proxies_set_general(request: Request) -> Response:
    body = _body(request)
    name = body.get("name") if isinstance(body, dict) else None
    with transaction.atomic():
        if not isinstance(name, str) or not Proxy.objects.filter(name=name).exists():
            return Response(
                {
                    "status": "error",
                    "code": 400,
                    "error": "Proxy name not found",
                    "message": "no proxy has that name",
                },
                status=400,
            )
        Proxy.objects.filter(is_general=True).update(is_general=False)
        Proxy.objects.filter(name=name).update(is_general=True)
    return Response({"status": "success", "message": "General proxy set"})


@_admin_view(["POST"])
def proxies_keys_set(request: Request) -> Response:
    """`{"names": [...]}`: exactly these proxies may be named by dynamic keys (an empty list: none)."""
    body = _body(request)
    names = body.get("names") if isinstance(body, dict) else None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        return error(400, "invalid_request", 'body must be {"names": [proxy names]}')
    with transaction.atomic():
        unknown = sorted(
            set(names) - set(Proxy.objects.filter(name__in=names).values_list("name", flat=True))
        )
        if unknown:
            return error(422, "unknown_proxy", f"no proxy is named {', '.join(map(repr, unknown))}")
        Proxy.objects.exclude(name__in=names).update(usable_by_keys=False)
        Proxy.objects.filter(name__in=names).update(usable_by_keys=True)
    return Response(_state())
