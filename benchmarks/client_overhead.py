"""Per-request client overhead: ``devices.get`` through the SDK against the minimal hand-written
signing client, same emulator (own process, no latency), interleaved runs. Reported as client
CPU time per request (the server's ceiling does not enter) and as requests per second."""

from __future__ import annotations

import time

import aiohttp
from _common import MinimalClient, emulator_process, median, rate, sdk_client


async def measure(repeats: int, calls: int, concurrency: int = 16) -> dict[str, float]:
    sdk_cpu, floor_cpu, sdk_rps, floor_rps = [], [], [], []
    with emulator_process(devices=20) as info:
        path = f"/v2.0/cloud/thing/{info['device']}"
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with (
            aiohttp.ClientSession(connector=connector) as http,
            sdk_client(info) as tuya,
        ):
            floor = MinimalClient(http, info)
            await floor.login()
            await tuya.devices.get(info["device"])
            for _ in range(repeats + 1):  # the first round warms up and is dropped
                for get, cpu, rps in (
                    (lambda: tuya.devices.get(info["device"]), sdk_cpu, sdk_rps),
                    (lambda: floor.get(path), floor_cpu, floor_rps),
                ):
                    began = time.process_time()
                    rps.append(await rate(calls, concurrency, get))
                    cpu.append((time.process_time() - began) / (calls * concurrency) * 1e6)
    return {
        "sdk_us": median(sdk_cpu[1::]),
        "floor_us": median(floor_cpu[1::]),
        "sdk_rps": median(sdk_rps[1::]),
        "floor_rps": median(floor_rps[1::]),
        "ratio": median(sdk_cpu[1::]) / median(floor_cpu[1::]),
    }
