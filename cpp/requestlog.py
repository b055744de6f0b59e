"""A Copilot++ or file sync call's record in the request log (dialect `cpp`, model = the route),
and the budget slot it holds: queued writes at the start and the end, nothing per event."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from chatlogs import services as chatlogs
from chatlogs import writer as log_writer
from cursorapi import admission
from cursorapi.auth import Caller
from cursorapi.dbwork import db
from tokens import services as pool

log = logging.getLogger(__name__)

DIALECT = "cpp"
# What a named key's model list must name (or be empty) for the key to use Copilot++ and file sync.
MODEL = "cpp"


async def admit(caller: Caller) -> admission.Admission | admission.Refusal | None:
    """A named key's model list and budgets, as for chats; None when there is nothing to hold."""
    if not admission.needs_checking(caller):
        return None
    return await db(admission.admit)(caller, MODEL)


@dataclass
class CallRecord:
    caller: Caller
    route: str
    request_id: str
    stream: bool
    held: admission.Admission | None = None
    started: float = field(default_factory=time.perf_counter)
    attempts: int = 0
    token_id: int | None = None
    token_alias: str = ""
    first_event_at: float | None = None
    _entry: Any = None
    _done: bool = False

    def __post_init__(self) -> None:
        self._entry = log_writer.begin(
            created_at=timezone.now(),
            request_id=self.request_id,
            dialect=DIALECT,
            model=self.route,
            stream=self.stream,
            caller=self.caller.kind,
            api_key_id=self.caller.api_key_id,
            prompt="",
        )

    def leased(self, lease: pool.Lease) -> None:
        """An account was leased: the call goes to Cursor now, so its budget slot is spent."""
        self.attempts += 1
        if lease.token is not None:
            self.token_id, self.token_alias = lease.token.pk, lease.token.alias
        else:
            self.token_alias = "key"

    async def finish(self, http_status: int, error: str = "", *, cancelled: bool = False) -> None:
        if self._done:
            return
        self._done = True
        if self.held is not None and self.attempts == 0:
            try:
                await asyncio.shield(db(self.held.release)())
            except Exception:
                log.exception("cpp %s: could not give back its budget slot", self.request_id)
        if cancelled:
            status = chatlogs.Status.CANCELLED
        elif http_status == 200 and not error:
            status = chatlogs.Status.SUCCESS
        else:
            status = chatlogs.Status.FAILURE
        now = time.perf_counter()
        log_writer.end(
            self._entry,
            chatlogs.Outcome(
                status=status,
                http_status=499 if cancelled else http_status,
                error="client disconnected" if cancelled else error,
                token_id=self.token_id,
                token_alias=self.token_alias,
                attempts=max(self.attempts, 1),
                ttft_ms=None
                if self.first_event_at is None
                else int((self.first_event_at - self.started) * 1000),
                total_ms=int((now - self.started) * 1000),
            ),
        )
