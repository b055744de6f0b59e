"""The fake's Cursor Admin API (AI code tracking analytics): not served yet."""

from __future__ import annotations

from .server import Request, Responder


class AdminApi:
    def reset(self) -> None:
        pass

    async def handle(self, request: Request, responder: Responder) -> None:
        await responder.respond(404, [("content-type", "application/json")], b'{"error":"Not Found"}')
