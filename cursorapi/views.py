from __future__ import annotations

from django.http import HttpRequest, HttpResponseRedirect


async def index(request: HttpRequest) -> HttpResponseRedirect:
    return HttpResponseRedirect("/health")
