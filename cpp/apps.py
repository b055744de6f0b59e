from django.apps import AppConfig


class CppConfig(AppConfig):
    name = "cpp"
    verbose_name = "Copilot++"
    default_auto_field = "django.db.models.BigAutoField"
