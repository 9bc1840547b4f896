"""Adaptive rate control against a throttling emulator (its own process, per-API limit on the
report-log API, answered 1199 beyond it), the SDK with DEFAULT settings:

* a fleet harvest (7 days of ``cur_power``, about 30 seconds of work at the limit): share of
  the allowed rate used over the job, share of requests throttled, records harvested; beside
  Tuya's official connector in a sequential loop that retries a 1199 after 0.1 s;
* 4 processes sharing one project (each its own client, same credentials): their combined
  share of the limit and the spread between them.
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _common import emulator_process, median, sdk_client

sys.path.insert(0, str(Path(__file__).parents[1]))
from tests.integration.share_worker import rates_between, run_processes

REPORTS = "GET /v2.0/cloud/thing/{device_id}/report-logs"
SECONDS_OF_WORK = 60.0


def _window() -> tuple[datetime, datetime]:
    end = datetime.now(UTC) - timedelta(minutes=5)
    return end - timedelta(days=7) + timedelta(hours=1), end


async def sdk_harvest(info: dict[str, str], ids: list[str], limit: float) -> dict[str, float]:
    start, end = _window()
    async with sdk_client(info) as tuya:
        await tuya.devices.get(ids[0])  # the token
        harvest = tuya.logs.harvest_reports(ids, codes=["cur_power"], start=start, end=end)
        began = time.perf_counter()
        async with harvest:
            async for _ in harvest:
                pass
        elapsed = time.perf_counter() - began
        route = tuya.stats.rates[REPORTS]
    return {
        "used": harvest.pages / (elapsed * limit),
        "throttled": route.throttles / route.requests,
        "records": harvest.records,
        "seconds": elapsed,
        "settled": route.rate or 0.0,
    }


def _connector_harvest(info: dict[str, str], ids: list[str], limit: float) -> dict[str, float]:
    from tuya_connector import TuyaOpenAPI  # optional: pip install -e ".[bench]"

    api = TuyaOpenAPI(info["TUYA_BASE_URL"], info["TUYA_ACCESS_ID"], info["TUYA_ACCESS_SECRET"])
    api.connect()
    start, end = _window()
    query = {"codes": "cur_power", "size": 100}
    query |= {"start_time": int(start.timestamp() * 1000), "end_time": int(end.timestamp() * 1000)}
    records = pages = throttled = 0
    began = time.perf_counter()
    for device in ids:
        cursor = ""
        while True:
            path = f"/v2.0/cloud/thing/{device}/report-logs"
            answer = api.get(path, query | {"last_row_key": cursor})
            if not answer["success"]:
                assert answer["code"] == 1199, answer
                throttled += 1
                time.sleep(0.1)
                continue
            page = answer["result"]
            pages, records = pages + 1, records + len(page["logs"])
            if not page["has_more"]:
                break
            cursor = page["last_row_key"]
    elapsed = time.perf_counter() - began
    return {
        "used": pages / (elapsed * limit),
        "throttled": throttled / (pages + throttled),
        "records": records,
        "seconds": elapsed,
    }


async def measure_harvest(
    repeats: int, limit: float, latency_ms: float, seconds: float = SECONDS_OF_WORK
) -> dict[str, Any]:
    from tuya_thing_async.emulator.seed import fleet_ids

    # 7 pages of cur_power per inverter or battery, 3.5 per meter: ~6 pages a device
    ids = fleet_ids(max(4, round(seconds * limit / 6)), seed=7)
    runs: dict[str, list[dict[str, float]]] = {"sdk": [], "connector": []}
    for _ in range(repeats):  # a fresh emulator (fresh windows) for every run of each side
        for side in runs:
            with emulator_process(
                devices=len(ids), latency_ms=latency_ms, qps=(f"{REPORTS}={limit:g}",)
            ) as info:
                if side == "sdk":
                    runs[side].append(await sdk_harvest(info, ids, limit))
                else:
                    runs[side].append(await asyncio.to_thread(_connector_harvest, info, ids, limit))
    return {
        side: {key: median([r[key] for r in results]) for key in results[0]}
        for side, results in runs.items()
        if results
    }


async def measure_sharing(
    processes: int = 4, limit: float = 25.0, seconds: float = 20.0
) -> dict[str, Any]:
    """``processes`` clients in their own processes on one project, each from 8 tasks."""
    state = "GET /v2.0/cloud/thing/{device_id}/state"
    with emulator_process(devices=4, latency_ms=30, qps=(f"{state}={limit:g}",)) as info:
        begin = time.time() + 2.0
        end = begin + seconds
        outputs = await run_processes(
            processes,
            info["TUYA_BASE_URL"],
            info["TUYA_ACCESS_ID"],
            info["TUYA_ACCESS_SECRET"],
            info["device"],
            end,
        )
    rates = rates_between(outputs, begin + min(5.0, seconds / 2), end)  # after a warm-up
    return {"rates": rates, "combined": sum(rates) / limit, "fair": limit / processes}
