"""Dynamic API keys in the original's format: a key carries one Cursor account and its settings.

Key string: `KEY_PREFIX` + custom-alphabet base64 (no padding) of a protobuf `key.KeyConfig`
(proto/key.proto). The JWT is not stored as text: its claims are stored as fields and the token is
rebuilt in Cursor's claim order, so a key built by the reference proxy decodes here and the other
way round. Keys are not encrypted or signed: whoever holds one can read the account out of it.

The two alias forms /build-key also returns (base64 and decimal of user id + randomness) are derived
here too. No Django imports.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
import zoneinfo
from dataclasses import dataclass, field
from functools import lru_cache

from google.protobuf.message import DecodeError

from . import jwt
from .proto import key_pb2

_STANDARD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
ALPHABET = "-AaBbCcDdEeFfGgHhIiJjKkLlMmNnOoPpQqRrSsTtUuVvWwXxYyZz1032547698_"
_TO_CUSTOM = str.maketrans(_STANDARD, ALPHABET)
_TO_STANDARD = str.maketrans(ALPHABET, _STANDARD)
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
GCPP_REGIONS = ("Asia", "EU", "US")  # their index is the key's gcpp_host number
USAGE_CHECK_TYPES = ("default", "disabled", "all", "custom")


class DynamicKeyError(ValueError):
    """A key that does not decode; the message says why and never contains the key."""


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=").translate(_TO_CUSTOM)


def b64decode(text: str) -> bytes:
    if len(text) % 4 == 1 or any(c not in ALPHABET for c in text):
        raise DynamicKeyError("the key is not in the dynamic key alphabet")
    standard = text.translate(_TO_STANDARD)
    try:
        return base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DynamicKeyError("the key is not in the dynamic key alphabet") from exc


# --- the user id as 16 bytes ----------------------------------------------------------------------


def user_id_bytes(user_id: str) -> bytes:
    """`user_<ULID>`: the ULID's 128-bit integer, little-endian; 24 hex: 4 zero bytes, then the hex."""
    if user_id.startswith("user_") and len(user_id) == 31:
        number = 0
        for char in user_id[5:]:
            index = _CROCKFORD.find(char)
            if index < 0:
                raise DynamicKeyError("the token's user id is not a ULID")
            number = number * 32 + index
        if number >> 128:
            raise DynamicKeyError("the token's user id is not a ULID (more than 128 bits)")
        return number.to_bytes(16, "little")
    if len(user_id) == 24:
        try:
            return bytes(4) + bytes.fromhex(user_id)
        except ValueError as exc:
            raise DynamicKeyError("the token's user id is neither a ULID nor 24 hex digits") from exc
    raise DynamicKeyError("the token's user id is neither a ULID nor 24 hex digits")


def user_id_text(sub_id: bytes) -> str:
    if sub_id[:4] == bytes(4):
        return sub_id[4:].hex()
    number = int.from_bytes(sub_id, "little")
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[number & 31])
        number >>= 5
    return "user_" + "".join(reversed(chars))


def aliases(token: jwt.CursorToken) -> tuple[str, str]:
    """The short forms of a key: custom base64 of user id ‖ randomness, and `<u128>-<u64>`."""
    sub_id = user_id_bytes(token.user_id)
    randomness = bytes.fromhex(token.randomness.replace("-", ""))
    numeric = f"{int.from_bytes(sub_id, 'little')}-{int.from_bytes(randomness, 'little')}"
    return b64encode(sub_id + randomness), numeric


# --- the key ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KeyContents:
    """What a key carries. `token` is the JWT string (rebuilt when decoded)."""

    token: str
    checksum_first: str
    checksum_second: str
    client_key: str
    session_id: str
    config_version: str | None = None
    proxy_name: str | None = None
    timezone: str | None = None
    gcpp_host: str | None = None  # Asia / EU / US
    secret: bytes | None = None
    disable_vision: bool | None = None
    enable_slow_pool: bool | None = None
    include_web_references: bool | None = None
    usage_check: str | None = None  # default / disabled / all / custom
    usage_check_models: tuple[str, ...] = field(default=())
    user_id: str = ""  # filled when decoding: the account's Cursor user id


def _hex(value: str, size: int, name: str) -> bytes:
    try:
        raw = bytes.fromhex(value)
    except ValueError as exc:
        raise DynamicKeyError(f"{name} must be {size * 2} hex digits") from exc
    if len(raw) != size:
        raise DynamicKeyError(f"{name} must be {size * 2} hex digits")
    return raw


def _uuid(value: str, name: str) -> bytes:
    try:
        return uuid.UUID(value).bytes
    except ValueError as exc:
        raise DynamicKeyError(f"{name} must be a UUID") from exc


