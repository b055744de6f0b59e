"""ASGI entry point, served by Daphne: `daphne cursorapi.asgi:application` (or `manage.py serve`)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cursorapi.settings")

# Django must be set up before anything imports models, so this comes first.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402

# HTTP goes to Django's own handler: async views stream SSE with StreamingHttpResponse and get
# disconnect handling for free. Websocket routes would be added here.
application = ProtocolTypeRouter({"http": django_asgi_app})
