"""One of two processes sharing one project's token (run by test_shared_token.py):
``python -m tests.integration.token_worker URL ACCESS_ID SECRET DEVICE_ID END``.

Calls ``devices.get_state`` from 4 tasks until the wall-clock time END with default settings,
counting failures instead of stopping, and prints one JSON object: successes, failures (by
error class) and the client's token refreshes and grants.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from typing import Any

from tests.integration import share_worker
from tuya_thing_async import Credentials, TuyaClient, TuyaError


async def main(url: str, access_id: str, secret: str, device_id: str, end: float) -> None:
    ok, failed = 0, Counter[str]()
    async with TuyaClient(Credentials(access_id, secret), base_url=url, insecure_http=True) as tuya:

        async def caller() -> None:
            nonlocal ok
            while time.time() < end:
                try:
                    await tuya.devices.get_state(device_id)
                    ok += 1
                except TuyaError as exc:
                    failed[type(exc).__name__] += 1

        await asyncio.gather(*(caller() for _ in range(4)))
        stats = tuya.stats
    out = {"ok": ok, "failed": dict(failed)}
    print(json.dumps(out | {"refreshes": stats.token_refreshes, "grants": stats.token_grants}))


async def run_processes(
    processes: int, url: str, access_id: str, secret: str, device_id: str, end: float
) -> list[dict[str, Any]]:
    """Start ``processes`` workers of this module and return their outputs."""
    return await share_worker.run_processes(
        processes, url, access_id, secret, device_id, end, module="tests.integration.token_worker"
    )


if __name__ == "__main__":
    url, access_id, secret, device_id, end = sys.argv[1:6]
    asyncio.run(main(url, access_id, secret, device_id, float(end)))
