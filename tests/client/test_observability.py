"""Logs, hooks, spans and the User-Agent, seen through the public API at the HTTP level."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from tests.client.conftest import FakeTuya
from tuya_thing_async import (
    CallEvent,
    RequestEvent,
    ResponseEvent,
    RetryEvent,
    TuyaClient,
    TuyaServerError,
    __version__,
)

DEVICE = r"/v2\.0/cloud/thing/vdevo1/state"
TEMPLATE = "/v2.0/cloud/thing/{device_id}/state"
ROUTE = f"GET {TEMPLATE}"


def _records(caplog: pytest.LogCaptureFixture, level: int) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno == level and r.name.startswith("tuya_thing")]


async def test_a_retry_is_logged_at_info_with_its_fields(
    fake: FakeTuya, make_client: Callable[..., TuyaClient], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.on("GET", DEVICE, fake.fail(500, "system error"), fake.ok({"state": 0}))
    async with make_client() as tuya:
        await tuya.devices.get_state("vdevo1")
    [retry] = [r for r in _records(caplog, logging.INFO) if "retrying" in r.getMessage()]
    assert retry.name == "tuya_thing_async.client"
    assert (retry.tuya_route, retry.tuya_device_id, retry.tuya_attempt) == (ROUTE, "vdevo1", 1)
    assert (retry.tuya_code, retry.tuya_tid) == (500, "tid-err")
    assert retry.tuya_latency_ms >= 0 and retry.tuya_wait_s >= 0
    answers = [r for r in _records(caplog, logging.DEBUG) if "-> HTTP" in r.getMessage()]
    business = [r for r in answers if r.tuya_route == ROUTE]
    assert [r.tuya_attempt for r in business] == [1, 2]
    assert all(r.tuya_latency_ms >= 0 and r.tuya_status == 200 for r in business)
    assert [r.tuya_code for r in business] == [500, None]
    grants = [r for r in _records(caplog, logging.INFO) if "new access token" in r.getMessage()]
    assert len(grants) == 1 and grants[0].name == "tuya_thing_async.tokens"


async def test_giving_up_is_a_warning(
    fake: FakeTuya, make_client: Callable[..., TuyaClient], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    fake.on("GET", DEVICE, fake.fail(500, "system error"))
    async with make_client(rng=lambda: 1.0) as tuya:  # full backoff: the fake clock moves
        with pytest.raises(TuyaServerError):
            await tuya.devices.get_state("vdevo1")
    [warning] = _records(caplog, logging.WARNING)
    assert "gave up after 3 attempt(s)" in warning.getMessage()
    assert (warning.tuya_route, warning.tuya_attempt, warning.tuya_code) == (ROUTE, 3, 500)
    assert warning.tuya_latency_ms > 0  # the whole call, backoff included (fake clock)


async def test_a_throttle_cut_is_logged(
    fake: FakeTuya, make_client: Callable[..., TuyaClient], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    fake.on("GET", DEVICE, fake.fail(1199, "too frequent"), fake.ok({"state": 0}))
    async with make_client() as tuya:
        await tuya.devices.get_state("vdevo1")
    messages = [r.getMessage() for r in _records(caplog, logging.INFO)]
    assert any("attempt 1 throttled (TuyaRateLimitError code 1199" in m for m in messages)
    assert any(m.startswith(f"{ROUTE} throttled: rate cut") for m in messages)


async def test_hooks_get_redacted_records(
    fake: FakeTuya, make_client: Callable[..., TuyaClient]
) -> None:
    fake.on("GET", DEVICE, fake.fail(500, "system error"), fake.ok({"state": 0}))
    seen: list[CallEvent] = []
    async with make_client(
        on_request=seen.append, on_response=seen.append, on_retry=seen.append
    ) as tuya:
        await tuya.devices.get_state("vdevo1")
    business = [e for e in seen if e.route == TEMPLATE]
    assert [type(e) for e in business] == [
        RequestEvent, ResponseEvent, RetryEvent, RequestEvent, ResponseEvent,
    ]  # fmt: skip
    failed, retry, ok = business[1], business[2], business[4]
    assert isinstance(failed, ResponseEvent) and isinstance(ok, ResponseEvent)
    assert (failed.code, failed.tid, failed.error, failed.attempt) == (
        500, "tid-err", "TuyaServerError", 1,
    )  # fmt: skip
    assert isinstance(retry, RetryEvent) and (retry.code, retry.throttled) == (500, False)
    assert (ok.status, ok.code, ok.error, ok.attempt, ok.device_id) == (
        200,
        None,
        None,
        2,
        "vdevo1",
    )
    tokens = [e for e in seen if e.route.startswith("/v1.0/token")]
    assert tokens and all(e.path == "/v1.0/token" for e in tokens)


async def test_async_and_failing_hooks_never_affect_the_call(
    fake: FakeTuya, make_client: Callable[..., TuyaClient], caplog: pytest.LogCaptureFixture
) -> None:
    fake.on("GET", DEVICE, fake.fail(500, "system error"), fake.ok({"state": 0}))
    seen: list[Any] = []

    async def on_response(event: ResponseEvent) -> None:
        await asyncio.sleep(0)
        seen.append(event)

    def on_request(event: RequestEvent) -> None:
        raise RuntimeError("a bug in the user's hook")

    async def on_retry(event: RetryEvent) -> None:
        raise ValueError("a bug in the user's async hook")

    hooks = {"on_request": on_request, "on_response": on_response, "on_retry": on_retry}
    async with make_client(**hooks) as tuya:
        assert not (await tuya.devices.get_state("vdevo1")).frozen
    assert len(seen) == 3  # the token grant and two attempts, the last awaited by aclose
    warnings = [r.getMessage() for r in caplog.records if r.name == "tuya_thing_async.hooks"]
    assert warnings.count("a hook raised RuntimeError") == 3  # the grant and two attempts
    assert warnings.count("an async hook raised ValueError") == 1


async def test_spans_one_per_call_and_one_per_attempt(
    fake: FakeTuya, make_client: Callable[..., TuyaClient]
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    fake.on("GET", DEVICE, fake.fail(500, "system error"), fake.ok({"state": 0}))
    async with make_client(tracer_provider=provider) as tuya:
        await tuya.devices.get_state("vdevo1")
    spans = [s for s in exporter.get_finished_spans() if s.name == ROUTE]
    [call] = [s for s in spans if s.kind is SpanKind.INTERNAL]
    attempts = [s for s in spans if s.kind is SpanKind.CLIENT]
    assert len(attempts) == 2
    assert all(a.parent is not None and a.parent.span_id == call.context.span_id for a in attempts)
    first, second = sorted(attempts, key=lambda s: s.start_time or 0)
    assert first.attributes is not None and second.attributes is not None
    assert first.attributes["error.type"] == "TuyaServerError"
    assert first.status.status_code is StatusCode.ERROR
    assert first.attributes["tuya.code"] == 500 and first.attributes["tuya.tid"] == "tid-err"
    assert second.attributes["http.request.resend_count"] == 1
    assert second.attributes["http.response.status_code"] == 200
    assert call.attributes is not None
    assert call.attributes["http.request.method"] == "GET"
    assert call.attributes["url.template"] == TEMPLATE
    assert call.attributes["server.address"] == "openapi.tuyaeu.com"
    assert call.attributes["tuya.device_id"] == "vdevo1"
    assert call.attributes["tuya.tid"] == "tid-ok"
    assert call.status.status_code is StatusCode.UNSET


async def test_user_agent_names_the_sdk_and_aiohttp(
    fake: FakeTuya, make_client: Callable[..., TuyaClient]
) -> None:
    fake.on("GET", DEVICE, fake.ok({"state": 0}))
    async with make_client() as tuya:
        await tuya.devices.get_state("vdevo1")
    agents = {s.headers.get("User-Agent", "") for s in fake.seen}
    assert len(agents) == 1
    agent = agents.pop()
    assert agent.startswith(f"tuya-thing-async/{__version__} Python/") and "aiohttp/" in agent


@pytest.mark.parametrize("otel", ["absent", "no-sdk"])
async def test_no_tracing_without_opentelemetry_or_its_sdk(
    otel: str,
    fake: FakeTuya,
    make_client: Callable[..., TuyaClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if otel == "absent":
        monkeypatch.setitem(sys.modules, "opentelemetry", None)  # import raises ImportError
    fake.on("GET", DEVICE, fake.ok({"state": 0}))
    async with make_client() as tuya:  # the global provider: opentelemetry's no-op proxy
        assert tuya._pipeline._observe._tracer is None
        assert not (await tuya.devices.get_state("vdevo1")).frozen
