"""Log iterators: early exit, cancellation, resume, limits and the repeated-cursor guard."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import client_tasks, fast_settings
from tuya_thing_async import TuyaClient, TuyaPaginationLoopError, TuyaServerError
from tuya_thing_async.emulator import FakeCloud, Fault, serve

REPORTS = "GET /v2.0/cloud/thing/{device_id}/report-logs"
OPS = "GET /v2.0/cloud/thing/{device_id}/logs"


async def test_break_after_first_page_releases_everything(
    tuya: TuyaClient, cloud: FakeCloud
) -> None:
    dev = cloud.device_ids[0]
    for make, route in (
        (lambda: tuya.logs.iter_reports(dev, codes=["cur_power"]), REPORTS),
        (lambda: tuya.logs.iter_operations(dev, size=10), OPS),
    ):
        async with make() as it:  # type: ignore[no-untyped-call]
            async for _ in it:
                break
        assert cloud.hits[route] == 1
        assert tuya.stats.in_flight == 0


async def test_cancelling_the_consumer(tuya: TuyaClient, cloud: FakeCloud) -> None:
    cloud.latency = 0.05
    started = asyncio.Event()

    async def consume() -> None:
        async with tuya.logs.iter_reports(cloud.device_ids[0], codes=["cur_power"], size=5) as it:
            async for _ in it:
                started.set()

    task = asyncio.create_task(consume())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.1)
    assert tuya.stats.in_flight == 0
    assert client_tasks() == []


async def test_pages_checkpoint_and_resume(tuya: TuyaClient, cloud: FakeCloud) -> None:
    dev = cloud.device_ids[1]
    everything = [r async for r in tuya.logs.iter_reports(dev, codes=["cur_power"], size=50)]
    cursors = []
    async for page in tuya.logs.iter_reports(dev, codes=["cur_power"], size=50).pages():
        cursors.append(page.cursor)
    assert cursors[-1] is None and len(cursors) == -(-len(everything) // 50)
    rest = [
        r
        async for r in tuya.logs.iter_reports(
            dev, codes=["cur_power"], size=50, start_cursor=cursors[2]
        )
    ]
    assert rest == everything[150:]
    limited = [r async for r in tuya.logs.iter_reports(dev, codes=["cur_power"], max_items=7)]
    assert limited == everything[:7]


async def test_an_error_mid_walk_carries_the_resume_cursor(
    tuya: TuyaClient, cloud: FakeCloud
) -> None:
    dev = cloud.device_ids[1]
    everything = [r async for r in tuya.logs.iter_reports(dev, codes=["cur_power"], size=40)]
    got = []
    it = tuya.logs.iter_reports(dev, codes=["cur_power"], size=40)
    with pytest.raises(TuyaServerError) as info:
        async for rec in it:
            got.append(rec)
            if len(got) == 40:
                cloud.faults.add(REPORTS, Fault.http(500), times=3)
    assert len(got) == 40 and info.value.resume_cursor == it.cursor is not None
    got += [
        r
        async for r in tuya.logs.iter_reports(
            dev, codes=["cur_power"], size=40, start_cursor=info.value.resume_cursor
        )
    ]
    assert got == everything


async def test_repeated_cursor_stops_after_two_requests(tuya: TuyaClient, cloud: FakeCloud) -> None:
    dev = cloud.device_ids[0]
    first = await tuya.logs.list_reports(dev, codes=["cur_power"], size=3)

    async def same_page(cursor: str | None) -> object:
        return first

    from tuya_thing_async.pagination import Paginator

    with pytest.raises(TuyaPaginationLoopError) as info:
        async for _ in Paginator(same_page).pages():
            pass
    assert info.value.cursor == first.cursor


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    size=st.integers(1, 100),
    days=st.floats(0.1, 8),
    fault=st.sampled_from(
        [None, Fault.error(1199), Fault.http(502), Fault.drop(), Fault.truncated()]
    ),
)
def test_every_record_exactly_once(size: int, days: float, fault: Fault | None) -> None:
    async def run() -> None:
        cloud = FakeCloud.seeded(devices=3, seed=11)
        dev = cloud.device_ids[2]
        now = cloud.now()
        from datetime import UTC, datetime, timedelta

        end = datetime.fromtimestamp(now, UTC)
        start = end - timedelta(days=days)
        low = max(start.timestamp() * 1000, (now - 7 * 86400) * 1000)
        expected = sorted(
            (r[0], r[1])
            for r in cloud.devices[dev].reports
            if r[2] == "cur_power" and low <= r[0] <= end.timestamp() * 1000
        )
        async with (
            serve(cloud) as url,
            TuyaClient(
                cloud.credentials, base_url=url, insecure_http=True, settings=fast_settings()
            ) as tuya,
        ):
            got = []
            async for rec in tuya.logs.iter_reports(
                dev, codes=["cur_power"], start=start, end=end, size=size
            ):
                got.append(int(rec.event_time.timestamp() * 1000))
                if fault is not None and len(got) == size:
                    cloud.faults.add(REPORTS, fault)
                    cloud.expire_tokens()
        assert got == sorted(got, reverse=True)
        assert sorted(got) == [t for t, _ in expected]

    asyncio.run(run())
