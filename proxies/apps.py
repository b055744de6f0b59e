from django.apps import AppConfig


class ProxiesConfig(AppConfig):
    name = "proxies"
    verbose_name = "Proxies"
    default_auto_field = "django.db.models.BigAutoField"
