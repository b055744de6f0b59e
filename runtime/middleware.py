from __future__ import annotations

from collections.abc import Awaitable, Callable

from asgiref.sync import markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase

from cursorapi.dbwork import db

from . import config, model_store


def _reload() -> None:
    config.load()
    model_store.sync()  # the shared model list, when the periodic refresh stored a new one


class FreshConfigMiddleware:
    """Reload the runtime configuration when this worker's copy is more than a few seconds old.

    One thread hop every REFRESH_SECONDS, not per request; code reading `config.current()` then
    sees values no older than that.
    """

    async_capable = True
    sync_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], Awaitable[HttpResponseBase]]) -> None:
        self.get_response = get_response
        markcoroutinefunction(self)

    async def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if config.stale():
            await db(_reload)()
        return await self.get_response(request)
