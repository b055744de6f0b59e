"""The effective runtime configuration: environment defaults overlaid by the Config record.

Workers keep a snapshot in memory and reload it when it is older than REFRESH_SECONDS, so a change
made through one worker reaches every worker within a few seconds, with no query per request.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed

REFRESH_SECONDS = 2.0
VISION = {
    "none": "none",
    "disabled": "none",
    "base64": "base64",
    "base64-only": "base64",
    "all": "all",
    "base64-http": "all",
}


class InvalidConfig(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def _bool(field: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidConfig(field, "must be true or false")
    return value


def _string(field: str, value: Any, max_length: int = 100_000) -> str:
    if not isinstance(value, str) or len(value) > max_length:
        raise InvalidConfig(field, f"must be a string of at most {max_length} characters")
    return value


def _vision(field: str, value: Any) -> str:
    if value not in VISION:
        raise InvalidConfig(field, "must be none, base64 or all")
    return VISION[value]


FETCH_MODES = {"truncate": "truncate", "append:truncate": "append:truncate", "append": "append"}


def _fetch_mode(field: str, value: Any) -> str:
    if value not in FETCH_MODES:
        raise InvalidConfig(field, "must be truncate, append:truncate or append")
    return FETCH_MODES[value]


PLATFORMS = {"": "", "windows": "Windows", "macos": "macOS", "linux": "Linux"}


def _platform(field: str, value: Any) -> str:
    if not isinstance(value, str) or value.lower() not in PLATFORMS:
        raise InvalidConfig(field, "must be Windows, macOS, Linux or empty (the caller's)")
    return PLATFORMS[value.lower()]


def _version(field: str, value: Any) -> str:
    parts = value.split(".") if isinstance(value, str) else []
    if len(parts) != 3 or not all(p.isdigit() and len(p) <= 4 for p in parts):
        raise InvalidConfig(field, "must look like 2.3.21")
    return value


# key -> (the setting that gives its default, validator)
KEYS: dict[str, tuple[str, Any]] = {
    "share_token": ("SHARED_TOKEN", lambda f, v: _string(f, v, 500)),
    "vision_ability": ("VISION_ABILITY", _vision),
    "default_instructions": ("DEFAULT_INSTRUCTIONS", _string),
    "thinking_tag": ("THINKING_TAG", lambda f, v: _string(f, v, 13)),
    "cursor_client_version": ("CURSOR_CLIENT_VERSION", _version),
    "slow_pool_enabled": ("ENABLE_SLOW_POOL", _bool),
    "long_context_enabled": ("ENABLE_LONG_CONTEXT", _bool),
    "web_references_included": ("INCLUDE_WEB_REFERENCES", _bool),
    "raw_model_fetch_mode": ("FETCH_RAW_MODELS", _fetch_mode),
    "model_usage_checks": ("USAGE_CHECK", lambda f, v: _string(f, v, 10_000)),
    "dynamic_key_secret": ("DYNAMIC_KEY_SECRET", lambda f, v: _string(f, v, 1000)),
    "emulated_platform": ("EMULATED_PLATFORM", _platform),
}


def validate(values: Any) -> dict[str, Any]:
    if not isinstance(values, dict):
        raise InvalidConfig("config", "must be a JSON object")
    out = {}
    for key, value in values.items():
        if key not in KEYS:
            raise InvalidConfig(key, f"is not a runtime setting (known: {', '.join(KEYS)})")
        out[key] = KEYS[key][1](key, value)
    return out


def defaults() -> dict[str, Any]:
    out = {}
    for key, (setting, _check) in KEYS.items():
        value = getattr(settings, setting)
        if key == "vision_ability":
            value = VISION.get(value, "base64")
        elif key == "emulated_platform":
            value = PLATFORMS.get(str(value).lower(), "")
        elif key == "raw_model_fetch_mode":
            value = FETCH_MODES.get(value, "truncate")  # the original falls back to truncate too
        out[key] = value
    return out


def effective(overrides: dict[str, Any]) -> dict[str, Any]:
    return {**defaults(), **{k: v for k, v in overrides.items() if k in KEYS}}


def config_hash(values: dict[str, Any]) -> str:
    """Opaque to clients: a hash of the effective values, in a fixed order."""
    canonical = json.dumps([[k, values[k]] for k in KEYS], separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Snapshot:
    values: dict[str, Any]
    version: int
    loaded_at: float

    @property
    def hash(self) -> str:
        return config_hash(self.values)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]


_snapshot: Snapshot | None = None


def load() -> Snapshot:
    """Read the record (a sync call: from async code go through cursorapi.dbwork.db)."""
    global _snapshot
    from django.db import DatabaseError

    from .models import Config

    try:
        record = Config.objects.filter(pk=1).values_list("values", "version").first()
    except DatabaseError:
        # The database is unreachable: keep serving with what we had, and try again later.
        previous = current()
        _snapshot = Snapshot(previous.values, previous.version, time.monotonic())
        return _snapshot
    overrides, version = record if record is not None else ({}, 0)
    _snapshot = Snapshot(effective(overrides), version, time.monotonic())
    return _snapshot


def stale() -> bool:
    return _snapshot is None or time.monotonic() - _snapshot.loaded_at > REFRESH_SECONDS


def current() -> Snapshot:
    """The last loaded snapshot; environment defaults until the first load."""
    return _snapshot or Snapshot(effective({}), -1, 0.0)


def forget() -> None:
    global _snapshot
    _snapshot = None


def _on_setting_changed(setting: str, **_: Any) -> None:
    # Tests (and override_settings) change the environment's defaults: start from them again.
    if setting in {s for s, _check in KEYS.values()}:
        forget()


setting_changed.connect(_on_setting_changed, dispatch_uid="runtime-config-setting-changed")
