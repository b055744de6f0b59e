"""Limits on what a client may send before Django sees the request: body size, header size, time.

Daphne serves HTTP/1.1 through Twisted's HTTPChannel, which reads a whole request body (spooled to
disk past a size) before the application is called, never gives up on a request that arrives a
byte at a time, and drops the connection without a word when one header line is too long. So
whatever the views check, a client could make the server read 100 MB before its 401, or hold a
connection (and a file descriptor) open forever. This channel answers such requests itself:

- a body larger than REQUEST_BODY_LIMIT: 413, as soon as the Content-Length (or the chunked bytes
  received) says so, before any of it is read;
- headers larger than REQUEST_HEADER_LIMIT in total (or in one line): 431;
- headers not complete REQUEST_HEADER_TIMEOUT seconds after a request's first byte, or a body not
  complete REQUEST_BODY_TIMEOUT seconds after its headers: 408.

Each answer is JSON in the error shape of the route the request names (cursorapi.error_shapes) and
closes the connection. A connection idle between requests is closed quietly, as Twisted does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from twisted.internet.interfaces import IDelayedCall
from twisted.web import http

from cursorapi import error_shapes

_REASONS = {408: b"Request Timeout", 413: b"Content Too Large", 431: b"Request Header Fields Too Large"}


@dataclass(frozen=True, slots=True)
class Limits:
    body_bytes: int
    header_bytes: int
    header_seconds: float
    body_seconds: float
    route_prefix: str = ""


class LimitedChannel(http.HTTPChannel):
    """Twisted's HTTP/1.1 channel with the limits above (set on the class by `install`)."""

    limits = Limits(2_000_000, 32 * 1024, 30.0, 60.0)
    _deadline: IDelayedCall | None = None
    _refused = False
    _body_seen = 0

    def connectionMade(self) -> None:
        self.MAX_LENGTH = self.totalHeadersSize = self.limits.header_bytes
        super().connectionMade()

    def dataReceived(self, data: bytes) -> None:
        if self._refused:
            return  # answered already; the rest of the request is not read
        if self._deadline is None and not self._handlingRequest:
            # The first byte of a request: its headers must be complete in time.
            self._deadline = self.callLater(self.limits.header_seconds, self._too_slow, "headers")
        super().dataReceived(data)

    def lineReceived(self, line: bytes) -> None:
        if self._receivedHeaderSize + len(line) > self.totalHeadersSize:
            self._headers_too_large()
            return
        super().lineReceived(line)

    def lineLengthExceeded(self, line: bytes) -> None:
        self._headers_too_large()

    def allHeadersReceived(self) -> None:
        self._cancel_deadline()
        if self.length is not None and self.length > self.limits.body_bytes:
            self._refuse(413, f"the request body is larger than {self.limits.body_bytes} bytes")
            return
        self._body_seen = 0
        if self.length != 0:  # a body follows (None: chunked); a GET needs no timer
            self._deadline = self.callLater(self.limits.body_seconds, self._too_slow, "body")
        super().allHeadersReceived()

    def rawDataReceived(self, data: bytes) -> None:
        if not self._handlingRequest:
            # A chunked body has no length up front: count what arrives (chunk framing included).
            self._body_seen += len(data)
            if self._body_seen > self.limits.body_bytes + 64 * 1024:
                self._refuse(413, f"the request body is larger than {self.limits.body_bytes} bytes")
                return
        super().rawDataReceived(data)

    def allContentReceived(self) -> None:
        self._cancel_deadline()
        super().allContentReceived()

    def connectionLost(self, reason: Any) -> None:
        self._cancel_deadline()
        super().connectionLost(reason)

    # --- answers ---------------------------------------------------------------------------------

    def _headers_too_large(self) -> None:
        self._refuse(431, f"the request headers are larger than {self.limits.header_bytes} bytes")

    def _too_slow(self, part: str) -> None:
        self._deadline = None
        seconds = self.limits.header_seconds if part == "headers" else self.limits.body_seconds
        self._refuse(408, f"the request {part} did not arrive within {seconds:g} seconds")

    def _refuse(self, status: int, message: str) -> None:
        if self._refused:
            return
        self._refused = True
        self._cancel_deadline()
        path = getattr(self, "_path", b"/") or b"/"
        route = path.split(b"?", 1)[0].decode("latin-1")
        body = error_shapes.encoded(status, message, route, self.limits.route_prefix)
        head = (
            b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
            b"Connection: close\r\n\r\n" % (status, _REASONS[status], len(body))
        )
        self.transport.write(head + body)
        self.setTimeout(None)
        self.loseConnection()

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            if self._deadline.active():
                self._deadline.cancel()
            self._deadline = None


def _limited_protocol(factory: http.HTTPFactory) -> Any:
    """What Twisted's HTTPFactory builds per connection, around our channel instead of its own."""
    return http._GenericHTTPChannelProtocol(LimitedChannel())


def install(limits: Limits) -> None:
    """Serve Daphne's HTTP/1.1 connections through LimitedChannel with these limits."""
    from daphne.http_protocol import HTTPFactory

    LimitedChannel.limits = limits
    HTTPFactory.protocol = _limited_protocol  # type: ignore[assignment]
