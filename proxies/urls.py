from django.urls import path

from . import api

urlpatterns = [
    path("proxies/get", api.proxies_get),
    path("proxies/set", api.proxies_set),
    path("proxies/add", api.proxies_add),
    path("proxies/del", api.proxies_del),
    path("proxies/set-general", api.proxies_set_general),
    path("proxies/keys/set", api.proxies_keys_set),
]
