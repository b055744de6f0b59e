from django.urls import path

from . import api

urlpatterns = [
    path("logs", api.logs_page, name="logs"),
    path("logs/get", api.logs_get, name="logs-get"),
    path("logs/tokens/get", api.logs_tokens_get, name="logs-tokens-get"),
]
