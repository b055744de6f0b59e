from django.apps import AppConfig


class ProxiesConfig(AppConfig):
    name = "proxies"
    default_auto_field = "django.db.models.BigAutoField"