def encode(
    contents: KeyContents, prefix: str = "sk-", providers: tuple[str, ...] = jwt.DEFAULT_PROVIDERS
) -> str:
    try:
        token = jwt.parse(contents.token, providers)
    except jwt.TokenError as exc:
        raise DynamicKeyError(str(exc)) from exc
    info = key_pb2.TokenInfo(
        token=key_pb2.Token(
            provider=token.provider,
            sub_id=user_id_bytes(token.user_id),
            randomness=bytes.fromhex(token.randomness.replace("-", "")),
            start=token.issued_at,
            end=token.expires_at,
            signature=token.signature,
            is_session=token.is_session,
        ),
        checksum=_hex(contents.checksum_first, 32, "checksum.first")
        + _hex(contents.checksum_second, 32, "checksum.second"),
        client_key=_hex(contents.client_key, 32, "client_key"),
        session_id=_uuid(contents.session_id, "session_id"),
    )
    if contents.config_version:
        info.config_version = _uuid(contents.config_version, "config_version")
    if contents.proxy_name is not None:
        info.proxy_name = contents.proxy_name
    if contents.timezone is not None:
        info.timezone = contents.timezone
    if contents.gcpp_host is not None:
        info.gcpp_host = GCPP_REGIONS.index(contents.gcpp_host)
    config = key_pb2.KeyConfig(token_info=info)
    if contents.secret is not None:
        config.secret = contents.secret
    for name in ("disable_vision", "enable_slow_pool", "include_web_references"):
        value = getattr(contents, name)
        if value is not None:
            setattr(config, name, value)
    if contents.usage_check is not None:
        kind = USAGE_CHECK_TYPES.index(contents.usage_check)
        models = list(contents.usage_check_models) if contents.usage_check == "custom" else []
        config.usage_check_models.CopyFrom(key_pb2.UsageCheckModel(type=kind, model_ids=models))  # type: ignore[arg-type]
    return prefix + b64encode(config.SerializeToString())


def rebuild_token(token: key_pb2.Token) -> str:
    """The JWT from its stored claims, in the order Cursor writes them."""
    user_id = user_id_text(token.sub_id)
    randomness = token.randomness.hex()
    payload = {
        "sub": f"{token.provider}|{user_id}",
        "time": str(token.start),
        "randomness": f"{randomness[:8]}-{randomness[8:12]}-{randomness[12:16]}",
        "exp": token.end,
        "iss": jwt.ISSUER,
        "scope": jwt.SCOPE,
        "aud": jwt.AUDIENCE,
        "type": "session" if token.is_session else "web",
    }
    body = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")
    signature = base64.urlsafe_b64encode(token.signature).decode().rstrip("=")
    return f"{jwt.HEADER}.{body}.{signature}"


def _valid_timezone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def decode(key: str, prefix: str = "sk-", providers: tuple[str, ...] = jwt.DEFAULT_PROVIDERS) -> KeyContents:
    """The contents of a key; raises DynamicKeyError saying what is wrong.

    Like the reference, a bad timezone, region or config version inside a key is dropped rather
    than refused: the account in it still works.
    """
    return _decode(key, prefix, tuple(providers))


@lru_cache(maxsize=1024)
def _decode(key: str, prefix: str, providers: tuple[str, ...]) -> KeyContents:
    if not key.startswith(prefix):
        raise DynamicKeyError(f"a dynamic key starts with {prefix!r}")
    raw = b64decode(key[len(prefix) :])
    config = key_pb2.KeyConfig()
    try:
        config.ParseFromString(raw)
    except DecodeError as exc:
        raise DynamicKeyError("the key does not decode (not a key built by /build-key)") from exc
    if not config.HasField("token_info") or not config.token_info.HasField("token"):
        raise DynamicKeyError("the key carries no token")
    info, token = config.token_info, config.token_info.token
    sizes = {
        "checksum": (info.checksum, 64),
        "client_key": (info.client_key, 32),
        "session_id": (info.session_id, 16),
        "token.sub_id": (token.sub_id, 16),
        "token.randomness": (token.randomness, 8),
        "token.signature": (token.signature, 32),
    }
    for name, (value, size) in sizes.items():
        if len(value) != size:
            raise DynamicKeyError(f"the key's {name} must be {size} bytes, not {len(value)}")
    if token.provider not in providers:
        raise DynamicKeyError(f"the key's token provider {token.provider!r} is not allowed")
    rebuilt = rebuild_token(token)
    try:
        jwt.parse(rebuilt, providers)
    except jwt.TokenError as exc:
        raise DynamicKeyError(f"the key's token is not valid: {exc}") from exc
    config_version = None
    if info.HasField("config_version") and len(info.config_version) == 16:
        config_version = str(uuid.UUID(bytes=info.config_version))
    timezone = info.timezone if info.HasField("timezone") and _valid_timezone(info.timezone) else None
    region = info.gcpp_host if info.HasField("gcpp_host") else None
    usage_check, usage_models = None, ()
    if config.HasField("usage_check_models"):
        kind = config.usage_check_models.type
        usage_check = USAGE_CHECK_TYPES[kind] if 0 <= kind < len(USAGE_CHECK_TYPES) else "default"
        usage_models = tuple(config.usage_check_models.model_ids)
    return KeyContents(
        token=rebuilt,
        checksum_first=info.checksum[:32].hex(),
        checksum_second=info.checksum[32:].hex(),
        client_key=info.client_key.hex(),
        session_id=str(uuid.UUID(bytes=info.session_id)),
        config_version=config_version,
        proxy_name=info.proxy_name if info.HasField("proxy_name") else None,
        timezone=timezone,
        gcpp_host=GCPP_REGIONS[region] if region is not None and 0 <= region < 3 else None,
        secret=config.secret if config.HasField("secret") else None,
        disable_vision=config.disable_vision if config.HasField("disable_vision") else None,
        enable_slow_pool=config.enable_slow_pool if config.HasField("enable_slow_pool") else None,
        include_web_references=(
            config.include_web_references if config.HasField("include_web_references") else None
        ),
        usage_check=usage_check,
        usage_check_models=usage_models,
        user_id=user_id_text(token.sub_id),
    )
