"""Start-up work for a serving process, done once before the first request."""

from __future__ import annotations

import gc


def prepare() -> None:
    """Import everything a request needs, then take the start-up objects out of the collector's sight.

    A full collection walks every tracked object; after start-up most of them are modules, classes
    and functions that live as long as the process. Under 50 concurrent streams a full collection
    over them took ~80 ms, stalling every stream at once. Frozen, they are never walked again, and
    the full collections that remain only cover what requests create (bench/RESULTS.md).
    """
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every view module and what it imports
    gc.collect()
    gc.freeze()
