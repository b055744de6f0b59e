from django.urls import path
from django.views.decorators.http import require_GET

from . import api

urlpatterns = [
    path("tokens/get", api.tokens_get),
    path("tokens/add", api.tokens_add),
    path("tokens/del", api.tokens_del),
    path("tokens/status/set", api.tokens_status_set),
    path("tokens/alias/set", api.tokens_alias_set),
    path("tokens/proxy/set", api.tokens_proxy_set),
    path("tokens/timezone/set", api.tokens_timezone_set),
    path("gen-uuid", require_GET(api.gen_uuid)),
    path("gen-hash", require_GET(api.gen_hash)),
    path("gen-checksum", require_GET(api.gen_checksum)),
    path("get-checksum-header", require_GET(api.get_checksum_header)),
]
