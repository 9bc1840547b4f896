"""Bulk details at fleet scale: batching, bounded fan-out, per-ID results, failure modes."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import client_tasks
from tuya_thing_async import BulkMode, TuyaBulkError, TuyaClient, TuyaPermissionError
from tuya_thing_async.emulator import FakeCloud, Fault

BATCH = "GET /v2.0/cloud/thing/batch"


@pytest.fixture
def cloud() -> FakeCloud:
    return FakeCloud.seeded(devices=80, seed=3, latency=0.005)


def _pending_tasks() -> int:
    return len(client_tasks())


async def test_hundred_ids_make_five_requests_at_most_four_at_once(
    tuya: TuyaClient, cloud: FakeCloud
) -> None:
    ids = cloud.device_ids + [f"vdevomissing{i:03d}" for i in range(20)]
    result = await tuya.devices.get_many(ids)
    assert cloud.hits[BATCH] == 5 and 1 < cloud.peak_in_flight[BATCH] <= 4
    assert [d.id for d in result.devices] == cloud.device_ids
    assert result.missing == tuple(ids[80:]) and result.errors == ()


async def test_ten_thousand_ids_make_exactly_500_requests(
    tuya: TuyaClient, cloud: FakeCloud
) -> None:
    cloud.latency = 0
    ids = [f"vdevo{i:08d}" for i in range(10_000)]
    result = await tuya.devices.get_many([*ids, *ids[:50]])  # duplicates are dropped
    assert cloud.hits[BATCH] == 500 and cloud.peak_in_flight[BATCH] <= 4
    assert len(result.missing) == 10_000


async def test_fail_fast_cancels_the_rest(tuya: TuyaClient, cloud: FakeCloud) -> None:
    before = _pending_tasks()
    cloud.faults.add(BATCH, Fault.error(1109), times=1)
    with pytest.raises(TuyaBulkError) as info:
        await tuya.devices.get_many(cloud.device_ids)
    assert isinstance(info.value, ExceptionGroup)
    assert info.value.exceptions[0].code == 1109  # type: ignore[attr-defined]
    assert cloud.hits[BATCH] <= 4
    await asyncio.sleep(0.05)
    assert _pending_tasks() == before


async def test_partial_mode_reports_per_id(tuya: TuyaClient, cloud: FakeCloud) -> None:
    cloud.faults.add(BATCH, Fault.error(1106))  # not retried: exactly one batch fails
    result = await tuya.devices.get_many(cloud.device_ids, mode=BulkMode.PARTIAL)
    assert len(result.devices) == 60 and len(result.failed_ids) == 20
    assert set(result.failed_ids) | {d.id for d in result.devices} == set(cloud.device_ids)
    assert isinstance(result.errors[0].error, TuyaPermissionError)
    with pytest.raises(TuyaBulkError):
        result.raise_for_errors()


async def test_iter_many_yields_as_batches_complete(tuya: TuyaClient, cloud: FakeCloud) -> None:
    seen = [d.id async for d in tuya.devices.iter_many(cloud.device_ids)]
    assert sorted(seen) == sorted(cloud.device_ids)
    cloud.faults.add(BATCH, Fault.error(1109))
    got = []
    with pytest.raises(TuyaBulkError):
        async for device in tuya.devices.iter_many(cloud.device_ids, mode="partial"):
            got.append(device)
    assert len(got) == 60


async def test_early_break_leaves_no_task(tuya: TuyaClient, cloud: FakeCloud) -> None:
    before = _pending_tasks()
    stream = tuya.devices.iter_many(cloud.device_ids)
    async for _ in stream:
        break
    await stream.aclose()  # type: ignore[attr-defined]
    assert _pending_tasks() == before
    assert tuya.stats.in_flight == 0
