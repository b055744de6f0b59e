from django.apps import AppConfig


class RuntimeConfig(AppConfig):
    name = "runtime"
    verbose_name = "Runtime configuration"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings

        from cursorapi import periodic

        from .model_refresh import run_once

        # Cursor's model list, merged into the shared one: off the request path, as one job.
        periodic.start_in_server("model list refresh", settings.MODEL_REFRESH_INTERVAL, run_once)
