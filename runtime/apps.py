from django.apps import AppConfig


class RuntimeConfig(AppConfig):
    name = "runtime"
    verbose_name = "Runtime configuration"
    default_auto_field = "django.db.models.BigAutoField"
