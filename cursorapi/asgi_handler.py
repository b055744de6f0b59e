"""Django's ASGI handler, without a new thread for every request."""

from __future__ import annotations

from typing import Any

from django.core.handlers.asgi import ASGIHandler as DjangoASGIHandler


class ASGIHandler(DjangoASGIHandler):
    """Django wraps each request in a ThreadSensitiveContext, which starts (and later joins) a thread
    for the request's first thread-sensitive call, and every request makes one (closing the
    response). Our views send their database work to the shared pool themselves, so the few
    thread-sensitive calls left (signal receivers, response.close, the admin's sync middleware)
    can share one long-lived thread instead. Measured with bench/run.py: see bench/RESULTS.md.
    """

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        await self.handle(scope, receive, send)

    async def listen_for_disconnect(self, receive: Any) -> None:
        """Return when the client goes away (Django's version raises, which costs every request a cycle).

        Django's handler runs this beside the view and cancels the view when it ends first, which is
        what we rely on to stop the upstream call; whether it ends by returning or by raising makes no
        difference to that. Daphne sends the disconnect once every response ends, so for each request
        Django caught the raised error in a frame that also held the task holding the error: a
        reference cycle per request, left for the full garbage collections (bench/RESULTS.md).
        """
        message = await receive()
        if message["type"] != "http.disconnect":
            raise AssertionError(f"Invalid ASGI message after request body: {message['type']}")
