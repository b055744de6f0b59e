"""Runs one chat against Cursor through the pool: lease, call, decode, fail over, record the outcome."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone

from chatlogs import services as chatlogs
from chatlogs import writer as log_writer
from chatsessions import services as sessions
from cursorapi import upstream_client
from cursorapi.auth import Caller
from cursorapi.dbwork import db
from cursorapi.upstream import hosts
from cursorapi.upstream.client import UpstreamBusy, UpstreamTimeout, UpstreamUnavailable
from cursorapi.upstream.errors import CursorError, ProtocolError, UpstreamError
from cursorapi.upstream.headers import Account
from runtime import config as runtime_config
from runtime import workers
from tokens import resting
from tokens import services as pool
from tokens.models import Token

from . import cursor_request, structured
from .stream_decoder import StreamDecoder
from .types import (
    ChatRequest,
    ContentEvent,
    Event,
    Finish,
    TextDelta,
    ThinkingDelta,
    ToolCall,
    ToolCallDelta,
    ToolCallStart,
    Turn,
)

log = logging.getLogger(__name__)

AUTH_ERRORS = resting.ACCOUNT_REFUSED  # the account itself is unusable (logged out, revoked, expired)
MAX_DELAYS = 4096  # chain pairs kept per log record
_closing: set[asyncio.Future[None]] = set()


class ChatFailure(Exception):
    """A chat that could not be served: HTTP status and a dialect-neutral error."""

    def __init__(
        self, status: int, kind: str, message: str, code: str | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind  # OpenAI-style error type, e.g. rate_limit_error
        self.message = message
        self.code = code
        self.retry_after = retry_after  # seconds, for a Retry-After header


def _kind_for(status: int) -> str:
    return {
        400: "invalid_request_error",
        401: "authentication_error",
        402: "billing_error",
        403: "permission_error",
        404: "not_found_error",
        408: "timeout_error",
        409: "invalid_request_error",
        413: "request_too_large",
        422: "invalid_request_error",
        429: "rate_limit_error",
        503: "overloaded_error",
        504: "timeout_error",
    }.get(status, "api_error")


def failure_from(exc: Exception) -> ChatFailure:
    if isinstance(exc, CursorError):
        status = exc.http_status
        if exc.error in AUTH_ERRORS or exc.code == "unauthenticated":
            # The pool's account was refused, not the caller: to the caller that is our failure.
            status = 502
        text = exc.title or exc.message or exc.type
        detail = f": {exc.detail}" if exc.detail and exc.detail != text else ""
        return ChatFailure(status, _kind_for(status), f"Cursor: {text}{detail}", exc.type or exc.code)
    if isinstance(exc, UpstreamBusy):
        return ChatFailure(503, "overloaded_error", str(exc), "upstream_busy", retry_after=exc.retry_after)
    if isinstance(exc, UpstreamTimeout):
        return ChatFailure(504, "timeout_error", str(exc), "upstream_timeout")
    if isinstance(exc, UpstreamUnavailable | ProtocolError):
        return ChatFailure(502, "api_error", f"upstream failed: {exc}", "upstream_error")
    if isinstance(exc, pool.UnknownAlias):
        return ChatFailure(
            404, "not_found_error", f"No pool token is named {exc.args[0]!r}", "alias_not_found"
        )
    if isinstance(exc, pool.PoolResting):
        return ChatFailure(
            429,
            "rate_limit_error",
            f"Every Cursor account is resting after a rate limit; retry in {exc.retry_after} s",
            "tokens_resting",
            exc.retry_after,
        )
    if isinstance(exc, pool.NoTokenAvailable):
        return ChatFailure(503, "overloaded_error", "No Cursor account is available right now", "no_tokens")
    return ChatFailure(500, "api_error", "internal error", "internal_error")


def _let_go(exc: BaseException | None) -> None:
    """Drop the tracebacks of a failure and its causes, once it is recorded.

    They hold this run's frames, which hold the run and the request with it; and the failure is
    itself held by the run, or by a cycle of its own (the future that carried it back from the lease
    thread and re-raised it): so the whole request would wait for a full garbage collection, which
    under load stalls every stream.
    """
    seen = 0
    while exc is not None and seen < 10:
        exc.__traceback__ = None
        exc, seen = exc.__cause__ or exc.__context__, seen + 1


@dataclass
class ChatRun:
    """One request. Iterate `events()`; read the outcome fields afterwards (the view's finally does)."""

    chat: ChatRequest
    caller: Caller
    request_id: str
    dialect: str
    started: float = field(default_factory=time.perf_counter)
    token: Token | None = None
    account: Account | None = None  # the leased account (for the billed-usage lookup)
    account_label: str = ""
    attempts: int = 0
    first_content_at: float | None = None
    chars_out: int = 0
    reply_parts: list[str] = field(default_factory=list)
    thinking_parts: list[str] = field(default_factory=list)
    # (characters, seconds since the previous content frame) per upstream frame with content.
    delays: list[tuple[int, float]] = field(default_factory=list)
    _last_content_at: float | None = None
    finish: Finish | None = None
    failure: ChatFailure | None = None
    cancelled: bool = False
    reply_calls: dict[int, ToolCall] = field(default_factory=dict)
    session: sessions.Claim | None = None
    session_turns: list[Turn] = field(default_factory=list)
    session_system: str | None = None
    session_turns_dropped: int = 0  # stored turns left out to fit SESSION_MAX_HISTORY_BYTES
    _log_entry: log_writer.Entry | None = None
    # The budget slots admission reserved (cursorapi.admission.Admission), given back when the
    # request ends without having reached Cursor.
    admission: Any = None
    reached_upstream: bool = False

    def events(self) -> AsyncIterator[list[Event]]:
        """The reply in batches: the events decoded from one network read of Cursor's stream."""
        if self.chat.response_format is not None:
            return structured.checked_events(self)  # checked, and retried once, as JSON
        return self._events()

    def restart(self) -> None:
        """Forget the reply so far, for structured output's one retry."""
        self.reply_parts.clear()
        self.thinking_parts.clear()
        self.reply_calls.clear()
        self.finish = None
        self.chars_out = 0

    async def _events(self) -> AsyncIterator[list[Event]]:
        excluded: list[int] = []
        previous: UpstreamError | None = None
        while True:
            self.attempts += 1
            try:
                lease = await db(pool.lease_for, lane="lease")(self.caller, exclude=excluded)
            except pool.NoTokenAvailable as exc:
                self.start_log()
                # With no other account to try, the caller learns what went wrong with the first.
                self.attempts -= 1
                self.failure = failure_from(previous or exc)
                if isinstance(exc, pool.PoolResting):
                    self.failure.retry_after = exc.retry_after
                raise self.failure from exc
            self.token = lease.token
            self.account = lease.account  # for the billed-usage lookup at the end (chatlogs.billing)
            self.start_log()
            self.account_label = lease.token.alias if lease.token else "key"
            sent_before = self.first_content_at is not None
            try:
                async for batch in self._attempt(lease):
                    yield batch
                return
            except UpstreamError as exc:
                retry = await self._report(
                    self.token, exc, after_first_byte=sent_before or self.first_content_at is not None
                )
                if (
                    retry
                    and self.token is not None  # an account from a key has no stand-in
                    and not sent_before
                    and self.first_content_at is None
                    and self.attempts < 2
                    and (self.caller.pinned_alias is None)
                ):
                    excluded.append(self.token.pk)
                    previous = exc
                    log.info(
                        "request %s: retrying on another token after %s", self.request_id, type(exc).__name__
                    )
                    continue
                self.failure = failure_from(exc)
                raise self.failure from exc

    async def _attempt(self, lease: pool.Lease) -> AsyncIterator[list[Event]]:
        token = lease.token
        client = upstream_client.get()
        body = cursor_request.build(
            self.chat, client_version=runtime_config.current()["cursor_client_version"]
        )
        decoder = StreamDecoder(web_references=self.chat.options.web_references)
        limit = self.chat.max_tokens
        self.reached_upstream = True
        stream = client.stream(lease.account, hosts.CHAT, body)
        try:
            async for payloads in stream:
                batch: list[Event] = []
                for payload in payloads:
                    events = decoder.feed(payload)
                    if events:
                        before = self.chars_out
                        for event in events:
                            self._count(event)  # type: ignore[arg-type]
                        if self.chars_out != before:
                            self._delay(self.chars_out - before)
                        batch.extend(events)
                if limit is not None and (self.chars_out + 3) // 4 >= limit:
                    # Cursor has no output limit to set; stop reading at the caller's budget.
                    tail, _ = decoder.finish()
                    self.finish = Finish("length", decoder.usage())
                    yield [*batch, *tail, self.finish]
                    await self._healthy(token)
                    return
                if batch:
                    yield batch
        except CursorError as exc:
            if exc.error == 20 and self.first_content_at is not None:  # ERROR_MAX_TOKENS mid-reply
                self.finish = Finish("length", decoder.usage())
                yield [self.finish]
                return
            raise
        finally:
            await stream.aclose()
        tail, finish = decoder.finish()
        self.finish = finish
        yield [*tail, finish]
        await self._healthy(token)

    async def _healthy(self, token: Token | None) -> None:
        if resting.needs_reset(token):  # a healthy token needs no write, nor a thread hop
            await db(pool.report_success)(token)

    def _delay(self, chars: int) -> None:
        now = time.perf_counter()
        since = now - (self._last_content_at or self.started)
        self._last_content_at = now
        if len(self.delays) < MAX_DELAYS:
            self.delays.append((chars, since))
        else:  # a very long reply: the last pair absorbs the rest rather than growing the record
            last_chars, last_since = self.delays[-1]
            self.delays[-1] = (last_chars + chars, last_since + since)

    def _count(self, event: ContentEvent) -> None:
        if self.first_content_at is None:
            self.first_content_at = time.perf_counter()
        if isinstance(event, TextDelta):
            self.chars_out += len(event.text)
            if self.keep_reply:
                self.reply_parts.append(event.text)
        elif isinstance(event, ThinkingDelta):
            self.chars_out += len(event.text)
            if settings.LOG_CONTENT:
                self.thinking_parts.append(event.text)
        elif isinstance(event, ToolCallDelta):
            self.chars_out += len(event.arguments)
            if self.keep_reply:
                self.reply_calls[event.index].arguments += event.arguments
        elif isinstance(event, ToolCallStart) and self.keep_reply:
            self.reply_calls[event.index] = ToolCall(event.id, event.name, "")

    @property
    def keep_reply(self) -> bool:
        return self.session is not None or settings.LOG_CONTENT

    # --- stateful sessions -----------------------------------------------------------------------

    def bind_session(self, claim: sessions.Claim) -> None:
        """Put the stored history before the new turns; the exchange is stored when it succeeds."""
        self.session = claim
        self.session_turns = list(self.chat.turns)
        self.session_system = self.chat.system or None
        if not self.chat.system.strip():
            self.chat.system = claim.system
        # A tiny request must not send an unbounded history: the oldest stored turns go first.
        budget = settings.SESSION_MAX_HISTORY_BYTES - len(self.chat.system.encode("utf-8", "surrogatepass"))
        budget -= sum(sessions.turn_bytes(t) for t in self.chat.turns)
        history, self.session_turns_dropped = sessions.fit_history(claim.turns, budget)
        self.chat.turns = [*history, *self.chat.turns]

    async def _end_session(self) -> None:
        if self.session is None:
            return
        succeeded = self.finish is not None and self.failure is None and not self.cancelled
        try:
            if succeeded:
                reply = Turn(
                    "assistant",
                    "".join(self.reply_parts),
                    tool_calls=[self.reply_calls[i] for i in sorted(self.reply_calls)],
                )
                await asyncio.shield(
                    db(sessions.release)(
                        self.session, system=self.session_system, new_turns=[*self.session_turns, reply]
                    )
                )
            else:
                await asyncio.shield(db(sessions.release)(self.session))
        except Exception:
            log.exception("request %s: could not release its session", self.request_id)

    def metadata(self) -> dict[str, Any]:
        """cursorpipe's `cursor_metadata` extension, which standard clients ignore."""
        meta: dict[str, Any] = {
            "duration_ms": int((time.perf_counter() - self.started) * 1000),
            "request_id": self.request_id,
        }
        if self.session is not None:
            meta["session_id"] = self.session.session_id
            if self.session_turns_dropped:
                meta["session_turns_dropped"] = self.session_turns_dropped
        if self.caller.is_admin:
            meta["token"] = self.account_label
        return meta

    async def _report(self, token: Token | None, exc: UpstreamError, *, after_first_byte: bool) -> bool:
        """Tell the pool what happened to `token`; True when another token might do better."""
        if token is None:
            return False
        kind = await db(resting.report)(token.pk, exc, after_first_byte=after_first_byte)
        return kind is not resting.Kind.REQUEST

    # --- the log record ------------------------------------------------------------------------

    def start_log(self) -> None:
        """Queue the insert of the log record: the log writer's thread does it, off the request's path.

        It is queued once the token is leased, so that the request's own work comes first.
        """
        if self._log_entry is not None:
            return
        prompt = ""
        if settings.LOG_CONTENT:
            prompt = "\n\n".join(f"[{t.role}] {t.text}" for t in self.chat.turns)
        self._log_entry = log_writer.begin(
            created_at=timezone.now(),
            request_id=self.request_id,
            dialect=self.dialect,
            model=self.chat.model.server_id,
            stream=self.chat.stream,
            caller=self.caller.kind,
            api_key_id=self.caller.api_key_id,
            prompt=prompt,
            owner=workers.owner(),
        )

    async def close_log(self) -> None:
        """End the session and queue the outcome, even if the request's task is cancelled meanwhile.

        The server cancels a response's task when the client goes away, which can happen while this
        waits for the session's write; the rest then runs in a task of its own.
        """
        ended = time.perf_counter()
        closing = asyncio.ensure_future(self._close_log(ended))
        _closing.add(closing)  # the loop keeps only weak references to tasks
        closing.add_done_callback(_closing.discard)
        await asyncio.shield(closing)

    async def release_unused_admission(self) -> None:
        """Give back the budget slots of a request that never reached Cursor."""
        if self.admission is not None and not self.reached_upstream:
            admission, self.admission = self.admission, None
            try:
                await asyncio.shield(db(admission.release)())
            except Exception:
                log.exception("request %s: could not give back its budget slot", self.request_id)

    async def _close_log(self, now: float) -> None:
        await self.release_unused_admission()
        await self._end_session()
        self.start_log()  # a request cancelled before its lease still gets its record
        assert self._log_entry is not None
        usage = self.finish.usage if self.finish else None
        if self.cancelled:
            status, http_status, error = chatlogs.Status.CANCELLED, 499, "client disconnected"
        elif self.failure is not None:
            status, http_status, error = chatlogs.Status.FAILURE, self.failure.status, self.failure.message
        elif self.finish is None:
            status, http_status, error = chatlogs.Status.FAILURE, 500, "stream ended without a finish"
        else:
            status, http_status, error = chatlogs.Status.SUCCESS, 200, ""
        outcome = chatlogs.Outcome(
            status=status,
            http_status=http_status,
            error=error,
            token_id=self.token.pk if self.token else None,
            token_alias=self.account_label,
            attempts=self.attempts,
            ttft_ms=None
            if self.first_content_at is None
            else int((self.first_content_at - self.started) * 1000),
            total_ms=int((now - self.started) * 1000),
            chars_out=self.chars_out,
            prompt_tokens=usage.prompt_tokens if usage else None,
            completion_tokens=usage.completion_tokens if usage else None,
            finish_reason=self.finish.reason if self.finish else "",
            reply="".join(self.reply_parts) if settings.LOG_CONTENT else "",
            thinking="".join(self.thinking_parts),
            delays=[[chars, round(since * 1000, 1)] for chars, since in self.delays] or None,
        )
        # Not awaited: the response ends now, the record follows as soon as the writer gets to it.
        log_writer.end(self._log_entry, outcome)
        if self.failure is not None:
            _let_go(self.failure)
