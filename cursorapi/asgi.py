"""ASGI entry point, served by Daphne: `daphne cursorapi.asgi:application` (or `manage.py serve`)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cursorapi.settings")

# Django must be set up before anything imports models, so this comes first.
django.setup(set_prefix=False)

from channels.routing import ProtocolTypeRouter  # noqa: E402

from cursorapi import proxy_headers, static_files, twisted_fixes, warmup  # noqa: E402
from cursorapi.asgi_handler import ASGIHandler  # noqa: E402
from runtime import workers  # noqa: E402

# HTTP goes to Django's own handler: async views stream SSE with StreamingHttpResponse and get
# disconnect handling for free. Websocket routes would be added here.
twisted_fixes.install()
# X-Forwarded-* count only from TRUSTED_PROXIES (Daphne runs without --proxy-headers).
application = ProtocolTypeRouter({"http": proxy_headers.wrap(static_files.wrap(ASGIHandler()))})
workers.start()  # this process's heartbeat, and the clean-up after dead workers
warmup.prepare()  # last: it freezes what start-up made, the application included
