"""The periodic model-list refresh: Cursor's AvailableModels merged into the stored list.

Every MODEL_REFRESH_INTERVAL seconds (30 minutes, as the original) in a server process's background
thread, or `manage.py refresh_models`. It asks with a pool token, merges by the runtime setting
`raw_model_fetch_mode` (the original's FETCH_RAW_MODELS) and stores the result for every worker.
A failure keeps the stored list.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from google.protobuf.json_format import MessageToDict

from cursorapi import upstream_client
from cursorapi.chat import catalog as catalogs
from cursorapi.upstream import hosts
from cursorapi.upstream.proto import aiserver_pb2 as pb
from tokens import remote, services

from . import config, model_store

log = logging.getLogger(__name__)


class RefreshFailed(Exception):
    pass


def refresh(*, force: bool = True) -> str:
    """Fetch, merge and store; a one-line summary. Without `force`, a list younger than the interval stays."""
    record = model_store.stored()
    interval = timedelta(seconds=max(settings.MODEL_REFRESH_INTERVAL, 60))
    if not force and record and record.refreshed_at and timezone.now() - record.refreshed_at < interval * 0.9:
        return "the stored list is fresh"
    try:
        lease = services.acquire()
    except services.NoTokenAvailable as exc:
        raise RefreshFailed("no usable pool token to ask Cursor with") from exc
    request = pb.AvailableModelsRequest(include_long_context_models=True).SerializeToString()
    try:
        reply = remote.run(upstream_client.get().unary(lease.account, hosts.AVAILABLE_MODELS, request), 60)
        answer = pb.AvailableModelsResponse.FromString(reply.body)
    except Exception as exc:  # any failure keeps the stored list
        raise RefreshFailed(f"Cursor's model list could not be fetched ({type(exc).__name__})") from exc
    fetched = catalogs.from_upstream(answer)
    if not fetched:
        raise RefreshFailed("Cursor sent an empty model list")
    mode = config.load()["raw_model_fetch_mode"]
    current = catalogs.DEFAULT_MODELS
    if record and record.entries:
        current = tuple(catalogs.from_json(m) for m in record.entries)
    merged = catalogs.merge(current, fetched, mode)
    model_store.save(merged, MessageToDict(answer, preserving_proto_field_name=True), mode)
    model_store.sync()
    return f"{len(merged)} models ({len(fetched)} from Cursor, mode {mode})"


def run_once() -> None:
    try:
        log.info("model list: %s", refresh(force=False))
    except RefreshFailed as exc:
        log.warning("model list refresh failed: %s; keeping the stored list", exc)
