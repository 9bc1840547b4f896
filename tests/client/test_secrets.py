"""Canaries: the secret, access and refresh tokens and sign values never appear in any log
record, exception text, repr, chained cause or traceback local, with DEBUG logging on."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import aiohttp
import pytest

from tests.client.conftest import SECRET, FakeTuya
from tests.conftest import exception_texts
from tuya_thing_async import TuyaClient, TuyaError

STATE = r"/v2\.0/cloud/thing/vdevo1/state"


async def test_no_secret_anywhere(
    fake: FakeTuya, make_client: Callable[..., TuyaClient], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.on(
        "GET",
        STATE,
        fake.fail(1010, "token is expired"),
        fake.ok({"state": 0}),
        aiohttp.ServerDisconnectedError(),
        (500, "x", "text/html"),
        (200, b"{bad", "application/json"),
        fake.fail(1106, "permission deny"),
    )
    fake.on(
        "GET", r"/v1\.0/token/[^/]+", aiohttp.ClientPayloadError("/v1.0/token/CANARY-REFRESH-1")
    )
    errors: list[BaseException] = []
    async with make_client() as tuya:
        reprs = [repr(tuya), str(tuya)]
        for _ in range(4):
            try:
                await tuya.devices.get_state("vdevo1")
            except TuyaError as exc:
                errors.append(exc)
        reprs += [repr(tuya), repr(tuya.stats)]
    await asyncio.sleep(0)
    signs = [s.headers["sign"] for s in fake.seen]
    canaries = [SECRET, "CANARY-ACCESS", "CANARY-REFRESH", *signs]
    texts = [r.getMessage() for r in caplog.records] + reprs
    texts += [text for error in errors for text in exception_texts(error)]
    assert errors and caplog.records
    assert any(t.startswith("call=Call(") for t in texts)  # the SDK's frame locals were read
    for text in texts:
        for canary in canaries:
            assert canary not in text, (canary, text)
