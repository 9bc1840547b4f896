"""Every fault knob of the emulator, and the SDK's documented reaction to it (server-side hits
are counted by the emulator)."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.conftest import fast_settings
from tuya_thing_async import (
    RouteRate,
    TuyaClient,
    TuyaOutcomeUnknownError,
    TuyaProtocolError,
    TuyaQuotaError,
    TuyaResponseTooLargeError,
    TuyaServerError,
    TuyaTimeoutError,
)
from tuya_thing_async.emulator import FakeCloud, Fault
from tuya_thing_async.emulator.faults import MALFORMED_VARIANTS

GET = "GET /v2.0/cloud/thing/{device_id}"
STATE = "GET /v2.0/cloud/thing/{device_id}/state"
FREEZE = "POST /v2.0/cloud/thing/{device_id}/freeze"
RESET = "POST /v2.0/cloud/thing/{device_id}/reset"
START = "POST /v2.0/cloud/thing/{device_id}/firmware/{channel}"


async def test_error_code_faults_are_retried_when_throttles(
    tuya: TuyaClient, cloud: FakeCloud
) -> None:
    dev = cloud.device_ids[0]
    cloud.faults.add(GET, Fault.error(1199), times=2)
    assert (await tuya.devices.get(dev)).id == dev
    assert cloud.hits[GET] == 3
    cloud.faults.add(RESET, Fault.error(1111), times=1)
    await tuya.devices.reset(dev)  # a throttled request was not processed: safe to repeat
    assert cloud.hits[RESET] == 2


async def test_http_5xx_faults(tuya: TuyaClient, cloud: FakeCloud) -> None:
    dev = cloud.device_ids[0]
    cloud.faults.add(STATE, Fault.http(503), times=2)
    await tuya.devices.get_state(dev)
    assert cloud.hits[STATE] == 3
    cloud.faults.add(FREEZE, Fault.http(503), times=2)
    await tuya.devices.freeze(dev)
    assert cloud.hits[FREEZE] == 3
    cloud.faults.add(RESET, Fault.http(502))
    with pytest.raises(TuyaOutcomeUnknownError):
        await tuya.devices.reset(dev)
    assert cloud.hits[RESET] == 1 and dev in cloud.devices
    cloud.faults.add(STATE, Fault.http(500), times=3)
    with pytest.raises(TuyaServerError) as info:
        await tuya.devices.get_state(dev)
    assert info.value.attempts == 3


async def test_http_429_with_retry_after(cloud: FakeCloud, base_url: str) -> None:
    cloud.faults.add(STATE, Fault.http(429, retry_after=0.2))
    async with TuyaClient(
        cloud.credentials, base_url=base_url, insecure_http=True, settings=fast_settings()
    ) as tuya:
        await tuya.devices.get_state(cloud.device_ids[0])  # the token, and a first call
        began = time.monotonic()
        await tuya.devices.get_state(cloud.device_ids[0])
        assert time.monotonic() - began >= 0.2  # Retry-After was honoured
        assert tuya.stats.rates[STATE].throttles == 1
    assert cloud.hits[STATE] == 3


async def test_dropped_connections(tuya: TuyaClient, cloud: FakeCloud) -> None:
    dev = cloud.device_ids[0]
    cloud.faults.add(START, Fault.drop(after_processing=True))
    channel = next(c.channel for c in cloud.devices[dev].channels.values())
    cloud.devices[dev].channels[channel].status = 1
    with pytest.raises(TuyaOutcomeUnknownError, match="outcome is unknown"):
        await tuya.firmware.start_update(dev, channel=channel)
    assert cloud.hits[START] == 1
    assert cloud.devices[dev].channels[channel].status == 2  # it did start
    cloud.faults.add(FREEZE, Fault.drop(after_processing=True))
    await tuya.devices.freeze(dev)
    assert cloud.hits[FREEZE] == 2 and cloud.devices[dev].frozen
    cloud.faults.add(STATE, Fault.drop())
    await tuya.devices.get_state(dev)
    assert 2 <= cloud.hits[STATE] <= 4  # aiohttp may repeat a GET on a reused connection
    cloud.faults.add(RESET, Fault.drop(after_processing=True))
    with pytest.raises(TuyaOutcomeUnknownError):
        await tuya.devices.reset(dev)
    assert cloud.hits[RESET] == 1 and dev not in cloud.devices


async def test_retried_delete_reports_possibly_completed(
    tuya: TuyaClient, cloud: FakeCloud
) -> None:
    dev = cloud.device_ids[1]
    route = "DELETE /v2.0/cloud/thing/{device_id}"
    cloud.faults.add(route, Fault.drop(after_processing=True), times=2)
    with pytest.raises(Exception) as info:
        await tuya.devices.delete(dev)
    assert dev not in cloud.devices
    assert getattr(info.value, "code", None) == 1106 and info.value.possibly_completed  # type: ignore[attr-defined]


@pytest.mark.parametrize("variant", [v for v in MALFORMED_VARIANTS if v != "oversized"])
async def test_malformed_bodies(tuya: TuyaClient, cloud: FakeCloud, variant: str) -> None:
    """A 2xx body that is not an envelope gets one retry; an HTML 502 page is a 5xx (3)."""
    attempts = 3 if variant == "html" else 2
    cloud.faults.add(STATE, Fault.malformed(variant), times=attempts)
    with pytest.raises((TuyaProtocolError, TuyaServerError)) as info:
        await tuya.devices.get_state(cloud.device_ids[0])
    assert cloud.hits[STATE] == attempts
    assert info.value.__cause__ is None


async def test_oversized_body(tuya: TuyaClient, cloud: FakeCloud) -> None:
    cloud.faults.add(STATE, Fault.malformed("oversized"))
    with pytest.raises(TuyaResponseTooLargeError):
        await tuya.devices.get_state(cloud.device_ids[0])
    assert cloud.hits[STATE] == 1


async def test_truncated_body_is_retried(tuya: TuyaClient, cloud: FakeCloud) -> None:
    cloud.faults.add(STATE, Fault.truncated())
    await tuya.devices.get_state(cloud.device_ids[0])
    assert cloud.hits[STATE] == 2


async def test_stall_hits_the_read_timeout(cloud: FakeCloud, base_url: str) -> None:
    cloud.faults.add(STATE, Fault.stall(0.4), times=3)
    settings = fast_settings(read_timeout=0.1, deadline=5)
    async with TuyaClient(
        cloud.credentials, base_url=base_url, insecure_http=True, settings=settings
    ) as tuya:
        with pytest.raises(TuyaTimeoutError) as info:
            await tuya.devices.get_state(cloud.device_ids[0])
    assert isinstance(info.value, TimeoutError) and info.value.attempts == 3


async def test_qps_limit_answers_1199_and_the_client_adapts(
    cloud: FakeCloud, base_url: str
) -> None:
    cloud.qps = {STATE: 2}  # only this API is limited
    async with TuyaClient(
        cloud.credentials, base_url=base_url, insecure_http=True, settings=fast_settings()
    ) as tuya:
        await asyncio.gather(*(tuya.devices.get(d) for d in cloud.device_ids))
        states = await asyncio.gather(*(tuya.devices.get_state(d) for d in cloud.device_ids[:3]))
        rates = tuya.stats.rates
    assert len(states) == 3 and cloud.errors[1199] == rates[STATE].throttles >= 1
    assert rates[STATE].rate is not None and rates[STATE].rate <= 2
    assert rates["GET /v2.0/cloud/thing/{device_id}"] == RouteRate(None, 0, 12)


async def test_quota_answers_28841004(cloud: FakeCloud, base_url: str) -> None:
    cloud.quota = 2
    async with TuyaClient(
        cloud.credentials, base_url=base_url, insecure_http=True, settings=fast_settings()
    ) as tuya:
        await tuya.devices.get_state(cloud.device_ids[0])
        await tuya.devices.get_state(cloud.device_ids[0])
        with pytest.raises(TuyaQuotaError):
            await tuya.devices.get_state(cloud.device_ids[0])
    assert cloud.hits[STATE] == 3


async def test_token_expiry_is_handled_with_one_refresh(tuya: TuyaClient, cloud: FakeCloud) -> None:
    await tuya.devices.get_state(cloud.device_ids[0])
    cloud.expire_tokens()
    await asyncio.gather(*(tuya.devices.get_state(d) for d in cloud.device_ids * 4))
    assert cloud.hits["GET /v1.0/token/{refresh_token}"] == 1
    assert cloud.hits["GET /v1.0/token"] == 1


async def test_latency_knob(cloud: FakeCloud, base_url: str) -> None:
    cloud.latency, cloud.latency_jitter = 0.05, 0.01
    async with TuyaClient(
        cloud.credentials, base_url=base_url, insecure_http=True, settings=fast_settings()
    ) as tuya:
        began = time.perf_counter()
        await tuya.devices.get_state(cloud.device_ids[0])  # token + call: 2 round trips
        assert time.perf_counter() - began >= 0.1
