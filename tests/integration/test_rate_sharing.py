"""Several processes sharing one project's per-API limit: each adapts on its own, together
they use most of the limit, and none is starved."""

from __future__ import annotations

import time

from tests.integration.share_worker import rates_between, run_processes
from tuya_thing_async._ratelimit import FLOOR
from tuya_thing_async.emulator import FakeCloud, serve

STATE = "GET /v2.0/cloud/thing/{device_id}/state"
LIMIT, PROCESSES, SECONDS, WARM_UP = 25, 4, 14.0, 6.0  # warm-up: past the 5 s recovery


async def test_four_processes_share_a_25_per_second_project() -> None:
    cloud = FakeCloud.seeded(devices=2, seed=3, qps={STATE: LIMIT}, latency=0.03)
    async with serve(cloud) as url:
        begin = time.time() + 1.0  # after the workers have started
        end = begin + SECONDS
        outputs = await run_processes(
            PROCESSES, url, cloud.access_id, cloud.access_secret, cloud.device_ids[0], end
        )
    per_second = rates_between(outputs, begin + WARM_UP, end)  # while all four run
    print(f"per process {[f'{r:.1f}' for r in per_second]}/s, limit {LIMIT}/s")
    assert sum(per_second) >= 0.75 * LIMIT  # together they use most of the limit
    assert sum(per_second) <= LIMIT * 1.01  # and the cloud never let more through
    # none is starved: each keeps at least the floor rate a throttled route is slowed to (the
    # benchmark measures the spread over a longer run; here one process can sit at the floor)
    assert min(per_second) >= 0.75 * FLOOR
    assert all(out["rate"] is not None for out in outputs)  # each adapted
