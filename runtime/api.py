"""`/config/get`, `/config/set`, `/config/reload` with the original's x-config-hash protocol (JSON bodies)."""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from cursorapi import auth, jsonbody
from cursorapi.dbwork import db

from . import config, services, toml_config

_HASH = re.compile(r"^[0-9a-f]{64}$")


def _error(status: int, kind: str, message: str) -> JsonResponse:
    return JsonResponse({"status": "error", "code": status, "error": kind, "message": message}, status=status)


def _hash_problem(request: HttpRequest) -> JsonResponse | None:
    value = request.headers.get("x-config-hash")
    if value is None:
        return _error(428, "missing_config_hash", "Missing config hash header (x-config-hash)")
    if not _HASH.match(value):
        return _error(400, "invalid_config_hash", "Invalid config hash format: 64 lowercase hex digits")
    return None


@csrf_exempt
@require_POST
async def config_get(request: HttpRequest) -> HttpResponse:
    if not auth.is_admin(request):
        return _error(401, "unauthorized", "Invalid authorization token")
    snapshot = await db(config.load)()
    if toml_config.wants_toml(accept=request.headers.get("accept", "")):  # R4 speaks config.toml
        response: HttpResponse = HttpResponse(
            toml_config.dump(snapshot.values), content_type="application/toml; charset=utf-8"
        )
    else:
        response = JsonResponse({"status": "success", "config": snapshot.values, "version": snapshot.version})
    response["x-config-hash"] = snapshot.hash
    return response


@csrf_exempt
@require_POST
async def config_set(request: HttpRequest) -> HttpResponse:
    if not auth.is_admin(request):
        return _error(401, "unauthorized", "Invalid authorization token")
    if problem := _hash_problem(request):
        return problem
    if toml_config.wants_toml(content_type=request.headers.get("content-type", "")):
        try:
            changes = toml_config.parse(request.body.decode("utf-8"))
        except UnicodeDecodeError:
            return _error(400, "invalid_toml", "request body is not UTF-8")
        except toml_config.InvalidToml as exc:
            return _error(400, "invalid_toml", str(exc))
    else:
        try:
            changes = jsonbody.loads(request.body or b"{}")
        except jsonbody.BadJson as exc:
            return _error(400, "invalid_json", str(exc))
    try:
        changed = await db(services.update)(request.headers["x-config-hash"], changes)
    except config.InvalidConfig as exc:
        return _error(400, f"invalid_{exc.field}", str(exc))
    except services.StaleHash:
        return _error(412, "config_modified", "Config has been modified by others: get it again")
    await db(config.load)()
    return HttpResponse(status=204 if changed else 200)


@require_GET
async def config_reload(request: HttpRequest) -> HttpResponse:
    if not auth.is_admin(request):
        return _error(401, "unauthorized", "Invalid authorization token")
    if problem := _hash_problem(request):
        return problem
    before = config.current().hash
    snapshot = await db(config.load)()
    if request.headers["x-config-hash"] != snapshot.hash and request.headers["x-config-hash"] != before:
        return _error(412, "config_modified", "Config has been modified by others: get it again")
    return HttpResponse(status=204 if snapshot.hash != before else 200)
