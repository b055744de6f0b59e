from django.apps import AppConfig


class CppConfig(AppConfig):
    name = "cpp"
    default_auto_field = "django.db.models.BigAutoField"
