"""Bulk details of 10,000 known devices (every answer builds 20 devices): exactly 500 batch
requests, against the bound ceil(500 / concurrency) x latency."""

from __future__ import annotations

import math
import time

from _common import emulator_process, median, sdk_client

from tuya_thing_async.emulator import FakeCloud


async def measure(
    repeats: int, ids: int = 10_000, latency_ms: float = 20.0, concurrency: int = 4
) -> dict[str, float]:
    wanted = list(FakeCloud.seeded(devices=ids, seed=7).devices)  # the child's fleet
    with emulator_process(devices=ids, latency_ms=latency_ms) as info:
        async with sdk_client(info, bulk_concurrency=concurrency) as tuya:
            await tuya.devices.get(info["device"])
            runs = []
            for _ in range(repeats):
                before = tuya.stats.requests
                began = time.perf_counter()
                result = await tuya.devices.get_many(wanted)
                runs.append(time.perf_counter() - began)
                requests = tuya.stats.requests - before
                assert len(result.devices) == ids and not result.missing
    batches = math.ceil(ids / 20)
    bound = math.ceil(batches / concurrency) * latency_ms / 1000
    return {
        "requests": requests,
        "seconds": median(runs),
        "bound": bound,
        "ratio": bound / median(runs),
    }
