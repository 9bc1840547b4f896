"""pytest plugin: an emulated Tuya cloud for your own tests. Installing the SDK registers it
(the ``pytest11`` entry point ``tuya_thing_async``; ``-p no:tuya_thing_async`` turns it off).

The emulator runs in a background thread with its own event loop, so it serves tests of any
style: pytest-asyncio in strict or auto mode, and ``@pytest.mark.anyio`` tests (asyncio
backend; in auto mode pytest-asyncio runs those itself, and ``tuya_client`` follows it).
Fixtures, each per test:

* ``tuya_cloud``: a seeded ``FakeCloud`` (10 devices, seed 7); override it to change the fleet
  or its knobs (latency, QPS, faults).
* ``tuya_emulator``: the base URL of the emulator serving ``tuya_cloud`` on 127.0.0.1.
* ``tuya_env``: ``TUYA_ACCESS_ID``, ``TUYA_ACCESS_SECRET``, ``TUYA_BASE_URL`` and
  ``TUYA_INSECURE_HTTP=1`` set for the test (``TUYA_REGION`` removed), so application code
  that calls ``TuyaClient.from_env()`` talks to the emulator unchanged. Returns the values.
* ``tuya_settings``: the ``ClientSettings`` of ``tuya_client`` (strict models, no rate cap).
* ``tuya_client``: a ``TuyaClient`` connected to the emulator, opened and closed on the
  test's own event loop (pytest-asyncio's, or anyio's for anyio-marked tests).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
from anyio.pytest_plugin import extract_backend_and_options, get_runner

from .client import TuyaClient
from .config import (
    ENV_ACCESS_ID,
    ENV_ACCESS_SECRET,
    ENV_BASE_URL,
    ENV_INSECURE_HTTP,
    ENV_REGION,
    ClientSettings,
)
from .emulator import FakeCloud, serve_in_thread

try:
    from pytest_asyncio import fixture as asyncio_fixture
except ImportError:  # pragma: no cover - anyio-only projects
    asyncio_fixture = None  # type: ignore[assignment]


@pytest.fixture
def tuya_cloud() -> FakeCloud:
    """The emulated cloud: 10 seeded devices. Override this fixture to change it."""
    return FakeCloud.seeded(devices=10, seed=7)


@pytest.fixture
def tuya_emulator(tuya_cloud: FakeCloud) -> Iterator[str]:
    """The base URL of ``tuya_cloud`` served on 127.0.0.1 (a free port) from a thread."""
    with serve_in_thread(tuya_cloud) as base_url:
        yield base_url


@pytest.fixture
def tuya_env(
    tuya_cloud: FakeCloud, tuya_emulator: str, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """``TUYA_*`` variables pointing at the emulator, for code using ``from_env()``."""
    env = {
        ENV_ACCESS_ID: tuya_cloud.access_id,
        ENV_ACCESS_SECRET: tuya_cloud.access_secret,
        ENV_BASE_URL: tuya_emulator,
        ENV_INSECURE_HTTP: "1",
    }
    monkeypatch.delenv(ENV_REGION, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def tuya_settings() -> ClientSettings:
    """Settings of ``tuya_client``: strict models (drift fails the test), no rate cap."""
    return ClientSettings(rate=None, strict_models=True)


@pytest.fixture
def tuya_client(request: pytest.FixtureRequest) -> TuyaClient:
    """A client of the emulator, opened and closed on the loop the test runs on:
    pytest-asyncio's for its tests (in auto mode, anyio-marked ones too), else anyio's."""
    runs_on_asyncio = request.node.get_closest_marker("asyncio") is not None
    anyio_marked = "anyio_backend" in request.fixturenames
    if asyncio_fixture is not None and runs_on_asyncio and anyio_marked:
        client: TuyaClient = request.getfixturevalue("_tuya_client_on_asyncio_loop")
    elif asyncio_fixture is not None and runs_on_asyncio:
        client = request.getfixturevalue("_tuya_client_asyncio")
    elif anyio_marked:
        client = request.getfixturevalue("_tuya_client_anyio")
    elif asyncio_fixture is not None:
        client = request.getfixturevalue("_tuya_client_asyncio")
    else:  # pragma: no cover - anyio-only projects
        pytest.fail("tuya_client needs an anyio-marked test or pytest-asyncio", pytrace=False)
    return client


@asynccontextmanager
async def _open_client(
    cloud: FakeCloud, base_url: str, settings: ClientSettings
) -> AsyncIterator[TuyaClient]:
    async with TuyaClient(
        cloud.credentials, base_url=base_url, insecure_http=True, settings=settings
    ) as client:
        yield client


@pytest.fixture
def _tuya_client_anyio(
    anyio_backend: object,
    tuya_cloud: FakeCloud,
    tuya_emulator: str,
    tuya_settings: ClientSettings,
) -> Iterator[TuyaClient]:
    """Run on the anyio test's loop. A sync fixture driving anyio's test runner itself (as
    anyio's plugin does for async fixtures), so pytest-asyncio's auto mode leaves it alone."""
    backend, options = extract_backend_and_options(anyio_backend)

    async def client() -> AsyncGenerator[TuyaClient, None]:
        async with _open_client(tuya_cloud, tuya_emulator, tuya_settings) as opened:
            yield opened

    with get_runner(backend, options) as runner:
        yield from runner.run_asyncgen_fixture(client, {})


if asyncio_fixture is not None:

    @asyncio_fixture
    async def _tuya_client_asyncio(
        tuya_cloud: FakeCloud, tuya_emulator: str, tuya_settings: ClientSettings
    ) -> AsyncIterator[TuyaClient]:
        """Run by pytest-asyncio, on the asyncio test's loop."""
        async with _open_client(tuya_cloud, tuya_emulator, tuya_settings) as client:
            yield client

    @asyncio_fixture  # type: ignore[type-var]  # typed for async fixtures; sync ones work
    def _tuya_client_on_asyncio_loop(
        tuya_cloud: FakeCloud, tuya_emulator: str, tuya_settings: ClientSettings
    ) -> Iterator[TuyaClient]:
        """For anyio-marked tests that pytest-asyncio's auto mode runs itself: a sync fixture,
        which anyio's plugin leaves alone, closing the client on pytest-asyncio's loop (the
        current event loop while pytest-asyncio runs its fixtures)."""
        loop = asyncio.get_event_loop()
        client = TuyaClient(
            tuya_cloud.credentials,
            base_url=tuya_emulator,
            insecure_http=True,
            settings=tuya_settings,
        )
        try:
            yield client
        finally:
            loop.run_until_complete(client.aclose())
