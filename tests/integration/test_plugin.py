"""The pytest plugin's fixtures, as this project (pytest-asyncio auto mode) sees them; the
strict-mode and anyio runs are in test_user_project.py."""

from __future__ import annotations

import os
import threading

import pytest

from tuya_thing_async import TuyaClient
from tuya_thing_async.emulator import FakeCloud, serve_in_thread


@pytest.fixture
def tuya_cloud() -> FakeCloud:  # the documented way to change the fleet
    return FakeCloud.seeded(devices=3, seed=11)


async def test_client_fixture_talks_to_the_overridden_cloud(
    tuya_client: TuyaClient, tuya_cloud: FakeCloud
) -> None:
    assert len(tuya_cloud.device_ids) == 3
    device = await tuya_client.devices.get(tuya_cloud.device_ids[2])
    assert device.id == tuya_cloud.device_ids[2]
    assert tuya_client.settings.strict_models


async def test_env_fixture_serves_unmodified_from_env_code(
    tuya_env: dict[str, str], tuya_emulator: str, tuya_cloud: FakeCloud
) -> None:
    assert os.environ["TUYA_BASE_URL"] == tuya_emulator == tuya_env["TUYA_BASE_URL"]
    assert "TUYA_REGION" not in os.environ
    async with TuyaClient.from_env() as tuya:
        assert (await tuya.verify()).has_devices
    assert tuya_cloud.hits["GET /v2.0/cloud/thing/device"] == 1


def test_serve_in_thread_stops_its_thread() -> None:
    before = threading.active_count()
    with serve_in_thread(FakeCloud.seeded(devices=1, seed=1)) as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        assert threading.active_count() == before + 1
    assert threading.active_count() == before


def test_serve_in_thread_reports_a_taken_port() -> None:
    cloud = FakeCloud.seeded(devices=1, seed=1)
    with serve_in_thread(cloud) as base_url:
        port = int(base_url.rsplit(":", 1)[1])
        with pytest.raises(RuntimeError, match="did not start"), serve_in_thread(cloud, port=port):
            pass
