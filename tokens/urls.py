from django.urls import path
from django.views.decorators.http import require_GET

from . import api, gen, keys_api, rest_api

urlpatterns = [
    path("tokens/get", api.tokens_get),
    path("tokens/set", api.tokens_set),
    path("tokens/add", api.tokens_add),
    path("tokens/del", api.tokens_del),
    path("tokens/status/set", api.tokens_status_set),
    path("tokens/alias/set", api.tokens_alias_set),
    path("tokens/proxy/set", api.tokens_proxy_set),
    path("tokens/timezone/set", api.tokens_timezone_set),
    path("tokens/merge", api.tokens_merge),
    path("tokens/profile/update", api.tokens_profile_update),
    path("tokens/config-version/update", api.tokens_config_version_update),
    path("tokens/refresh", api.tokens_refresh),
    path("tokens/rest/end", rest_api.tokens_rest_end),
    path("build-key", keys_api.build_key),
    path("config-version/get", keys_api.config_version_get),
    path("token-profile/get", keys_api.token_profile_get),
    path("gen-uuid", require_GET(gen.gen_uuid)),
    path("gen-hash", require_GET(gen.gen_hash)),
    path("gen-checksum", require_GET(gen.gen_checksum)),
    path("get-checksum-header", require_GET(gen.get_checksum_header)),
]
