"""The user's tests: pytest-asyncio in its default strict mode, and one anyio-marked test."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer
from inventory_app import create_app

from tuya_thing_async import TuyaClient
from tuya_thing_async.emulator import FakeCloud


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.asyncio
async def test_app_reaches_the_emulator(tuya_env: dict[str, str], tuya_cloud: FakeCloud) -> None:
    device_id = tuya_cloud.device_ids[0]
    async with TestClient(TestServer(create_app())) as http:
        response = await http.get(f"/devices/{device_id}")
        assert response.status == 200
        assert (await response.json())["id"] == device_id


@pytest.mark.asyncio
async def test_client_fixture(tuya_client: TuyaClient, tuya_cloud: FakeCloud) -> None:
    await tuya_client.devices.rename(tuya_cloud.device_ids[0], "Porch")
    assert tuya_cloud.devices[tuya_cloud.device_ids[0]].custom_name == "Porch"


@pytest.mark.anyio
async def test_anyio_style(
    tuya_client: TuyaClient, tuya_env: dict[str, str], tuya_cloud: FakeCloud
) -> None:
    device_id = tuya_cloud.device_ids[1]
    await tuya_client.devices.rename(device_id, "Shed")
    async with TestClient(TestServer(create_app())) as http:
        response = await http.get(f"/devices/{device_id}")
        assert (await response.json())["name"] == "Shed"
