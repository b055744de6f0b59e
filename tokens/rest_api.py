"""`POST /tokens/rest/end`: put resting tokens back in the rotation now (the admin has an action too)."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from . import resting
from .api_base import admin_view, body, error
from .models import Token


@admin_view(["POST"])
def tokens_rest_end(request: Request) -> Response:
    data = body(request)
    if isinstance(data, dict) and data.get("all") is True:
        ended = resting.end_rest()
        return Response({"status": "success", "ended": ended, "message": f"Ended the rest of {ended} tokens"})
    aliases = data.get("aliases") if isinstance(data, dict) else None
    if not isinstance(aliases, list) or not aliases or not all(isinstance(a, str) for a in aliases):
        return error(400, "invalid_request", 'body must be {"aliases": ["alias", ...]} or {"all": true}')
    found = dict(Token.objects.filter(alias__in=aliases).values_list("alias", "pk"))
    ended = resting.end_rest(found.values())
    out = {"status": "success", "ended": ended, "message": f"Ended the rest of {ended} tokens"}
    missing = [a for a in aliases if a not in found]
    if missing:
        out["failed_tokens"] = missing
    return Response(out)
