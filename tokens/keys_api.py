"""`/build-key`, `/config-version/get` and `/token-profile/get`: accounts the caller brings.

Auth: the admin token or the shared token (R4 always asks for one of them). Nothing here is stored.
/build-key builds R4 keys (CBOR, signed) when DYNAMIC_KEY_SECRET is set, else R3 keys (protobuf).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.response import Response

from cursorapi import upstream_client
from cursorapi.upstream import checksum, dynamic_key, jwt
from cursorapi.upstream.errors import UpstreamError
from cursorapi.upstream.headers import Account
from runtime import config as runtime_config

from . import exchange, maintenance, remote, services
from . import profile as profiles
from .api_base import body, error, shared_view

FLAGS = ("disable_vision", "enable_slow_pool", "include_web_references")


class Invalid(ValueError):
    pass


def _optional_string(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise Invalid(f"{name} must be a string")
    return value or None


def _token(data: dict[str, Any], name: str = "token") -> jwt.CursorToken:
    value = data.get(name)
    if not isinstance(value, str):
        raise Invalid(f"{name} is required: a Cursor JWT")
    try:
        return services.parse_token(value)
    except services.TokenInputError as exc:
        raise Invalid(f"{name}: {exc}") from exc


@dataclass(slots=True)
class Bundle:
    """A token and its identity as /build-key and /config-version/get take them."""

    token: jwt.CursorToken
    first: str
    second: str
    client_key: str
    session_id: str
    config_version: str | None
    proxy_name: str | None
    timezone: str | None
    gcpp_host: str | None

    def account(self) -> Account:
        return Account(
            token=self.token.raw,
            checksum_first=self.first,
            checksum_second=self.second,
            client_key=self.client_key,
            session_id=self.session_id,
            config_version=self.config_version,
            timezone=self.timezone or settings.GENERAL_TIMEZONE,
            gcpp_host=self.gcpp_host or settings.GENERAL_GCPP_HOST,
            proxy=services.proxy_url(self.proxy_name),
            user_id=self.token.user_id,
        )


def _bundle(data: Any) -> Bundle:
    """Missing identity values are generated in the original's formats; present ones must be valid."""
    if not isinstance(data, dict):
        raise Invalid("the body must be a JSON object")
    token = _token(data)
    try:
        text = exchange.checksum_text(data.get("checksum"))
        parts = (
            checksum.split(text)
            if text
            else (
                checksum.random_hash(settings.SAFE_HASH),
                checksum.random_hash(settings.SAFE_HASH),
            )
        )
        if parts is None:
            raise Invalid('checksum must be {"first": hex64, "second": hex64}')
        client_key = exchange._strict_client_key(data.get("client_key"))
        session_id = str(uuid.UUID(data["session_id"])) if data.get("session_id") else str(uuid.uuid4())
        version = data.get("config_version")
        config_version = str(uuid.UUID(version)) if version else None
        timezone = services.normalize_timezone(_optional_string(data, "timezone")) or None
        region = services.normalize_gcpp_host(_optional_string(data, "gcpp_host")) or None
    except services.TokenInputError as exc:
        raise Invalid(str(exc)) from exc
    except (ValueError, TypeError, AttributeError) as exc:
        raise Invalid("session_id and config_version must be UUIDs") from exc
    return Bundle(
        token=token,
        first=parts[0],
        second=parts[1],
        client_key=(client_key or checksum.random_hash(settings.SAFE_HASH)).lower(),
        session_id=session_id,
        config_version=config_version,
        proxy_name=_optional_string(data, "proxy_name"),
        timezone=timezone,
        gcpp_host=region,
    )


