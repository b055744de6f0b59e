from django.urls import path

from . import api

urlpatterns = [
    path("config/get", api.config_get, name="config-get"),
    path("config/set", api.config_set, name="config-set"),
    path("config/reload", api.config_reload, name="config-reload"),
]
