"""The fake's billed usage: one usage event per chat request it answered, in Cursor's dashboard shape.

`POST cursor.com/api/dashboard/get-filtered-usage-events` answers the events of the cookie's account
between startDate and endDate (milliseconds, as numbers or strings: 0.3 sends numbers, 0.4 strings),
optionally of one model, newest first, paged. Token counts follow the request's size, so a test can
tell two requests' events apart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cursorapi.upstream import jwt

if TYPE_CHECKING:
    from .app import FakeCursor

CHAT_PATH = "/aiserver.v1.ChatService/StreamUnifiedChatWithTools"


def _ms(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _user(headers: dict[str, str]) -> str | None:
    value = headers.get("authorization", "")
    try:
        return jwt.parse(value.removeprefix("Bearer ")).user_id
    except jwt.TokenError:
        return None


def event_for(record: Any) -> dict[str, Any]:
    request = record.message.stream_unified_chat_request
    text = sum(len(m.text) for m in request.conversation) + len(request.explicit_context.context)
    errored = any("#fake: error" in m.text for m in request.conversation)
    input_tokens = 100 + text // 4
    output_tokens = 0 if errored else 40 + text % 7
    cents = 0.0 if errored else round((input_tokens * 0.3 + output_tokens * 1.5) / 1000, 4)
    return {
        "timestamp": str(int(record.at * 1000)),  # a string, as the real service sends it
        "model": request.model_details.model_name,
        "kind": "USAGE_EVENT_KIND_ERRORED_NOT_CHARGED" if errored else "USAGE_EVENT_KIND_INCLUDED_IN_PRO",
        "maxMode": request.model_details.max_mode,
        "requestsCosts": 0.0 if errored else 1.0,
        "isTokenBasedCall": True,
        "tokenUsage": {
            "inputTokens": input_tokens,
            "outputTokens": output_tokens,
            "cacheWriteTokens": 0,
            "cacheReadTokens": 16 if text > 200 else 0,
            "totalCents": cents,
        },
        "owningUser": "",
        "owningTeam": "",
    }


def filtered(fake: FakeCursor, token: jwt.CursorToken, body: dict[str, Any]) -> dict[str, Any]:
    start = _ms(body.get("startDate"), 0)
    end = _ms(body.get("endDate"), 2**62)
    model = body.get("modelId") or None
    page = max(1, _ms(body.get("page"), 1))
    size = max(1, min(_ms(body.get("pageSize"), 10), 500))
    with fake._lock:
        chats = [r for r in fake.received if r.path == CHAT_PATH and r.message is not None]
    events = [
        event_for(r) for r in chats if start <= int(r.at * 1000) <= end and _user(r.headers) == token.user_id
    ]
    if model is not None:
        events = [e for e in events if e["model"] == model]
    events.reverse()  # newest first, as the dashboard lists them
    return {
        "totalUsageEventsCount": len(events),
        "usageEventsDisplay": events[(page - 1) * size : page * size],
    }
