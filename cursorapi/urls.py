from django.contrib import admin
from django.urls import include, path

from . import metrics, views

urlpatterns = [
    path("", views.index),
    path("health", views.health, name="health"),
    path("metrics", metrics.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("", include("cursorapi.api.urls")),
    path("", include("chatsessions.urls")),
    path("", include("storedresponses.urls")),
    path("", include("tokens.urls")),
    path("", include("proxies.urls")),
    path("", include("chatlogs.urls")),
    path("", include("cpp.urls")),
    path("", include("analytics.urls")),
    path("", include("runtime.urls")),
]
