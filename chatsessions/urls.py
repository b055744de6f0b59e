from django.conf import settings
from django.urls import path

from . import views

_prefix = settings.ROUTE_PREFIX.strip("/")
_base = f"{_prefix}/v1/" if _prefix else "v1/"

urlpatterns = [
    path(f"{_base}sessions", views.sessions, name="sessions"),
    path(f"{_base}sessions/<str:session_id>", views.session, name="session"),
]
