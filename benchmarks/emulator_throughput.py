"""The emulator's own ceiling: signed ``GET /v2.0/cloud/thing/{device_id}`` per second, the
emulator in its own process, driven by the minimal hand-written client."""

from __future__ import annotations

import aiohttp
from _common import MinimalClient, emulator_process, median, rate


async def measure(repeats: int, calls: int, concurrency: int = 32) -> dict[str, float]:
    with emulator_process(devices=50) as info:
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as http:
            client = MinimalClient(http, info)
            await client.login()
            path = f"/v2.0/cloud/thing/{info['device']}"
            await rate(5, concurrency, lambda: client.get(path))  # warm-up
            runs = [
                await rate(calls, concurrency, lambda: client.get(path)) for _ in range(repeats)
            ]
    return {"emulator_rps": median(runs)}
