"""Harvest throughput against the latency bound (Little's law): the emulator in its own process
answers every request ``latency`` (plus uniform ``0..jitter``) after it arrived; at concurrency
c the most pages a harvest can fetch per second is c / mean latency."""

from __future__ import annotations

import time

from _common import emulator_process, median, sdk_client

from tuya_thing_async.emulator import FakeCloud


async def measure(
    repeats: int,
    latency_ms: float = 50.0,
    levels: tuple[int, ...] = (1, 4, 16, 64),
    jitter_ms: float = 0.0,
) -> list[dict[str, float]]:
    devices = 3 * max(levels)
    fleet = FakeCloud.seeded(devices=devices, seed=7)  # the same fleet as the child process
    # inverters and batteries report cur_power every 15 min: 7 pages each, so every worker
    # has the same amount of work (meters report half as often and would leave a ragged tail)
    ids = [d.id for d in fleet.devices.values() if d.kind != "meter"]
    rows = []
    with emulator_process(devices=devices, latency_ms=latency_ms, jitter_ms=jitter_ms) as info:
        slots = max(max(levels), 16)  # the default 16 would cap concurrency 64
        async with sdk_client(info, max_concurrency=slots) as tuya:
            await tuya.devices.get(ids[0])  # token
            for level in levels:
                subset = ids[: 2 * level]
                runs = []
                for _ in range(repeats):
                    harvest = tuya.logs.harvest_reports(
                        subset, codes=["cur_power"], concurrency=level
                    )
                    began = time.perf_counter()
                    async for _ in harvest:
                        pass
                    runs.append(harvest.pages / (time.perf_counter() - began))
                bound = level / ((latency_ms + jitter_ms / 2) / 1000)  # mean round trip
                rows.append(
                    {
                        "concurrency": level,
                        "max_concurrency": slots,
                        "pages_per_s": median(runs),
                        "bound": bound,
                        "ratio": median(runs) / bound,
                    }
                )
    return rows
