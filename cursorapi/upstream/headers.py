"""The header sets Cursor's servers expect, per kind of call."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from . import checksum

CONNECT_USER_AGENT = "connect-es/1.6.1"
_PLATFORM_UA = "Macintosh; Intel Mac OS X 10_15_7"


@dataclass(frozen=True, slots=True)
class Account:
    """What Cursor needs to know about one account on every call (Django-free copy of a Token row)."""

    # Secrets stay out of the repr (tracebacks, debug pages, logs of the object).
    token: str = field(repr=False)
    checksum_first: str = field(repr=False)
    checksum_second: str = field(repr=False)
    client_key: str = field(repr=False)
    session_id: str
    config_version: str | None = None
    timezone: str = "UTC"
    gcpp_host: str = "Asia"
    # None or "non": direct; "sys": environment proxy; else a proxy URL (credentials possible).
    proxy: str | None = field(default=None, repr=False)
    secondary_token: str = field(default="", repr=False)
    user_id: str = ""
    public: bool = False  # a user's own account (dynamic key): the original's public reverse proxy


def desktop_user_agent(client_version: str) -> str:
    return (
        f"Mozilla/5.0 ({_PLATFORM_UA}) AppleWebKit/537.36 (KHTML, like Gecko) Cursor/{client_version} "
        "Chrome/138.0.7204.251 Electron/37.7.0 Safari/537.36"
    )


def browser_user_agent() -> str:
    return (
        f"Mozilla/5.0 ({_PLATFORM_UA}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/143.0.0.0 Safari/537.36"
    )


def aiserver(
    account: Account,
    *,
    client_version: str,
    streaming: bool,
    gzipped_body: bool = False,
    request_id: str | None = None,
    cookie: str = "",
    fs_client_key: str = "",
    now: float | None = None,
) -> dict[str, str]:
    """Headers for a Connect call to api2/api4/gcpp, in the order the desktop client sends them."""
    request_id = request_id or str(uuid.uuid4())
    headers: dict[str, str] = {}
    if not streaming:
        headers["accept-encoding"] = "gzip"
    headers["authorization"] = f"Bearer {account.token}"
    if streaming:
        headers["connect-accept-encoding"] = "gzip"
        headers["connect-content-encoding"] = "gzip"
    headers["connect-protocol-version"] = "1"
    if gzipped_body:
        headers["content-encoding"] = "gzip"
    headers["content-type"] = "application/connect+proto" if streaming else "application/proto"
    if cookie:
        headers["cookie"] = cookie
    headers["user-agent"] = CONNECT_USER_AGENT
    headers["x-amzn-trace-id"] = f"Root={request_id}"
    headers["x-client-key"] = account.client_key
    headers["x-cursor-checksum"] = checksum.build(account.checksum_first, account.checksum_second, now)
    headers["x-cursor-client-version"] = client_version
    if account.config_version:
        headers["x-cursor-config-version"] = account.config_version
    headers["x-cursor-streaming"] = "true"
    headers["x-cursor-timezone"] = account.timezone
    if fs_client_key:
        headers["x-fs-client-key"] = fs_client_key
    headers["x-ghost-mode"] = "true"
    headers["x-new-onboarding-completed"] = "false"
    headers["x-request-id"] = request_id
    headers["x-session-id"] = account.session_id
    return headers


def desktop_json(account: Account, *, client_version: str, bearer: bool = True) -> dict[str, str]:
    """Headers for the desktop app's JSON calls to api2 (stripe profile, token refresh)."""
    headers = {"sec-ch-ua-platform": '"macOS"'}
    if bearer:
        headers["authorization"] = f"Bearer {account.token}"
    headers.update(
        {
            "x-cursor-client-version": client_version,
            "x-new-onboarding-completed": "false",
            "sec-ch-ua": '"Not)A;Brand";v="8", "Chromium";v="138"',
            "sec-ch-ua-mobile": "?0",
            "x-ghost-mode": "true",
            "user-agent": desktop_user_agent(client_version),
            "accept": "*/*",
            "origin": "vscode-file://vscode-app",
            "sec-fetch-site": "cross-site",
            "sec-fetch-mode": "cors",
            "sec-fetch-dest": "empty",
            "accept-encoding": "gzip, deflate",
            "accept-language": "en-US",
            "priority": "u=1, i",
        }
    )
    return headers


def session_cookie(account: Account) -> str:
    """cursor.com authenticates the dashboard with the web token in WorkosCursorSessionToken."""
    jwt = account.secondary_token or account.token
    return f"WorkosCursorSessionToken={account.user_id}%3A%3A{jwt}"


def dashboard(account: Account, *, json_body: bool) -> dict[str, str]:
    """Headers for cursor.com dashboard calls, imitating a browser tab on the dashboard."""
    headers = {
        "user-agent": browser_user_agent(),
        "accept": "*/*",
        "accept-language": "en-US",
        "accept-encoding": "gzip, deflate",
    }
    if json_body:
        headers["content-type"] = "application/json"
        headers["origin"] = "https://cursor.com"
    headers.update(
        {
            "referer": "https://cursor.com/dashboard",
            "dnt": "1",
            "sec-gpc": "1",
            "sec-fetch-dest": "empty",
            "sec-fetch-mode": "cors",
            "sec-fetch-site": "same-origin",
            "pragma": "no-cache",
            "cache-control": "no-cache",
            "priority": "u=0",
            "cookie": session_cookie(account),
        }
    )
    return headers


def deep_login_control(account: Account, *, challenge: str, login_id: str) -> dict[str, str]:
    """Headers for approving a deep login (#18): the browser tab cursor.com opens for the desktop app."""
    return {
        "user-agent": browser_user_agent(),
        "accept": "*/*",
        "accept-language": "en-US",
        "accept-encoding": "gzip, deflate",
        # The page the desktop app sends the user to; unlike the dashboard's POSTs, no `origin`.
        "referer": f"https://cursor.com/loginDeepControl?challenge={challenge}&uuid={login_id}&mode=login",
        "content-type": "application/json",
        "dnt": "1",
        "sec-gpc": "1",
        "cookie": session_cookie(account),
        "sec-fetch-dest": "empty",
        "sec-fetch-mode": "cors",
        "sec-fetch-site": "same-origin",
        "pragma": "no-cache",
        "cache-control": "no-cache",
        "priority": "u=0",
    }


def deep_login_poll(*, client_version: str) -> dict[str, str]:
    """Headers for the desktop app's login poll (#19): no credentials, the verifier is the proof."""
    # R4 also sends `connection: close`, which HTTP/2 forbids; it only matters over HTTP/1.1.
    return {
        "accept-encoding": "gzip, deflate",
        "accept-language": "en-US",
        "content-length": "0",
        "user-agent": desktop_user_agent(client_version),
        "origin": "vscode-file://vscode-app",
        "x-ghost-mode": "true",
        "accept": "*/*",
    }
