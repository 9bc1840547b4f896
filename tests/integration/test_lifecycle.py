"""Close, deadlines, shared errors and outcome semantics against the real-socket emulator."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from tests.conftest import client_tasks, fast_settings
from tuya_thing_async import (
    TuyaAuthError,
    TuyaClient,
    TuyaClientClosedError,
    TuyaConnectError,
    TuyaError,
    TuyaOutcomeUnknownError,
    TuyaTimeoutError,
)
from tuya_thing_async.emulator import FakeCloud, Fault, serve

TOKEN = "GET /v1.0/token"
STATE = "GET /v2.0/cloud/thing/{device_id}/state"
RESET = "POST /v2.0/cloud/thing/{device_id}/reset"
REPORTS = "GET /v2.0/cloud/thing/{device_id}/report-logs"


def _client(cloud: FakeCloud, url: str, **settings: Any) -> TuyaClient:
    return TuyaClient(
        cloud.credentials, base_url=url, insecure_http=True, settings=fast_settings(**settings)
    )


async def _drain(stream: Any) -> None:
    async with stream:
        async for _ in stream:
            pass


def _window(cloud: FakeCloud) -> dict[str, datetime]:
    end = datetime.fromtimestamp(cloud.now(), UTC)
    return {"start": end - timedelta(days=1), "end": end}


Operation = Callable[[TuyaClient, FakeCloud], Awaitable[object]]
OPERATIONS: dict[str, Operation] = {
    "get": lambda tuya, cloud: tuya.devices.get(cloud.device_ids[0]),
    "get_many": lambda tuya, cloud: tuya.devices.get_many(cloud.device_ids),
    "get_many_partial": lambda tuya, cloud: tuya.devices.get_many(cloud.device_ids, mode="partial"),
    "iter_many": lambda tuya, cloud: _drain(tuya.devices.iter_many(cloud.device_ids)),
    "iter_reports": lambda tuya, cloud: _drain(
        tuya.logs.iter_reports(cloud.device_ids[0], codes=["cur_power"], **_window(cloud))
    ),
    "harvest_reports": lambda tuya, cloud: _drain(
        tuya.logs.harvest_reports(cloud.device_ids, codes=["cur_power"], **_window(cloud))
    ),
}


@pytest.mark.parametrize(
    "operation", [pytest.param(op, id=name) for name, op in OPERATIONS.items()]
)
async def test_close_while_the_token_is_fetched_ends_every_operation(
    cloud: FakeCloud, base_url: str, operation: Operation
) -> None:
    cloud.faults.add(TOKEN, Fault.stall(20))
    tuya = _client(cloud, base_url)
    task = asyncio.create_task(operation(tuya, cloud))
    await asyncio.sleep(0.1)
    began = time.monotonic()
    await tuya.aclose()
    with pytest.raises(TuyaClientClosedError):
        await asyncio.wait_for(task, 2.0)
    assert time.monotonic() - began < 1.0
    assert client_tasks() == []


async def test_close_with_300_calls_in_flight() -> None:
    cloud = FakeCloud.seeded(devices=3, seed=1, latency=5.0)
    async with serve(cloud) as url, aiohttp.ClientSession() as http:
        tuya = TuyaClient(cloud.credentials, base_url=url, insecure_http=True, session=http)
        device_id = cloud.device_ids[0]
        calls = [asyncio.create_task(tuya.devices.get_state(device_id)) for _ in range(300)]
        await asyncio.sleep(0.2)
        assert tuya.stats.in_flight == 1  # the token grant; 299 callers wait for it
        began = time.monotonic()
        await tuya.aclose()
        results = await asyncio.gather(*calls, return_exceptions=True)
        elapsed = time.monotonic() - began
        assert [type(r) for r in results] == [TuyaClientClosedError] * 300
        assert elapsed < 1.0 and tuya.stats.in_flight == 0
        assert len(http.connector._acquired) == 0  # type: ignore[union-attr]
    assert client_tasks() == []


async def test_calls_in_a_task_group_fail_with_the_closed_error() -> None:
    cloud = FakeCloud.seeded(devices=3, seed=1, latency=5.0)
    async with serve(cloud) as url:
        tuya = _client(cloud, url)

        async def close_soon() -> None:
            await asyncio.sleep(0.2)
            await tuya.aclose()

        asyncio.get_running_loop().create_task(close_soon())
        with pytest.raises(ExceptionGroup) as info:
            async with asyncio.TaskGroup() as group:
                for _ in range(50):
                    group.create_task(tuya.devices.get_state(cloud.device_ids[0]))
        assert info.value.exceptions
        assert all(isinstance(e, TuyaClientClosedError) for e in info.value.exceptions)


async def test_a_cancellation_from_outside_stays_the_callers_own() -> None:
    """The client stops its calls by cancelling their tasks; a caller's own timeout or
    cancellation, also one that comes as the client closes, still reaches the caller."""
    cloud = FakeCloud.seeded(devices=3, seed=1)
    async with serve(cloud) as url:
        tuya = _client(cloud, url)
        device_id = cloud.device_ids[0]
        await tuya.devices.get_state(device_id)  # the token, before the cloud slows down
        cloud.latency = 5.0
        with pytest.raises(TimeoutError) as info:
            async with asyncio.timeout(0.1):
                await tuya.devices.get_state(device_id)
        assert not isinstance(info.value, TuyaError)
        assert tuya.stats.in_flight == 0 and not tuya.closed
        task = asyncio.create_task(tuya.devices.get_state(device_id))
        await asyncio.sleep(0.1)
        task.cancel()
        await tuya.aclose()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert client_tasks() == []


async def test_waiters_on_a_failed_renewal_get_their_own_error(
    cloud: FakeCloud, base_url: str
) -> None:
    cloud.faults.add(TOKEN, Fault.error(1004))
    cloud.latency = 0.05
    async with _client(cloud, base_url) as tuya:
        results = await asyncio.gather(
            *(tuya.devices.get_state(cloud.device_ids[0]) for _ in range(20)),
            return_exceptions=True,
        )
    assert all(isinstance(r, TuyaAuthError) and r.code == 1004 for r in results)
    assert len({id(r) for r in results}) == 20
    assert cloud.hits[TOKEN] == 1


async def test_each_paginator_reports_its_own_resume_cursor(
    cloud: FakeCloud, base_url: str
) -> None:
    async with _client(cloud, base_url) as tuya:
        cursors = []
        for device_id in cloud.device_ids[:2]:
            page = await tuya.logs.list_reports(
                device_id, codes=["cur_power"], size=5, **_window(cloud)
            )
            cursors.append(page.cursor)
        cloud.expire_tokens()
        cloud.faults.add(TOKEN, Fault.error(1004), times=2)
        cloud.faults.add("GET /v1.0/token/{refresh_token}", Fault.error(1004), times=2)
        cloud.latency = 0.05
        streams = [
            tuya.logs.iter_reports(
                device_id, codes=["cur_power"], start_cursor=cursor, size=5, **_window(cloud)
            )
            for device_id, cursor in zip(cloud.device_ids[:2], cursors, strict=True)
        ]
        errors = await asyncio.gather(*(_drain(s) for s in streams), return_exceptions=True)
    assert [e.resume_cursor for e in errors if isinstance(e, TuyaError)] == cursors


async def test_a_stalled_token_endpoint_fails_the_call_at_its_deadline(
    cloud: FakeCloud, base_url: str
) -> None:
    cloud.faults.add(TOKEN, Fault.stall(10))
    async with _client(cloud, base_url, deadline=0.5) as tuya:
        began = time.monotonic()
        with pytest.raises(TuyaTimeoutError):
            await tuya.devices.get_state(cloud.device_ids[0])
        assert time.monotonic() - began < 0.8


async def test_a_reset_answered_with_garbage_after_running_is_outcome_unknown(
    cloud: FakeCloud, base_url: str
) -> None:
    device_id = cloud.device_ids[0]
    cloud.faults.add(RESET, Fault.malformed("truncated_json", after_processing=True))
    async with _client(cloud, base_url) as tuya:
        with pytest.raises(TuyaOutcomeUnknownError) as info:
            await tuya.devices.reset(device_id)
    assert info.value.attempts == 1 and info.value.path == "/v2.0/cloud/thing/{device_id}/reset"
    assert cloud.hits[RESET] == 1 and device_id not in cloud.devices  # it did run


async def test_a_reset_answered_503_with_retry_after_is_sent_once(
    cloud: FakeCloud, base_url: str
) -> None:
    cloud.faults.add(RESET, Fault.http(503, retry_after=1), times=3)
    async with _client(cloud, base_url) as tuya:
        with pytest.raises(TuyaOutcomeUnknownError):
            await tuya.devices.reset(cloud.device_ids[0])
    assert cloud.hits[RESET] == 1


async def test_a_reset_that_was_never_sent_raises_the_original_error() -> None:
    cloud = FakeCloud.seeded(devices=1, seed=1)
    async with serve(cloud) as url:
        pass  # the port is free again: connections are refused
    async with _client(cloud, url) as tuya:
        with pytest.raises(TuyaConnectError) as info:
            await tuya.devices.reset(cloud.device_ids[0])
    assert "may have been processed" not in str(info.value)
    assert not isinstance(info.value, TuyaOutcomeUnknownError)
