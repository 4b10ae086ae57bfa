"""Group commit for the sockets' trips (realtime.batches): many callers, few runs, each its answer."""

import asyncio

import pytest

from realtime.batches import Batched


def counted(fail_on=None):
    runs = []

    async def run(items):
        runs.append(dict(items))
        await asyncio.sleep(0)  # on its way: others queue meanwhile
        if fail_on is not None and fail_on in items:
            raise ValueError(f"item {fail_on} is wrong")
        return {key: value * 2 for key, value in items.items()}

    return Batched(run, on_loop=True), runs


async def test_a_thousand_callers_at_once_are_one_run_and_each_gets_its_answer():
    double, runs = counted()
    answers = await asyncio.gather(*(double(n, n) for n in range(1000)))
    assert [answer[n] for n, answer in enumerate(answers)] == [2 * n for n in range(1000)]
    assert len(runs) == 1  # all queued before it started


async def test_callers_while_a_run_is_on_its_way_are_the_next_run():
    double, runs = counted()
    first = asyncio.ensure_future(double(0, 0))
    await asyncio.sleep(0)  # its run has started
    later = await asyncio.gather(*(double(n, n) for n in range(1, 500)))
    assert (await first)[0] == 0 and later[-1][499] == 998
    assert [len(run) for run in runs] == [1, 499]


async def test_a_cancelled_caller_leaves_the_others_their_answers():
    double, runs = counted()
    first = asyncio.ensure_future(double(0, 0))
    callers = [asyncio.ensure_future(double(n, n)) for n in range(1, 5)]
    await asyncio.sleep(0)
    callers[1].cancel()
    assert (await first)[0] == 0
    answers = await asyncio.gather(*callers, return_exceptions=True)
    assert isinstance(answers[1], asyncio.CancelledError)
    assert [answers[n][n + 1] for n in (0, 2, 3)] == [2, 6, 8]
    assert (await double(9, 9))[9] == 18  # and the queue goes on


async def test_a_failed_run_fails_every_caller_of_its_batch_and_only_them():
    double, runs = counted(fail_on=3)
    first = asyncio.ensure_future(double(0, 0))
    await asyncio.sleep(0)
    batch = [asyncio.ensure_future(double(n, n)) for n in range(1, 5)]
    assert (await first)[0] == 0
    for caller in batch:
        with pytest.raises(ValueError, match="item 3 is wrong"):
            await caller
    assert (await double(5, 5))[5] == 10
