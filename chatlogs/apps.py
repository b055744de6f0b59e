from django.apps import AppConfig


class ChatlogsConfig(AppConfig):
    name = "chatlogs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings

        from cursorapi import periodic

        from .retention import cleanup

        periodic.start_in_server("log retention", settings.LOG_CLEANUP_INTERVAL, cleanup)

        from .billing import run_once

        interval = settings.REAL_USAGE_INTERVAL if settings.REAL_USAGE else 0
        periodic.start_in_server("billed usage", interval, run_once)