def _usage_check(value: Any) -> tuple[str | None, tuple[str, ...]]:
    if value is None:
        return None, ()
    kind = value.get("type") if isinstance(value, dict) else None
    if kind not in dynamic_key.USAGE_CHECK_TYPES:
        raise Invalid('usage_check_models.type must be "default", "disabled", "all" or "custom"')
    ids = value.get("model_ids", "")
    if isinstance(ids, list) and all(isinstance(i, str) for i in ids):
        models = tuple(i.strip() for i in ids if i.strip())
    elif isinstance(ids, str):
        models = tuple(i.strip() for i in ids.split(",") if i.strip())
    else:
        raise Invalid("usage_check_models.model_ids must be a comma-separated string")
    return kind, models if kind == "custom" else ()


@shared_view(["POST"])
def build_key(request: Request) -> Response:
    data = body(request)
    try:
        bundle = _bundle(data)
        flags = {}
        for name in FLAGS:
            if data.get(name) is not None and not isinstance(data[name], bool):
                raise Invalid(f"{name} must be true or false")
            flags[name] = data.get(name)
        # R3 stores a hash of the caller's `secret` and never checks it; R4 puts its HMAC tag there.
        hmac_key = dynamic_key.secret_key(runtime_config.current()["dynamic_key_secret"])
        secret = _optional_string(data, "secret") if hmac_key is None else None
        usage_check, usage_models = _usage_check(data.get("usage_check_models"))
        key = dynamic_key.encode(
            dynamic_key.KeyContents(
                token=bundle.token.raw,
                checksum_first=bundle.first,
                checksum_second=bundle.second,
                client_key=bundle.client_key,
                session_id=bundle.session_id,
                config_version=bundle.config_version,
                proxy_name=bundle.proxy_name,
                timezone=bundle.timezone,
                gcpp_host=bundle.gcpp_host,
                secret=hashlib.sha256(secret.encode()).digest() if secret else None,
                usage_check=usage_check,
                usage_check_models=usage_models,
                **flags,
            ),
            settings.KEY_PREFIX,
            tuple(settings.ALLOWED_PROVIDERS),
            hmac_key=hmac_key,
        )
        short, numeric = dynamic_key.aliases(bundle.token)
    except (Invalid, dynamic_key.DynamicKeyError) as exc:
        return error(422, "invalid_request", str(exc))
    return Response({"keys": [key, short, numeric]})


@shared_view(["POST"])
def config_version_get(request: Request) -> Response:
    try:
        bundle = _bundle(body(request))
    except Invalid as exc:
        return error(422, "invalid_request", str(exc))
    try:
        version = remote.run(maintenance.fetch_config_version(bundle.account()))
    except UpstreamError as exc:
        return error(403, "No data", f"Cursor gave no config version: {profiles._reason(exc)}")
    return Response({"config_version": version})


@shared_view(["POST"])
def token_profile_get(request: Request) -> Response:
    data = body(request)
    try:
        if not isinstance(data, dict):
            raise Invalid("the body must be a JSON object")
        session, web = _token(data, "session_token"), _token(data, "web_token")
        if not session.is_session:
            raise Invalid("Invalid parameter: session_token must be a session token, not a web token")
        if web.is_session:
            raise Invalid("Invalid parameter: web_token must be a web token, not a session token")
        include_sessions = data.get("include_sessions")
        if not isinstance(include_sessions, bool):
            raise Invalid("include_sessions is required: true or false")
        proxy_name = _optional_string(data, "proxy_name")
    except Invalid as exc:
        return error(400, "invalid_request", str(exc))
    account = Account(
        token=session.raw,
        checksum_first=checksum.random_hash(settings.SAFE_HASH),
        checksum_second=checksum.random_hash(settings.SAFE_HASH),
        client_key=checksum.random_hash(settings.SAFE_HASH),
        session_id=str(uuid.uuid4()),
        timezone=settings.GENERAL_TIMEZONE,
        proxy=services.proxy_url(proxy_name),
        secondary_token=web.raw,
        user_id=web.user_id,
    )
    found = remote.run(profiles.fetch(upstream_client.get(), account, include_sessions=include_sessions))
    return Response({"token_profile": found.as_list()})
