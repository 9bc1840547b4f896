"""The call pipeline driven through an injected ``MockTransport``: event-loop binding, absurd
answers, deadlines against the rate limit, and what a never-sent destructive call reports."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import FakeClock, fast_settings
from tuya_thing_async import (
    Credentials,
    MockTransport,
    SignedRequest,
    TransportResponse,
    TuyaAPIError,
    TuyaBulkError,
    TuyaClient,
    TuyaClientClosedError,
    TuyaConnectError,
    TuyaEventLoopError,
    TuyaOutcomeUnknownError,
    TuyaProtocolError,
    TuyaTimeoutError,
    TuyaTransportError,
)

DEV = "vdevo1"
Answer = dict[str, Any] | bytes


def _json(body: Answer, status: int = 200) -> TransportResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return TransportResponse(status, {"Content-Type": "application/json"}, raw)


def _ok(result: Any, t: Any = 1_770_000_000_000) -> dict[str, Any]:
    return {"success": True, "result": result, "t": t, "tid": "tid"}


def _grant(access: str = "ACCESS", ttl: Any = 7200) -> dict[str, Any]:
    return _ok({"access_token": access, "refresh_token": "REFRESH", "expire_time": ttl})


class Cloud:
    """Answers token requests from ``grants`` (the last repeats), everything else ``answer``."""

    def __init__(self, answer: Answer, *grants: Answer) -> None:
        self.answer = answer
        self.grants = list(grants) or [_grant()]
        self.sent: list[SignedRequest] = []

    def __call__(self, request: SignedRequest) -> TransportResponse:
        self.sent.append(request)
        if request.path.startswith("/v1.0/token"):
            return _json(self.grants.pop(0) if len(self.grants) > 1 else self.grants[0])
        return _json(self.answer)

    def business(self) -> list[SignedRequest]:
        return [r for r in self.sent if not r.path.startswith("/v1.0/token")]


def _client(cloud: Callable[[SignedRequest], TransportResponse], **settings: Any) -> TuyaClient:
    return TuyaClient(
        Credentials("canaryid0000", "secret"),
        base_url="https://openapi.tuyaeu.com",
        transport=MockTransport(cloud),
        settings=fast_settings(**settings),
    )


def test_a_second_event_loop_is_refused() -> None:
    cloud = Cloud(_ok({"state": 0}))
    tuya = _client(cloud)
    asyncio.run(tuya.devices.get_state(DEV))
    with pytest.raises(TuyaEventLoopError, match="another event loop"):
        asyncio.run(tuya.devices.get_state(DEV))
    asyncio.run(tuya.aclose())
    assert len(cloud.business()) == 1


async def test_a_400_digit_server_time_is_ignored() -> None:
    cloud = Cloud(_ok({"state": 1}, t=int("9" * 400)))
    async with _client(cloud) as tuya:
        assert (await tuya.devices.get_state(DEV)).frozen


async def test_an_absurd_token_life_is_a_protocol_error() -> None:
    cloud = Cloud(_ok({"state": 1}), _grant(ttl=int("9" * 400)))
    async with _client(cloud) as tuya:
        with pytest.raises(TuyaProtocolError, match="expire_time"):
            await tuya.devices.get_state(DEV)


async def test_a_token_with_crlf_is_rejected_and_a_new_one_fetched() -> None:
    cloud = Cloud(_ok({"state": 1}), _grant("BAD\r\nX: 1"), _grant("GOOD"))
    async with _client(cloud) as tuya:
        assert (await tuya.devices.get_state(DEV)).frozen
    assert [r.path for r in cloud.sent] == [
        "/v1.0/token",
        "/v1.0/token",
        f"/v2.0/cloud/thing/{DEV}/state",
    ]
    assert cloud.business()[0].headers["access_token"] == "GOOD"


async def test_an_odd_error_code_is_a_tuya_error() -> None:
    cloud = Cloud({"success": False, "code": "²", "msg": "odd", "t": 1})
    async with _client(cloud) as tuya:
        with pytest.raises(TuyaAPIError) as info:
            await tuya.devices.get_state(DEV)
    assert info.value.msg == "odd"


async def test_calls_the_rate_limit_cannot_serve_in_time_fail_at_once() -> None:
    cloud = Cloud(_ok({"state": 0}))
    async with _client(cloud, rate=10.0, burst=1, deadline=0.35, adaptive=False) as tuya:
        await tuya.devices.get_state(DEV)  # the token grant and a first call
        await asyncio.sleep(0.2)
        loop = asyncio.get_running_loop()
        began = loop.time()

        async def timed() -> float:
            try:
                await tuya.devices.get_state(DEV)
            except TuyaTimeoutError as exc:
                assert "rate limit" in str(exc)
                return -(loop.time() - began)
            return loop.time() - began

        ends = await asyncio.gather(*(timed() for _ in range(20)))
        served, refused = [e for e in ends if e >= 0], [-e for e in ends if e < 0]
        assert len(served) == 4 and len(refused) == 16  # waits of 0, 0.1, 0.2, 0.3 s fit
        assert max(refused) < 0.1 and max(served) < 0.35
        await asyncio.sleep(0.1)
        began = loop.time()
        await tuya.devices.get_state(DEV)  # the refused calls consumed no capacity
        assert loop.time() - began < 0.1
    assert len(cloud.business()) == 1 + 4 + 1


async def test_a_reset_that_could_not_connect_raises_the_connect_error() -> None:
    def refuse(request: SignedRequest) -> TransportResponse:
        if request.path.startswith("/v1.0/token"):
            return _json(_grant())
        raise TuyaConnectError("could not connect (ClientConnectorError)")

    async with _client(refuse) as tuya:
        with pytest.raises(TuyaConnectError) as info:
            await tuya.devices.reset(DEV)
    assert info.value.attempts == 3 and not isinstance(info.value, TuyaOutcomeUnknownError)
    assert "may have been processed" not in str(info.value)


async def test_a_reset_whose_deadline_passes_before_sending_is_a_timeout(clock: FakeClock) -> None:
    cloud = Cloud(_ok(True))
    async with _client(cloud, clock=clock, rate=1.0, burst=1, deadline=0.5) as tuya:
        with pytest.raises(TuyaTimeoutError, match="rate limit") as info:
            await tuya.devices.reset(DEV)  # the grant took the only slot of this second
    assert not isinstance(info.value, TuyaOutcomeUnknownError)
    assert cloud.business() == []


async def test_a_reset_still_unanswered_at_its_deadline_is_outcome_unknown() -> None:
    cloud = Cloud(_ok(True))

    async def never_answers(request: SignedRequest) -> TransportResponse:
        if request.path.startswith("/v1.0/token"):
            return cloud(request)
        await asyncio.Event().wait()  # never answers and ignores its timeout
        raise AssertionError("not reached")

    async with _client(never_answers, deadline=0.2) as tuya:
        with pytest.raises(TuyaOutcomeUnknownError, match="deadline"):
            await tuya.devices.reset(DEV)
        with pytest.raises(TuyaTimeoutError, match="deadline"):
            await tuya.devices.get_state(DEV)  # a read just times out


async def test_calls_that_ignore_their_timeout_each_end_at_their_own_deadline() -> None:
    cloud = Cloud(_ok({"state": 0}))
    loop = asyncio.get_running_loop()

    async def never_answers(request: SignedRequest) -> TransportResponse:
        if request.path.startswith("/v1.0/token"):
            return cloud(request)
        await asyncio.Event().wait()  # ignores its timeout
        raise AssertionError("not reached")

    async def timed(delay: float) -> tuple[float, float]:
        await asyncio.sleep(delay)
        began = loop.time()
        with pytest.raises(TuyaTimeoutError, match="deadline"):
            await tuya.devices.get_state(DEV)
        return began, loop.time() - began

    async with _client(never_answers, deadline=0.15) as tuya:
        async with asyncio.timeout(2):  # a guard that never fires fails here, not by hanging
            runs = await asyncio.gather(timed(0.0), timed(0.1), timed(0.2))
        assert tuya.stats.in_flight == 0
    starts = [began for began, _ in runs]
    assert starts[2] - starts[0] >= 0.2
    for _, took in runs:  # the deadline, its grace, and the timer's scheduling slack
        assert 0.15 <= took < 0.45


async def test_a_closed_client_sends_nothing_though_its_transport_hid_the_stop() -> None:
    cloud = Cloud(_ok({"state": 0}))
    calls: list[str] = []

    async def hides_cancellation(request: SignedRequest) -> TransportResponse:
        if request.path.startswith("/v1.0/token"):
            return cloud(request)
        if calls:
            raise AssertionError("the closed client sent its request again")
        calls.append(request.path)
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:  # turned into a retryable network error
            raise TuyaTransportError("connection lost") from None
        raise AssertionError("not reached")

    tuya = _client(hides_cancellation)
    task = asyncio.create_task(tuya.devices.get_state(DEV))
    await asyncio.sleep(0.05)
    await tuya.aclose()
    with pytest.raises(TuyaClientClosedError):
        await asyncio.wait_for(task, 1.0)


async def test_a_failed_token_request_is_not_retried_again_by_the_call() -> None:
    sent: list[str] = []

    def refuse(request: SignedRequest) -> TransportResponse:
        sent.append(request.path)
        raise TuyaConnectError("could not connect (ClientConnectorError)")

    async with _client(refuse) as tuya:
        with pytest.raises(TuyaConnectError) as info:
            await tuya.devices.reset(DEV)
    assert sent == ["/v1.0/token"] * 3  # the grant's own 3 attempts, not 3 x 3
    assert info.value.path == "/v1.0/token" and info.value.attempts == 3


async def test_stats_show_requests_in_flight() -> None:
    gate = asyncio.Event()
    cloud = Cloud(_ok({"state": 0}))

    async def slow(request: SignedRequest) -> TransportResponse:
        if not request.path.startswith("/v1.0/token"):
            await gate.wait()
        return cloud(request)

    async with _client(slow) as tuya:
        calls = [asyncio.create_task(tuya.devices.get_state(DEV)) for _ in range(3)]
        await asyncio.sleep(0.01)
        assert tuya.stats.in_flight == 3
        gate.set()
        await asyncio.gather(*calls)
        assert tuya.stats.in_flight == 0 and tuya.stats.requests == 4


class ThrottlingCloud:
    """A cloud that accepts ``limit`` requests per API per second of the fake clock (fixed
    windows, as Tuya's frequency control) and answers 1199 beyond, after ``latency``."""

    def __init__(self, clock: FakeClock, limit: int, latency: float) -> None:
        self.clock, self.limit, self.latency = clock, limit, latency
        self.accepted = self.throttled = 0
        self._windows: dict[tuple[str, int], int] = {}

    async def __call__(self, request: SignedRequest) -> TransportResponse:
        if request.path.startswith("/v1.0/token"):
            return _json(_grant())
        window = (request.path, int(self.clock.monotonic()))
        admitted = self._windows.get(window, 0) < self.limit
        self._windows[window] = self._windows.get(window, 0) + admitted
        await self.clock.sleep(self.latency)
        if not admitted:
            self.throttled += 1
            return _json({"success": False, "code": 1199, "msg": "too frequent", "t": 1})
        self.accepted += 1
        return _json(_ok({"state": 0}))


@pytest.mark.parametrize("limit", [10, 25])
async def test_default_settings_use_a_throttling_cloud_fully(clock: FakeClock, limit: int) -> None:
    cloud = ThrottlingCloud(clock, limit, latency=0.05)
    seconds, calls = 30.0, 0
    async with _client(cloud, clock=clock) as tuya:
        end = clock.monotonic() + seconds

        async def worker() -> None:
            nonlocal calls
            while clock.monotonic() < end:
                await tuya.devices.get_state(DEV)  # never fails: throttles are waited out
                calls += 1

        await asyncio.gather(*(worker() for _ in range(16)))
        rate = tuya.stats.rates["GET /v2.0/cloud/thing/{device_id}/state"]
    used = cloud.accepted / (seconds * limit)
    share = cloud.throttled / (cloud.accepted + cloud.throttled)
    assert calls == cloud.accepted and used >= 0.9 and share < 0.08
    assert rate.throttles == cloud.throttled and rate.rate is not None


@pytest.mark.parametrize("count", [3, 45])  # one request (run inline), and three fanned out
async def test_batches_keep_input_order_drop_repeats_and_unasked_devices(count: int) -> None:
    ids = [f"vdevo{i:04d}" for i in range(count)]

    def answer(request: SignedRequest) -> TransportResponse:
        if request.path.startswith("/v1.0/token"):
            return _json(_grant())
        asked = dict(pair.split("=") for pair in request.query.split("&"))["device_ids"]
        batch = asked.split(",")
        found = [i for i in reversed(batch) if not i.endswith("1")]  # unknown: ...1
        entries = [{"id": i, "name": "first"} for i in found]
        entries += [{"id": found[0], "name": "repeat"}, {"id": "vdevoNOTASKED", "name": "x"}]
        return _json(_ok(entries))

    async with _client(answer) as tuya:
        result = await tuya.devices.get_many(ids)
    assert [d.id for d in result.devices] == [i for i in ids if not i.endswith("1")]
    assert {d.name for d in result.devices} == {"first"}
    assert result.missing == tuple(i for i in ids if i.endswith("1")) and not result.errors


@pytest.mark.parametrize("count", [3, 45])
async def test_a_failed_batch_is_recorded_in_partial_mode_and_raised_in_fail_fast(
    count: int,
) -> None:
    cloud = Cloud({"success": False, "code": 1106, "msg": "permission deny", "t": 1})
    ids = [f"vdevo{i:04d}" for i in range(count)]
    async with _client(cloud) as tuya:
        result = await tuya.devices.get_many(ids, mode="partial")
        with pytest.raises(TuyaBulkError):
            await tuya.devices.get_many(ids)
    assert result.failed_ids == tuple(ids) and not result.devices and not result.missing
    assert {failure.error.code for failure in result.errors} == {1106}
