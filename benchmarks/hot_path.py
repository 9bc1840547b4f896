"""Client CPU on the hot path, SDK against a hand-signed aiohttp floor, same emulator (its own
process, no latency), paired runs (SDK and floor alternate, the first round is dropped):

* one harvested page of 100 report records: the SDK's fleet harvest (per-record stream, and the
  page stream) against a floor that signs each request, decodes the JSON and follows the
  cursor, both over the same devices at the same concurrency (past the SDK's default of 16
  requests on the wire, the SDK gets ``max_concurrency`` equal to it, as the floor has);
* one ``devices.get``; one 20-ID batch of known devices (``get_many`` against one signed GET
  of ``/v2.0/cloud/thing/batch``), the rounds shared among three emulator processes.

The fan-out figures need no server: how long 1,000,000 pending devices take to start, and the
consumer's cost per hand-off at 4 and at 256 workers.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import aiohttp
from _common import MinimalClient, emulator_process, median, sdk_client

from tuya_thing_async import (
    ClientSettings,
    Credentials,
    MockTransport,
    Region,
    SignedRequest,
    TransportResponse,
    TuyaClient,
)
from tuya_thing_async._fanout import fan_out
from tuya_thing_async.emulator import FakeCloud

CODES = "cur_power"


def fleet_ids(devices: int) -> list[str]:
    """The IDs of the emulator process's fleet (same seed), inverters and batteries only: they
    report ``cur_power`` every 15 minutes, 7 full pages a week."""
    fleet = FakeCloud.seeded(devices=devices, seed=7)
    return [d.id for d in fleet.devices.values() if d.kind != "meter"]


async def floor_harvest(
    floor: MinimalClient, ids: list[str], start_ms: int, end_ms: int, concurrency: int
) -> int:
    """Page every device's report logs, ``concurrency`` devices at a time; returns pages."""
    pending = list(reversed(ids))
    pages = 0

    async def worker() -> None:
        nonlocal pages
        while pending:
            device = pending.pop()
            cursor = None
            while True:
                query = {"codes": CODES, "end_time": end_ms, "size": 100, "start_time": start_ms}
                if cursor:
                    query["last_row_key"] = cursor
                path = f"/v2.0/cloud/thing/{device}/report-logs?" + urlencode(sorted(query.items()))
                result: Any = await floor.get(path)
                pages += 1
                if not result.get("has_more"):
                    break
                cursor = result["last_row_key"]

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return pages


Rounds = dict[str, list[float]]


async def paired_rounds(repeats: int, sides: dict[str, Callable[[], Awaitable[int]]]) -> Rounds:
    """Client CPU (us) per unit of work of each side in each of ``repeats`` rounds, the sides
    run alternately (the first round warms up and is dropped)."""
    cpu: Rounds = {name: [] for name in sides}
    for round_ in range(repeats + 1):
        for name, run in sides.items():
            began = time.process_time()
            units = await run()
            if round_:
                cpu[name].append((time.process_time() - began) / units * 1e6)
    return cpu


def summary(cpu: Rounds) -> dict[str, float]:
    """Median CPU of each side; for each side but ``floor``, also ``<side>_ratio``: the median
    of its per-round ratios to the floor (paired rounds, so a noisy moment of the shared
    machine hits both sides)."""
    result = {name: median(values) for name, values in cpu.items()}
    for name, values in cpu.items():
        if name != "floor":
            ratios = [v / f for v, f in zip(values, cpu["floor"], strict=True)]
            result[f"{name}_ratio"] = median(ratios)
    return result


async def paired(repeats: int, sides: dict[str, Callable[[], Awaitable[int]]]) -> dict[str, float]:
    """``summary`` of ``paired_rounds``."""
    return summary(await paired_rounds(repeats, sides))


async def measure_pages(
    repeats: int, levels: tuple[int, ...] = (1, 16, 64), devices: int = 150
) -> list[dict[str, float]]:
    ids = fleet_ids(devices)
    rows = []
    with emulator_process(devices=devices) as info:
        connector = aiohttp.TCPConnector(limit=max(levels))
        async with aiohttp.ClientSession(connector=connector) as http:
            floor = MinimalClient(http, info)
            await floor.login()
            for level in levels:
                # as many requests on the wire as the floor: the default cap is 16
                wire = {"max_concurrency": level} if level > DEFAULT_WIRE else {}
                async with sdk_client(info, **wire) as tuya:
                    r = await _pages_at(tuya, floor, ids[: max(2 * level, 32)], level, repeats)
                rows.append({"concurrency": level, **r})
    return rows


#: The SDK's default ``max_concurrency``.
DEFAULT_WIRE = ClientSettings().max_concurrency


async def _pages_at(
    tuya: TuyaClient, floor: MinimalClient, subset: list[str], level: int, repeats: int
) -> dict[str, float]:
    """Paired CPU per page at one concurrency: SDK record and page streams, and the floor."""
    end = datetime.now(UTC)
    start = end - timedelta(days=6, hours=23)
    start_ms, end_ms = int(start.timestamp() * 1000), int(end.timestamp() * 1000)

    async def records() -> int:
        harvest = tuya.logs.harvest_reports(
            subset, codes=[CODES], start=start, end=end, concurrency=level
        )
        async with harvest:
            async for _ in harvest:
                pass
        return harvest.pages

    async def pages() -> int:
        harvest = tuya.logs.harvest_reports(
            subset, codes=[CODES], start=start, end=end, concurrency=level
        )
        async with harvest:
            async for _ in harvest.iter_pages():
                pass
        return harvest.pages

    async def bare() -> int:
        return await floor_harvest(floor, subset, start_ms, end_ms, level)

    return await paired(repeats, {"records": records, "pages": pages, "floor": bare})


