"""A one-line progress bar on stderr for long imports."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO


def bar(stream: TextIO, enabled: bool) -> Callable[[int], Callable[[], None]]:
    """`bar(stream, on)(total)` gives a callback to call once per row; it redraws at each percent."""

    def start(total: int) -> Callable[[], None]:
        done = 0
        shown = -1

        def tick() -> None:
            nonlocal done, shown
            done += 1
            percent = done * 100 // total if total else 100
            if not enabled or percent == shown:
                return
            shown = percent
            filled = percent * 30 // 100
            stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total}")
            if done == total:
                stream.write("\n")
            stream.flush()

        return tick

    return start
