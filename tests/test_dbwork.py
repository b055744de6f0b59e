"""The lease lane: database calls queued together run together and come back in one hand-off."""

from __future__ import annotations

import asyncio
import threading

import pytest

from cursorapi.dbwork import BatchLane


def _run_queued(lane: BatchLane, fn, count: int, cancel: int | None = None) -> list[object]:
    async def main() -> list[object]:
        calls = [asyncio.ensure_future(lane.run(fn, n)) for n in range(count)]
        await asyncio.sleep(0.05)  # every call queued; the first holds the lane's one thread
        if cancel is not None:
            calls[cancel].cancel()
        gate.set()
        return await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), 5)

    gate.clear()
    return asyncio.run(main())


gate = threading.Event()


def _double(n: int) -> int:
    gate.wait(5)
    if n == 3:
        raise ValueError("three")
    return n * 2


def test_calls_queued_together_run_in_one_batch_each_with_its_own_answer() -> None:
    lane = BatchLane("test-lane", threads=1)
    results = _run_queued(lane, _double, 10)
    assert results[:3] == [0, 2, 4]
    assert isinstance(results[3], ValueError) and str(results[3]) == "three"
    assert results[4:] == [8, 10, 12, 14, 16, 18]
    # One hand-back to the loop for all ten (two if the thread took the first before the rest queued).
    assert lane.batches <= 2


def test_a_cancelled_caller_leaves_the_others_their_answers() -> None:
    lane = BatchLane("test-lane", threads=1)
    results = _run_queued(lane, _double, 6, cancel=4)
    assert isinstance(results[4], asyncio.CancelledError)
    assert [results[i] for i in (0, 1, 2, 5)] == [0, 2, 4, 10]


@pytest.mark.django_db(transaction=True)
def test_a_lease_through_the_lane_reaches_the_database() -> None:
    from cursorapi.dbwork import db
    from tests.fixtures import add_token
    from tokens import services as pool

    add_token("a")
    add_token("b")

    async def two() -> list[str]:
        leases = await asyncio.gather(*(db(pool.acquire, lane="lease")() for _ in range(2)))
        return sorted(lease.token.alias for lease in leases)

    assert asyncio.run(two()) == ["a", "b"]
