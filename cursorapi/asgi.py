"""ASGI entry point, served by Daphne: `daphne cursorapi.asgi:application` (or `manage.py serve`)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cursorapi.settings")

# Django must be set up before anything imports models, so this comes first.
django.setup(set_prefix=False)

from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from cursorapi import http_limits, proxy_headers, slow_clients, static_files, twisted_fixes, warmup  # noqa: E402
from cursorapi.asgi_handler import ASGIHandler  # noqa: E402
from runtime import workers  # noqa: E402

# HTTP goes to Django's own handler: async views stream SSE with StreamingHttpResponse and get
# disconnect handling for free. Websocket routes would be added here.
twisted_fixes.install()
http_limits.install(
    http_limits.Limits(
        body_bytes=settings.REQUEST_BODY_LIMIT,
        header_bytes=settings.REQUEST_HEADER_LIMIT,
        header_seconds=settings.REQUEST_HEADER_TIMEOUT,
        body_seconds=settings.REQUEST_BODY_TIMEOUT,
        route_prefix=settings.ROUTE_PREFIX,
    )
)
slow_clients.install(settings.SLOW_CLIENT_BUFFER_BYTES)
application = ProtocolTypeRouter({"http": proxy_headers.wrap(static_files.wrap(ASGIHandler()))})
workers.start()  # this process's heartbeat, and the clean-up after dead workers
warmup.prepare()  # last: it freezes what start-up made, the application included
