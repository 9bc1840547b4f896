"""Fleet harvest: every record once, bounded concurrency, resume from any checkpoint."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import attrs
import pytest

from tests.conftest import client_tasks
from tuya_thing_async import (
    DeviceFailure,
    DevicePosition,
    HarvestCheckpoint,
    HarvestProgress,
    HarvestRecord,
    TuyaAuthError,
    TuyaClient,
    TuyaPermissionError,
    TuyaServerError,
    TuyaValidationError,
)
from tuya_thing_async.emulator import FakeCloud, Fault

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
    checkpoint = harvest.checkpoint
    assert last.retries > 0 and checkpoint.devices_done == 12
    assert (checkpoint.taken, checkpoint.active, checkpoint.failed) == (12, (), ())


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
    harvest = tuya.logs.harvest_reports(cloud.device_ids, codes=CODES)
    checkpoint = harvest.checkpoint
    with pytest.raises(TuyaValidationError, match="window or filter"):
        tuya.logs.harvest_reports(cloud.device_ids, codes=["pv_power"], checkpoint=checkpoint)
    with pytest.raises(TuyaValidationError, match="list of devices"):
        tuya.logs.harvest_reports(cloud.device_ids[::-1], codes=CODES, checkpoint=checkpoint)
    with pytest.raises(TuyaValidationError):
        HarvestCheckpoint.from_json("{}")
    with pytest.raises(TuyaValidationError):
        tuya.logs.harvest_reports(cloud.device_ids, codes=CODES, concurrency=0)
    with pytest.raises(TuyaValidationError):
        tuya.logs.harvest_reports(cloud.device_ids, codes=CODES, on_error="ignore")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda d: d.pop("taken"), id="missing"),
        pytest.param(lambda d: d.update(taken=-1), id="negative"),
        pytest.param(lambda d: d.update(taken="3"), id="string"),
        pytest.param(lambda d: d.update(taken=True), id="bool"),
        pytest.param(lambda d: d.update(taken=99), id="more-than-devices"),
        pytest.param(lambda d: d.update(version=1), id="old-version"),
        pytest.param(lambda d: d.update(active=[{"device_id": "a", "skip": -2}]), id="skip"),
        pytest.param(lambda d: d.update(active=[{"device_id": 5}]), id="device"),
        pytest.param(
            lambda d: d.update(active=[{"device_id": "a", "skip": 0, "repeats": [-1]}]),
            id="repeats",
        ),
        pytest.param(
            lambda d: d.update(active=[{"device_id": "a", "skip": 0, "repeats": "1"}]),
            id="repeats-type",
        ),
        pytest.param(lambda d: d.update(failed=[{"device_id": "a"}]), id="failure"),
        pytest.param(lambda d: d.update(kind="other"), id="kind"),
    ],
)
def test_a_damaged_checkpoint_is_a_clear_error(edit: Callable[[dict[str, Any]], None]) -> None:
    data = HarvestCheckpoint(1, 2, "codes=x", "f" * 32, 5, 3).to_dict()
    assert HarvestCheckpoint.from_json(json.dumps(data)).taken == 3
    edit(data)
    with pytest.raises(TuyaValidationError, match="checkpoint"):
        HarvestCheckpoint.from_json(json.dumps(data))


async def test_a_removed_device_is_skipped_named_and_retried_on_resume(
    tuya: TuyaClient, cloud: FakeCloud
) -> None:
    ids = cloud.device_ids
    gone = ids[3]
    removed = cloud.devices.pop(gone)
    harvest = tuya.logs.harvest_reports(ids, codes=CODES, on_error="skip")
    async with harvest:
        got = Counter([key(item) async for item in harvest])
    assert got == expected(cloud)  # every other device, exactly once
    [failure] = harvest.failures
    assert (failure.device_id, failure.code, failure.error) == (gone, 1106, "TuyaPermissionError")
    checkpoint = harvest.checkpoint
    assert checkpoint.failed == (failure,) and checkpoint.devices_done == 11
    cloud.devices[gone] = removed  # it is back: a resumed run retries it, and only it
    resumed = tuya.logs.harvest_reports(
        ids, codes=CODES, checkpoint=HarvestCheckpoint.from_json(checkpoint.to_json())
    )
    async with resumed:
        again = Counter([key(item) async for item in resumed])
    assert {k[0] for k in again} == {gone} and got + again == expected(cloud)
    assert resumed.failures == () and resumed.checkpoint.devices_done == 12


async def test_without_skip_the_error_names_the_device(tuya: TuyaClient, cloud: FakeCloud) -> None:
    ids = cloud.device_ids
    gone = ids[2]
    del cloud.devices[gone]
    harvest = tuya.logs.harvest_reports(ids, codes=CODES, concurrency=1)
    with pytest.raises(TuyaPermissionError) as info:
        async with harvest:
            async for _ in harvest:
                pass
    assert info.value.device_id == gone and f"(device {gone})" in str(info.value)
    assert harvest.checkpoint.active[0].device_id == gone  # a resume retries it


async def test_job_wide_errors_raise_even_when_skipping(tuya: TuyaClient, cloud: FakeCloud) -> None:
    cloud.faults.add(REPORTS, Fault.error(1004), times=2)
    harvest = tuya.logs.harvest_reports(cloud.device_ids, codes=CODES, on_error="skip")
    with pytest.raises(TuyaAuthError) as info:
        async with harvest:
            async for _ in harvest:
                pass
    assert info.value.code == 1004 and info.value.device_id in cloud.device_ids
    assert harvest.failures == ()


async def test_checkpoint_size_does_not_grow_with_the_fleet(
    cloud: FakeCloud, base_url: str
) -> None:
    ids = [f"dev{n:06d}" for n in range(20_000)]  # unknown to the cloud: each fails fast
    async with TuyaClient(cloud.credentials, base_url=base_url, insecure_http=True) as tuya:
        harvest = tuya.logs.harvest_reports(ids[:200], codes=CODES)
        small = len(harvest.checkpoint.to_json())
        harvest = tuya.logs.harvest_reports(ids, codes=CODES)
        assert len(harvest.checkpoint.to_json()) - small < 10


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


async def test_page_stream_delivers_every_record_once_and_resumes(
    tuya: TuyaClient, cloud: FakeCloud
) -> None:
    ids = cloud.device_ids[:4]
    harvest = tuya.logs.harvest_reports(ids, codes=CODES, size=40, concurrency=2)
    got: list[tuple[str, int, str]] = []
    saved = ""
    async with harvest:
        async for page in harvest.iter_pages():
            got += [key(HarvestRecord(page.device_id, r)) for r in page.records]
            if harvest.pages == 5:
                saved = harvest.checkpoint.to_json()  # the 5 pages so far are delivered
                delivered = len(got)
    assert Counter(got) == Counter(k for k in expected(cloud).elements() if k[0] in ids)
    assert harvest.records == len(got) and max(Counter(got).values()) == 1
    rest = tuya.logs.harvest_reports(
        ids, codes=CODES, size=40, concurrency=2, checkpoint=HarvestCheckpoint.from_json(saved)
    )
    async with rest:
        tail = [key(item) async for item in rest]
    assert Counter(got[:delivered] + tail) == Counter(got)


def test_checkpoint_json_holds_every_field_and_round_trips() -> None:
    position = DevicePosition("a", "cursor-1", 3, (4, 7))
    failure = DeviceFailure("b", "TuyaDeviceError", 1106, "gone", DevicePosition("b", None, 2))
    checkpoint = HarvestCheckpoint(1, 2, "codes=x", "f" * 32, 5, 3, (position,), (failure,))
    data = checkpoint.to_dict()
    assert {k: v for k, v in data.items() if k not in ("kind", "version")} == json.loads(
        json.dumps(attrs.asdict(checkpoint))
    )
    assert HarvestCheckpoint.from_json(checkpoint.to_json()) == checkpoint
