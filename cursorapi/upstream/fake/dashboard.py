"""The fake's JSON endpoints: stripe profile, cursor.com dashboard calls and the token refresh."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .. import jwt
from . import usage_events
from .server import Request, Responder

if TYPE_CHECKING:
    from .app import FakeCursor, Received

REFRESH_CLIENT_ID = "KbZUR41cY7W6zRSdpSUJ7I7mLYBKOCmB"


def _json(status: int, payload: Any) -> tuple[int, bytes]:
    return status, json.dumps(payload).encode()


def _user_number(user_id: str) -> int:
    return int.from_bytes(user_id.encode()[-6:], "big") % 10_000_000


def _email(user_id: str) -> str:
    return f"{user_id.lower()}@example.test"


def cookie_token(fake: FakeCursor, request: Request) -> jwt.CursorToken | None:
    """cursor.com reads `WorkosCursorSessionToken=<user id>%3A%3A<jwt>`; None when it is missing or bad."""
    value = request.cookies.get("WorkosCursorSessionToken", "")
    user_id, sep, token = value.partition("%3A%3A")
    if not sep:
        return None
    try:
        parsed = jwt.parse(token)
    except jwt.TokenError:
        return None
    if parsed.user_id != user_id or parsed.expired() or fake.is_revoked(parsed):
        return None
    return parsed


def stripe_profile(token: jwt.CursorToken) -> dict[str, Any]:
    return {
        "membershipType": "pro",
        "paymentId": "cus_" + token.user_id[-14:].upper().ljust(14, "0"),
        "daysRemainingOnTrial": 0,
        "subscriptionStatus": "active",
        "verifiedStudent": False,
        "trialEligible": False,
        "isOnStudentPlan": False,
        "customerBalance": 0,
        "trialWasCancelled": False,
        "isTeamMember": False,
        "teamMembershipType": None,
        "individualMembershipType": "pro",
    }


def usage_summary(now: datetime) -> dict[str, Any]:
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=32)).replace(day=1)
    return {
        "billingCycleStart": start.isoformat().replace("+00:00", "Z"),
        "billingCycleEnd": end.isoformat().replace("+00:00", "Z"),
        "membershipType": "pro",
        "limitType": "user",
        "isUnlimited": False,
        "individualUsage": {
            "plan": {
                "enabled": True,
                "used": 1250,
                "limit": 2000,
                "remaining": 750,
                "breakdown": {"included": 1250, "bonus": 0, "total": 1250},
            },
            "onDemand": {"enabled": False, "used": 0, "limit": None, "remaining": None},
        },
        "teamUsage": {},
    }


async def handle(fake: FakeCursor, request: Request, record: Received, responder: Responder) -> None:
    status, body = _route(fake, request, record)
    await responder.respond(status, [("content-type", "application/json")], body)


def _route(fake: FakeCursor, request: Request, record: Received) -> tuple[int, bytes]:
    path, method = request.path, request.method
    if request.body:
        try:
            record.json = json.loads(request.body)
        except ValueError:
            return _json(400, {"error": "invalid JSON body"})

    if path == "/auth/full_stripe_profile" and method == "GET":
        value = request.headers.get("authorization", "")
        try:
            token = jwt.parse(value.removeprefix("Bearer "))
        except jwt.TokenError:
            return _json(401, {"error": "Unauthorized"})
        if token.expired() or fake.is_revoked(token):
            return _json(401, {"error": "Unauthorized"})
        return _json(200, stripe_profile(token))

    if path == "/oauth/token" and method == "POST":
        payload = record.json if isinstance(record.json, dict) else {}
        if payload.get("grant_type") != "refresh_token" or payload.get("client_id") != REFRESH_CLIENT_ID:
            return _json(400, {"error": "invalid_request"})
        try:
            old = jwt.parse(str(payload.get("refresh_token", "")))
        except jwt.TokenError:
            return _json(403, {"error": "invalid_grant", "shouldLogout": True})
        if fake.is_revoked(old):
            return _json(403, {"error": "invalid_grant", "shouldLogout": True})
        fresh = jwt.mint(user_id=old.user_id, provider=old.provider, token_type="session")
        return _json(200, {"access_token": fresh, "id_token": fresh, "shouldLogout": False})

    dashboard_routes = {
        ("/api/dashboard/get-me", "POST"),
        ("/api/usage-summary", "GET"),
        ("/api/dashboard/get-user-privacy-mode", "POST"),
        ("/api/dashboard/is-on-new-pricing", "POST"),
        ("/api/auth/sessions", "GET"),
        ("/api/dashboard/get-filtered-usage-events", "POST"),
    }
    if (path, method) not in dashboard_routes:
        return _json(404, {"error": "Not Found"})
    token = cookie_token(fake, request)
    if token is None:
        return _json(401, {"error": "Not authenticated"})
    now = datetime.now(UTC)
    if path.endswith("get-me"):
        return _json(
            200,
            {
                "userId": _user_number(token.user_id),
                "email": _email(token.user_id),
                "firstName": "Fake",
                "lastName": "User",
                "workosId": token.user_id,
                "teamId": None,
                "createdAt": "2025-01-01T00:00:00.000Z",
                "isEnterpriseUser": False,
            },
        )
    if path.endswith("usage-summary"):
        return _json(200, usage_summary(now))
    if path.endswith("privacy-mode"):
        return _json(200, {"privacyMode": "PRIVACY_MODE_NO_STORAGE", "isEnforcedByTeam": False})
    if path.endswith("is-on-new-pricing"):
        return _json(200, {"isOnNewPricing": True})
    if path.endswith("sessions"):
        created = (now - timedelta(days=3)).isoformat().replace("+00:00", "Z")
        expires = (now + timedelta(days=57)).isoformat().replace("+00:00", "Z")
        return _json(
            200,
            {
                "sessions": [
                    {
                        "sessionId": "0" * 64,
                        "type": "SESSION_TYPE_CLIENT",
                        "createdAt": created,
                        "expiresAt": expires,
                    }
                ]
            },
        )
    body = record.json if isinstance(record.json, dict) else {}
    return _json(200, usage_events.filtered(fake, token, body))
