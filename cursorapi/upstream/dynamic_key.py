"""Dynamic API keys in the original's formats: a key carries one Cursor account and its settings.

Key string: `KEY_PREFIX` + custom-alphabet base64 (no padding) of one of two documents.

* R4 (0.4.x): a CBOR array (`ConfiguredKey`, fields by position) whose `secret` slot is an
  HMAC-SHA256 tag over the token's fields, keyed by the server's `DYNAMIC_KEY_SECRET`: only the
  server that built a key accepts it. The tag covers the token alone; checksum, proxy and flags can
  be edited by whoever holds the key, as in the original.
* R3 (0.3.x): a protobuf `key.KeyConfig` (proto/key.proto) with no check at all.

The first byte tells them apart (a CBOR array starts 0x80-0x9f, the protobuf with field 1's tag,
0x0a). Neither stores the JWT as text: its claims are stored as fields and the token is rebuilt in
Cursor's claim order, so keys built by the reference proxy decode here and the other way round
(the R4 layout follows its source and minicbor-derive's rules; no key from a running R4 was at hand).
Keys are not encrypted: whoever holds one can read the account out of it.

The two alias forms /build-key also returns (base64 and decimal of user id + randomness) are derived
here too. No Django imports.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import string
import uuid
import zoneinfo
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TypeVar

from google.protobuf.message import DecodeError

from . import cbor, jwt
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

R3, R4 = "r3", "r4"


@dataclass(frozen=True, slots=True)
class KeyContents:
    """What a key carries. `token` is the JWT string (rebuilt when decoded)."""

    # Secrets stay out of the repr (tracebacks, debug pages, logs of the object).
    token: str = field(repr=False)
    checksum_first: str = field(repr=False)
    checksum_second: str = field(repr=False)
    client_key: str = field(repr=False)
    session_id: str
    config_version: str | None = None
    proxy_name: str | None = None
    timezone: str | None = None
    gcpp_host: str | None = None  # Asia / EU / US
    # R3: SHA-256 of a password, never checked; R4: the HMAC tag (set when decoding, computed when encoding).
    secret: bytes | None = field(default=None, repr=False)
    disable_vision: bool | None = None
    enable_slow_pool: bool | None = None
    include_web_references: bool | None = None
    usage_check: str | None = None  # default / disabled / all / custom
    usage_check_models: tuple[str, ...] = field(default=())
    user_id: str = ""  # filled when decoding: the account's Cursor user id
    format: str = ""  # filled when decoding: R3 or R4


@dataclass(frozen=True, slots=True)
class TokenFields:
    """A JWT as a key stores it: the claims that vary, as bytes and numbers."""

    provider: str
    sub_id: bytes  # 16
    randomness: bytes  # 8
    start: int  # the `time` claim
    end: int  # `exp`
    signature: bytes  # 32
    is_session: bool

    @classmethod
    def of(cls, token: jwt.CursorToken) -> TokenFields:
        return cls(
            provider=token.provider,
            sub_id=user_id_bytes(token.user_id),
            randomness=bytes.fromhex(token.randomness.replace("-", "")),
            start=token.issued_at,
            end=token.expires_at,
            signature=token.signature,
            is_session=token.is_session,
        )


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
    contents: KeyContents,
    prefix: str = "sk-",
    providers: tuple[str, ...] = jwt.DEFAULT_PROVIDERS,
    *,
    hmac_key: bytes | None = None,
) -> str:
    """An R4 key signed with `hmac_key` (see secret_key), or without one an R3 key.

    An R4 key's `secret` is always the tag: `contents.secret` only goes into R3 keys.
    """
    try:
        token = jwt.parse(contents.token, providers)
    except jwt.TokenError as exc:
        raise DynamicKeyError(str(exc)) from exc
    fields = TokenFields.of(token)
    checksum = _hex(contents.checksum_first, 32, "checksum.first") + _hex(
        contents.checksum_second, 32, "checksum.second"
    )
    client_key = _hex(contents.client_key, 32, "client_key")
    session_id = _uuid(contents.session_id, "session_id")
    config_version = _uuid(contents.config_version, "config_version") if contents.config_version else None
    region = GCPP_REGIONS.index(contents.gcpp_host) if contents.gcpp_host is not None else None
    usage = None
    if contents.usage_check is not None:
        models = contents.usage_check_models if contents.usage_check == "custom" else ()
        usage = (USAGE_CHECK_TYPES.index(contents.usage_check), list(models))
    if hmac_key is not None:
        info: list[cbor.Value] = [
            _cbor_token(fields),
            list(checksum),
            list(client_key),
            list(config_version) if config_version is not None else None,
            list(session_id),
            contents.proxy_name,
            contents.timezone,
            region,
        ]
        document: list[cbor.Value] = [
            _trimmed(info),
            list(token_tag(hmac_key, fields)),
            contents.disable_vision,
            contents.enable_slow_pool,
            contents.include_web_references,
            [usage[0], list(usage[1])] if usage is not None else None,
        ]
        return prefix + b64encode(cbor.dumps(_trimmed(document)))
    proto_info = key_pb2.TokenInfo(
        token=key_pb2.Token(
            provider=fields.provider,
            sub_id=fields.sub_id,
            randomness=fields.randomness,
            start=fields.start,
            end=fields.end,
            signature=fields.signature,
            is_session=fields.is_session,
        ),
        checksum=checksum,
        client_key=client_key,
        session_id=session_id,
    )
    if config_version is not None:
        proto_info.config_version = config_version
    if contents.proxy_name is not None:
        proto_info.proxy_name = contents.proxy_name
    if contents.timezone is not None:
        proto_info.timezone = contents.timezone
    if region is not None:
        proto_info.gcpp_host = region
    config = key_pb2.KeyConfig(token_info=proto_info)
    if contents.secret is not None:
        config.secret = contents.secret
    for name in ("disable_vision", "enable_slow_pool", "include_web_references"):
        value = getattr(contents, name)
        if value is not None:
            setattr(config, name, value)
    if usage is not None:
        config.usage_check_models.CopyFrom(key_pb2.UsageCheckModel(type=usage[0], model_ids=usage[1]))  # type: ignore[arg-type]
    return prefix + b64encode(config.SerializeToString())


def rebuild_token(token: TokenFields) -> str:
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


def decode(
    key: str,
    prefix: str = "sk-",
    providers: tuple[str, ...] = jwt.DEFAULT_PROVIDERS,
    *,
    hmac_key: bytes | None = None,
    r3: bool = True,
) -> KeyContents:
    """The contents of a key; raises DynamicKeyError saying what is wrong.

    R4 keys are read only with `hmac_key` (and must carry its tag), R3 keys only when `r3`.
    Like the reference, a bad timezone, region or config version inside a key is dropped rather
    than refused: the account in it still works.
    """
    return _decode(key, prefix, tuple(providers), hmac_key, r3)


@lru_cache(maxsize=1024)
def _decode(
    key: str, prefix: str, providers: tuple[str, ...], hmac_key: bytes | None, r3: bool
) -> KeyContents:
    if not key.startswith(prefix):
        raise DynamicKeyError(f"a dynamic key starts with {prefix!r}")
    raw = b64decode(key[len(prefix) :])
    if raw and 0x80 <= raw[0] <= 0x9F:
        if hmac_key is None:
            raise DynamicKeyError("it is an R4 key (CBOR), and this server has no DYNAMIC_KEY_SECRET")
        parts = _parse_r4(raw, hmac_key)
    elif not r3:
        if raw[:1] == b"\x0a":
            raise DynamicKeyError("it is an R3 key (protobuf), and R3 keys are off (DYNAMIC_KEY=false)")
        raise DynamicKeyError("the key does not decode (not a key built by /build-key)")
    else:
        parts = _parse_r3(raw)
    if parts.token.provider not in providers:
        raise DynamicKeyError(f"the key's token provider {parts.token.provider!r} is not allowed")
    rebuilt = rebuild_token(parts.token)
    try:
        jwt.parse(rebuilt, providers)
    except jwt.TokenError as exc:
        raise DynamicKeyError(f"the key's token is not valid: {exc}") from exc
    config_version = None
    if parts.config_version is not None and len(parts.config_version) == 16:
        config_version = str(uuid.UUID(bytes=parts.config_version))
    timezone = parts.timezone if parts.timezone is not None and _valid_timezone(parts.timezone) else None
    region = parts.gcpp_host
    usage_check, usage_models = None, ()
    if parts.usage is not None:
        kind, usage_models = parts.usage
        usage_check = USAGE_CHECK_TYPES[kind] if 0 <= kind < len(USAGE_CHECK_TYPES) else "default"
    return KeyContents(
        token=rebuilt,
        checksum_first=parts.checksum[:32].hex(),
        checksum_second=parts.checksum[32:].hex(),
        client_key=parts.client_key.hex(),
        session_id=str(uuid.UUID(bytes=parts.session_id)),
        config_version=config_version,
        proxy_name=parts.proxy_name,
        timezone=timezone,
        gcpp_host=GCPP_REGIONS[region] if region is not None and 0 <= region < 3 else None,
        secret=parts.secret,
        disable_vision=parts.flags[0],
        enable_slow_pool=parts.flags[1],
        include_web_references=parts.flags[2],
        usage_check=usage_check,
        usage_check_models=usage_models,
        user_id=user_id_text(parts.token.sub_id),
        format=parts.format,
    )


@dataclass(frozen=True, slots=True)
class _Parts:
    """A key's fields once read from either format, before the checks they share."""

    format: str
    token: TokenFields
    checksum: bytes
    client_key: bytes
    session_id: bytes
    config_version: bytes | None
    proxy_name: str | None
    timezone: str | None
    gcpp_host: int | None
    secret: bytes | None
    flags: tuple[bool | None, bool | None, bool | None]  # disable_vision, enable_slow_pool, web references
    usage: tuple[int, tuple[str, ...]] | None


