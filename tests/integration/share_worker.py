"""One of several processes sharing one cloud project (run by test_rate_sharing.py):
``python -m tests.integration.share_worker URL ACCESS_ID SECRET DEVICE_ID END``.

Calls ``devices.get_state`` from 8 tasks until the wall-clock time END, with default
settings, and prints one JSON object: the wall-clock times of its successes, its throttle
count and the rate it settled on.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from tuya_thing_async import Credentials, TuyaClient

STATE = "GET /v2.0/cloud/thing/{device_id}/state"


async def main(url: str, access_id: str, secret: str, device_id: str, end: float) -> None:
    times: list[float] = []
    creds = Credentials(access_id, secret)
    async with TuyaClient(creds, base_url=url, insecure_http=True) as tuya:

        async def caller() -> None:
            while time.time() < end:
                await tuya.devices.get_state(device_id)
                times.append(time.time())

        await asyncio.gather(*(caller() for _ in range(8)))
        route = tuya.stats.rates[STATE]
    print(json.dumps({"times": times, "throttles": route.throttles, "rate": route.rate}))



async def run_processes(
    processes: int,
    url: str,
    access_id: str,
    secret: str,
    device_id: str,
    end: float,
    *,
    module: str = "tests.integration.share_worker",
) -> list[dict[str, Any]]:
    """Start ``processes`` workers (``module``: this one by default) with the same arguments
    and return their JSON outputs."""
    args = [url, access_id, secret, device_id, str(end)]
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            module,
            *args,
            stdout=asyncio.subprocess.PIPE,
            cwd=Path(__file__).parents[2],
        )
        for _ in range(processes)
    ]
    return [json.loads((await w.communicate())[0]) for w in workers]


def rates_between(outputs: list[dict[str, Any]], start: float, end: float) -> list[float]:
    """Each worker's successes per second between the wall-clock times ``start`` and ``end``."""
    return [sum(start <= t < end for t in out["times"]) / (end - start) for out in outputs]


if __name__ == "__main__":
    url, access_id, secret, device_id, end = sys.argv[1:6]
    asyncio.run(main(url, access_id, secret, device_id, float(end)))
