from __future__ import annotations

import base64
import json
import time

import pytest

from cursorapi.upstream import jwt


def _with_payload(payload: dict) -> str:
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    return f"{jwt.HEADER}.{body}.{'A' * 43}"


def _claims(**overrides: object) -> dict:
    claims = {
        "sub": "auth0|user_01JABCDEFGHJKMNPQRSTVWXYZ0",
        "time": "1750000000",
        "randomness": "1a2b3c4d-5e6f-7a8b",
        "exp": int(time.time()) + 3600,
        "iss": jwt.ISSUER,
        "scope": jwt.SCOPE,
        "aud": jwt.AUDIENCE,
        "type": "session",
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def test_parse_reads_user_provider_expiry_and_type() -> None:
    token = jwt.parse(_with_payload(_claims()))
    assert token.provider == "auth0"
    assert token.user_id == "user_01JABCDEFGHJKMNPQRSTVWXYZ0"
    assert token.issued_at == 1750000000
    assert token.is_session and not token.expired()


def test_time_may_be_a_number_and_legacy_hex_ids_are_accepted() -> None:
    token = jwt.parse(_with_payload(_claims(time=1750000000, sub="github|0123456789abcdef01234567")))
    assert token.issued_at == 1750000000 and token.user_id == "0123456789abcdef01234567"


@pytest.mark.parametrize(
    ("claims", "problem"),
    [
        (_claims(sub="nobody"), "sub"),
        (_claims(sub="evil|user_01JABCDEFGHJKMNPQRSTVWXYZ0"), "provider"),
        (_claims(sub="auth0|12345"), "user id"),
        (_claims(iss="https://example.com"), "iss"),
        (_claims(type="robot"), "type"),
        (_claims(exp="soon"), "exp"),
        (_claims(randomness="x"), "randomness"),
        (_claims(extra="1"), "unexpected"),
        (_claims(aud=None), "lacks aud"),
    ],
)
def test_malformed_payloads_are_rejected_with_a_reason(claims: dict, problem: str) -> None:
    with pytest.raises(jwt.TokenError, match=problem):
        jwt.parse(_with_payload(claims))


@pytest.mark.parametrize(
    "value", ["", "abc", "a.b.c", f"{jwt.HEADER}.!!!.{'A' * 43}", f"{jwt.HEADER}.e30.short"]
)
def test_garbage_is_rejected_without_echoing_it(value: str) -> None:
    with pytest.raises(jwt.TokenError) as info:
        jwt.parse(value)
    assert value not in str(info.value) or not value


def test_minted_tokens_parse_and_expired_ones_say_so() -> None:
    assert not jwt.parse(jwt.mint()).expired()
    assert jwt.parse(jwt.mint(lifetime=-10)).expired()


def test_cookie_prefix_is_stripped() -> None:
    token = jwt.mint()
    assert jwt.strip_cookie_prefix(f"user_01ABC%3A%3A{token}") == token
    assert jwt.strip_cookie_prefix(f"user_01ABC::{token}") == token
