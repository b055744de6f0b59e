from django.apps import AppConfig


class ChatsessionsConfig(AppConfig):
    # Not "sessions": that label belongs to django.contrib.sessions.
    name = "chatsessions"
    verbose_name = "Chat sessions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings

        from cursorapi import periodic

        from .services import evict_expired

        periodic.start_in_server("session cleanup", settings.SESSION_CLEANUP_INTERVAL, evict_expired)