# --- R3: protobuf -------------------------------------------------------------------------------


def _parse_r3(raw: bytes) -> _Parts:
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
    usage = None
    if config.HasField("usage_check_models"):
        usage = (int(config.usage_check_models.type), tuple(config.usage_check_models.model_ids))
    return _Parts(
        format=R3,
        token=TokenFields(
            token.provider,
            token.sub_id,
            token.randomness,
            token.start,
            token.end,
            token.signature,
            token.is_session,
        ),
        checksum=info.checksum,
        client_key=info.client_key,
        session_id=info.session_id,
        config_version=info.config_version if info.HasField("config_version") else None,
        proxy_name=info.proxy_name if info.HasField("proxy_name") else None,
        timezone=info.timezone if info.HasField("timezone") else None,
        gcpp_host=info.gcpp_host if info.HasField("gcpp_host") else None,
        secret=config.secret if config.HasField("secret") else None,
        flags=(
            config.disable_vision if config.HasField("disable_vision") else None,
            config.enable_slow_pool if config.HasField("enable_slow_pool") else None,
            config.include_web_references if config.HasField("include_web_references") else None,
        ),
        usage=usage,
    )


# --- R4: CBOR and the HMAC tag ------------------------------------------------------------------


_HEX_DIGITS = string.hexdigits.encode()


