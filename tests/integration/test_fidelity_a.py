"""Real-cloud fidelity against the emulator: job-wide errors in bulk calls, errors naming their
device and the parameters sent, hints, an idle firmware channel, and the command line's line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import fast_settings
from tuya_thing_async import (
    BulkMode,
    TuyaAPIError,
    TuyaAuthError,
    TuyaBulkError,
    TuyaClient,
    TuyaDeviceError,
    TuyaInvalidRequestError,
    TuyaPermissionError,
)
from tuya_thing_async.emulator import FakeCloud, Fault

BATCH = "GET /v2.0/cloud/thing/batch"
TOKEN = "GET /v1.0/token"
START = "POST /v2.0/cloud/thing/{device_id}/firmware/{channel}"
TRANSFER = "POST /v2.0/cloud/thing/{device_id}/transfer"
ATTRIBUTE = "POST /v2.0/cloud/thing/{device_id}/attribute"
PROGRESS = "GET /v2.0/cloud/thing/{device_id}/firmware/{channel}/progress"
UNKNOWN = "vdevounknown000000000"


async def test_wrong_region_on_the_token_request_is_an_auth_error_with_a_hint(
    cloud: FakeCloud, base_url: str
) -> None:
    cloud.faults.add(TOKEN, Fault.error(2007))
    async with TuyaClient(
        cloud.credentials, base_url=base_url, insecure_http=True, settings=fast_settings()
    ) as tuya:
        with pytest.raises(TuyaAuthError) as info:
            await tuya.devices.get(cloud.device_ids[0])
    assert info.value.code == 2007 and info.value.hint and "Region" in info.value.hint
    assert "hint: cross-region access" in str(info.value)
    assert cloud.access_secret not in str(info.value)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        pytest.param(1004, TuyaAuthError, id="1004-signature"),
        pytest.param(2007, TuyaAuthError, id="2007-region"),
        pytest.param(28841106, TuyaPermissionError, id="28841106-not-subscribed"),
        pytest.param(1108, TuyaInvalidRequestError, id="1108-api-not-enabled"),
        pytest.param(1114, TuyaPermissionError, id="1114-ip"),
    ],
)
@pytest.mark.parametrize("mode", [BulkMode.FAIL_FAST, BulkMode.PARTIAL])
async def test_job_wide_errors_leave_bulk_calls_as_themselves(
    tuya: TuyaClient, cloud: FakeCloud, code: int, expected: type[TuyaAPIError], mode: BulkMode
) -> None:
    ids = [*cloud.device_ids, *(f"vdevomissing{i:08d}" for i in range(30))]
    cloud.faults.add(BATCH, Fault.error(code), times=3)
    with pytest.raises(expected) as info:
        await tuya.devices.get_many(ids, mode=mode)
    assert info.value.code == code and not isinstance(info.value, TuyaBulkError)
    cloud.faults.add(BATCH, Fault.error(code), times=3)
    with pytest.raises(expected):
        async with tuya.devices.iter_many(ids, mode=mode) as devices:
            _ = [device async for device in devices]


async def test_a_device_error_in_bulk_stays_per_batch(tuya: TuyaClient, cloud: FakeCloud) -> None:
    ids = [*cloud.device_ids, *(f"vdevomissing{i:08d}" for i in range(30))]
    cloud.faults.add(BATCH, Fault.error(1106))
    result = await tuya.devices.get_many(ids, mode=BulkMode.PARTIAL)
    assert len(result.errors) == 1 and result.errors[0].error.code == 1106


async def test_single_device_errors_name_the_device_and_hint(tuya: TuyaClient) -> None:
    with pytest.raises(TuyaPermissionError) as info:
        await tuya.devices.get(UNKNOWN)
    error = info.value
    assert error.device_id == UNKNOWN and f"(device {UNKNOWN})" in str(error)
    assert error.hint and "not linked to this cloud project" in str(error)


async def test_param_illegal_names_what_the_sdk_sent(tuya: TuyaClient, cloud: FakeCloud) -> None:
    dev = cloud.device_ids[0]
    cloud.faults.add(START, Fault.error(1109))
    with pytest.raises(TuyaInvalidRequestError) as info:
        await tuya.firmware.start_update(dev, channel=0)
    assert (
        info.value.hint
        == f"the SDK sent: device_id={dev}, channel=0; one of these is not valid here"
    )
    cloud.faults.add(TRANSFER, Fault.error(1109))
    with pytest.raises(TuyaInvalidRequestError) as info:
        await tuya.devices.transfer(dev, space_id="123456")
    assert info.value.hint and "space_id=123456" in info.value.hint
    cloud.faults.add(ATTRIBUTE, Fault.error(1109))
    with pytest.raises(TuyaInvalidRequestError) as info:
        await tuya.devices.rename(dev, "Shed")
    assert info.value.hint and "type=1, data=Shed" in info.value.hint


async def test_device_error_carries_its_hint(tuya: TuyaClient, cloud: FakeCloud) -> None:
    dev = cloud.device_ids[0]
    cloud.faults.add(PROGRESS, Fault.error(2001))
    with pytest.raises(TuyaDeviceError) as info:
        await tuya.firmware.get_progress(dev, channel=0)
    assert info.value.device_id == dev and "offline" in (info.value.hint or "")


async def test_watching_an_idle_channel_returns_after_one_reading(
    tuya: TuyaClient, cloud: FakeCloud
) -> None:
    dev, channel = next(
        (d.id, c.channel)
        for d in cloud.devices.values()
        for c in d.channels.values()
        if c.status in (0, 1)
    )
    before = cloud.hits[PROGRESS]
    seen = [p async for p in tuya.firmware.watch(dev, channel=channel, interval=60, timeout=600)]
    assert len(seen) == 1 and seen[0].idle and not seen[0].done
    assert cloud.hits[PROGRESS] - before == 1


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TUYA_")}
    return subprocess.run(
        [sys.executable, "-m", "tuya_thing_async", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=clean,
        stdin=subprocess.DEVNULL,
    )


def test_cli_prints_code_message_hint_and_request_id_on_one_line() -> None:
    got = _run("devices", "get", UNKNOWN, "--emulator")
    assert got.returncode == 1
    line = got.stderr.strip()
    assert "\n" not in line and line.startswith("error: Tuya code 1106: permission deny")
    assert f"(device {UNKNOWN})" in line and "; hint: unknown device ID" in line
    assert "(request id " in line and "(request id -)" not in line


def test_cli_firmware_watch_says_an_idle_channel_is_idle() -> None:
    dev = FakeCloud.seeded(devices=50, seed=7).device_ids[1]  # the --emulator fleet
    check = _run("firmware", "check", dev, "--emulator")
    channel = next(
        u["channel"] for u in json.loads(check.stdout) if u["upgrade_status"] == "available"
    )
    watched = _run("firmware", "watch", dev, "--channel", str(channel), "--emulator")
    assert watched.returncode == 0, watched.stderr
    assert f"channel {channel}: no update is running (idle)" in watched.stderr
    assert json.loads(watched.stdout)["upgrade_status"] == "none"
