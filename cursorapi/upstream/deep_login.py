"""Turning a web token into a session token: Cursor's PKCE "deep login" (#18, then #19).

The desktop app logs in by opening cursor.com/loginDeepControl in the user's browser, where the
signed-in page approves a challenge, while the app polls api2 with the matching verifier until the
session token is ready. Holding the web token, we play both parts: approve as the browser would (the
web token in the cookie), then poll as the app would.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from . import headers as hdrs
from . import hosts
from .client import CursorClient
from .errors import ProtocolError, UpstreamError
from .headers import Account

POLL_ATTEMPTS = 5
POLL_PAUSE = 1.0  # seconds between polls that found the login still pending

Sleep = Callable[[float], Awaitable[object]]


class DeepLoginError(UpstreamError):
    """cursor.com refused the login, or api2 never handed out the session token."""


@dataclass(frozen=True, slots=True)
class Login:
    login_id: str  # the uuid both calls name the login by
    verifier: str  # kept secret until the poll: it proves the poller started this login
    challenge: str

    @property
    def control_body(self) -> bytes:
        # Exactly as Cursor's client formats it: no spaces, uuid first.
        return json.dumps(
            {"uuid": self.login_id, "challenge": self.challenge}, separators=(",", ":")
        ).encode()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def challenge_for(verifier: str) -> str:
    """PKCE S256: base64url (no padding) of the SHA-256 of the verifier's ASCII."""
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def new_login() -> Login:
    verifier = _b64url(secrets.token_bytes(32))
    return Login(login_id=str(uuid.uuid4()), verifier=verifier, challenge=challenge_for(verifier))


async def approve(client: CursorClient, account: Account, login: Login) -> None:
    """#18: tell cursor.com that the account behind the cookie approves this login."""
    headers = hdrs.deep_login_control(account, challenge=login.challenge, login_id=login.login_id)
    resp = await client.send(
        account, hosts.DEEP_LOGIN_CONTROL, headers, method="POST", content=login.control_body
    )
    if not 200 <= resp.status_code < 300:
        raise DeepLoginError(f"cursor.com refused to approve the login (HTTP {resp.status_code})")


async def poll(
    client: CursorClient,
    account: Account,
    login: Login,
    *,
    attempts: int = POLL_ATTEMPTS,
    pause: float = POLL_PAUSE,
    sleep: Sleep = asyncio.sleep,
) -> str:
    """#19: ask for the session token until it is ready (404 means not yet); return it."""
    headers = hdrs.deep_login_poll(client_version=client.config.client_version)
    params = {"uuid": login.login_id, "verifier": login.verifier}
    for attempt in range(attempts):
        if attempt:
            await sleep(pause)
        resp = await client.send(account, hosts.DEEP_LOGIN_POLL, headers, params=params)
        if resp.status_code == 404:
            continue
        if resp.status_code != 200:
            raise DeepLoginError(f"the login poll failed (HTTP {resp.status_code})")
        try:
            reply = resp.json()
        except ValueError as exc:
            raise ProtocolError("the login poll answered with a body that is not JSON") from exc
        token = reply.get("accessToken") if isinstance(reply, dict) else None
        if not isinstance(token, str) or not token:
            raise ProtocolError("the login poll's reply has no accessToken")
        return token
    raise DeepLoginError(f"Cursor had no session token for the login after {attempts} polls")


async def upgrade(
    client: CursorClient,
    account: Account,
    *,
    attempts: int = POLL_ATTEMPTS,
    pause: float = POLL_PAUSE,
    sleep: Sleep = asyncio.sleep,
) -> str:
    """A session token for the account whose web token is the secondary token, else the primary.

    The caller checks the token (strict parse, same user) before storing it.
    """
    login = new_login()
    await approve(client, account, login)
    return await poll(client, account, login, attempts=attempts, pause=pause, sleep=sleep)
