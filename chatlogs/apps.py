from django.apps import AppConfig


class ChatlogsConfig(AppConfig):
    name = "chatlogs"
    verbose_name = "Request logs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings

        from cursorapi import periodic

        from .retention import cleanup
        from .rollups import refresh

        periodic.start_in_server("log retention", settings.LOG_CLEANUP_INTERVAL, cleanup)
        periodic.start_in_server("log roll-ups", settings.LOG_ROLLUP_INTERVAL, refresh)

        from .billing import run_once

        interval = settings.REAL_USAGE_INTERVAL if settings.REAL_USAGE else 0
        periodic.start_in_server("billed usage", interval, run_once)
