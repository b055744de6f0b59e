"""Stored responses: keep, read and delete them per owner; rebuild a conversation from one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from chatsessions.services import owner_of
from cursorapi.auth import Caller
from cursorapi.chat.types import ToolCall, Turn

from .models import StoredResponse


class ResponseNotFound(Exception):
    """No such response for this caller (other callers' responses do not exist for you)."""


@dataclass(frozen=True, slots=True)
class Stored:
    id: str
    body: dict[str, Any]
    input_items: list[dict[str, Any]]
    turns: list[Turn]


def turn_data(turn: Turn) -> dict[str, Any]:
    """A turn as JSON. Images are not kept: a continued conversation carries their text only."""
    out: dict[str, Any] = {"role": turn.role, "text": turn.text}
    if turn.tool_calls:
        out["tool_calls"] = [{"id": c.id, "name": c.name, "arguments": c.arguments} for c in turn.tool_calls]
    if turn.tool_call_id:
        out["tool_call_id"] = turn.tool_call_id
    if turn.tool_is_error:
        out["tool_is_error"] = True
    if turn.thinking or turn.thinking_signature:
        out["thinking"] = turn.thinking
        out["thinking_signature"] = turn.thinking_signature
    return out


def turn_from(data: dict[str, Any]) -> Turn:
    return Turn(
        role=data["role"],
        text=data.get("text", ""),
        tool_calls=[ToolCall(c["id"], c["name"], c["arguments"]) for c in data.get("tool_calls", [])],
        tool_call_id=data.get("tool_call_id", ""),
        tool_is_error=data.get("tool_is_error", False),
        thinking=data.get("thinking", ""),
        thinking_signature=data.get("thinking_signature", ""),
    )


def _expired_before(now: datetime) -> datetime:
    return now - timedelta(seconds=settings.RESPONSES_TTL)


def _live(owner: str) -> Any:
    return StoredResponse.objects.filter(owner=owner, created_at__gte=_expired_before(timezone.now()))


def save(
    caller: Caller,
    body: dict[str, Any],
    input_items: list[dict[str, Any]],
    turns: list[Turn],
) -> None:
    StoredResponse.objects.create(
        id=body["id"],
        owner=owner_of(caller),
        model=str(body.get("model") or ""),
        created_at=timezone.now(),
        body=body,
        input_items=input_items,
        turns=[turn_data(t) for t in turns],
    )


def get_for(caller: Caller, response_id: str) -> Stored:
    row = _live(owner_of(caller)).filter(pk=response_id).first()
    if row is None:
        raise ResponseNotFound(response_id)
    return Stored(row.id, row.body, row.input_items, [turn_from(t) for t in row.turns])


def delete_for(caller: Caller, response_id: str) -> None:
    deleted, _ = _live(owner_of(caller)).filter(pk=response_id).delete()
    if not deleted:
        raise ResponseNotFound(response_id)


def evict_expired() -> int:
    """Delete responses older than RESPONSES_TTL (periodically, never on the request path)."""
    deleted, _ = StoredResponse.objects.filter(created_at__lt=_expired_before(timezone.now())).delete()
    return deleted
