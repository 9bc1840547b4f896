"""Fleet harvest: every record once, bounded concurrency, resume from any checkpoint."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.conftest import client_tasks
from tuya_thing_async import TuyaClient, TuyaServerError, TuyaValidationError
from tuya_thing_async.emulator import FakeCloud, Fault
from tuya_thing_async.harvest import HarvestCheckpoint, HarvestProgress

REPORTS = "GET /v2.0/cloud/thing/{device_id}/report-logs"
CODES = ["cur_power", "battery_percentage"]


def expected(cloud: FakeCloud) -> Counter[tuple[str, int, str]]:
    return Counter(
        (d.id, r[0], r[2]) for d in cloud.devices.values() for r in d.reports if r[2] in CODES
    )


def key(item: object) -> tuple[str, int, str]:
    rec = item.record  # type: ignore[attr-defined]
    return (item.device_id, int(rec.event_time.timestamp() * 1000), rec.code)  # type: ignore[attr-defined]


async def test_whole_fleet_exactly_once_despite_faults(tuya: TuyaClient, cloud: FakeCloud) -> None:
    cloud.faults.set_random(
        0.1, (Fault.error(1199), Fault.http(503), Fault.drop(), Fault.truncated()), seed=5
    )
    updates: list[HarvestProgress] = []
    harvest = tuya.logs.harvest_reports(
        cloud.device_ids, codes=CODES, concurrency=3, progress=updates.append
    )
    async with harvest:
        got = Counter([key(item) async for item in harvest])
    assert got == expected(cloud) and max(got.values()) == 1
    assert cloud.peak_in_flight[REPORTS] <= 3 and cloud.faults.injected > 0
    last = updates[-1]
    assert (last.devices_done, last.devices_total, last.records) == (12, 12, sum(got.values()))
    assert last.retries > 0 and harvest.checkpoint.is_done(cloud.device_ids[-1])


async def test_resume_from_every_page_checkpoint(tuya: TuyaClient, cloud: FakeCloud) -> None:
    ids = cloud.device_ids[:2]
    snapshots: list[tuple[int, str]] = []
    order = []
    harvest = tuya.logs.harvest_reports(ids, codes=CODES, size=100, concurrency=1)
    pages = 0
    async for item in harvest:
        order.append(key(item))
        if harvest.pages != pages or len(order) % 77 == 0:  # every page, and mid-page too
            pages = harvest.pages
            snapshots.append((len(order), harvest.checkpoint.to_json()))
    assert len(snapshots) > 20
    for done, text in snapshots:
        rest = tuya.logs.harvest_reports(
            ids, codes=CODES, size=100, concurrency=1, checkpoint=HarvestCheckpoint.from_json(text)
        )
        remaining = [key(item) async for item in rest]
        assert order[:done] + remaining == order, done


async def test_crash_then_resume(tuya: TuyaClient, cloud: FakeCloud) -> None:
    ids = cloud.device_ids[:3]
    harvest = tuya.logs.harvest_reports(ids, codes=CODES, concurrency=1)
    processed: list[tuple[str, int, str]] = []
    saved = None
    with pytest.raises(TuyaServerError):
        async for item in harvest:
            processed.append(key(item))
            saved = harvest.checkpoint.to_json()
            if len(processed) == 250:
                cloud.faults.add(REPORTS, Fault.http(500), times=3)
    assert saved is not None
    resumed = tuya.logs.harvest_reports(
        ids, codes=CODES, checkpoint=HarvestCheckpoint.from_json(saved)
    )
    processed += [key(item) async for item in resumed]
    want = Counter(k for k in expected(cloud).elements() if k[0] in ids)
    assert Counter(processed) == want


async def test_checkpoint_must_match(tuya: TuyaClient, cloud: FakeCloud) -> None:
    cp = HarvestCheckpoint(1, 2, "codes=cur_power")
    with pytest.raises(TuyaValidationError):
        tuya.logs.harvest_reports(cloud.device_ids, codes=["pv_power"], checkpoint=cp)
    with pytest.raises(TuyaValidationError):
        HarvestCheckpoint.from_json("{}")
    with pytest.raises(TuyaValidationError):
        tuya.logs.harvest_reports(cloud.device_ids, codes=CODES, concurrency=0)


async def test_operations_harvest(tuya: TuyaClient, cloud: FakeCloud) -> None:
    harvest = tuya.logs.harvest_operations(cloud.device_ids, size=50)
    got = Counter([(i.device_id, i.record.event_time, i.record.event_id) async for i in harvest])
    assert sum(got.values()) == sum(len(d.operations) for d in cloud.devices.values())


async def test_break_out_of_a_harvest_leaves_no_task(tuya: TuyaClient, cloud: FakeCloud) -> None:
    harvest = tuya.logs.harvest_reports(cloud.device_ids, codes=CODES, concurrency=4)
    async with harvest:
        async for _ in harvest:
            break
    assert client_tasks() == []
    assert tuya.stats.in_flight == 0
