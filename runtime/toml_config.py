"""R4's config.toml beside our JSON: its keys mapped onto our runtime configuration.

R4 (cursor-api 0.4) keeps its runtime settings in a TOML file and `/config/get|set` speak it. Each of
its keys is a runtime configuration key here (runtime.config.KEYS) under the same name, so a file
can be imported (`manage.py import_config`) or sent to `/config/set` as TOML.
"""

from __future__ import annotations

import tomllib
from typing import Any

from . import config

# R4's keys, in its example file's order.
R4_KEYS = (
    "share_token",
    "slow_pool_enabled",
    "long_context_enabled",
    "vision_ability",
    "model_usage_checks",
    "dynamic_key_secret",
    "web_references_included",
    "raw_model_fetch_mode",
    "emulated_platform",
    "cursor_client_version",
)
TOML_TYPES = ("application/toml", "text/toml", "text/x-toml")


class InvalidToml(ValueError):
    pass


def parse(text: str) -> dict[str, Any]:
    """TOML text -> validated runtime config values; keys R4 had that we lack are an error."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidToml(f"invalid TOML: {exc}") from exc
    try:
        return config.validate(data)
    except config.InvalidConfig as exc:
        raise InvalidToml(str(exc)) from exc


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def dump(values: dict[str, Any], keys: tuple[str, ...] | None = None) -> str:
    """Runtime config values as TOML, R4's keys first (in its order), then ours."""
    order = list(R4_KEYS) + [k for k in config.KEYS if k not in R4_KEYS]
    keys = keys or tuple(k for k in order if k in values)
    return "".join(f"{key} = {_value(values[key])}\n" for key in keys if key in values)


def example() -> str:
    """GET /config-example: every runtime key with its default from the environment."""
    defaults = config.defaults()
    secret = {"share_token", "dynamic_key_secret"}
    shown = {k: ("" if k in secret else v) for k, v in defaults.items()}
    header = (
        "# Runtime configuration (POST /config/set with Content-Type: application/toml,\n"
        "# or `manage.py import_config FILE`). R4's config.toml keys come first.\n"
    )
    return header + dump(shown)


def wants_toml(content_type: str = "", accept: str = "") -> bool:
    return any(t in (content_type or "").lower() or t in (accept or "").lower() for t in TOML_TYPES)
