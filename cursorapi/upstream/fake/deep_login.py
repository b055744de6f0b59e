"""The fake's deep login: cursor.com approving a PKCE challenge (#18) and api2's poll (#19)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from .. import jwt
from .dashboard import cookie_token
from .server import Request

if TYPE_CHECKING:
    from .app import FakeCursor

CONTROL_PATH = "/api/auth/loginDeepCallbackControl"
POLL_PATH = "/auth/poll"

_UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
_B64URL_43 = re.compile(r"^[A-Za-z0-9_-]{43}$")


@dataclass(slots=True)
class Pending:
    challenge: str
    user_id: str
    provider: str
    polls: int = 0


class DeepLogins:
    """Logins approved on cursor.com and not yet redeemed, by uuid.

    `approve_after` is how many polls answer 404 before the session token is handed out, as when
    Cursor is slow to link the browser's approval to the app's login; None never hands it out.
    """

    def __init__(self) -> None:
        self.approve_after: int | None = 0
        self._pending: dict[str, Pending] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self.approve_after = 0
            self._pending.clear()

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def control(self, fake: FakeCursor, request: Request) -> tuple[int, dict[str, object]]:
        token = cookie_token(fake, request)
        if token is None or token.token_type != "web":
            # Only a signed-in browser can approve a login, and browsers hold web tokens.
            return 401, {"error": "Not authenticated"}
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return 415, {"error": "content-type must be application/json"}
        try:
            body = json.loads(request.body)
        except ValueError:
            return 400, {"error": "invalid JSON body"}
        if not isinstance(body, dict) or set(body) != {"uuid", "challenge"}:
            return 400, {"error": "body must be {uuid, challenge}"}
        login_id, challenge = body["uuid"], body["challenge"]
        if not isinstance(login_id, str) or not _UUID4.match(login_id):
            return 400, {"error": "uuid must be a version 4 UUID"}
        if not isinstance(challenge, str) or not _B64URL_43.match(challenge):
            return 400, {"error": "challenge must be 43 characters of unpadded base64url (S256)"}
        expected = f"https://cursor.com/loginDeepControl?challenge={challenge}&uuid={login_id}&mode=login"
        if request.headers.get("referer") != expected:
            return 403, {"error": "the request does not come from the login page for this challenge"}
        with self._lock:
            if login_id in self._pending:
                return 409, {"error": "this login was already approved"}
            self._pending[login_id] = Pending(challenge, token.user_id, token.provider)
        return 200, {"success": True}

    def poll(self, request: Request) -> tuple[int, dict[str, object]]:
        query = parse_qs(request.query)
        login_id = (query.get("uuid") or [""])[0]
        verifier = (query.get("verifier") or [""])[0]
        with self._lock:
            login = self._pending.get(login_id)
            if login is None:
                return 404, {"error": "Not Found"}
            if _challenge_for(verifier) != login.challenge:
                return 403, {"error": "verifier does not match the challenge"}
            login.polls += 1
            if self.approve_after is None or login.polls <= self.approve_after:
                return 404, {"error": "Not Found"}
            del self._pending[login_id]  # a login is redeemed once
        access, refresh = (
            jwt.mint(user_id=login.user_id, provider=login.provider, token_type="session") for _ in range(2)
        )
        return 200, {
            "accessToken": access,
            "refreshToken": refresh,
            "challenge": login.challenge,
            "authId": f"{login.provider}|{login.user_id}",
            "uuid": login_id,
        }


def _challenge_for(verifier: str) -> str:
    if not verifier.isascii():
        return ""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")
