"""A client that reads a stream more slowly than we write it is cut off, not buffered without end.

Twisted queues whatever the socket cannot take yet in the connection's write buffer, and Daphne
writes every chunk a view yields: a client that stops reading (or reads a byte a second) would make
the server hold the rest of its reply in memory, however long. After each chunk of a response, the
bytes still waiting for that connection are checked; past `SLOW_CLIENT_BUFFER_BYTES` the connection
is aborted, which our views see as a client that left (the upstream call is cancelled, the record
says `cancelled`). The kernel's own socket buffers come on top, and are bounded by the kernel.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)
_limit = 0


def waiting_bytes(transport: Any) -> int:
    """Bytes written to a Twisted TCP transport and not yet taken by the socket (0 if unknown)."""
    try:
        return len(transport.dataBuffer) - transport.offset + transport._tempDataLen
    except AttributeError:  # not a plain TCP transport (TLS, tests): not measured
        return 0


def install(limit: int) -> None:
    """Check each response body write of Daphne's requests against `limit` bytes (0: off)."""
    from daphne import http_protocol

    global _limit
    _limit = limit
    request_class = http_protocol.WebRequest
    if getattr(request_class, "_slow_client_guard", False) or limit <= 0:
        return
    handle_reply = request_class.handle_reply

    def guarded(self: Any, message: dict[str, Any]) -> None:
        handle_reply(self, message)
        if message.get("type") != "http.response.body" or not message.get("more_body"):
            return
        channel = getattr(self, "channel", None)
        transport = getattr(channel, "transport", None)
        if transport is None:
            return
        waiting = waiting_bytes(transport)
        if waiting > _limit:
            log.warning(
                "client %s reads too slowly (%d bytes waiting, limit %d): connection closed",
                self.client_addr,
                waiting,
                _limit,
            )
            transport.abortConnection()

    request_class.handle_reply = guarded
    request_class._slow_client_guard = True
