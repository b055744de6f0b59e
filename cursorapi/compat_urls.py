from django.urls import path
from django.views.decorators.http import require_GET

from tokens import gen

from . import compat_views

urlpatterns = [
    path("env-example", compat_views.env_example),
    path("config-example", compat_views.config_example),
    path("readme", compat_views.readme),
    path("license", compat_views.license_text),
    path("generate_204", compat_views.generate_204),
    # R3's name for R4's /get-checksum-header.
    path("get-timestamp-header", require_GET(gen.get_checksum_header)),
]
