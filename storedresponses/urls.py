from django.conf import settings
from django.urls import path

from cursorapi.api import responses as create_views

from . import views

_prefix = settings.ROUTE_PREFIX.strip("/")
_base = f"{_prefix}/v1/" if _prefix else "v1/"

urlpatterns = [
    path(f"{_base}responses", create_views.create, name="responses"),
    path(f"{_base}responses/compact", create_views.compact, name="responses-compact"),
    path(f"{_base}responses/<str:response_id>", views.response, name="response"),
    path(f"{_base}responses/<str:response_id>/input_items", views.input_items, name="response-input-items"),
]
