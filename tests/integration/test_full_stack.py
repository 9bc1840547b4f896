"""The SDK against the emulator on port 0: every endpoint, state that behaves, full paging."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import fast_settings
from tuya_thing_async import (
    LogType,
    TuyaClient,
    TuyaDeviceError,
    TuyaInvalidRequestError,
    TuyaPermissionError,
    UpgradeStatus,
)
from tuya_thing_async.emulator import FakeCloud


async def test_every_device_endpoint(tuya: TuyaClient, cloud: FakeCloud) -> None:
    dev = cloud.device_ids[0]
    device = await tuya.devices.get(dev)
    assert device.id == dev and device.active_time is not None and device.lat is not None
    assert not (await tuya.devices.get_state(dev)).frozen
    await tuya.devices.freeze(dev)
    assert (await tuya.devices.get_state(dev)).frozen
    await tuya.devices.freeze(dev)  # setting the same state again succeeds
    await tuya.devices.unfreeze(dev)
    assert not (await tuya.devices.get_state(dev)).frozen
    await tuya.devices.rename(dev, "Garage inverter ☀")
    await tuya.devices.set_icon(dev, "smart/icon/new.png")
    await tuya.devices.set_location(dev, lon=-46.63, lat=-23.55)
    await tuya.devices.transfer(dev, space_id=cloud.home_space_ids[1])
    device = await tuya.devices.get(dev)
    assert (device.custom_name, device.icon, device.lon, device.lat, device.bind_space_id) == (
        "Garage inverter ☀",
        "smart/icon/new.png",
        -46.63,
        -23.55,
        cloud.home_space_ids[1],
    )
    with pytest.raises(TuyaInvalidRequestError):
        await tuya.devices.transfer(dev, space_id="999")  # not one of the project's spaces
    result = await tuya.devices.get_many([*cloud.device_ids, "vdevounknown"])
    assert [d.id for d in result.devices] == cloud.device_ids
    assert result.missing == ("vdevounknown",) and not result.errors
    await tuya.devices.delete(dev)
    with pytest.raises(TuyaPermissionError) as info:
        await tuya.devices.get(dev)
    assert info.value.code == 1106 and not info.value.possibly_completed
    with pytest.raises(TuyaPermissionError):
        await tuya.devices.delete(dev)
    victim = cloud.device_ids[1]
    await tuya.devices.reset(victim)
    assert victim not in cloud.devices
    assert (await tuya.devices.get_many([victim])).missing == (victim,)


async def test_firmware_update_progresses_and_is_logged(tuya: TuyaClient, cloud: FakeCloud) -> None:
    dev, fw = next(
        (d.id, c) for d in cloud.devices.values() for c in d.channels.values() if c.status == 1
    )
    updates = await tuya.firmware.get_updates(dev)
    update = next(u for u in updates if u.channel == fw.channel)
    assert update.available and update.version != update.current_version
    await tuya.devices.freeze(dev)
    with pytest.raises(TuyaDeviceError) as info:
        await tuya.firmware.start_update(dev, channel=fw.channel)
    assert info.value.code == 2003
    await tuya.devices.unfreeze(dev)
    await tuya.firmware.start_update(dev, channel=fw.channel)
    with pytest.raises(TuyaInvalidRequestError):
        await tuya.firmware.start_update(dev, channel=fw.channel)  # already running
    cloud.advance(30)
    progress = await tuya.firmware.get_progress(dev, channel=fw.channel)
    assert progress.upgrade_status is UpgradeStatus.IN_PROGRESS and 40 <= progress.progress <= 60
    cloud.advance(31)
    progress = await tuya.firmware.get_progress(dev, channel=fw.channel)
    assert (progress.upgrade_status, progress.progress, progress.done) == (
        UpgradeStatus.SUCCEEDED,
        100,
        True,
    )
    after = next(u for u in await tuya.firmware.get_updates(dev) if u.channel == fw.channel)
    assert after.current_version == update.version
    page = await tuya.logs.list_operations(
        dev,
        types=[LogType.FIRMWARE_UPDATE, LogType.RESTART],
        size=2,
        end=datetime.fromtimestamp(cloud.now(), UTC),
    )
    assert [log.event_type for log in page.items] == [LogType.RESTART, LogType.FIRMWARE_UPDATE]
    assert page.items[1].value == update.version
    with pytest.raises(TuyaInvalidRequestError):
        await tuya.firmware.get_progress(dev, channel=77)


async def test_injected_firmware_failure(tuya: TuyaClient, cloud: FakeCloud) -> None:
    dev, fw = next(
        (d.id, c) for d in cloud.devices.values() for c in d.channels.values() if c.status == 1
    )
    cloud.fail_next_update(dev, fw.channel, status=7)
    await tuya.firmware.start_update(dev, channel=fw.channel)
    cloud.advance(61)
    progress = await tuya.firmware.get_progress(dev, channel=fw.channel)
    assert progress.upgrade_status is UpgradeStatus.TIMED_OUT and progress.done


async def test_watch_polls_until_done(cloud: FakeCloud, base_url: str) -> None:
    cloud.firmware_duration = 0.3
    dev, fw = next(
        (d.id, c) for d in cloud.devices.values() for c in d.channels.values() if c.status == 1
    )
    async with TuyaClient(
        cloud.credentials, base_url=base_url, insecure_http=True, settings=fast_settings()
    ) as tuya:
        await tuya.firmware.start_update(dev, channel=fw.channel)
        seen = [p async for p in tuya.firmware.watch(dev, channel=fw.channel, interval=0.05)]
    assert seen[-1].upgrade_status is UpgradeStatus.SUCCEEDED
    assert all(not p.done for p in seen[:-1]) and len(seen) >= 2


@pytest.mark.parametrize("size", [1, 7, 100])
async def test_paging_a_whole_week_yields_every_record_once(
    tuya: TuyaClient, cloud: FakeCloud, size: int
) -> None:
    record = cloud.devices[cloud.device_ids[2]]
    codes = sorted({r[2] for r in record.reports})[:2]
    expected = sorted((r[0], r[2], r[3]) for r in record.reports if r[2] in codes)
    got = []
    async with tuya.logs.iter_reports(record.id, codes=codes, size=size) as reports:
        async for rep in reports:
            got.append((int(rep.event_time.timestamp() * 1000), rep.code, rep.value))
    assert got == sorted(got, reverse=True)  # newest first
    assert sorted(got) == expected
    ops_expected = len(record.operations)
    ops = [log async for log in tuya.logs.iter_operations(record.id, size=max(size, 10))]
    assert len(ops) == ops_expected and len({(o.event_time, o.event_id) for o in ops}) > 1
    assert {o.event_type for o in ops} == set(LogType)


async def test_window_filters_and_retention(tuya: TuyaClient, cloud: FakeCloud) -> None:
    record = cloud.devices[cloud.device_ids[0]]
    end = datetime.fromtimestamp(cloud.now(), UTC)
    start = end - timedelta(days=1)
    page = await tuya.logs.list_reports(record.id, codes=["cur_power"], start=start, end=end)
    expected = [
        r
        for r in record.reports
        if r[2] == "cur_power" and start.timestamp() * 1000 <= r[0] <= end.timestamp() * 1000
    ]
    assert page.total == len(expected)
    cloud.advance(6.5 * 86400)  # half of that day falls out of the 7-day retention
    old = await tuya.logs.list_reports(record.id, codes=["cur_power"], start=start, end=end)
    assert old.total is not None and old.total < len(expected)


async def test_reset_clears_logs(tuya: TuyaClient, cloud: FakeCloud) -> None:
    record = cloud.devices[cloud.device_ids[3]]
    await tuya.devices.reset(record.id)
    assert record.reports == [] and record.operations == []


async def test_clock_skew_is_corrected(cloud: FakeCloud, base_url: str) -> None:
    cloud.advance(-600)  # the emulator runs 10 minutes behind this machine
    async with TuyaClient(
        cloud.credentials, base_url=base_url, insecure_http=True, settings=fast_settings()
    ) as tuya:
        await tuya.devices.get(cloud.device_ids[0])
        for _ in range(20):
            await tuya.devices.get_state(cloud.device_ids[0])
    assert cloud.errors[1013] == 1  # only the very first (token) request was off


async def test_many_concurrent_calls_share_one_token(tuya: TuyaClient, cloud: FakeCloud) -> None:
    await asyncio.gather(*(tuya.devices.get_state(d) for d in cloud.device_ids * 5))
    assert cloud.hits["GET /v1.0/token"] == 1
