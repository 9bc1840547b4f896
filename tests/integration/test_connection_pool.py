"""The connection pool never caps below ``max_concurrency``: every request the pipeline lets
through is on the wire at once (all go to one host)."""

from __future__ import annotations

import asyncio
import contextlib
import json

from aiohttp import web
from aiohttp.test_utils import TestServer

from tuya_thing_async import ClientSettings, Credentials, TuyaClient

TOKEN = {"access_token": "a", "refresh_token": "r", "expire_time": 7200, "uid": "u"}


async def test_max_concurrency_requests_are_in_flight_together() -> None:
    in_flight = peak = 0
    gate = asyncio.Event()

    async def answer(request: web.Request) -> web.Response:
        nonlocal in_flight, peak
        if request.path == "/v1.0/token":
            result: object = TOKEN
        else:
            in_flight += 1
            peak = max(peak, in_flight)
            if in_flight == 48:
                gate.set()
            with contextlib.suppress(TimeoutError):  # held until all 48 are here (or 0.3 s)
                await asyncio.wait_for(gate.wait(), 0.3)
            in_flight -= 1
            result = {"ok": True}
        body = {"success": True, "result": result, "t": 1, "tid": "x"}
        return web.Response(text=json.dumps(body), content_type="application/json")

    app = web.Application()
    app.router.add_get("/{tail:.*}", answer)
    async with TestServer(app, host="127.0.0.1") as server:
        settings = ClientSettings(max_concurrency=48)
        base = str(server.make_url("")).rstrip("/")
        async with TuyaClient(
            Credentials("id", "secret"), base_url=base, insecure_http=True, settings=settings
        ) as tuya:
            await asyncio.gather(*(tuya.request("GET", f"/x/{n}") for n in range(48)))
    assert peak == 48
