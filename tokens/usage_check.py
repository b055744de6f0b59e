"""The original's usage check (USAGE_CHECK / model_usage_checks): a token's profile fetched after use.

Not a gate: after a request with a matching model has finished, the token's profile (usage, plan) is
refreshed in a background thread, so the pool's view of each account follows its spending. One
refresh per token at a time, at most one every MIN_SECONDS.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from runtime import config as runtime_config

log = logging.getLogger(__name__)

# Models the original never checks under `default` (0.3's list; 0.4 dropped `sonic`).
FREE_MODELS = frozenset(
    {"gpt-4o-mini", "cursor-fast", "cursor-small", "deepseek-v3", "deepseek-v3.1", "grok-3-mini", "sonic"}
)
MIN_SECONDS = 30.0

_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="usage-check")
_lock = threading.Lock()
_last: dict[int, float] = {}


def applies(rule: str, model: str) -> bool:
    rule = (rule or "").strip().lower()
    if rule in ("", "none", "disabled"):
        return False
    if rule in ("all", "everything"):
        return True
    if rule == "default":
        return model not in FREE_MODELS
    listed = {m.strip() for m in rule.split(",") if m.strip()}
    return model in listed if listed else model not in FREE_MODELS


def after_request(model: str, token_id: int | None, succeeded: bool) -> None:
    """Called when a request's outcome is queued: cheap; the refresh itself runs elsewhere."""
    if token_id is None or not succeeded:
        return
    if not applies(runtime_config.current()["model_usage_checks"], model):
        return
    now = time.monotonic()
    with _lock:
        if now - _last.get(token_id, -MIN_SECONDS) < MIN_SECONDS:
            return
        _last[token_id] = now
    _executor.submit(_refresh, token_id)


def _refresh(token_id: int) -> None:
    from django.db import connection

    from . import maintenance
    from .models import Token

    try:
        token = Token.objects.select_related("proxy").filter(pk=token_id).first()
        if token is not None:
            for outcome in maintenance.refresh_profiles([token]):
                if not outcome.ok:
                    log.info("usage check for %s failed: %s", outcome.alias, outcome.error)
    except Exception:
        log.exception("usage check failed")
    finally:
        # Refreshes are rare and this thread otherwise idles: hold no connection (PostgreSQL would
        # keep a backend for it, and a test database could not be dropped).
        connection.close()
