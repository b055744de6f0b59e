"""`/metrics` lines about this process's connections to Cursor (per process: the worker that answers).

The rest of /metrics comes from the database and is the same from every worker; these are read
from the process's own connection lanes, so each line carries its `pid`.
"""

from __future__ import annotations

import os

from django.conf import settings

from cursorapi.upstream import connections


def lines() -> list[str]:
    pid = os.getpid()
    lanes = connections.snapshot()
    usage = connections.USAGE
    with usage.lock:
        calls, refused = usage.calls, usage.refused
        wait_sum, wait_count, buckets = usage.wait_sum, usage.wait_count, list(usage.wait_buckets)
    out = [
        "# HELP cursorapi_upstream_connections Connections to Cursor open in this process, by host.",
        "# TYPE cursorapi_upstream_connections gauge",
    ]
    by_origin: dict[tuple[str, str], int] = {}
    for lane in lanes:
        key = (lane.route, lane.origin)
        by_origin[key] = by_origin.get(key, 0) + (1 if lane.open else 0)
    for (route, origin), n in sorted(by_origin.items()):
        out.append(f'cursorapi_upstream_connections{{pid="{pid}",route="{route}",origin="{origin}"}} {n}')
    out += [
        "# HELP cursorapi_upstream_connection_streams Calls in flight on each connection to Cursor.",
        "# TYPE cursorapi_upstream_connection_streams gauge",
    ]
    limits = []
    for lane in lanes:
        labels = f'pid="{pid}",route="{lane.route}",origin="{lane.origin}",connection="{lane.lane}"'
        out.append(f"cursorapi_upstream_connection_streams{{{labels}}} {lane.in_flight}")
        if lane.limit is not None:
            limits.append(f"cursorapi_upstream_connection_stream_limit{{{labels}}} {lane.limit}")
    out += [
        "# HELP cursorapi_upstream_connection_stream_limit Streams the server lets each connection carry.",
        "# TYPE cursorapi_upstream_connection_stream_limit gauge",
        *limits,
        "# HELP cursorapi_upstream_calls_in_flight Calls to Cursor in flight in this process.",
        "# TYPE cursorapi_upstream_calls_in_flight gauge",
        f'cursorapi_upstream_calls_in_flight{{pid="{pid}"}} {calls}',
        "# HELP cursorapi_upstream_limit Per-process limits (UPSTREAM_MAX_CALLS, UPSTREAM_MAX_CONNECTIONS).",
        "# TYPE cursorapi_upstream_limit gauge",
        f'cursorapi_upstream_limit{{pid="{pid}",limit="calls"}} {settings.UPSTREAM_MAX_CALLS}',
        f'cursorapi_upstream_limit{{pid="{pid}",limit="connections"}} {settings.UPSTREAM_MAX_CONNECTIONS}',
        "# HELP cursorapi_upstream_refused_total Calls refused (503) because the limits stayed full.",
        "# TYPE cursorapi_upstream_refused_total counter",
        f'cursorapi_upstream_refused_total{{pid="{pid}"}} {refused}',
        "# HELP cursorapi_upstream_slot_wait_seconds Time a call waited for a place before it was sent.",
        "# TYPE cursorapi_upstream_slot_wait_seconds histogram",
    ]
    for bound, n in zip(connections.WAIT_BUCKETS, buckets, strict=True):
        out.append(f'cursorapi_upstream_slot_wait_seconds_bucket{{pid="{pid}",le="{bound}"}} {n}')
    out.append(f'cursorapi_upstream_slot_wait_seconds_bucket{{pid="{pid}",le="+Inf"}} {wait_count}')
    out.append(f'cursorapi_upstream_slot_wait_seconds_sum{{pid="{pid}"}} {wait_sum:.6f}')
    out.append(f'cursorapi_upstream_slot_wait_seconds_count{{pid="{pid}"}} {wait_count}')
    return out
