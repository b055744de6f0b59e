"""A pool token in the original's JSON (`/tokens/get`, `/tokens/set`, exports), both ways.

Out: R4's flattened TokenInfo. In: R4's flattened shape and R3's `{"bundle": {...}, "status":
"enabled"|"disabled", "stripe", "sessions"}`, so an export from either version imports here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

from cursorapi.upstream import checksum
from proxies.models import Proxy

from . import services
from .models import Health, Token
from .profile import Profile

U64_MAX = 2**64 - 1  # R4's "backoff forever": how it marks an account it gave up on
PROFILE_PARTS = ("usage", "user", "stripe", "sessions")


def _health(token: Token) -> dict[str, Any]:
    """R4's backoff fields, plus why and until when the token rests (R4 clients ignore the extras)."""
    if token.health == Health.INVALID:
        return {"backoff_until": U64_MAX, "consecutive_failures": 1, "reason": "invalid", **_error(token)}
    if token.health == Health.COOLING and token.cooldown_until and token.cooldown_until > timezone.now():
        return {
            "backoff_until": int(token.cooldown_until.timestamp()),
            "consecutive_failures": max(1, token.consecutive_failures),
            "reason": token.rest_reason or "service",
            "rest_until": token.cooldown_until.isoformat(),
            **_error(token),
        }
    return {"backoff_until": 0, "consecutive_failures": token.consecutive_failures, **_error(token)}


def _error(token: Token) -> dict[str, str]:
    return {"last_error": token.last_error} if token.last_error else {}


def token_info(token: Token, proxy_name: str | None = None) -> dict[str, Any]:
    """The admin's view of a token (secrets included, as the original returns them)."""
    info: dict[str, Any] = {"primary_token": token.primary_token}
    if token.secondary_token:
        info["secondary_token"] = token.secondary_token
    info["checksum"] = {"first": token.checksum_first, "second": token.checksum_second}
    info["client_key"] = token.client_key
    if token.config_version:
        info["config_version"] = str(token.config_version)
    info["session_id"] = str(token.session_id)
    if proxy_name:
        info["proxy"] = proxy_name
    if token.timezone:
        info["timezone"] = token.timezone
    if token.gcpp_host:
        info["gcpp_host"] = token.gcpp_host
    info["status"] = {"enabled": token.enabled, "health": _health(token)}
    profile = token.profile or {}
    for part in PROFILE_PARTS:
        if profile.get(part):
            info[part] = profile[part]
    return info


# --- in -----------------------------------------------------------------------------------------


@dataclass(slots=True)
class Parsed:
    """A token read from the original's JSON: an unsaved Token and what goes beside it."""

    token: Token
    proxy_name: str | None = None
    profile: dict[str, Any] = field(default_factory=dict)
    # The Token fields the JSON gave; the rest were generated and do not overwrite a stored token.
    given: set[str] = field(default_factory=set)


