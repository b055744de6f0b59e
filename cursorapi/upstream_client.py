"""The process's Cursor client, configured from settings (rebuilt when the settings change)."""

from __future__ import annotations

from django.conf import settings

from cursorapi.upstream.client import ClientConfig, CursorClient
from cursorapi.upstream.connections import PoolLimits
from runtime import config as runtime_config

_client: CursorClient | None = None


def _config() -> ClientConfig:
    return ClientConfig(
        upstream=settings.CURSOR_UPSTREAM,
        client_version=runtime_config.current()["cursor_client_version"],
        connect_timeout=settings.SERVICE_TIMEOUT,
        read_timeout=settings.UPSTREAM_READ_TIMEOUT,
        max_frame_bytes=settings.UPSTREAM_MAX_FRAME_BYTES,
        limits=PoolLimits(
            max_calls=settings.UPSTREAM_MAX_CALLS,
            max_connections=settings.UPSTREAM_MAX_CONNECTIONS,
            short_reserve=settings.UPSTREAM_SHORT_CALL_RESERVE,
            slot_wait=settings.UPSTREAM_SLOT_WAIT,
        ),
    )


def get() -> CursorClient:
    global _client
    config = _config()
    if _client is None or _client.config != config:
        _client = CursorClient(config)
    return _client


def reset() -> None:
    global _client
    _client = None
