from django.apps import AppConfig


class ChatsessionsConfig(AppConfig):
    # Not "sessions": that label belongs to django.contrib.sessions.
    name = "chatsessions"
    default_auto_field = "django.db.models.BigAutoField"
