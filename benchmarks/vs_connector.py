"""The SDK against Tuya's official Python client (``tuya-connector-python``, synchronous,
requests-based) on the same emulator with the same latency: details of 1,000 devices, and one
day of report logs for 100 devices."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from _common import emulator_process, median, sdk_client


def _connector(info: dict[str, str]) -> Any:
    from tuya_connector import TuyaOpenAPI  # optional: pip install -e ".[bench]"

    api = TuyaOpenAPI(info["TUYA_BASE_URL"], info["TUYA_ACCESS_ID"], info["TUYA_ACCESS_SECRET"])
    api.connect()
    return api


def _connector_details(api: Any, ids: list[str], batch: bool) -> int:
    if batch:
        chunks = [ids[i : i + 20] for i in range(0, len(ids), 20)]
        found = [api.get("/v2.0/cloud/thing/batch", {"device_ids": ",".join(c)}) for c in chunks]
        return sum(len(r["result"]) for r in found)
    return sum(1 for i in ids if api.get(f"/v2.0/cloud/thing/{i}")["success"])


def _connector_harvest(api: Any, ids: list[str], start_ms: int, end_ms: int) -> int:
    records = 0
    for device in ids:
        cursor = ""
        while True:
            page = api.get(
                f"/v2.0/cloud/thing/{device}/report-logs",
                {
                    "codes": "cur_power",
                    "start_time": start_ms,
                    "end_time": end_ms,
                    "size": 100,
                    "last_row_key": cursor,
                },
            )["result"]
            records += len(page["logs"])
            if not page["has_more"]:
                break
            cursor = page["last_row_key"]
    return records


async def measure(
    repeats: int,
    devices: int = 1000,
    harvest_devices: int = 100,
    latency_ms: float = 20.0,
    slow_repeats: int = 1,
) -> dict[str, float]:
    from tuya_thing_async.emulator.seed import fleet_ids

    ids = fleet_ids(devices, seed=7)
    end = datetime.now(UTC) - timedelta(hours=1)
    start = end - timedelta(days=1)
    start_ms, end_ms = int(start.timestamp() * 1000), int(end.timestamp() * 1000)
    out: dict[str, list[float]] = {
        k: [] for k in ("sdk_details", "conn_batch", "conn_each", "sdk_harvest", "conn_harvest")
    }
    with emulator_process(devices=devices, latency_ms=latency_ms) as info:
        api = await asyncio.to_thread(_connector, info)
        async with sdk_client(info) as tuya:
            await tuya.devices.get(ids[0])
            for n in range(repeats):
                began = time.perf_counter()
                result = await tuya.devices.get_many(ids)
                out["sdk_details"].append(time.perf_counter() - began)
                assert len(result.devices) == devices
                began = time.perf_counter()
                assert await asyncio.to_thread(_connector_details, api, ids, True) == devices
                out["conn_batch"].append(time.perf_counter() - began)
                if n < slow_repeats:
                    began = time.perf_counter()
                    assert await asyncio.to_thread(_connector_details, api, ids, False) == devices
                    out["conn_each"].append(time.perf_counter() - began)
                some = ids[:harvest_devices]
                began = time.perf_counter()
                harvest = tuya.logs.harvest_reports(some, codes=["cur_power"], start=start, end=end)
                async for _ in harvest:
                    pass
                out["sdk_harvest"].append(time.perf_counter() - began)
                began = time.perf_counter()
                records = await asyncio.to_thread(_connector_harvest, api, some, start_ms, end_ms)
                out["conn_harvest"].append(time.perf_counter() - began)
                assert records == harvest.records, (records, harvest.records)
    return {k: median(v) for k, v in out.items()}
