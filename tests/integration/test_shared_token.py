"""Two processes sharing one project's token on the emulator: Tuya holds one token per
project, so a refresh by one process invalidates the token the other holds. Each must
recover (1010, then a renewal) without a single failed call.

The test runs 12 s by default (two 5 s token lifetimes); ``--token-share-seconds 60`` for a
long run.
"""

from __future__ import annotations

import time

import pytest

from tests.integration.token_worker import run_processes
from tuya_thing_async.emulator import FakeCloud, serve

TTL, PROCESSES = 5, 2


async def test_two_processes_share_one_token_with_no_failed_call(
    request: pytest.FixtureRequest,
) -> None:
    seconds = float(request.config.getoption("--token-share-seconds"))
    cloud = FakeCloud.seeded(devices=1, seed=5, token_ttl=TTL, latency=0.01)
    async with serve(cloud) as url:
        end = time.time() + 1.0 + seconds  # the workers start within the first second
        outputs = await run_processes(
            PROCESSES, url, cloud.access_id, cloud.access_secret, cloud.device_ids[0], end
        )
    print(f"1010 answers: {cloud.errors[1010]}; per process: {outputs}")
    assert [out["failed"] for out in outputs] == [{}] * PROCESSES
    assert all(out["ok"] > 100 for out in outputs)
    assert cloud.errors[1010] > 0  # the other's refresh was seen ...
    assert all(out["refreshes"] + out["grants"] > 1 for out in outputs)  # ... and recovered from
