"""A borrowed ``aiohttp.ClientSession`` with unusual defaults answers exactly like the
client's own: Tuya's 5xx and 429 answers are classified and retried (not raised by aiohttp),
the client's timeouts apply, redirects are not followed, session middlewares are skipped."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.conftest import fast_settings
from tuya_thing_async import TuyaClient, TuyaConfigError
from tuya_thing_async.emulator import FakeCloud, Fault

DEVICE = "GET /v2.0/cloud/thing/{device_id}"
RESET = "POST /v2.0/cloud/thing/{device_id}/reset"


@pytest.fixture
async def odd_session() -> AsyncIterator[tuple[aiohttp.ClientSession, list[str]]]:
    """raise_for_status, a 1 ms timeout, no decompression, a middleware that counts."""
    seen: list[str] = []

    async def middleware(
        request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
    ) -> aiohttp.ClientResponse:
        seen.append(request.url.path)
        return await handler(request)

    async with aiohttp.ClientSession(
        raise_for_status=True,
        timeout=aiohttp.ClientTimeout(total=0.001),
        auto_decompress=False,
        middlewares=(middleware,),
    ) as http:
        yield http, seen


async def test_borrowed_session_with_odd_defaults_behaves_like_an_owned_one(
    cloud: FakeCloud, base_url: str, odd_session: tuple[aiohttp.ClientSession, list[str]]
) -> None:
    http, middleware_saw = odd_session
    device_id = cloud.device_ids[0]
    cloud.latency = 0.01  # longer than the session's own 1 ms timeout
    cloud.faults.add(DEVICE, Fault.http(503), times=1)
    cloud.faults.add(DEVICE, Fault.http(429), times=1)
    async with TuyaClient(
        cloud.credentials,
        base_url=base_url,
        insecure_http=True,
        session=http,
        settings=fast_settings(adaptive=False),
    ) as tuya:
        device = await tuya.devices.get(device_id)
        assert device.id == device_id
        assert tuya.stats.retries == 2
        # an answer, not a transport failure: a reset answered 429 did not run, so it is
        # retried (aiohttp's raise_for_status would make it an unknown outcome)
        cloud.faults.add(RESET, Fault.http(429), times=1)
        await tuya.devices.reset(device_id)
        assert cloud.hits[RESET] == 2
    assert cloud.hits[DEVICE] == 3
    assert middleware_saw == []
    assert not http.closed  # borrowed: never closed by the client


async def test_a_session_with_a_base_url_is_refused(cloud: FakeCloud, base_url: str) -> None:
    async with aiohttp.ClientSession(base_url=base_url) as http:
        with pytest.raises(TuyaConfigError, match="base_url"):
            TuyaClient(cloud.credentials, base_url=base_url, insecure_http=True, session=http)
