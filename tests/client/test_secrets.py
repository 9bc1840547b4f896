"""Canaries: the secret, access and refresh tokens and sign values never appear in any log
record (at every level, extra fields and tracebacks included), hook record, exported span,
exception text, repr, chained cause or traceback local, with DEBUG logging on."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import aiohttp
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

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
    events: list[object] = []
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    hooks = {"on_request": events.append, "on_response": events.append, "on_retry": _raises}
    async with make_client(tracer_provider=provider, **hooks) as tuya:
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
    formatter = logging.Formatter()
    texts = [formatter.format(r) + repr(vars(r)) for r in caplog.records] + reprs
    texts += [text for error in errors for text in exception_texts(error)]
    texts += [repr(event) for event in events]
    texts += [_span_text(span) for span in exporter.get_finished_spans()]
    levels = {r.levelno for r in caplog.records}
    assert errors and events and exporter.get_finished_spans()
    assert {logging.DEBUG, logging.INFO, logging.WARNING} <= levels
    assert any(r.exc_text for r in caplog.records)  # the failing hook's traceback
    assert any(t.startswith("call=Call(") for t in texts)  # the SDK's frame locals were read
    for text in texts:
        for canary in canaries:
            assert canary not in text, (canary, text)


def _raises(event: object) -> None:
    raise RuntimeError(f"hook failed on {event!r}")


def _span_text(span: ReadableSpan) -> str:
    """Everything an exporter would ship."""
    return span.to_json()
