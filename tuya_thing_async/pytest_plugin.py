"""Opt-in pytest plugin: an emulated Tuya cloud for your own tests.

Enable it with ``pytest_plugins = ["tuya_thing_async.pytest_plugin"]`` in ``conftest.py``
(pytest-asyncio required). Fixtures, each per test:

* ``tuya_cloud``: a seeded ``FakeCloud`` (10 devices, seed 7); override the fixture to change it.
* ``tuya_base_url``: the emulator serving ``tuya_cloud`` on 127.0.0.1, a free port.
* ``tuya_client``: a ``TuyaClient`` connected to it, with strict models and no rate cap.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from .client import TuyaClient
from .config import ClientSettings
from .emulator import FakeCloud, serve


@pytest.fixture
def tuya_cloud() -> FakeCloud:
    return FakeCloud.seeded(devices=10, seed=7)


@pytest_asyncio.fixture
async def tuya_base_url(tuya_cloud: FakeCloud) -> AsyncIterator[str]:
    async with serve(tuya_cloud) as base_url:
        yield base_url


@pytest_asyncio.fixture
async def tuya_client(tuya_cloud: FakeCloud, tuya_base_url: str) -> AsyncIterator[TuyaClient]:
    settings = ClientSettings(rate=None, strict_models=True)
    async with TuyaClient(
        tuya_cloud.credentials, base_url=tuya_base_url, insecure_http=True, settings=settings
    ) as client:
        yield client
