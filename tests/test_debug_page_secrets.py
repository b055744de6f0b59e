"""With DEBUG on, the 500 page shows no pool token, checksum or client key, and a caller's key
stays hidden too."""

from __future__ import annotations

import sys

import pytest
from django.test import Client, RequestFactory
from django.views.debug import technical_500_response

from cursorapi.chat import cursor_request
from cursorapi.upstream import dynamic_key, jwt
from cursorapi.upstream.headers import Account
from tests.fixtures import AUTH
from tokens import services

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_api_500_is_json_without_internals(pool_token, settings, monkeypatch) -> None:
    settings.DEBUG = True

    def broken(*args, **kwargs):
        raise RuntimeError("a bug while building the upstream request")

    monkeypatch.setattr(cursor_request, "build", broken)
    client = Client(raise_request_exception=False)
    response = client.post(
        "/v1/chat/completions",
        {"model": "claude-4.5-sonnet", "messages": [{"role": "user", "content": "hi"}]},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {AUTH}",
    )
    assert response.status_code == 500 and response["Content-Type"] == "application/json"
    page = response.content.decode()
    assert "a bug while building" not in page and "Traceback" not in page
    for secret in (pool_token.primary_token, pool_token.checksum_first, pool_token.client_key, AUTH):
        assert secret not in page


def test_the_debug_page_shows_no_pool_secret(pool_token, settings) -> None:
    """Django's technical 500 page (DEBUG, HTML routes) goes through our reporter filter."""
    settings.DEBUG = True
    request = RequestFactory().post("/admin/", HTTP_AUTHORIZATION=f"Bearer {AUTH}")
    account = services.account_for(pool_token)  # a local holding every secret of the account
    try:
        raise RuntimeError(f"a bug while building the upstream request for {account.proxy}")
    except RuntimeError:
        page = technical_500_response(request, *sys.exc_info()).content.decode()
    assert "a bug while building the upstream request" in page and "Account(" in page  # locals shown
    for secret in (
        pool_token.primary_token,
        pool_token.checksum_first,
        pool_token.checksum_second,
        pool_token.client_key,
        AUTH,
    ):
        assert secret not in page


def test_reprs_leave_secrets_out() -> None:
    token = jwt.mint()
    account = Account(token, "1f" * 32, "2e" * 32, "3d" * 32, "sess", proxy="http://u:pw@proxy:1")
    contents = dynamic_key.KeyContents(token, "1f" * 32, "2e" * 32, "3d" * 32, "sess", secret=b"hmac-tag")
    for text in (repr(account), repr(contents)):
        for secret in (token, "1f" * 32, "2e" * 32, "3d" * 32, "pw@", "hmac-tag"):
            assert secret not in text


def test_the_admin_over_https_sends_hsts_and_secure_cookies(settings, django_user_model) -> None:
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_HSTS_SECONDS = 600
    django_user_model.objects.create_superuser("root", password="pw-for-tests")
    client = Client()
    login = client.post(
        "/admin/login/?next=/admin/", {"username": "root", "password": "pw-for-tests"}, secure=True
    )
    assert login.status_code == 302
    assert login.cookies["sessionid"]["secure"] is True
    page = client.get("/admin/", secure=True)
    assert page["Strict-Transport-Security"].startswith("max-age=600")
