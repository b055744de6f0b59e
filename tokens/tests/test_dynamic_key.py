"""The dynamic key codec against the reference's vectors and a key assembled byte by byte."""

from __future__ import annotations

import base64
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cursorapi.upstream import dynamic_key, jwt
from cursorapi.upstream.dynamic_key import DynamicKeyError, KeyContents

FIRST, SECOND, CLIENT = "1f" * 32, "2e" * 32, "3d" * 32
SESSION = "6f1c2a0e-8d4b-4a53-9c57-0b7e6e0f2a11"
VERSION = "0a6b1b1c-2d3e-4f50-8a61-72839495a6b7"


def test_custom_base64_matches_the_reference_vectors() -> None:
    assert dynamic_key.b64encode(b"Hello") == "icKvNc6"
    assert dynamic_key.b64encode(b"foobar") == "Ms9XlsCy"
    assert dynamic_key.b64decode("icKvNc6") == b"Hello"
    for bad in ("icK+Nc6", "abcde", "a"):
        with pytest.raises(DynamicKeyError, match="alphabet"):
            dynamic_key.b64decode(bad)


def test_alias_keys_match_the_reference_vector() -> None:
    class Token:
        user_id = "user_01JZ2Q3ABCDEFGHJKMNPQRSTVW"
        randomness = "a1b2c3d4-e5f6-a7b8"

    short, numeric = dynamic_key.aliases(Token())  # type: ignore[arg-type]
    assert numeric == "2117269461331997210960696009097538428-13305875091066958497"
    assert short == "PgwfV41zypqPm0yUnnkL-mcyx9JS9uo2"


def test_every_minted_token_fits_a_dynamic_key() -> None:
    # A random first digit overflowed a ULID's 128 bits three times in four: 300 good mints rule that out.
    for _ in range(300):
        token = jwt.mint()
        assert jwt.parse(token).user_id[5] in "01234567"
        key = dynamic_key.encode(KeyContents(token, FIRST, SECOND, CLIENT, SESSION))
        assert dynamic_key.decode(key).token == token


# The low 32 bits come first in the key's little-endian bytes; when they are all zero the id reads
# back as a legacy hex id, a quirk of the format itself (the original has it too).
_ULIDS = st.integers(0, 2**128 - 1).filter(lambda n: n & 0xFFFFFFFF)


@given(_ULIDS, st.sampled_from(["session", "web"]))
def test_any_ulid_user_id_round_trips_through_a_key(number: int, token_type: str) -> None:
    digits = "".join(
        "0123456789ABCDEFGHJKMNPQRSTVWXYZ"[(number >> (5 * i)) & 31] for i in reversed(range(26))
    )
    token = jwt.mint(user_id="user_" + digits, token_type=token_type)
    key = dynamic_key.encode(KeyContents(token, FIRST, SECOND, CLIENT, SESSION))
    assert dynamic_key.decode(key).token == token


# --- a key written by hand, as prost writes key.proto (field order, proto3 presence) -------------


def _varint(n: int) -> bytes:
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, value: bytes | int | str) -> bytes:
    if isinstance(value, int):
        return _varint(number << 3) + _varint(value)
    data = value.encode() if isinstance(value, str) else value
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def _handmade_key(token: str) -> str:
    parsed = jwt.parse(token)
    number = 0
    for char in parsed.user_id[5:]:
        number = number * 32 + "0123456789ABCDEFGHJKMNPQRSTVWXYZ".index(char)
    claims = (
        _field(1, parsed.provider)
        + _field(2, number.to_bytes(16, "little"))
        + _field(3, bytes.fromhex(parsed.randomness.replace("-", "")))
        + _field(4, parsed.issued_at)
        + _field(5, parsed.expires_at)
        + _field(6, parsed.signature)
        + _field(7, 1)
    )
    info = (
        _field(1, claims)
        + _field(2, bytes.fromhex(FIRST + SECOND))
        + _field(3, bytes.fromhex(CLIENT))
        + _field(4, uuid.UUID(VERSION).bytes)
        + _field(5, uuid.UUID(SESSION).bytes)
        + _field(11, "corp")
        + _field(12, "Europe/Berlin")
        + _field(13, 1)
    )
    usage = _field(1, 3) + _field(2, "gpt-5") + _field(2, "claude-4.5-sonnet")
    config = (
        _field(1, info)
        + _field(2, bytes(32))
        + _field(3, 1)
        + _field(4, 0)  # optional false is still written
        + _field(6, usage)
    )
    standard = base64.b64encode(config).decode().rstrip("=")
    table = str.maketrans(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", dynamic_key.ALPHABET
    )
    return "sk-" + standard.translate(table)


