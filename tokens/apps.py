from django.apps import AppConfig


class TokensConfig(AppConfig):
    name = "tokens"
    verbose_name = "Pool: tokens and API keys"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings

        from cursorapi import periodic

        from .periodic import run_once

        periodic.start_in_server("profile refresh", settings.PROFILE_REFRESH_INTERVAL, run_once)
