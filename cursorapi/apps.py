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
        from django.core import checks
        from django.db.backends.signals import connection_created

        from . import secret_files

        def private_sqlite(sender: object, connection: object, **kwargs: object) -> None:
            # SQLite creates the file with the process's umask (often world-readable): the
            # database holds the pool's (encrypted) tokens and the keys' hashes.
            if getattr(connection, "vendor", "") == "sqlite":
                secret_files.make_private(connection.settings_dict["NAME"])  # type: ignore[attr-defined]

        connection_created.connect(private_sqlite, weak=False, dispatch_uid="cursorapi-private-sqlite")
        checks.register(key_beside_database_check, checks.Tags.security)
        from . import original_env

        original_env.warn_once()  # an old .env's variables we ignore, and an old client version


def key_beside_database_warning() -> str | None:
    from django.conf import settings

    from . import secret_files

    database = settings.DATABASES["default"]
    return secret_files.key_beside_database(
        settings.TOKEN_KEY_STORED_AT, database["ENGINE"], str(database.get("NAME") or "")
    )


def key_beside_database_check(app_configs: object, **kwargs: object) -> list[object]:
    from django.core import checks

    problem = key_beside_database_warning()
    return [checks.Warning(problem, id="cursorapi.W001")] if problem else []