#: Emulator processes the call rows are measured against, a share of the rounds each: how
#: fast one process answers (where the scheduler put it) moves both sides' CPU per call.
CALL_EMULATORS = 3


async def measure_calls(repeats: int, calls: int = 300) -> dict[str, float]:
    """``devices.get`` and a 20-ID batch of known devices: CPU per call, SDK and floor, the
    paired rounds pooled over ``CALL_EMULATORS`` emulator processes."""
    pooled: dict[str, Rounds] = {"get": {}, "batch": {}}
    for _ in range(CALL_EMULATORS):
        rounds = await _calls_once(max(1, round(repeats / CALL_EMULATORS)), calls)
        for kind, cpu in rounds.items():
            for side, values in cpu.items():
                pooled[kind].setdefault(side, []).extend(values)
    get, batch = summary(pooled["get"]), summary(pooled["batch"])
    return {
        "get_sdk": get["sdk"],
        "get_floor": get["floor"],
        "get_ratio": get["sdk_ratio"],
        "batch_sdk": batch["sdk"],
        "batch_floor": batch["floor"],
        "batch_ratio": batch["sdk_ratio"],
    }


async def _calls_once(repeats: int, calls: int) -> dict[str, Rounds]:
    """Paired rounds of both call kinds against one emulator process."""
    ids = fleet_ids(40)[:20]
    batch_path = "/v2.0/cloud/thing/batch?device_ids=" + ",".join(ids)
    get_path = f"/v2.0/cloud/thing/{ids[0]}"
    concurrency = 16
    with emulator_process(devices=40) as info:
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with (
            aiohttp.ClientSession(connector=connector) as http,
            sdk_client(info) as tuya,
        ):
            floor = MinimalClient(http, info)
            await floor.login()
            got = await tuya.devices.get_many(ids)
            assert len(got.devices) == 20, "the batch must build 20 devices"

            def times(call: Callable[[], Awaitable[object]], n: int) -> Callable[[], Any]:
                async def run() -> int:
                    async def worker() -> None:
                        for _ in range(n // concurrency):
                            await call()

                    await asyncio.gather(*(worker() for _ in range(concurrency)))
                    return n // concurrency * concurrency

                return run

            get = await paired_rounds(
                repeats,
                {
                    "sdk": times(lambda: tuya.devices.get(ids[0]), calls),
                    "floor": times(lambda: floor.get(get_path), calls),
                },
            )
            batch = await paired_rounds(
                repeats,
                {
                    "sdk": times(lambda: tuya.devices.get_many(ids), calls // 3),
                    "floor": times(lambda: floor.get(batch_path), calls // 3),
                },
            )
    return {"get": get, "batch": batch}


def _emit_pages(pages: int) -> Callable[[int], AsyncGenerator[int, None]]:
    """Fan-out work that yields ``pages`` results per item at once."""

    async def work(item: int) -> AsyncGenerator[int, None]:
        for page in range(pages):
            yield page

    return work


async def _harvest_start(pending: int) -> float:
    """Seconds from ``harvest_reports`` over ``pending`` device IDs to its first page, with a
    transport that answers at once (ID checks, checkpoint and fan-out start, no network)."""
    body = json.dumps({"success": True, "t": 1, "result": {"logs": [], "has_more": False}})
    token = {"access_token": "a", "refresh_token": "r", "expire_time": 7200, "uid": "u"}
    grant = json.dumps({"success": True, "t": 1, "result": token}).encode()
    json_type = {"Content-Type": "application/json"}

    def answer(request: SignedRequest) -> TransportResponse:
        return TransportResponse(
            200, json_type, grant if "token" in request.path else body.encode()
        )

    ids = [f"vdevo{i:017d}" for i in range(pending)]
    async with TuyaClient(
        Credentials("bench", "secret"), region=Region.EU, transport=MockTransport(answer)
    ) as tuya:
        began = time.perf_counter()
        async with tuya.logs.harvest_reports(ids, codes=[CODES]) as harvest:
            async for _ in harvest.iter_pages():
                break
        return time.perf_counter() - began


async def measure_fanout(pending: int = 1_000_000, items: int = 40_000) -> dict[str, float]:
    """Seconds until the first result with ``pending`` devices queued (the fan-out helper
    alone, and a whole harvest); CPU per hand-off (one emitted page) at 4 and 256 workers."""
    work = _emit_pages(1)
    began = time.perf_counter()
    outcomes = fan_out(range(pending), work, concurrency=16)
    await outcomes.__anext__()
    first = time.perf_counter() - began
    await outcomes.aclose()
    result = {"start_s": first, "harvest_start_s": await _harvest_start(pending)}
    runs: dict[int, list[float]] = {4: [], 256: []}
    for _ in range(5):  # alternately, so that a noisy moment hits both
        for workers, cpu in runs.items():
            began = time.process_time()
            async for _ in fan_out(range(items // 10), _emit_pages(10), concurrency=workers):
                pass
            cpu.append((time.process_time() - began) / items * 1e6)
    return result | {f"handoff_us_{workers}": median(cpu) for workers, cpu in runs.items()}
