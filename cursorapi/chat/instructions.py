"""DEFAULT_INSTRUCTIONS, the system prompt of requests that bring none, with the original's placeholder."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings

from runtime import config as runtime_config

PLACEHOLDER = "{{currentDateTime}}"


def now_text(zone_name: str) -> str:
    """RFC 3339 with milliseconds, `Z` for UTC: the original's rendering of {{currentDateTime}}."""
    try:
        zone = ZoneInfo(zone_name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    text = datetime.now(zone).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def default() -> str:
    text = runtime_config.current()["default_instructions"]
    if PLACEHOLDER in text:
        text = text.replace(PLACEHOLDER, now_text(settings.GENERAL_TIMEZONE))
    return text
