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
        private_host=settings.PRI_REVERSE_PROXY_HOST,
        public_host=settings.PUB_REVERSE_PROXY_HOST,
        tcp_keepalive=_keepalive(),
        idle_expiry=60.0 if settings.HTTP2_KEEP_ALIVE_WHILE_IDLE else settings.HTTP2_KEEP_ALIVE_INTERVAL,
        limits=PoolLimits(
            max_calls=settings.UPSTREAM_MAX_CALLS,
            max_connections=settings.UPSTREAM_MAX_CONNECTIONS,
            short_reserve=settings.UPSTREAM_SHORT_CALL_RESERVE,
            slot_wait=settings.UPSTREAM_SLOT_WAIT,
        ),
    )


def _keepalive() -> tuple[int, int, int] | None:
    """TCP_KEEPALIVE* as the original; its HTTP/2 PING timing, which httpx cannot send, as TCP probes.

    A dead idle connection is then noticed after about HTTP2_KEEP_ALIVE_INTERVAL + TIMEOUT seconds.
    """
    idle = min(settings.TCP_KEEPALIVE, settings.HTTP2_KEEP_ALIVE_INTERVAL or settings.TCP_KEEPALIVE)
    if idle <= 0:
        return None
    retries = max(1, settings.TCP_KEEPALIVE_RETRIES)
    interval = settings.TCP_KEEPALIVE_INTERVAL
    if settings.HTTP2_KEEP_ALIVE_TIMEOUT > 0:
        interval = min(interval, max(1, settings.HTTP2_KEEP_ALIVE_TIMEOUT // retries))
    return (min(idle, 600), max(1, min(interval, 600)), min(retries, 20))


def get() -> CursorClient:
    global _client
    config = _config()
    if _client is None or _client.config != config:
        _client = CursorClient(config)
    return _client


def reset() -> None:
    global _client
    _client = None
