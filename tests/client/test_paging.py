"""Repeated cursors stop after two requests, on both of Tuya's cursor shapes."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.client.conftest import FakeTuya
from tuya_thing_async import TuyaClient, TuyaPaginationLoopError

DEV = "vdevo1"
LOG = {
    "event_time": 1763600000000,
    "event_id": 1,
    "code": "",
    "value": "online",
    "event_from": "1",
    "status": "ok",
}
REPORT = {"code": "cur_power", "value": "1", "event_time": 1763600000000}


async def test_repeated_next_row_key(
    fake: FakeTuya, make_client: Callable[..., TuyaClient]
) -> None:
    path = r"/v2\.0/cloud/thing/vdevo1/logs"
    fake.on(
        "GET",
        path,
        fake.ok({"device_id": DEV, "has_next": True, "next_row_key": "same", "logs": [LOG]}),
    )
    async with make_client() as tuya, tuya.logs.iter_operations(DEV) as logs:
        with pytest.raises(TuyaPaginationLoopError) as info:
            async for _ in logs:
                pass
    assert len(fake.calls("GET", path)) == 2 and info.value.cursor == "same"


async def test_repeated_last_row_key(
    fake: FakeTuya, make_client: Callable[..., TuyaClient]
) -> None:
    path = r"/v2\.0/cloud/thing/vdevo1/report-logs"
    fake.on(
        "GET",
        path,
        fake.ok(
            {"device_id": DEV, "has_more": True, "last_row_key": "k1", "total": 9, "logs": [REPORT]}
        ),
    )
    async with make_client() as tuya, tuya.logs.iter_reports(DEV, codes=["cur_power"]) as it:
        with pytest.raises(TuyaPaginationLoopError):
            async for _ in it.pages():
                pass
    assert len(fake.calls("GET", path)) == 2


async def test_empty_page_promising_more_is_a_loop(
    fake: FakeTuya, make_client: Callable[..., TuyaClient]
) -> None:
    path = r"/v2\.0/cloud/thing/vdevo1/report-logs"
    fake.on("GET", path, fake.ok({"has_more": True, "last_row_key": "k2", "logs": []}))
    async with make_client() as tuya:
        with pytest.raises(TuyaPaginationLoopError):
            async for _ in tuya.logs.iter_reports(DEV, codes=["cur_power"]):
                pass
    assert len(fake.calls("GET", path)) == 1
