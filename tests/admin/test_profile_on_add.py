"""A token added by any path shows its email, membership and usage without a manual refresh."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from cursorapi.upstream import jwt
from tokens import profile_fill
from tokens.models import Token

ADMIN = "admin-secret"


@pytest.fixture
def fetching(settings, fake, transactional_db) -> None:
    settings.PROFILE_FETCH_ON_ADD = True
    settings.AUTH_TOKEN = ADMIN


def _expected_email(token: str) -> str:
    return f"{jwt.parse(token).user_id.lower()}@example.test"


def test_tokens_added_through_the_api_get_their_profile_in_the_background(fetching) -> None:
    first, second = jwt.mint(), jwt.mint()
    api = Client(HTTP_AUTHORIZATION=f"Bearer {ADMIN}")
    response = api.post(
        "/tokens/add",
        {"tokens": [{"token": first, "alias": "one"}, {"token": second, "alias": "two"}]},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert profile_fill.wait_idle(15)
    one, two = Token.objects.get(alias="one"), Token.objects.get(alias="two")
    assert one.email == _expected_email(first) and two.email == _expected_email(second)
    assert one.membership_type == "pro" and (one.usage_used, one.usage_limit) == (1250, 2000)


def test_a_token_added_in_the_admin_gets_its_profile(fetching, admin_client: Client) -> None:
    token = jwt.mint()
    response = admin_client.post(
        "/admin/tokens/token/add/", {"token": token, "alias": "by-hand", "enabled": "on"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert profile_fill.wait_idle(15)
    assert Token.objects.get(alias="by-hand").email == _expected_email(token)


def test_the_import_command_fetches_profiles_with_progress(fetching, tmp_path) -> None:
    tokens = [jwt.mint() for _ in range(3)]
    path = tmp_path / "pool.tokens"
    path.write_text("\n".join(tokens) + "\n")
    out, err = io.StringIO(), io.StringIO()
    call_command("import_tokens", str(path), "--progress", stdout=out, stderr=err)
    assert "added 3" in out.getvalue() and "profiles fetched 3, failed 0" in out.getvalue()
    assert "fetching the profiles of 3 new tokens" in err.getvalue() and "3/3" in err.getvalue()
    # Unnamed tokens take their account's email as alias once it is known, as in the original.
    assert sorted(Token.objects.values_list("email", flat=True)) == sorted(map(_expected_email, tokens))


def test_profiles_are_not_fetched_when_turned_off(fake, transactional_db, settings, tmp_path) -> None:
    settings.PROFILE_FETCH_ON_ADD = False
    path = tmp_path / "pool.tokens"
    path.write_text(jwt.mint() + "\n")
    out = io.StringIO()
    call_command("import_tokens", str(path), stdout=out, stderr=io.StringIO())
    assert "profiles fetched" not in out.getvalue() and Token.objects.get().email == ""
