"""Static files (the admin's CSS and JavaScript) served in front of Django under Daphne.

Daphne serves no files itself, and Django's `staticfiles` only serves them under `runserver`, so
without this the admin renders unstyled. ServeStatic indexes the files once at start-up and answers
`/static/...` from memory before Django's middleware runs; every other path costs one dict lookup.
The apps' own static directories are indexed first, so a server started without `collectstatic` still
has its CSS; `STATIC_ROOT`, when it was collected, overrides them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from servestatic import ServeStaticASGI


def _prefix() -> str:
    url = settings.STATIC_URL or "/static/"
    return url if url.startswith("/") else f"/{url}"


def wrap(application: Any) -> ServeStaticASGI:
    prefix = _prefix()
    served = ServeStaticASGI(application, max_age=3600)
    for finder in finders.get_finders():
        for storage in getattr(finder, "storages", {}).values():
            sub = getattr(storage, "prefix", None) or ""
            served.add_files(storage.location, prefix=f"{prefix}{sub}")
    if settings.STATIC_ROOT and Path(settings.STATIC_ROOT).is_dir():
        served.add_files(settings.STATIC_ROOT, prefix=prefix)
    return served
