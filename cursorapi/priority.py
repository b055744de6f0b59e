"""CPU priority for a server process's background threads (log writer, periodic jobs)."""

from __future__ import annotations

import contextlib
import os
import sys
import threading

BACKGROUND_NICE = 19


def background_thread() -> None:
    """Run the calling thread at the lowest CPU priority (nice 19); Linux sets it per thread.

    On a busy core, a background thread at the default priority takes its turn in the middle of the
    streams being served: with 50 streams on one core, the log writer alone added 30-70 ms to their
    first tokens (bench/RESULTS.md). At nice 19 it still gets a small guaranteed share of the CPU.
    Elsewhere this does nothing: the call would set the priority of the whole process.
    """
    if sys.platform == "linux":
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICE)
