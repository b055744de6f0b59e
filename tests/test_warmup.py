"""A serving process does its start-up work before the first request."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_asgi_application_imports_every_view_and_freezes_what_start_up_made() -> None:
    script = (
        "import gc, json, sys; import cursorapi.asgi; "
        "from django.core import signals; "
        "print(json.dumps([gc.get_freeze_count(), 'cursorapi.api.views' in sys.modules, "
        "'cpp.views' in sys.modules, len(signals.request_started.receivers)]))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "cursorapi.settings"}
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    frozen, chat_views, cpp_views, started = json.loads(out.stdout.strip().splitlines()[-1])
    # Modules, classes and functions: full collections never walk them again.
    assert frozen > 50_000
    assert chat_views and cpp_views
    # No receiver left to send each request to Django's thread-sensitive thread as it starts.
    assert started == 0
