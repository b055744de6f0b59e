"""What a chat request's log record says at its end (chatlogs.writer writes it)."""

from __future__ import annotations

from dataclasses import dataclass

from .models import Status


@dataclass(slots=True)
class Outcome:
    status: str
    http_status: int
    error: str = ""
    token_id: int | None = None
    token_alias: str = ""
    attempts: int = 1
    ttft_ms: int | None = None
    total_ms: int | None = None
    chars_out: int = 0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: str = ""
    reply: str = ""
    thinking: str = ""
    delays: list[list[float]] | None = None


__all__ = ["Outcome", "Status"]
