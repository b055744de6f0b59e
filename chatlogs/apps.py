from django.apps import AppConfig


class ChatlogsConfig(AppConfig):
    name = "chatlogs"
    default_auto_field = "django.db.models.BigAutoField"
