"""The CBOR subset against RFC 8949's Appendix A examples, and what it refuses."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cursorapi.upstream import cbor

# (value, hex) pairs from RFC 8949 Appendix A that fall inside the subset.
RFC_EXAMPLES = [
    (0, "00"),
    (1, "01"),
    (10, "0a"),
    (23, "17"),
    (24, "1818"),
    (25, "1819"),
    (100, "1864"),
    (1000, "1903e8"),
    (1000000, "1a000f4240"),
    (1000000000000, "1b000000e8d4a51000"),
    (18446744073709551615, "1bffffffffffffffff"),
    (-1, "20"),
    (-10, "29"),
    (-100, "3863"),
    (-1000, "3903e7"),
    (-18446744073709551616, "3bffffffffffffffff"),
    (False, "f4"),
    (True, "f5"),
    (None, "f6"),
    (b"", "40"),
    (b"\x01\x02\x03\x04", "4401020304"),
    ("", "60"),
    ("a", "6161"),
    ("IETF", "6449455446"),
    ('"\\', "62225c"),
    ("\u00fc", "62c3bc"),
    ("\u6c34", "63e6b0b4"),
    ("\U00010151", "64f0908591"),
    ([], "80"),
    ([1, 2, 3], "83010203"),
    ([1, [2, 3], [4, 5]], "8301820203820405"),
    (list(range(1, 26)), "98190102030405060708090a0b0c0d0e0f101112131415161718181819"),
]


@pytest.mark.parametrize(("value", "encoded"), RFC_EXAMPLES)
def test_rfc_examples_encode_and_decode(value: cbor.Value, encoded: str) -> None:
    assert cbor.dumps(value).hex() == encoded
    decoded = cbor.loads(bytes.fromhex(encoded))
    assert decoded == value and type(decoded) is type(value)


@pytest.mark.parametrize(
    ("encoded", "value"),
    [
        ("9fff", []),  # indefinite-length arrays, as minicbor may write them
        ("9f018202039f0405ffff", [1, [2, 3], [4, 5]]),
        ("83018202039f0405ff", [1, [2, 3], [4, 5]]),
        ("1817", 23),  # a longer head than needed is still the number
        ("190001", 1),
    ],
)
def test_other_valid_forms_decode(encoded: str, value: cbor.Value) -> None:
    assert cbor.loads(bytes.fromhex(encoded)) == value


@pytest.mark.parametrize(
    ("encoded", "reason"),
    [
        ("", "ends inside"),
        ("a0", "map"),
        ("c11a514b67b0", "tag"),
        ("f93c00", "float"),
        ("fb3ff199999999999a", "float"),
        ("f7", "simple value"),  # undefined
        ("ff", "simple value"),  # a break outside an indefinite array
        ("5f42010243030405ff", "indefinite-length item"),
        ("7f657374726561646d696e67ff", "indefinite-length item"),
        ("1c", "reserved"),
        ("19ff", "ends inside"),
        ("62c3", "ends inside"),
        ("62fffe", "not UTF-8"),
        ("9b00000000ffffffff", "longer than the input"),
        ("9f0102", "ends inside an indefinite-length array"),
        ("0102", "1 bytes after the item"),
        ("81" * 17 + "00", "nested more than 16"),
        ("9f" * 18 + "ff" * 18, "nested more than 16"),
    ],
)
def test_what_is_refused(encoded: str, reason: str) -> None:
    with pytest.raises(cbor.CBORError, match=reason):
        cbor.loads(bytes.fromhex(encoded))


def test_what_cannot_be_encoded() -> None:
    with pytest.raises(cbor.CBORError, match="64 bits"):
        cbor.dumps(2**64)
    with pytest.raises(cbor.CBORError, match="float"):
        cbor.dumps(1.5)  # type: ignore[arg-type]


_scalars = st.none() | st.booleans() | st.integers(-(2**64), 2**64 - 1) | st.text() | st.binary(max_size=300)
_values = _scalars
for _ in range(4):  # nesting a few levels deep, well inside the decoder's cap
    _values = _scalars | st.lists(_values, max_size=8)


@given(_values)
def test_anything_encoded_decodes_to_itself(value: cbor.Value) -> None:
    assert cbor.loads(cbor.dumps(value)) == value


@given(st.binary(max_size=64))
def test_arbitrary_bytes_decode_or_raise_cborerror(data: bytes) -> None:
    with contextlib.suppress(cbor.CBORError):
        cbor.loads(data)
