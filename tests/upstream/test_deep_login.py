"""The web → session upgrade (PKCE deep login) against the fake, over a socket."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from urllib.parse import parse_qs

import httpx
import pytest

from cursorapi.upstream import checksum, deep_login, jwt
from cursorapi.upstream.client import ClientConfig, CursorClient
from cursorapi.upstream.deep_login import DeepLoginError
from cursorapi.upstream.fake.app import FakeCursor
from cursorapi.upstream.headers import Account

USER = "user_01JZ8Q3W5Y7A9C1E3G5J7K9M1P"


@pytest.fixture
def fake_app(fake_server) -> FakeCursor:
    app: FakeCursor = fake_server.server.handler
    app.clear()
    return app


@pytest.fixture
async def client(fake_server):
    c = CursorClient(ClientConfig(upstream=fake_server.url, read_timeout=2.0))
    yield c
    await c.aclose()


def account(primary: str, secondary: str = "") -> Account:
    return Account(
        token=primary,
        checksum_first=checksum.random_hash(),
        checksum_second=checksum.random_hash(),
        client_key=checksum.random_hash(),
        session_id=str(uuid.uuid4()),
        secondary_token=secondary,
        user_id=USER,
    )


class Sleeps(list[float]):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def test_pkce_follows_rfc_7636() -> None:
    # The S256 example of RFC 7636, appendix B.
    assert (
        deep_login.challenge_for("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )
    login = deep_login.new_login()
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", login.verifier)
    assert deep_login.challenge_for(login.verifier) == login.challenge and len(login.challenge) == 43
    assert uuid.UUID(login.login_id).version == 4
    assert login.control_body == f'{{"uuid":"{login.login_id}","challenge":"{login.challenge}"}}'.encode()
    assert deep_login.new_login().verifier != login.verifier


async def test_upgrade_approves_as_the_browser_and_polls_as_the_app(
    client: CursorClient, fake_app: FakeCursor
) -> None:
    web = jwt.mint(user_id=USER, token_type="web")
    sleeps = Sleeps()
    session = await deep_login.upgrade(client, account(web), sleep=sleeps)

    parsed = jwt.parse(session)
    assert parsed.user_id == USER and parsed.token_type == "session" and sleeps == []
    (control,) = fake_app.requests_to("/api/auth/loginDeepCallbackControl")
    (poll,) = fake_app.requests_to("/auth/poll")
    body = control.json
    assert control.method == "POST" and control.host == "cursor.com" and control.http_version == "2"
    assert control.body == f'{{"uuid":"{body["uuid"]}","challenge":"{body["challenge"]}"}}'.encode()
    h = control.headers
    assert h["cookie"] == f"WorkosCursorSessionToken={USER}%3A%3A{web}"
    assert h["referer"] == (
        f"https://cursor.com/loginDeepControl?challenge={body['challenge']}&uuid={body['uuid']}&mode=login"
    )
    assert h["content-type"] == "application/json" and "origin" not in h and "authorization" not in h
    assert "Chrome/" in h["user-agent"] and "Cursor/" not in h["user-agent"]
    assert (h["sec-fetch-site"], h["sec-fetch-mode"], h["dnt"]) == ("same-origin", "cors", "1")

    query = parse_qs(poll.query)
    assert poll.method == "GET" and poll.host == "api2.cursor.sh" and query["uuid"] == [body["uuid"]]
    assert deep_login.challenge_for(query["verifier"][0]) == body["challenge"]
    p = poll.headers
    assert p["origin"] == "vscode-file://vscode-app" and p["x-ghost-mode"] == "true"
    assert "Cursor/" in p["user-agent"] and "authorization" not in p and "cookie" not in p
    assert p["content-length"] == "0"
    assert fake_app.deep_logins.pending() == 0  # redeemed


async def test_the_secondary_web_token_goes_in_the_cookie(client: CursorClient, fake_app: FakeCursor) -> None:
    web = jwt.mint(user_id=USER, token_type="web")
    session = jwt.mint(user_id=USER)
    await deep_login.upgrade(client, account(session, secondary=web))
    (control,) = fake_app.requests_to("/api/auth/loginDeepCallbackControl")
    assert control.headers["cookie"].endswith(f"%3A%3A{web}")


async def test_pending_polls_wait_then_succeed(
    client: CursorClient, fake_server, fake_app: FakeCursor
) -> None:
    # Set through the control API, as a fake running in another process would be.
    async with httpx.AsyncClient() as control:
        reply = await control.post(f"{fake_server.url}/__fake__/deep-login", json={"approve_after": 3})
        reply.raise_for_status()
    sleeps = Sleeps()
    web = jwt.mint(user_id=USER, token_type="web")
    session = await deep_login.upgrade(client, account(web), pause=0.25, sleep=sleeps)
    assert jwt.parse(session).user_id == USER
    assert sleeps == [0.25, 0.25, 0.25] and len(fake_app.requests_to("/auth/poll")) == 4


async def test_gives_up_after_five_polls(client: CursorClient, fake_app: FakeCursor) -> None:
    fake_app.deep_logins.approve_after = None
    sleeps = Sleeps()
    with pytest.raises(DeepLoginError, match="no session token for the login after 5 polls"):
        await deep_login.upgrade(client, account(jwt.mint(user_id=USER, token_type="web")), sleep=sleeps)
    assert sleeps == [1.0] * 4 and len(fake_app.requests_to("/auth/poll")) == 5


async def test_a_pending_poll_really_sleeps(client: CursorClient, fake_app: FakeCursor) -> None:
    fake_app.deep_logins.approve_after = 1
    web = jwt.mint(user_id=USER, token_type="web")
    await deep_login.upgrade(client, account(web), pause=0.2)
    first, second = fake_app.requests_to("/auth/poll")
    assert second.at - first.at >= 0.19


async def test_cursor_com_refusing_the_login_fails_without_polling(
    client: CursorClient, fake_app: FakeCursor
) -> None:
    web = jwt.mint(user_id=USER, token_type="web")
    fake_app.revoke(web)
    with pytest.raises(DeepLoginError, match=r"refused to approve the login \(HTTP 401\)"):
        await deep_login.upgrade(client, account(web))
    # Only a browser's web token may approve a login.
    with pytest.raises(DeepLoginError, match="HTTP 401"):
        await deep_login.upgrade(client, account(jwt.mint(user_id=USER)))
    assert fake_app.requests_to("/auth/poll") == []


async def test_a_wrong_verifier_is_refused(client: CursorClient, fake_app: FakeCursor) -> None:
    acct = account(jwt.mint(user_id=USER, token_type="web"))
    login = deep_login.new_login()
    await deep_login.approve(client, acct, login)
    forged = replace(login, verifier=deep_login.new_login().verifier)
    with pytest.raises(DeepLoginError, match=r"the login poll failed \(HTTP 403\)"):
        await deep_login.poll(client, acct, forged)
    assert jwt.parse(await deep_login.poll(client, acct, login)).user_id == USER
    # A login is redeemed once.
    with pytest.raises(DeepLoginError, match="after 2 polls"):
        await deep_login.poll(client, acct, login, attempts=2, pause=0)


def test_the_fake_checks_the_approval_like_the_login_page(fake_server, fake_app: FakeCursor) -> None:
    web = jwt.mint(user_id=USER, token_type="web")
    login = deep_login.new_login()
    referer = (
        f"https://cursor.com/loginDeepControl?challenge={login.challenge}&uuid={login.login_id}&mode=login"
    )
    good = {
        "cookie": f"WorkosCursorSessionToken={USER}%3A%3A{web}",
        "content-type": "application/json",
        "referer": referer,
    }
    url = f"{fake_server.url}/api/auth/loginDeepCallbackControl"

    def post(body: bytes, **changes: str) -> int:
        return httpx.post(url, content=body, headers={**good, **changes}).status_code

    other = deep_login.new_login()
    assert post(login.control_body, referer=referer.replace(login.challenge, other.challenge)) == 403
    assert post(login.control_body, cookie="WorkosCursorSessionToken=nope") == 401
    assert post(login.control_body, **{"content-type": "text/plain"}) == 415
    assert post(b'{"uuid":"' + login.login_id.encode() + b'"}') == 400
    assert post(login.control_body.replace(login.challenge.encode(), b"short")) == 400
    assert post(login.control_body) == 200
    assert post(login.control_body) == 409


def test_the_control_api_mints_web_tokens_and_signs_out_single_sessions(
    fake_server, fake_app: FakeCursor
) -> None:
    minted = httpx.post(f"{fake_server.url}/__fake__/mint", json={"type": "web"}).json()["token"]
    cookie = jwt.parse(minted)
    assert cookie.token_type == "web" and not cookie.expired()
    session = jwt.parse(jwt.mint(user_id=cookie.user_id))
    revoke = {"token": session.raw, "just_this_token": True}
    httpx.post(f"{fake_server.url}/__fake__/revoke", json=revoke).raise_for_status()
    assert fake_app.is_revoked(session) and not fake_app.is_revoked(cookie)
    httpx.post(f"{fake_server.url}/__fake__/deep-login", json={"approve_after": None}).raise_for_status()
    assert fake_app.deep_logins.approve_after is None
    httpx.post(f"{fake_server.url}/__fake__/clear").raise_for_status()
    assert not fake_app.is_revoked(session) and fake_app.deep_logins.approve_after == 0
