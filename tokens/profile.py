"""A Cursor account's profile as the original shows it: usage, Stripe, user and sessions.

Five calls made at once (six with sessions); each part is None when its call failed, so one broken
endpoint never hides what the others said. Shapes are the original's (R4, snake_case); Cursor's
camelCase replies are converted here. No ORM: callers store the result.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any

from cursorapi.upstream import hosts
from cursorapi.upstream.client import CursorClient
from cursorapi.upstream.errors import UpstreamError
from cursorapi.upstream.headers import Account

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def snake(value: Any) -> Any:
    """Cursor's camelCase JSON to the original's snake_case, keys only, recursively."""
    if isinstance(value, dict):
        return {_CAMEL.sub("_", str(k)).lower(): snake(v) for k, v in value.items()}
    if isinstance(value, list):
        return [snake(v) for v in value]
    return value


def _enum(value: Any, prefix: str) -> Any:
    """`SESSION_TYPE_CLIENT` -> `client`, as the original prints Cursor's enums."""
    if isinstance(value, str) and value.startswith(prefix):
        return value[len(prefix) :].lower()
    return value


@dataclass(slots=True)
class Profile:
    usage: dict[str, Any] | None = None
    stripe: dict[str, Any] | None = None
    user: dict[str, Any] | None = None
    sessions: list[dict[str, Any]] | None = None
    errors: list[str] = field(default_factory=list)  # "<part>: <reason>", never a secret

    @property
    def found(self) -> bool:
        return any(part is not None for part in (self.usage, self.stripe, self.user))

    def as_list(self) -> list[Any]:
        """The `/token-profile/get` tuple: [usage, stripe, user, sessions]."""
        return [self.usage, self.stripe, self.user, self.sessions]

    @property
    def email(self) -> str:
        return str((self.user or {}).get("email") or "")

    @property
    def membership(self) -> str:
        for part in (self.usage, self.stripe):
            if part and part.get("membership_type"):
                return str(part["membership_type"])
        return ""

    def plan_usage(self) -> tuple[float | None, float | None]:
        """(used, limit) of the plan that applies: the team's for team limits, else the user's."""
        if not self.usage:
            return None, None
        order = ("team_usage", "individual_usage")
        if self.usage.get("limit_type") != "team":
            order = order[::-1]
        for key in order:
            plan = (self.usage.get(key) or {}).get("plan")
            if isinstance(plan, dict) and plan.get("used") is not None:
                return plan.get("used"), plan.get("limit")
        return None, None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, UpstreamError):
        status = getattr(exc, "http_status", None)
        text = str(exc)[:160]
        return f"{type(exc).__name__} ({status}): {text}" if status else f"{type(exc).__name__}: {text}"
    return type(exc).__name__


async def fetch(client: CursorClient, account: Account, *, include_sessions: bool = True) -> Profile:
    calls = {
        "usage": client.json(account, hosts.USAGE_SUMMARY, method="GET", kind="dashboard"),
        "stripe": client.json(account, hosts.STRIPE_PROFILE, method="GET", kind="desktop"),
        "user": client.json(account, hosts.GET_ME, method="POST", payload={}, kind="dashboard"),
        "pricing": client.json(account, hosts.NEW_PRICING, method="POST", payload={}, kind="dashboard"),
        "privacy": client.json(account, hosts.PRIVACY_MODE, method="POST", payload={}, kind="dashboard"),
    }
    if include_sessions:
        calls["sessions"] = client.json(account, hosts.SESSIONS, method="GET", kind="dashboard")
    replies = dict(zip(calls, await asyncio.gather(*calls.values(), return_exceptions=True), strict=True))
    profile = Profile()
    for name, reply in replies.items():
        if isinstance(reply, BaseException):
            if not isinstance(reply, Exception):
                raise reply  # cancellation and the like are not a failed part
            profile.errors.append(f"{name}: {_reason(reply)}")
            replies[name] = None
        elif not isinstance(reply, dict):
            profile.errors.append(f"{name}: the reply is not a JSON object")
            replies[name] = None
    if replies["usage"] is not None:
        profile.usage = snake(replies["usage"])
    if replies["stripe"] is not None:
        profile.stripe = snake(replies["stripe"])
    if replies["user"] is not None:
        user = snake(replies["user"])
        pricing = replies["pricing"] or {}
        privacy = replies["privacy"] or {}
        # The original assumes new pricing when that call fails.
        user["is_on_new_pricing"] = bool(pricing.get("isOnNewPricing", True))
        user["privacy_mode_info"] = {
            "privacy_mode": _enum(privacy.get("privacyMode", "PRIVACY_MODE_UNSPECIFIED"), "PRIVACY_MODE_"),
            "is_enforced_by_team": privacy.get("isEnforcedByTeam"),
        }
        profile.user = user
    if include_sessions and replies.get("sessions") is not None:
        sessions = snake(replies["sessions"]).get("sessions") or []
        profile.sessions = [
            {**s, "type": _enum(s.get("type"), "SESSION_TYPE_")} for s in sessions if isinstance(s, dict)
        ]
    return profile
