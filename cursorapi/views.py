from __future__ import annotations

import time

from asgiref.sync import sync_to_async
from django.db import connection
from django.http import HttpRequest, HttpResponseRedirect, JsonResponse

STARTED = time.time()


async def index(request: HttpRequest) -> HttpResponseRedirect:
    return HttpResponseRedirect("/health")


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


async def health(request: HttpRequest) -> JsonResponse:
    ok = await sync_to_async(_database_ok, thread_sensitive=False)()
    return JsonResponse(
        {
            "status": "success" if ok else "error",
            "service": {"name": "cursorapi", "version": "0.1.0"},
            "runtime": {"started_at": int(STARTED), "uptime_s": int(time.time() - STARTED)},
            "checks": {"database": "ok" if ok else "down"},
        },
        status=200 if ok else 503,
    )
