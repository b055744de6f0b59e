from __future__ import annotations

import pytest

from cursorapi.upstream import checksum

FIRST = "a" * 64
SECOND = "b" * 64


@pytest.mark.parametrize(
    ("unix", "prefix"),
    [(1755000000, "YhsdCtGu"), (1755999999, "bjI0Mf6m"), (1756000000, "bg8RDsmu"), (1700000000, "Vfb45Bi9")],
)
def test_time_header_matches_the_reference_vectors(unix: int, prefix: str) -> None:
    assert checksum.time_header(unix) == prefix
    assert checksum.decode_time_header(prefix) == unix // 1000


def test_build_gives_137_characters_that_verify() -> None:
    value = checksum.build(FIRST, SECOND, 1755000000)
    assert value == "YhsdCtGu" + FIRST + "/" + SECOND
    assert len(value) == checksum.CHECKSUM_LENGTH
    assert checksum.verify(value) is None
    assert checksum.verify(value, now=1755000500, skew_seconds=3600) is None
    assert "too far" in checksum.verify(value, now=1765000000, skew_seconds=3600)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("short", "137 characters"),
        ("AAAAAAAA" + FIRST + "/" + SECOND, "does not decode"),
        ("YhsdCtGu" + "z" * 64 + "/" + SECOND, "not two 64-hex"),
    ],
)
def test_verify_explains_a_bad_checksum(value: str, problem: str) -> None:
    assert problem in checksum.verify(value)


def test_repair_keeps_what_it_can() -> None:
    assert checksum.repair(FIRST + "/" + SECOND) == (FIRST, SECOND)
    assert checksum.repair("YhsdCtGu" + FIRST + "/" + SECOND) == (FIRST, SECOND)
    first, second = checksum.repair("YhsdCtGu" + FIRST)
    assert first == FIRST and len(second) == 64 and second != SECOND
    first, second = checksum.repair("garbage")
    assert len(first) == len(second) == 64 and first != second


def test_random_hashes_are_hex_and_distinct() -> None:
    values = {checksum.random_hash() for _ in range(20)} | {
        checksum.random_hash(safe=False) for _ in range(20)
    }
    assert len(values) == 40
    assert all(len(v) == 64 and int(v, 16) >= 0 for v in values)
