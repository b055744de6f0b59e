"""Encryption of secrets at rest (Cursor tokens), and a model field that applies it."""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models
from django.views.decorators.debug import sensitive_variables

_PREFIX = "enc1:"


@sensitive_variables("secret")
def _fernet_for(secret: str) -> Fernet:
    # Any string can serve as a key: stretch it to Fernet's 32 bytes with a domain-separated hash.
    digest = hashlib.sha256(b"cursorapi-token-encryption\x00" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


@cache
def _cipher(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([_fernet_for(k) for k in keys])


def cipher() -> MultiFernet:
    return _cipher(tuple(settings.TOKEN_ENCRYPTION_KEYS))


@sensitive_variables("value")
def encrypt(value: str) -> str:
    return _PREFIX + cipher().encrypt(value.encode()).decode()


@sensitive_variables("value")
def decrypt(value: str) -> str:
    if not value.startswith(_PREFIX):
        return value  # written before encryption was configured
    try:
        return cipher().decrypt(value[len(_PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise ValueError("cannot decrypt a stored secret: TOKEN_ENCRYPTION_KEY does not match") from exc


@sensitive_variables("value")
def rotate(value: str) -> str:
    """Re-encrypt with the first (newest) key."""
    if not value.startswith(_PREFIX):
        return encrypt(value)
    return _PREFIX + cipher().rotate(value[len(_PREFIX) :].encode()).decode()


def digest(value: str) -> str:
    """A stable fingerprint, so that rows can be found by secret without decrypting every row."""
    return hashlib.sha256(value.encode()).hexdigest()


def mask(value: str, keep: int = 6) -> str:
    if not value:
        return ""
    if len(value) <= keep * 2:
        return "*" * len(value)
    return f"{value[:keep]}…{value[-4:]}"


class EncryptedTextField(models.TextField):
    """Stores `enc1:<fernet>`; Python code only ever sees the plaintext."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        return None if value is None else decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)