def test_a_key_assembled_from_the_spec_decodes_and_ours_is_byte_identical() -> None:
    token = jwt.mint()
    key = _handmade_key(token)
    got = dynamic_key.decode(key)
    assert got.token == token  # rebuilt in Cursor's claim order, byte for byte
    assert (got.checksum_first, got.checksum_second, got.client_key) == (FIRST, SECOND, CLIENT)
    assert (got.session_id, got.config_version) == (SESSION, VERSION)
    assert (got.proxy_name, got.timezone, got.gcpp_host) == ("corp", "Europe/Berlin", "EU")
    assert (got.disable_vision, got.enable_slow_pool, got.include_web_references) == (True, False, None)
    assert got.usage_check == "custom" and got.usage_check_models == ("gpt-5", "claude-4.5-sonnet")
    assert got.secret == bytes(32) and got.user_id == jwt.parse(token).user_id
    ours = dynamic_key.encode(
        KeyContents(
            token=token,
            checksum_first=FIRST,
            checksum_second=SECOND,
            client_key=CLIENT,
            session_id=SESSION,
            config_version=VERSION,
            proxy_name="corp",
            timezone="Europe/Berlin",
            gcpp_host="EU",
            secret=bytes(32),
            disable_vision=True,
            enable_slow_pool=False,
            usage_check="custom",
            usage_check_models=("gpt-5", "claude-4.5-sonnet"),
        )
    )
    assert ours == key


def test_legacy_hex_user_ids_and_web_tokens_round_trip() -> None:
    token = jwt.mint(user_id="0123456789abcdef01234567", token_type="web")
    contents = KeyContents(token, FIRST, SECOND, CLIENT, SESSION)
    key = dynamic_key.encode(contents, prefix="ck-")
    got = dynamic_key.decode(key, prefix="ck-")
    assert got.token == token and got.user_id == "0123456789abcdef01234567" and got.config_version is None


def test_bad_values_inside_a_key_are_dropped_not_fatal() -> None:
    key = dynamic_key.encode(KeyContents(jwt.mint(), FIRST, SECOND, CLIENT, SESSION, timezone="Mars/Base"))
    assert dynamic_key.decode(key).timezone is None


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("pk-abc", "starts with 'sk-'"),
        ("sk-not+base64", "alphabet"),
        ("sk-" + dynamic_key.b64encode(b"\xff\xff\xff"), "does not decode"),
        ("sk-" + dynamic_key.b64encode(b""), "carries no token"),
        ("sk-" + dynamic_key.b64encode(_field(1, _field(1, b"") + _field(2, b"12"))), "must be 64 bytes"),
    ],
)
def test_malformed_keys_say_what_is_wrong(key: str, reason: str) -> None:
    with pytest.raises(DynamicKeyError, match=reason):
        dynamic_key.decode(key)


def test_a_key_with_a_provider_this_server_refuses() -> None:
    key = dynamic_key.encode(KeyContents(jwt.mint(), FIRST, SECOND, CLIENT, SESSION))
    with pytest.raises(DynamicKeyError, match="provider 'auth0' is not allowed"):
        dynamic_key.decode(key, providers=("github",))
    with pytest.raises(DynamicKeyError, match="ULID"):
        dynamic_key.user_id_bytes("user_" + "Z" * 26)
