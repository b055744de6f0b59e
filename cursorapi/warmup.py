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
    from django.core import signals
    from django.db import reset_queries
    from django.urls import get_resolver

    # Django's handler sends request_started to its receivers, and a synchronous one costs every
    # request a trip to the one thread-sensitive thread: 50 requests arriving at once queued there
    # (view reached after 2.3 ms at the median, 0.4 ms without). This receiver empties the query
    # log that DEBUG keeps per thread; our views query from their own threads, and the log is bounded.
    signals.request_started.disconnect(reset_queries)
    get_resolver().url_patterns  # noqa: B018 - imports every view module and what it imports
    gc.collect()
    gc.freeze()