@lru_cache(maxsize=8)
def secret_key(setting: str) -> bytes | None:
    """The 64-byte HMAC key for a DYNAMIC_KEY_SECRET value; None when it is empty (R4 keys off).

    As the original reads `dynamic_key_secret`: its first word; `hex:` and at least 64 hex digits
    give up to 64 raw bytes (an odd last digit is a high nibble); anything else, a bad digit
    included, is hashed whole (prefix and all) with SHA-256 into the first 32 bytes.
    """
    words = setting.split()
    if not words:
        return None
    word = words[0].encode()
    digits = word[4:132]  # 64 bytes' worth; digits past them are ignored, as the original does
    if word.startswith(b"hex:") and len(word) - 4 >= 64 and all(d in _HEX_DIGITS for d in digits):
        if len(digits) % 2:
            digits += b"0"
        return bytes.fromhex(digits.decode()).ljust(64, b"\0")
    return hashlib.sha256(word).digest().ljust(64, b"\0")


def token_tag(hmac_key: bytes, token: TokenFields) -> bytes:
    """The R4 `secret`: HMAC-SHA256 over the token's fields, each after a label."""
    try:
        start = token.start.to_bytes(8, "little", signed=True)
        end = token.end.to_bytes(8, "little", signed=True)
    except OverflowError as exc:
        raise DynamicKeyError("the token's time and exp must fit in 64 bits") from exc
    message = b"".join(
        (
            b"subject",
            token.provider.encode(),
            token.sub_id,
            b"signature",
            token.signature,
            b"duration",
            start,
            end,
            b"randomness",
            token.randomness,
            b"type",
            b"session" if token.is_session else b"web",
        )
    )
    return hmac.new(hmac_key, message, hashlib.sha256).digest()


def _cbor_token(token: TokenFields) -> list[cbor.Value]:
    return [
        token.provider,
        list(token.sub_id),
        list(token.randomness),
        token.start,
        token.end,
        list(token.signature),
        token.is_session,
    ]


def _trimmed(items: list[cbor.Value]) -> list[cbor.Value]:
    # minicbor-derive leaves trailing absent optional fields out of the array.
    while items and items[-1] is None:
        items = items[:-1]
    return items


