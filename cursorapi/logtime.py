"""Log lines stamped in the original's TZ: Django pins the process to UTC, so the zone is applied here."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def log_zone() -> ZoneInfo:
    from django.conf import settings

    return _zone(getattr(settings, "LOG_TZ", "UTC"))


class TzFormatter(logging.Formatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        try:
            zone = log_zone()
        except Exception:  # settings not ready (very early lines)
            zone = ZoneInfo("UTC")
        stamp = datetime.fromtimestamp(record.created, tz=zone)
        return stamp.strftime(datefmt) if datefmt else stamp.isoformat(timespec="milliseconds")
