"""Running the upstream calls of management work (profiles, config versions, refreshes) from sync code.

They run on one event loop of their own, in a daemon thread, whoever asks: a DRF view's worker
thread, an admin action, a management command or the background refresh. One long-lived loop keeps
the Cursor client's connection pools (which belong to a loop) valid between calls, and never puts
this slow, batchy traffic on the loop that serves chat.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None


def _running_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="tokens-remote", daemon=True).start()
            _loop = loop
        return _loop


def run(coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
    """Wait for `coro` on the management loop and return its result (or raise its exception)."""
    return asyncio.run_coroutine_threadsafe(coro, _running_loop()).result(timeout)
