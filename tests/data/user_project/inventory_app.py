"""A user's aiohttp service: one Tuya client for the app's lifetime, built from TUYA_*."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from tuya_thing_async import TuyaClient

TUYA = web.AppKey("tuya", TuyaClient)


async def tuya_lifetime(app: web.Application) -> AsyncIterator[None]:
    async with TuyaClient.from_env() as tuya:
        await tuya.verify()  # fail at start-up, not on the first request
        app[TUYA] = tuya
        yield


async def device_name(request: web.Request) -> web.Response:
    device = await request.app[TUYA].devices.get(request.match_info["device_id"])
    return web.json_response({"id": device.id, "name": device.display_name})


def create_app() -> web.Application:
    app = web.Application()
    app.cleanup_ctx.append(tuya_lifetime)
    app.router.add_get("/devices/{device_id}", device_name)
    return app
