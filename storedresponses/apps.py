from django.apps import AppConfig


class StoredResponsesConfig(AppConfig):
    """Responses kept for `previous_response_id` and GET/DELETE /v1/responses/{id}."""

    name = "storedresponses"
    verbose_name = "Stored responses"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings

        from cursorapi import periodic

        from .services import evict_expired

        periodic.start_in_server("stored response cleanup", settings.SESSION_CLEANUP_INTERVAL, evict_expired)
