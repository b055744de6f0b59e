from __future__ import annotations

from django.apps import AppConfig
from django.core import signals
from django.db import close_old_connections


class CursorapiConfig(AppConfig):
    name = "cursorapi"

    def ready(self) -> None:
        # Django closes stale connections of the request's thread at its start and end. Our async
        # views do their database work in pool threads that manage their own connections
        # (cursorapi.dbwork), so here that would only cost two thread hops per request; the admin,
        # which does run in the request's thread, gets the same cleanup from its own middleware.
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        from . import original_env

        original_env.warn_once()  # an old .env's variables we ignore, and an old client version
