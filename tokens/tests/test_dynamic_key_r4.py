"""R4 dynamic keys (CBOR + HMAC): a key assembled byte by byte from the spec, the tag computed
independently, the secret's derivation, and the keys that must be refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
import uuid

import pytest

from cursorapi.upstream import cbor, dynamic_key, jwt
from cursorapi.upstream.dynamic_key import DynamicKeyError, KeyContents

FIRST, SECOND, CLIENT = "1f" * 32, "2e" * 32, "3d" * 32
SESSION = "6f1c2a0e-8d4b-4a53-9c57-0b7e6e0f2a11"
VERSION = "0a6b1b1c-2d3e-4f50-8a61-72839495a6b7"
# Only the first word counts; a word that is not `hex:` + 64 digits is hashed into 32 of 64 bytes.
SERVER_SECRET = "correct horse battery staple"
HMAC_KEY = hashlib.sha256(b"correct").digest() + bytes(32)
_TO_CUSTOM = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", dynamic_key.ALPHABET
)
_FROM_CUSTOM = str.maketrans(
    dynamic_key.ALPHABET, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)


# --- CBOR written out by hand (RFC 8949 heads), not with the module under test -------------------


def _head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | info]) + n.to_bytes(size, "big")
    raise ValueError(n)


def uint(n: int) -> bytes:
    return _head(0, n)


def text(s: str) -> bytes:
    return _head(3, len(s.encode())) + s.encode()


def array(*items: bytes) -> bytes:
    return _head(4, len(items)) + b"".join(items)


def u8s(data: bytes) -> bytes:
    """A Rust `[u8; N]` as minicbor writes it: an array of small unsigned integers."""
    return array(*(uint(b) for b in data))


NULL, TRUE, FALSE = b"\xf6", b"\xf5", b"\xf4"


def _key(document: bytes, prefix: str = "sk-") -> str:
    return prefix + base64.b64encode(document).decode().rstrip("=").translate(_TO_CUSTOM)


def _document(key: str) -> bytes:
    body = key[3:].translate(_FROM_CUSTOM)
    return base64.b64decode(body + "=" * (-len(body) % 4))


def _sub_id(user_id: str) -> bytes:
    number = 0
    for char in user_id[5:]:
        number = number * 32 + "0123456789ABCDEFGHJKMNPQRSTVWXYZ".index(char)
    return number.to_bytes(16, "little")


def _expected_tag(token: jwt.CursorToken, key: bytes = HMAC_KEY) -> bytes:
    """§10.7 read literally: labels and fields, times as little-endian i64."""
    message = (
        b"subject"
        + token.provider.encode()
        + _sub_id(token.user_id)
        + b"signature"
        + token.signature
        + b"duration"
        + struct.pack("<qq", token.issued_at, token.expires_at)
        + b"randomness"
        + bytes.fromhex(token.randomness.replace("-", ""))
        + b"type"
        + (b"session" if token.is_session else b"web")
    )
    return hmac.new(key, message, hashlib.sha256).digest()


def _token_array(token: jwt.CursorToken) -> bytes:
    return array(
        text(token.provider),
        u8s(_sub_id(token.user_id)),
        u8s(bytes.fromhex(token.randomness.replace("-", ""))),
        uint(token.issued_at),
        uint(token.expires_at),
        u8s(token.signature),
        TRUE if token.is_session else FALSE,
    )


def test_a_full_key_assembled_from_the_spec_decodes_and_ours_is_byte_identical() -> None:
    token = jwt.parse(jwt.mint())
    document = array(
        array(
            _token_array(token),
            u8s(bytes.fromhex(FIRST + SECOND)),
            u8s(bytes.fromhex(CLIENT)),
            u8s(uuid.UUID(VERSION).bytes),
            u8s(uuid.UUID(SESSION).bytes),
            text("corp"),
            text("Europe/Berlin"),
            uint(1),
        ),
        u8s(_expected_tag(token)),
        TRUE,
        FALSE,
        NULL,  # include_web_references absent, but not trailing: written as null
        array(uint(3), array(text("gpt-5"), text("claude-4.5-sonnet"))),
    )
    key = _key(document)
    got = dynamic_key.decode(key, hmac_key=HMAC_KEY, r3=False)
    assert got.format == dynamic_key.R4 and got.token == token.raw  # rebuilt byte for byte
    assert (got.checksum_first, got.checksum_second, got.client_key) == (FIRST, SECOND, CLIENT)
    assert (got.session_id, got.config_version) == (SESSION, VERSION)
    assert (got.proxy_name, got.timezone, got.gcpp_host) == ("corp", "Europe/Berlin", "EU")
    assert (got.disable_vision, got.enable_slow_pool, got.include_web_references) == (True, False, None)
    assert got.usage_check == "custom" and got.usage_check_models == ("gpt-5", "claude-4.5-sonnet")
    assert got.secret == _expected_tag(token) and got.user_id == token.user_id

    contents = KeyContents(
        token=token.raw,
        checksum_first=FIRST,
        checksum_second=SECOND,
        client_key=CLIENT,
        session_id=SESSION,
        config_version=VERSION,
        proxy_name="corp",
        timezone="Europe/Berlin",
        gcpp_host="EU",
        secret=b"ignored: an R4 key's secret is its tag",
        disable_vision=True,
        enable_slow_pool=False,
        usage_check="custom",
        usage_check_models=("gpt-5", "claude-4.5-sonnet"),
    )
    assert dynamic_key.encode(contents, hmac_key=HMAC_KEY) == key
    assert dynamic_key.secret_key(SERVER_SECRET) == HMAC_KEY


def test_absent_fields_at_the_end_are_left_out_and_a_web_token_round_trips() -> None:
    token = jwt.parse(jwt.mint(token_type="web"))
    key = dynamic_key.encode(KeyContents(token.raw, FIRST, SECOND, CLIENT, SESSION), hmac_key=HMAC_KEY)
    # config_version is absent but session_id follows it, so it stays as null; nothing after it.
    assert _document(key) == array(
        array(
            _token_array(token),
            u8s(bytes.fromhex(FIRST + SECOND)),
            u8s(bytes.fromhex(CLIENT)),
            NULL,
            u8s(uuid.UUID(SESSION).bytes),
        ),
        u8s(_expected_tag(token)),
    )
    got = dynamic_key.decode(key, hmac_key=HMAC_KEY)
    assert got.token == token.raw and got.config_version is None and got.usage_check is None


def test_a_usage_rule_other_than_custom_carries_no_models() -> None:
    contents = KeyContents(jwt.mint(), FIRST, SECOND, CLIENT, SESSION, usage_check="all")
    key = dynamic_key.encode(contents, hmac_key=HMAC_KEY)
    assert cbor.loads(_document(key))[5] == [2, []]  # type: ignore[index]
    assert dynamic_key.decode(key, hmac_key=HMAC_KEY).usage_check == "all"


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("", None),
        (" \t\n", None),
        ("s3cret", hashlib.sha256(b"s3cret").digest() + bytes(32)),
        ("  s3cret and more words", hashlib.sha256(b"s3cret").digest() + bytes(32)),
        ("hex:" + "ab" * 32, bytes([0xAB]) * 32 + bytes(32)),
        ("hex:" + "AB" * 64, bytes([0xAB]) * 64),
        ("hex:" + "0123456789abcdef" * 9, bytes.fromhex("0123456789abcdef" * 8)),  # past 64 bytes: ignored
        ("hex:" + "ab" * 32 + "c", bytes([0xAB]) * 32 + b"\xc0" + bytes(31)),  # odd: a high nibble
        # Fewer than 64 digits, or a bad digit: the whole word, `hex:` included, is hashed.
        ("hex:" + "ab" * 31 + "a", hashlib.sha256(b"hex:" + b"ab" * 31 + b"a").digest() + bytes(32)),
        ("hex:" + "zz" * 32, hashlib.sha256(b"hex:" + b"zz" * 32).digest() + bytes(32)),
    ],
)
def test_the_hmac_key_is_derived_as_the_original_does(setting: str, expected: bytes | None) -> None:
    assert dynamic_key.secret_key(setting) == expected


def _edited(key: str, edit) -> str:
    document = cbor.loads(_document(key))
    edit(document)
    return _key(cbor.dumps(document))


def _flip(values: list[int], index: int = 0) -> None:
    values[index] ^= 1


@pytest.fixture
def r4_key() -> str:
    return dynamic_key.encode(
        KeyContents(jwt.mint(), FIRST, SECOND, CLIENT, SESSION, enable_slow_pool=False), hmac_key=HMAC_KEY
    )


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda d: _flip(d[0][0][5]), id="token signature"),
        pytest.param(lambda d: _flip(d[0][0][1], 15), id="user id"),
        pytest.param(lambda d: _flip(d[0][0][2]), id="randomness"),
        pytest.param(lambda d: d[0][0].__setitem__(4, d[0][0][4] + 86400), id="expiry"),
        pytest.param(lambda d: d[0][0].__setitem__(6, False), id="session to web"),
        pytest.param(lambda d: d[0][0].__setitem__(0, "github"), id="provider"),
        pytest.param(lambda d: _flip(d[1], 31), id="tag"),
    ],
)
def test_a_tampered_token_or_tag_is_refused(r4_key: str, edit) -> None:
    with pytest.raises(DynamicKeyError, match="does not match this server's DYNAMIC_KEY_SECRET"):
        dynamic_key.decode(_edited(r4_key, edit), hmac_key=HMAC_KEY)


def test_the_tag_covers_the_token_only_and_binds_the_key_to_its_server(r4_key: str) -> None:
    # As in the original: checksum, identity and flags are not signed, so the holder may change them.
    edited = _edited(r4_key, lambda d: (d[0][1].__setitem__(0, 0), d.__setitem__(3, True)))
    got = dynamic_key.decode(edited, hmac_key=HMAC_KEY)
    assert got.checksum_first.startswith("00") and got.enable_slow_pool is True
    other = dynamic_key.secret_key("another-server")
    with pytest.raises(DynamicKeyError, match="does not match"):
        dynamic_key.decode(r4_key, hmac_key=other)
    with pytest.raises(DynamicKeyError, match="no signature"):
        dynamic_key.decode(_edited(r4_key, lambda d: d.__setitem__(1, None)), hmac_key=HMAC_KEY)


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (bytes.fromhex("9f01"), "bad CBOR: the input ends inside an indefinite-length array"),
        (bytes.fromhex("8201a0"), "bad CBOR: unsupported map"),
        (bytes.fromhex("820102ff"), "bad CBOR: 1 bytes after the item"),
        (array(), "carries no token"),
        (array(NULL, u8s(bytes(32))), "carries no token"),
        (array(uint(1)), "token_info is not a CBOR array"),
        (array(array(array(text("auth0"), u8s(bytes(15))))), "token.sub_id must be 16 bytes"),
        (array(array(array(text("auth0"), _head(2, 16) + bytes(16)))), "token.sub_id must be 16 bytes"),
        (array(array(array(uint(7)))), "token.provider must be text"),
        (array(array(array(text("auth0"), u8s(bytes(16)), u8s(bytes(8)), TRUE))), "start must be an integer"),
        (array(array(array(text("auth0"), u8s(bytes(16)), u8s(bytes(8))))), "lacks token.start"),
    ],
)
def test_malformed_r4_keys_say_what_is_wrong(document: bytes, reason: str) -> None:
    with pytest.raises(DynamicKeyError, match=re.escape(reason)):
        dynamic_key.decode(_key(document), hmac_key=HMAC_KEY)


def test_each_format_is_read_only_when_it_is_on(r4_key: str) -> None:
    r3_key = dynamic_key.encode(KeyContents(jwt.mint(), FIRST, SECOND, CLIENT, SESSION))
    with pytest.raises(DynamicKeyError, match=r"R4 key .* no DYNAMIC_KEY_SECRET"):
        dynamic_key.decode(r4_key)
    with pytest.raises(DynamicKeyError, match=r"R3 key .* off \(DYNAMIC_KEY=false\)"):
        dynamic_key.decode(r3_key, hmac_key=HMAC_KEY, r3=False)
    assert dynamic_key.decode(r3_key, hmac_key=HMAC_KEY).format == dynamic_key.R3
    assert dynamic_key.decode(r4_key, hmac_key=HMAC_KEY, r3=False).format == dynamic_key.R4
