"""The two writes of a chat request's life: its log record at the start and at the end."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from cursorapi.dbwork import one_writer

from .models import Chain, ChatLog, Status


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


@one_writer
def start(
    *,
    request_id: str,
    dialect: str,
    model: str,
    stream: bool,
    caller: str,
    api_key_id: int | None = None,
    prompt: str = "",
) -> int:
    log = ChatLog.objects.create(
        created_at=timezone.now(),
        request_id=request_id,
        dialect=dialect,
        model=model,
        stream=stream,
        caller=caller,
        api_key_id=api_key_id,
        prompt=prompt,
    )
    return log.pk


@one_writer
def finish(log_id: int, outcome: Outcome) -> None:
    with transaction.atomic():
        # The record may have been removed by retention meanwhile: then there is nothing to attach to.
        if _finish(log_id, outcome) and outcome.delays:
            Chain.objects.create(log_id=log_id, delays=outcome.delays)


def _finish(log_id: int, outcome: Outcome) -> int:
    return ChatLog.objects.filter(pk=log_id).update(
        status=outcome.status,
        http_status=outcome.http_status,
        error=outcome.error[:500],
        token_id=outcome.token_id,
        token_alias=outcome.token_alias,
        attempts=outcome.attempts,
        ttft_ms=outcome.ttft_ms,
        total_ms=outcome.total_ms,
        chars_out=outcome.chars_out,
        prompt_tokens=outcome.prompt_tokens,
        completion_tokens=outcome.completion_tokens,
        finish_reason=outcome.finish_reason,
        reply=outcome.reply,
        thinking=outcome.thinking,
    )


__all__ = ["Outcome", "Status", "finish", "start"]
