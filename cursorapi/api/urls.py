from django.conf import settings
from django.urls import path

from . import views

# ROUTE_PREFIX (e.g. "/api") prefixes the /v1/ routes, as in the original.
_prefix = settings.ROUTE_PREFIX.strip("/")
_base = f"{_prefix}/v1/" if _prefix else "v1/"

urlpatterns = [
    path(f"{_base}chat/completions", views.chat_completions, name="chat-completions"),
    path(f"{_base}messages", views.messages, name="messages"),
    path(f"{_base}messages/count_tokens", views.count_tokens, name="count-tokens"),
    path(f"{_base}models", views.models, name="models"),
    path(f"{_prefix}/raw/models" if _prefix else "raw/models", views.raw_models, name="raw-models"),
]
