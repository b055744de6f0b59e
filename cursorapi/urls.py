from django.contrib import admin
from django.urls import include, path

from . import compat_views, metrics, views

# Whatever escapes a view or middleware is answered in JSON (503 while the database is down).
handler500 = "cursorapi.outage.server_error"

urlpatterns = [
    path("", compat_views.root),
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
    path("", include("cursorapi.compat_urls")),
    path("", include("cursorapi.openapi")),
]
