"""Policy test 23, the soak: a short token TTL and 5% random faults at the limiter's rate for
60 s (``--soak-seconds`` for longer). Nothing unexpected is raised, every harvest round yields
each record exactly once (resuming from its checkpoint when a call fails for good), token
renewals follow the TTL, and connections, tasks and memory come back to where they were."""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from tests.conftest import client_tasks, fast_settings
from tuya_thing_async import HarvestCheckpoint, TuyaClient, TuyaError
from tuya_thing_async.emulator import FakeCloud, Fault, serve

TTL = 5


def rss_mib() -> float:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:")) / 1024


async def test_soak(request: pytest.FixtureRequest) -> None:
    duration: float = request.config.getoption("--soak-seconds")
    cloud = FakeCloud.seeded(devices=8, seed=9, token_ttl=TTL)
    cloud.faults.set_random(
        0.05, (Fault.http(429), Fault.http(500), Fault.drop(), Fault.stall(0.3)), seed=4
    )
    now = datetime.fromtimestamp(cloud.now(), UTC)
    start, end = now - timedelta(days=6), now - timedelta(minutes=1)
    expected = Counter(
        (d.id, r[0])
        for d in cloud.devices.values()
        for r in d.reports
        if r[2] == "cur_power" and start.timestamp() * 1000 <= r[0] <= end.timestamp() * 1000
    )
    settings = fast_settings(rate=40.0, burst=10, read_timeout=0.2, rng=random.Random(7).random)
    failures: Counter[str] = Counter()
    rounds = 0
    async with (
        serve(cloud) as url,
        aiohttp.ClientSession() as http,
        TuyaClient(
            cloud.credentials, base_url=url, insecure_http=True, settings=settings, session=http
        ) as tuya,
    ):
        stop_at = time.monotonic() + duration
        warm_rss: list[float] = []

        async def harvest_rounds() -> None:
            nonlocal rounds
            while time.monotonic() < stop_at:
                got: Counter[tuple[str, int]] = Counter()
                checkpoint: HarvestCheckpoint | None = None
                while True:
                    harvest = tuya.logs.harvest_reports(
                        cloud.device_ids,
                        codes=["cur_power"],
                        start=start,
                        end=end,
                        concurrency=3,
                        checkpoint=checkpoint,
                    )
                    try:
                        async with harvest:
                            async for item in harvest:
                                got[
                                    (item.device_id, int(item.record.event_time.timestamp() * 1000))
                                ] += 1
                        break
                    except TuyaError as exc:  # retries exhausted: resume, lose nothing
                        failures[type(exc).__name__] += 1
                        checkpoint = harvest.checkpoint
                assert got == expected, "a record was lost or repeated"
                rounds += 1
                if not warm_rss and time.monotonic() > stop_at - duration * 0.8:
                    warm_rss.append(rss_mib())

        async def pollers() -> None:
            rng = random.Random(1)
            while time.monotonic() < stop_at:
                try:
                    if rng.random() < 0.8:
                        await tuya.devices.get_state(rng.choice(cloud.device_ids))
                    else:
                        result = await tuya.devices.get_many(cloud.device_ids)
                        assert len(result.devices) == len(cloud.device_ids)
                except TuyaError as exc:
                    failures[type(exc).__name__] += 1

        began = time.monotonic()
        await asyncio.gather(harvest_rounds(), pollers(), pollers())
        elapsed = time.monotonic() - began
        connector = http.connector
        assert connector is not None and len(connector._acquired) == 0  # type: ignore[attr-defined]
        stats = tuya.stats
    print(
        f"soak: {elapsed:.0f}s {rounds} harvest rounds, {stats.requests} requests, "
        f"{stats.retries} retries, {cloud.faults.injected} faults, failures {dict(failures)}, "
        f"{stats.token_refreshes} refreshes + {stats.token_grants} grants"
    )
    assert client_tasks() == []
    assert rounds >= 1 and cloud.faults.injected > 0
    # rare: a call fails only when 3 attempts in a row hit a fault (0.05**3 per call)
    assert sum(failures.values()) <= max(3, stats.requests // 500), failures
    renewals = stats.token_refreshes + stats.token_grants - 1
    assert abs(renewals - math.ceil(elapsed / TTL)) <= 1, (renewals, elapsed)
    assert rss_mib() < warm_rss[0] * 1.10
