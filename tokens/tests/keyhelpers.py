"""Tokens whose user id is a real ULID (at most 128 bits), as dynamic keys need them."""

from __future__ import annotations

import secrets

from cursorapi.upstream import jwt

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def ulid_user() -> str:
    # A ULID's first character is 0-7: 26 base-32 digits hold 130 bits, a ULID 128.
    return "user_" + secrets.choice("01234567") + "".join(secrets.choice(CROCKFORD) for _ in range(25))


def mint(token_type: str = "session") -> str:
    return jwt.mint(user_id=ulid_user(), token_type=token_type)