class _Array:
    """Positional reading of one CBOR array, as minicbor-derive lays out a struct."""

    def __init__(self, value: cbor.Value, name: str) -> None:
        if not isinstance(value, list):
            raise DynamicKeyError(f"the key's {name} is not a CBOR array")
        self.items = value
        self.name = name

    def get(self, index: int) -> cbor.Value:
        # Missing (trailing) and null both mean "absent"; elements past the known ones are ignored.
        return self.items[index] if index < len(self.items) else None

    def maybe(self, index: int, what: str, kind: type[_Scalar]) -> _Scalar | None:
        value = self.get(index)
        # `type() is`, not isinstance: a true/false where a number belongs is refused too.
        if value is not None and type(value) is not kind:
            raise DynamicKeyError(f"the key's {self.name}.{what} must be {_KIND_NAMES[kind]}")
        return value

    def need(self, index: int, what: str, kind: type[_Scalar]) -> _Scalar:
        value = self.maybe(index, what, kind)
        if value is None:
            raise DynamicKeyError(f"the key lacks {self.name}.{what}")
        return value

    def maybe_bytes(self, index: int, what: str, size: int) -> bytes | None:
        """A Rust `[u8; N]`: an array of N small unsigned integers, not a byte string."""
        value = self.get(index)
        if value is None:
            return None
        if not isinstance(value, list) or len(value) != size:
            raise DynamicKeyError(f"the key's {self.name}.{what} must be {size} bytes")
        out = bytearray()
        for item in value:
            if type(item) is not int or not 0 <= item <= 255:
                raise DynamicKeyError(f"the key's {self.name}.{what} must be {size} bytes")
            out.append(item)
        return bytes(out)

    def need_bytes(self, index: int, what: str, size: int) -> bytes:
        value = self.maybe_bytes(index, what, size)
        if value is None:
            raise DynamicKeyError(f"the key lacks {self.name}.{what}")
        return value


_Scalar = TypeVar("_Scalar", str, int, bool)
_KIND_NAMES = {str: "text", int: "an integer", bool: "true or false"}


def _parse_r4(raw: bytes, hmac_key: bytes) -> _Parts:
    try:
        document = cbor.loads(raw)
    except cbor.CBORError as exc:
        raise DynamicKeyError(f"the key does not decode (bad CBOR: {exc})") from exc
    key = _Array(document, "key")
    if key.get(0) is None:
        raise DynamicKeyError("the key carries no token")
    info = _Array(key.get(0), "token_info")
    if info.get(0) is None:
        raise DynamicKeyError("the key carries no token")
    token = _Array(info.get(0), "token")
    fields = TokenFields(
        provider=token.need(0, "provider", str),
        sub_id=token.need_bytes(1, "sub_id", 16),
        randomness=token.need_bytes(2, "randomness", 8),
        start=token.need(3, "start", int),
        end=token.need(4, "end", int),
        signature=token.need_bytes(5, "signature", 32),
        is_session=token.need(6, "is_session", bool),
    )
    tag = key.maybe_bytes(1, "secret", 32)
    if tag is None:
        raise DynamicKeyError("the key carries no signature (secret): it was not built by an R4 server")
    if not hmac.compare_digest(tag, token_tag(hmac_key, fields)):
        raise DynamicKeyError(
            "its signature does not match this server's DYNAMIC_KEY_SECRET: "
            "built by another server, or altered"
        )
    usage = None
    if key.get(5) is not None:
        rule = _Array(key.get(5), "usage_check_models")
        kind = rule.need(0, "type", int)
        if not 0 <= kind < len(USAGE_CHECK_TYPES):
            raise DynamicKeyError(f"the key's usage_check_models.type {kind} is unknown")
        ids = rule.get(1) or []
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise DynamicKeyError("the key's usage_check_models.model_ids must be a list of text")
        usage = (kind, tuple(str(i) for i in ids))
    return _Parts(
        format=R4,
        token=fields,
        checksum=info.need_bytes(1, "checksum", 64),
        client_key=info.need_bytes(2, "client_key", 32),
        config_version=info.maybe_bytes(3, "config_version", 16),
        session_id=info.need_bytes(4, "session_id", 16),
        proxy_name=info.maybe(5, "proxy_name", str),
        timezone=info.maybe(6, "timezone", str),
        gcpp_host=info.maybe(7, "gcpp_host", int),
        secret=tag,
        flags=(
            key.maybe(2, "disable_vision", bool),
            key.maybe(3, "enable_slow_pool", bool),
            key.maybe(4, "include_web_references", bool),
        ),
        usage=usage,
    )
