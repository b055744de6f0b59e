"""Sessions: claiming one for a request (a database lease, so it holds across worker processes),
reading its history, and storing the finished turn."""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from cursorapi.auth import DYNAMIC, Caller
from cursorapi.chat.types import ToolCall, Turn
from runtime import workers

from .models import ChatSession

_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


class SessionBusy(Exception):
    """Another request is using the session right now (409)."""


class SessionNotFound(Exception):
    """No such session for this caller (404: other callers' sessions do not exist for you)."""


class BadSessionId(ValueError):
    pass


def owner_of(caller: Caller) -> str:
    """The identity that owns what a caller stores (sessions, stored responses).

    One owner per secret: each named key, each dynamic key (by its Cursor token, since every key
    built for one account is the same caller, and keys for two accounts are not), `AUTH_TOKEN`
    (with or without a pinned alias) and the shared token.
    """
    if caller.api_key_id is not None:
        return f"key:{caller.api_key_id}"
    if caller.kind == DYNAMIC:
        token = caller.account.token if caller.account is not None else ""
        return "dynamic:" + hashlib.sha256(token.encode()).hexdigest()[:40]
    return caller.kind


def check_id(session_id: str) -> str:
    if not _ID.match(session_id):
        raise BadSessionId("X-Cursor-Session-ID must be 1-128 characters of letters, digits and ._:-")
    return session_id


def _expired_before(now: datetime) -> datetime:
    return now - timedelta(seconds=settings.SESSION_TTL)


def _live(owner: str, now: datetime) -> Any:
    return ChatSession.objects.filter(owner=owner, last_used_at__gte=_expired_before(now))


@dataclass(frozen=True, slots=True)
class Claim:
    session_id: str
    holder: str
    system: str
    turns: list[Turn]
    row: str = ""  # the session's primary key


def _turn(data: dict[str, Any]) -> Turn:
    return Turn(
        role=data["role"],
        text=data.get("text", ""),
        tool_calls=[ToolCall(c["id"], c["name"], c["arguments"]) for c in data.get("tool_calls", [])],
        tool_call_id=data.get("tool_call_id", ""),
    )


def _data(turn: Turn) -> dict[str, Any]:
    out: dict[str, Any] = {"role": turn.role, "text": turn.text}
    if turn.tool_calls:
        out["tool_calls"] = [{"id": c.id, "name": c.name, "arguments": c.arguments} for c in turn.tool_calls]
    if turn.tool_call_id:
        out["tool_call_id"] = turn.tool_call_id
    return out


def claim(session_id: str, caller: Caller, model: str, holder: str) -> Claim:
    """Lease the session for one request, creating it on first use.

    The lease is a conditional UPDATE, so two requests on one session, even in different worker
    processes, cannot both get it; the loser gets SessionBusy.
    """
    owner = owner_of(caller)
    now = timezone.now()
    until = now + timedelta(seconds=settings.SESSION_LEASE_SECONDS)
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    taken = (
        _live(owner, now)
        .filter(free, session_id=session_id)
        .update(lease_until=until, lease_holder=holder, lease_owner=workers.owner(), last_used_at=now)
    )
    if not taken:
        # Only this owner's sessions exist here: another owner's session of the same id is
        # neither visible nor in the way, so ids confirm nothing and reserve nothing.
        session = ChatSession.objects.filter(owner=owner, session_id=session_id).first()
        if session is not None and session.last_used_at >= _expired_before(now):
            raise SessionBusy(session_id)
        try:
            with transaction.atomic():
                if session is not None:
                    session.delete()  # expired: start afresh under the same id
                ChatSession.objects.create(
                    session_id=session_id,
                    owner=owner,
                    model=model,
                    created_at=now,
                    last_used_at=now,
                    lease_until=until,
                    lease_holder=holder,
                    lease_owner=workers.owner(),
                )
        except IntegrityError as exc:
            raise SessionBusy(session_id) from exc  # created by a concurrent request just now
    session = ChatSession.objects.get(owner=owner, session_id=session_id)
    return Claim(session_id, holder, session.system, [_turn(t) for t in session.turns], session.pk)


def turn_bytes(turn: Turn) -> int:
    """A turn's weight in the upstream request: its text, and its tool calls' names and arguments."""
    size = len(turn.text.encode("utf-8", "surrogatepass"))
    for call in turn.tool_calls:
        size += len(call.name.encode()) + len(call.arguments.encode("utf-8", "surrogatepass"))
    return size


def fit_history(history: list[Turn], budget: int) -> tuple[list[Turn], int]:
    """The newest stored turns that fit in `budget` bytes, and how many older ones were dropped.

    A kept history starts at a user turn, so that no tool result or reply is left without what
    it answers.
    """
    kept = len(history)
    used = 0
    for index in range(len(history) - 1, -1, -1):
        used += turn_bytes(history[index])
        if used > budget:
            break
        kept = index
    else:
        kept = 0
    while kept < len(history) and history[kept].role != "user":
        kept += 1
    return history[kept:], kept


def release(claim: Claim, *, system: str | None = None, new_turns: list[Turn] | None = None) -> None:
    """End the request's lease; with `new_turns` the finished exchange joins the history."""
    with transaction.atomic():
        session = ChatSession.objects.select_for_update().filter(pk=claim.row).first()
        if session is None or session.lease_holder != claim.holder:
            return  # evicted or taken over after our lease ran out: nothing of ours to store
        if new_turns is not None:
            turns = session.turns + [_data(t) for t in new_turns]
            limit = settings.SESSION_MAX_TURNS
            session.turns = turns[-limit:] if limit > 0 else []
            if system is not None:
                session.system = system
        session.lease_until = None
        session.lease_holder = ""
        session.lease_owner = ""
        session.last_used_at = timezone.now()
        session.save(
            update_fields=["turns", "system", "lease_until", "lease_holder", "lease_owner", "last_used_at"]
        )


# --- the /v1/sessions API ----------------------------------------------------------------------


def describe(session: ChatSession) -> dict[str, Any]:
    return {
        "id": session.session_id,
        "object": "session",
        "model": session.model,
        "created_at": session.created_at.isoformat(),
        "last_used_at": session.last_used_at.isoformat(),
        "turns": len(session.turns),
    }


def list_for(caller: Caller) -> list[dict[str, Any]]:
    return [describe(s) for s in _live(owner_of(caller), timezone.now())]


def get_for(caller: Caller, session_id: str) -> dict[str, Any]:
    session = _live(owner_of(caller), timezone.now()).filter(session_id=session_id).first()
    if session is None:
        raise SessionNotFound(session_id)
    return describe(session)


def create_for(caller: Caller, model: str) -> dict[str, Any]:
    now = timezone.now()
    session = ChatSession.objects.create(
        session_id=str(uuid.uuid4()), owner=owner_of(caller), model=model, created_at=now, last_used_at=now
    )
    return describe(session)


def delete_for(caller: Caller, session_id: str) -> None:
    deleted, _ = _live(owner_of(caller), timezone.now()).filter(session_id=session_id).delete()
    if not deleted:
        raise SessionNotFound(session_id)


def evict_expired() -> int:
    """Remove sessions unused for SESSION_TTL (run periodically, never on the request path)."""
    deleted, _ = ChatSession.objects.filter(last_used_at__lt=_expired_before(timezone.now())).delete()
    return deleted