def _string(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise services.TokenInputError(f"{name} must be a string")
    return value


def checksum_text(value: Any) -> str:
    """`{"first", "second"}` (or a pasted string) as the `first/second` text build_token repairs."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        first, second = value.get("first"), value.get("second")
        if isinstance(first, str) and isinstance(second, str):
            text = f"{first}/{second}"
            if checksum.split(text) is None:
                raise services.TokenInputError("checksum.first and checksum.second must be 64 hex digits")
            return text
    raise services.TokenInputError('checksum must be {"first": hex64, "second": hex64}')


def _enabled(status: Any) -> bool:
    if status is None:
        return True
    if isinstance(status, str) and status in ("enabled", "disabled"):
        return status == "enabled"
    if isinstance(status, dict):
        enabled = status.get("enabled", True)
        if isinstance(enabled, bool):
            return enabled
    raise services.TokenInputError('status must be "enabled", "disabled" or {"enabled": bool}')


def _apply_health(token: Token, status: Any) -> None:
    health = status.get("health") if isinstance(status, dict) else None
    until = health.get("backoff_until") if isinstance(health, dict) else None
    if not isinstance(until, int) or isinstance(until, bool) or until <= 0:
        return
    if until >= U64_MAX:
        token.health = Health.INVALID
    elif until > timezone.now().timestamp():
        token.health = Health.COOLING
        token.cooldown_until = datetime.fromtimestamp(until, tz=UTC)


def parse_info(alias: Any, info: Any) -> Parsed:
    """Raises TokenInputError naming the bad field (never echoing a token)."""
    if not isinstance(info, dict):
        raise services.TokenInputError("the token info must be an object")
    bundle = info.get("bundle") if isinstance(info.get("bundle"), dict) else info  # R3 nests it
    primary = _string(bundle.get("primary_token"), "primary_token")
    if not primary:
        raise services.TokenInputError("primary_token is required")
    token = services.build_token(
        primary,
        alias=_string(alias, "alias") or "",
        checksum_value=checksum_text(bundle.get("checksum")),
        client_key=_strict_client_key(bundle.get("client_key")),
        session_id=_string(bundle.get("session_id"), "session_id"),
        config_version=_string(bundle.get("config_version"), "config_version"),
        timezone_name=_string(bundle.get("timezone"), "timezone"),
        gcpp_host=_string(bundle.get("gcpp_host"), "gcpp_host"),
        enabled=_enabled(info.get("status")),
    )
    secondary = _string(bundle.get("secondary_token"), "secondary_token")
    if secondary:
        token.secondary_token = services.parse_token(secondary).raw
    _apply_health(token, info.get("status"))
    profile = {part: info[part] for part in PROFILE_PARTS if info.get(part)}
    if isinstance(bundle.get("user"), dict):  # R3 kept the user inside the bundle
        profile.setdefault("user", bundle["user"])
    given = {"primary_token", "token_digest", "user_id", "provider", "token_type", "expires_at"}
    for key, fields in _GIVEN.items():
        if bundle.get(key) is not None or (key == "status" and info.get("status") is not None):
            given.update(fields)
    return Parsed(token, _string(bundle.get("proxy"), "proxy"), profile, given)


_GIVEN = {
    "checksum": ("checksum_first", "checksum_second"),
    "client_key": ("client_key",),
    "session_id": ("session_id",),
    "config_version": ("config_version",),
    "timezone": ("timezone",),
    "gcpp_host": ("gcpp_host",),
    "secondary_token": ("secondary_token",),
    "status": ("enabled", "health", "cooldown_until"),
}


def _strict_client_key(value: Any) -> str | None:
    value = _string(value, "client_key")
    if value and (len(value) != 64 or any(c not in "0123456789abcdefABCDEF" for c in value)):
        raise services.TokenInputError("client_key must be 64 hex digits")
    return value


IDENTITY_FIELDS = (
    "primary_token",
    "token_digest",
    "user_id",
    "provider",
    "token_type",
    "expires_at",
    "checksum_first",
    "checksum_second",
    "client_key",
    "session_id",
    "config_version",
    "timezone",
    "gcpp_host",
    "enabled",
    "secondary_token",
    "health",
    "cooldown_until",
)


def copy_into(target: Token, parsed: Parsed, proxies: dict[str, Proxy]) -> list[str]:
    """Copy what was read onto `target`; the names of the fields that changed."""
    source = parsed.token
    changed = []
    for name in IDENTITY_FIELDS:
        if target is not source and name not in parsed.given:
            continue
        if getattr(target, name) != getattr(source, name):
            setattr(target, name, getattr(source, name))
            changed.append(name)
    proxy = proxies.get(parsed.proxy_name) if parsed.proxy_name else None
    if target.proxy_id != (proxy.pk if proxy else None):
        target.proxy = proxy
        changed.append("proxy")
    if parsed.profile:
        merged = {**(target.profile or {}), **parsed.profile}
        if merged != target.profile:
            target.profile = merged
            changed.append("profile")
            summary = Profile(
                usage=merged.get("usage"),
                stripe=merged.get("stripe"),
                user=merged.get("user") if isinstance(merged.get("user"), dict) else None,
            )
            target.email = summary.email[:254]
            target.membership_type = summary.membership[:32]
            target.usage_used, target.usage_limit = summary.plan_usage()
            changed += ["email", "membership_type", "usage_used", "usage_limit"]
    return changed
