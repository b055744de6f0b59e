"""A cheaper Content-Type parse for Twisted's HTTP requests, which Daphne serves us through.

Twisted reads each request's Content-Type with the standard library's email package, and that
package builds a new header class on every such lookup. For every chat request (a POST with a body)
that is a class made and dropped: CPU, and garbage in reference cycles that only the collector's
slow full passes reclaim, pausing the event loop for tens of milliseconds under load (seen with
gc.callbacks during bench/run.py). Daphne never uses the form arguments this parse is for.
"""

from __future__ import annotations

from collections.abc import Callable


def media_type(line: bytes) -> bytes:
    """What Twisted's parse returns: the lowercased type/subtype, or text/plain when malformed."""
    key = line.split(b";", 1)[0].strip().lower()
    return key if key.count(b"/") == 1 else b"text/plain"


def install() -> None:
    from twisted.web import http

    global replaced
    current = getattr(http, "_parseContentType", None)  # private: if it goes away, so does the need
    if current is not None and current is not media_type:
        replaced = current
        http._parseContentType = media_type


replaced: Callable[[bytes], bytes] | None = None  # Twisted's own, kept for comparison
