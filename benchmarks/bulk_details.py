"""Bulk details of 10,000 IDs: exactly 500 batch requests, against the bound
ceil(500 / concurrency) x latency."""

from __future__ import annotations

import math
import time

from _common import emulator_process, median, sdk_client


async def measure(
    repeats: int, ids: int = 10_000, latency_ms: float = 20.0, concurrency: int = 4
) -> dict[str, float]:
    wanted = [f"vdevo{i:012d}" for i in range(ids)]
    with emulator_process(devices=10, latency_ms=latency_ms) as info:
        async with sdk_client(info, bulk_concurrency=concurrency) as tuya:
            await tuya.devices.get(info["device"])
            runs = []
            for _ in range(repeats):
                before = tuya.stats.requests
                began = time.perf_counter()
                result = await tuya.devices.get_many(wanted)
                runs.append(time.perf_counter() - began)
                requests = tuya.stats.requests - before
                assert len(result.missing) == ids
    batches = math.ceil(ids / 20)
    bound = math.ceil(batches / concurrency) * latency_ms / 1000
    return {
        "requests": requests,
        "seconds": median(runs),
        "bound": bound,
        "ratio": bound / median(runs),
    }
