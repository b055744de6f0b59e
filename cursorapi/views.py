from __future__ import annotations

import os
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Max, Q
from django.http import HttpRequest, HttpResponseRedirect, JsonResponse
from django.urls import get_resolver
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from cursorapi import sqlite_guard
from cursorapi.dbwork import db
from cursorapi.logtime import log_zone
from runtime import workers

VERSION = "0.1.0"
STARTED = time.time()


async def index(request: HttpRequest) -> HttpResponseRedirect:
    return HttpResponseRedirect("/health")


def _database() -> dict[str, Any] | None:
    """What the database says, in a handful of indexed queries; None when it cannot be reached."""
    from chatlogs.models import ChatLog, Status
    from tokens.models import Token

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        pool = Token.objects.aggregate(total=Count("pk"), enabled=Count("pk", filter=Q(enabled=True)))
        pool["healthy"] = Token.objects.usable().count()  # type: ignore[attr-defined]
        since = timezone.now() - timedelta(hours=24)
        recent = ChatLog.objects.filter(created_at__gte=since)
        requests = recent.aggregate(
            total=Count("pk"),
            active=Count(
                "pk", filter=Q(status=Status.PENDING, created_at__gte=timezone.now() - timedelta(hours=1))
            ),
            errors=Count("pk", filter=Q(status=Status.FAILURE)),
        )
        last = ChatLog.objects.filter(status=Status.SUCCESS).aggregate(at=Max("created_at"))["at"]
        return {
            "writable": workers.can_write(),
            "pool": pool,
            "requests": requests,
            "last_upstream_success": last.isoformat() if last else None,
        }
    except Exception:
        return None


def _memory() -> dict[str, int | float]:
    info: dict[str, int] = {}
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            name, value = line.split(":", 1)
            info[name] = int(value.split()[0]) * 1024
        status = Path("/proc/self/status").read_text().splitlines()
        rss = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))
    except (OSError, StopIteration, ValueError):
        return {}
    total = info.get("MemTotal", 0)
    return {
        "used_bytes": rss,
        "used_percentage": round(rss * 100 / total, 2) if total else 0,
        "available_bytes": info.get("MemAvailable", 0),
    }


def _endpoints() -> list[str]:
    patterns = []
    for pattern in get_resolver().url_patterns:
        prefix = str(pattern.pattern)
        inners = getattr(pattern, "url_patterns", None)
        if inners is None:  # a plain route: its pattern is the whole path (not prefix + itself)
            prefix, inners = "", [pattern]
        for inner in inners:
            route = "/" + prefix + str(inner.pattern)
            if not route.startswith("/admin"):
                patterns.append(route.replace("//", "/"))
    return sorted(set(patterns))


def _models() -> list[str]:
    from cursorapi.chat.catalog import catalog

    names = []
    for model in catalog.models:
        names += [model.id, f"{model.id}-online"]
        if model.max_mode:
            names += [f"{model.id}-max", f"{model.id}-max-online"]
    return names


@require_http_methods(["GET", "HEAD"])
async def health(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness: 200 with `success` or `warning` (no usable token), 503 with `error`."""
    # Unwritable SQLite files are not even read: in WAL mode a read writes to the mapped -shm file.
    files_ok = sqlite_guard.writable()
    state = await db(_database)() if files_ok else None
    if state is None or not state["writable"]:
        status = "error"
    elif state["pool"]["healthy"] == 0:
        status = "warning"
    else:
        status = "success"
    body = {
        "status": status,
        "service": {"name": "cursorapi", "version": VERSION, "is_debug": settings.DEBUG_LOG},
        "runtime": {
            "started_at": datetime.fromtimestamp(STARTED, tz=log_zone()).isoformat(),
            "uptime_seconds": int(time.time() - STARTED),
            "requests": state["requests"] if state else None,
        },
        "system": {
            "memory": _memory(),
            "cpu": {"load_average": list(os.getloadavg()), "count": os.cpu_count()},
        },
        "checks": {
            "database": "unwritable"
            if not files_ok or (state is not None and not state["writable"])
            else "down"
            if state is None
            else "ok",
            "pool": state["pool"] if state else None,
            "upstream": {"last_success_at": state["last_upstream_success"] if state else None},
        },
        "capabilities": {"models": _models(), "endpoints": _endpoints(), "features": ["sessions", "copilot"]},
    }
    return JsonResponse(body, status=503 if status == "error" else 200)
