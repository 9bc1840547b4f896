"""Per-API rate control on a fake clock: the adaptive state machine, fixed ceilings, deadlines,
and the emulator's per-API one-second windows."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import FakeClock
from tuya_thing_async._ratelimit import (
    BETA,
    FLOOR,
    MARGIN,
    MARGIN_SHARE,
    RECOVERY,
    Accepted,
    Pacer,
    RateControl,
)
from tuya_thing_async.emulator.throttle import Throttle, limit_for

LOGS = "GET /v2.0/cloud/thing/{device_id}/report-logs"
DEVICE = "GET /v2.0/cloud/thing/{device_id}"
FAR = 1e9  # a deadline that never matters


def _under(accepted: float) -> float:
    """Where a route throttled after ``accepted`` successes a second aims: just under it."""
    return accepted - min(MARGIN, accepted * MARGIN_SHARE)


def _throttle_after(control: RateControl, clock: FakeClock, accepted: int) -> None:
    """``accepted`` successes spread over one second, then one throttle answer."""
    for _ in range(accepted):
        clock.advance(1.0 / accepted)
        control.answered(LOGS, clock.monotonic(), throttled=False)
    control.answered(LOGS, clock.monotonic(), throttled=True)


async def _send_times(control: RateControl, clock: FakeClock, key: str, n: int) -> list[float]:
    start = clock.monotonic()
    times: list[float] = []

    async def one() -> None:
        assert await control.wait_turn(key, FAR)
        times.append(round(clock.monotonic() - start, 6))
        control.release(key)

    await asyncio.gather(*(one() for _ in range(n)))
    return times


async def test_no_throttle_means_no_cap_and_no_wait(clock: FakeClock) -> None:
    control = RateControl(clock)
    for _ in range(1000):
        assert await control.wait_turn(LOGS, FAR)
        control.answered(LOGS, clock.monotonic(), throttled=False)
        control.release(LOGS)
    assert clock.sleeps == [] and control.snapshot()[LOGS].rate is None


async def test_a_throttle_pauses_the_route_and_cuts_its_rate(clock: FakeClock) -> None:
    control = RateControl(clock)
    _throttle_after(control, clock, accepted=20)
    state = control.snapshot()[LOGS]
    cut = BETA * _under(20)  # a share of just under what the cloud accepted
    assert state.rate == pytest.approx(cut) and state.throttles == 1
    # paused until the oldest of the 20 accepted requests is a second old (0.05 s from now),
    # then spaced at the cut rate
    times = await _send_times(control, clock, LOGS, 4)
    assert times == pytest.approx([0.05 + n / cut for n in range(4)], abs=1e-3)


async def test_the_rate_recovers_toward_the_accepted_rate_then_probes_beyond(
    clock: FakeClock,
) -> None:
    control = RateControl(clock)
    _throttle_after(control, clock, accepted=25)
    rates = []
    for _ in range(100):  # 10 s of successes at 25/s
        for _ in range(3):
            clock.advance(1 / 30)
            control.answered(LOGS, clock.monotonic(), throttled=False)
        rates.append(control.snapshot()[LOGS].rate or 0.0)
    assert rates == sorted(rates)  # it never decreases without a throttle
    assert rates[0] < 25 * 0.85
    back = round(RECOVERY * 10) - 1  # back just under the ceiling after RECOVERY seconds
    assert abs(rates[back] - _under(25)) < 0.3
    assert rates[-1] > 26  # then probing past it


def test_a_slow_route_takes_the_whole_recovery_time_before_probing(clock: FakeClock) -> None:
    control = RateControl(clock)
    _throttle_after(control, clock, accepted=8)
    ceiling, rates = _under(8), {}
    for step in range(1, round((RECOVERY + 2) * 10) + 1):  # successes, 10 a second
        clock.advance(0.1)
        control.answered(LOGS, clock.monotonic(), throttled=False)
        rates[step] = control.snapshot()[LOGS].rate or 0.0
    at = {
        seconds: rates[round(seconds * 10)]
        for seconds in (1.5, RECOVERY - 1, RECOVERY, RECOVERY + 2)
    }
    assert at[1.5] < ceiling - 0.1  # CUBIC alone would be back at the ceiling by now
    assert at[RECOVERY - 1] < ceiling
    assert at[RECOVERY] == pytest.approx(ceiling, abs=0.01)
    assert at[RECOVERY + 2] > ceiling  # then probing beyond it


async def test_throttles_of_requests_sent_before_the_cut_do_not_cut_again(
    clock: FakeClock,
) -> None:
    control = RateControl(clock)
    sent_before = clock.monotonic()
    _throttle_after(control, clock, accepted=20)
    first = control.snapshot()[LOGS].rate
    for _ in range(10):  # the rest of a burst that was already on the wire
        control.answered(LOGS, sent_before, throttled=True)
    assert control.snapshot()[LOGS].rate == first
    assert control.snapshot()[LOGS].throttles == 11


async def test_a_turn_past_the_deadline_is_refused_at_once_and_consumes_nothing(
    clock: FakeClock,
) -> None:
    control = RateControl(clock, limits={LOGS: 2.0})
    now = clock.monotonic()
    assert await control.wait_turn(LOGS, FAR)
    control.release(LOGS)
    assert not await control.wait_turn(LOGS, now + 0.4)  # its turn comes at +0.5 s
    assert not await control.wait_turn(LOGS, now + 0.4)
    assert clock.sleeps == []  # refused without waiting
    assert await control.wait_turn(LOGS, FAR)
    assert clock.monotonic() - now == pytest.approx(0.5)  # the refused ones took no turn
    assert control.snapshot()[LOGS].requests == 2


async def test_another_route_is_unaffected(clock: FakeClock) -> None:
    control = RateControl(clock)
    _throttle_after(control, clock, accepted=10)
    assert control.snapshot()[LOGS].rate is not None
    assert await _send_times(control, clock, DEVICE, 50) == [0.0] * 50
    assert control.snapshot()[DEVICE].rate is None


async def test_a_fixed_ceiling_caps_the_adaptive_rate(clock: FakeClock) -> None:
    control = RateControl(clock, limits={LOGS: 4.0})
    assert await _send_times(control, clock, LOGS, 3) == pytest.approx([0.0, 0.25, 0.5])
    _throttle_after(control, clock, accepted=3)
    assert control.snapshot()[LOGS].rate == pytest.approx(max(BETA * _under(3), FLOOR))
    for _ in range(300):
        clock.advance(0.25)
        control.answered(LOGS, clock.monotonic(), throttled=False)
    assert control.snapshot()[LOGS].rate == 4.0


def test_without_adapting_a_throttle_changes_nothing(clock: FakeClock) -> None:
    control = RateControl(clock, adaptive=False)
    _throttle_after(control, clock, accepted=10)
    assert control.snapshot()[LOGS].rate is None


async def test_the_overall_ceiling_spans_every_route(clock: FakeClock) -> None:
    control = RateControl(clock, overall=10.0)
    times = []
    for route in (LOGS, DEVICE, LOGS, DEVICE):
        times += await _send_times(control, clock, route, 1)
    assert sum(times) == pytest.approx(0.3)


async def test_a_burst_may_run_ahead_after_an_idle_spell(clock: FakeClock) -> None:
    pacer = Pacer(clock, burst=3)
    start = clock.monotonic()
    sent = []
    for _ in range(5):
        assert await pacer.wait_turn(lambda: 10.0, FAR)
        sent.append(round(clock.monotonic() - start, 6))
    assert sent == pytest.approx([0.0, 0.0, 0.0, 0.1, 0.2])


async def test_slow_start_widens_by_one_per_success_until_a_throttle(
    clock: FakeClock,
) -> None:
    control = RateControl(clock)
    sent: list[int] = []

    async def request(n: int) -> None:
        assert await control.wait_turn(DEVICE, FAR)
        sent.append(n)

    tasks = [asyncio.ensure_future(request(n)) for n in range(10)]
    for _ in range(3):
        await asyncio.sleep(0)
    assert len(sent) == 4  # 4 in flight at first
    control.answered(DEVICE, clock.monotonic(), throttled=False)
    control.release(DEVICE)  # one answered: two more may go
    for _ in range(3):
        await asyncio.sleep(0)
    assert len(sent) == 6
    control.answered(DEVICE, clock.monotonic(), throttled=True)  # slow start is over
    control.release(DEVICE)
    await asyncio.gather(*tasks)
    assert len(sent) == 10


def test_nothing_accepted_cuts_to_the_floor(clock: FakeClock) -> None:
    control = RateControl(clock)
    control.answered(LOGS, clock.monotonic(), throttled=True)
    assert control.snapshot()[LOGS].rate == FLOOR


def test_accepted_counts_one_second_then_averages_two() -> None:
    accepted = Accepted()
    for n in range(10):
        accepted.add(100.0 + n / 10)  # 10 in second 100
    assert accepted.per_second(100.95) == 10 and accepted.oldest(100.95) == 100.0
    assert accepted.per_second(101.45) == 5  # less than 2 s of history: the last second
    for n in range(10):
        accepted.add(101.0 + n / 10)  # 10 more in second 101
    assert accepted.per_second(102.0) == 9.5  # two seconds of history: their average
    assert accepted.oldest(102.0) == 101.1
    assert accepted.per_second(104.0) == 0 and accepted.oldest(104.0) is None


def test_emulator_windows_are_per_api_and_per_second() -> None:
    throttle, qps = Throttle(), {LOGS: 2.0, "*": 5.0}
    assert [throttle.admit(qps, LOGS, 7.1) for _ in range(3)] == [True, True, False]
    assert all(throttle.admit(qps, DEVICE, 7.2) for _ in range(5))
    assert not throttle.admit(qps, DEVICE, 7.3)
    assert throttle.admit(qps, LOGS, 8.0)  # a new second
    assert limit_for(None, LOGS) is None and limit_for(3.0, LOGS) == 3.0
    assert limit_for({LOGS: 2.0}, DEVICE) is None
