"""Cursor's Copilot++ calls for one editor: the affinity token, one retry elsewhere, pool health.

A call that fails because of the account (refused, rate limited) or the connection is tried once
more on another token, which then becomes the editor's token; the editor's next sync may answer
`non_existant`, and re-uploading is what editors do then. Pinned callers (AUTH_TOKEN-alias) get
no stand-in. Nothing is retried once a stream has produced an event.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import httpx

from cursorapi import upstream_client
from cursorapi.auth import Caller
from cursorapi.dbwork import db
from cursorapi.upstream import hosts
from cursorapi.upstream.client import UnaryResponse
from cursorapi.upstream.errors import UpstreamError
from cursorapi.upstream.hosts import Endpoint
from tokens import resting
from tokens import services as pool

from . import convert
from .services import lease_for_client

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 2


@dataclass(frozen=True, slots=True)
class Editor:
    """Who asks: the caller, the editor's x-client-key (lower case) and its file sync cookies."""

    caller: Caller
    client_key: str
    cookie: str = ""


@dataclass(slots=True)
class OpenStream:
    """A StreamCpp call whose first events are in: their SSE bytes, and the messages still to come."""

    first: bytes
    rest: AsyncIterator[list[bytes]]
    lease: pool.Lease
    set_cookies: list[str] = field(default_factory=list)

    async def close(self) -> None:
        # Closing the generator resets its HTTP/2 stream, so Cursor stops generating.
        with contextlib.suppress(RuntimeError):
            await self.rest.aclose()  # type: ignore[attr-defined]


OnLease = Callable[[pool.Lease], None] | None  # told of each account leased (the request log)


async def unary(editor: Editor, endpoint: Endpoint, body: bytes, on_lease: OnLease = None) -> UnaryResponse:
    excluded: list[int] = []
    previous: UpstreamError | None = None
    while True:
        lease = await _lease(editor, excluded, previous)
        if on_lease is not None:
            on_lease(lease)
        try:
            reply = await upstream_client.get().unary(
                lease.account,
                endpoint,
                body,
                cookie=editor.cookie,
                fs_client_key=editor.client_key or lease.account.client_key,
            )
        except UpstreamError as exc:
            if await report(lease, exc) and _may_retry(editor, lease, excluded):
                excluded.append(lease.token.pk)  # type: ignore[union-attr]
                previous = exc
                log.info("cpp %s: retrying on another token after %s", endpoint.path, type(exc).__name__)
                continue
            raise
        await _healthy(lease)
        return reply


async def open_stream(editor: Editor, body: bytes, on_lease: OnLease = None) -> OpenStream:
    """Start StreamCpp and wait for its first event, so an early failure can still be a status."""
    excluded: list[int] = []
    previous: UpstreamError | None = None
    while True:
        lease = await _lease(editor, excluded, previous)
        if on_lease is not None:
            on_lease(lease)
        seen: list[httpx.Headers] = []
        upstream = upstream_client.get().stream(
            lease.account,
            hosts.CPP_STREAM,
            body,
            cookie=editor.cookie,
            fs_client_key=editor.client_key or lease.account.client_key,
            on_headers=seen.append,
        )
        try:
            first = await _first_events(upstream)
        except UpstreamError as exc:
            await upstream.aclose()
            if await report(lease, exc) and _may_retry(editor, lease, excluded):
                excluded.append(lease.token.pk)  # type: ignore[union-attr]
                previous = exc
                log.info("cpp stream: retrying on another token after %s", type(exc).__name__)
                continue
            raise
        except BaseException:  # the editor went away while we waited: stop Cursor too
            await upstream.aclose()
            raise
        await _healthy(lease)
        cookies = seen[0].get_list("set-cookie") if seen else []
        return OpenStream(first, upstream, lease, cookies)


async def _first_events(upstream: AsyncIterator[list[bytes]]) -> bytes:
    """Read until something is worth sending (messages that say nothing do not count), or the end."""
    while True:
        try:
            batch = await anext(upstream)
        except StopAsyncIteration:
            return b""
        chunk = convert.encode_events(batch)
        if chunk:
            return chunk


async def _lease(editor: Editor, excluded: list[int], previous: UpstreamError | None) -> pool.Lease:
    try:
        return await db(lease_for_client)(editor.caller, editor.client_key, exclude=excluded)
    except pool.NoTokenAvailable:
        if previous is not None:
            # No stand-in left: the editor learns what went wrong with the token that failed.
            raise previous from None
        raise


async def report(lease: pool.Lease, exc: UpstreamError, *, after_first_byte: bool = False) -> bool:
    """Tell the pool what `exc` says about the lease's token; True when another token might do better."""
    token = lease.token
    if token is None:
        return False
    kind = await db(resting.report)(token.pk, exc, after_first_byte=after_first_byte)
    return kind is not resting.Kind.REQUEST


def _may_retry(editor: Editor, lease: pool.Lease, excluded: list[int]) -> bool:
    return editor.caller.pinned_alias is None and lease.token is not None and len(excluded) + 1 < MAX_ATTEMPTS


async def _healthy(lease: pool.Lease) -> None:
    token = lease.token
    if resting.needs_reset(token):  # no write, nor a thread hop, when it already was
        await db(pool.report_success)(token)
