from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.index),
    path("health", views.health, name="health"),
    path("admin/", admin.site.urls),
    path("", include("cursorapi.api.urls")),
    path("", include("analytics.urls")),
]
