"""Token lifecycle, retries, clock skew and the retry budget, with an injected clock and
random source (no real sleeping)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable

import aiohttp
import pytest

from tests.client.conftest import BASE, FakeTuya, Seen
from tests.conftest import FakeClock, client_tasks
from tuya_thing_async import (
    AiohttpTransport,
    MockTransport,
    SignedRequest,
    TransportResponse,
    TuyaAuthError,
    TuyaClient,
    TuyaClientClosedError,
    TuyaConnectError,
    TuyaOutcomeUnknownError,
    TuyaPermissionError,
    TuyaProtocolError,
    TuyaRateLimitError,
    TuyaRetryQuotaExceededError,
    TuyaServerError,
    TuyaTransportError,
)

DEV = "vdevo1"
STATE = r"/v2\.0/cloud/thing/vdevo1/state"
RESET = r"/v2\.0/cloud/thing/vdevo1/reset"
FREEZE = r"/v2\.0/cloud/thing/vdevo1/freeze"
MakeClient = Callable[..., TuyaClient]


def _token_of(seen: Seen) -> str:
    return seen.headers.get("access_token", "")


async def test_fifty_concurrent_calls_on_an_expired_token_refresh_once(
    fake: FakeTuya, make_client: MakeClient
) -> None:
    """The server expires token 1; every call gets 1010 once, exactly one refresh happens."""
    expired = False

    def state(seen: Seen) -> dict[str, object]:
        if expired and _token_of(seen) == "CANARY-ACCESS-1":
            return fake.fail(1010, "token is expired")
        return fake.ok({"state": 0})

    fake.on("GET", STATE, state)
    async with make_client() as tuya:
        await tuya.devices.get_state(DEV)
        expired = True
        results = await asyncio.gather(*(tuya.devices.get_state(DEV) for _ in range(50)))
        assert len(results) == 50
        assert (fake.refreshes, fake.grants) == (1, 1)
        assert tuya.stats.token_refreshes == 1
        assert len(fake.calls("GET", STATE)) <= 1 + 2 * 50


async def test_spent_refresh_token_falls_back_to_one_grant(
    fake: FakeTuya, make_client: MakeClient, clock: FakeClock
) -> None:
    fake.on("GET", STATE, fake.ok({"state": 0}))
    fake.on("GET", r"/v1\.0/token/[^/]+", fake.fail(1010, "token invalid"))
    async with make_client() as tuya:
        await tuya.devices.get_state(DEV)
        clock.advance(7200 - 30)  # inside the mandatory window: callers must wait
        await tuya.devices.get_state(DEV)
    assert len(fake.calls("GET", r"/v1\.0/token/.*")) == 1
    assert fake.grants == 2


async def test_failed_grant_reaches_every_waiter_without_looping(
    fake: FakeTuya, make_client: MakeClient
) -> None:
    fake.on("GET", r"/v1\.0/token", fake.fail(1001, "secret invalid"))
    async with make_client() as tuya:
        outcomes = await asyncio.gather(
            *(tuya.devices.get_state(DEV) for _ in range(20)), return_exceptions=True
        )
    assert all(isinstance(o, TuyaAuthError) and o.code == 1001 for o in outcomes)
    assert len(fake.calls("GET", r"/v1\.0/token")) == 1
    assert fake.calls("GET", STATE) == []


async def test_token_error_is_retried_once_only(fake: FakeTuya, make_client: MakeClient) -> None:
    fake.on("GET", STATE, fake.fail(1011, "token invalid"))
    async with make_client() as tuya:
        with pytest.raises(TuyaAuthError) as info:
            await tuya.devices.get_state(DEV)
    assert info.value.code == 1011
    assert len(fake.calls("GET", STATE)) == 2
    assert fake.refreshes == 1


async def test_cancelled_refresh_leader_leaves_no_waiter_hanging(
    fake: FakeTuya, make_client: MakeClient
) -> None:
    gate = asyncio.Event()
    fake.on("GET", STATE, fake.ok({"state": 0}))
    inner = AiohttpTransport(BASE)
    sends = 0

    async def gated(request: SignedRequest) -> TransportResponse:
        nonlocal sends
        sends += 1
        if sends == 1:  # the token grant of the first caller
            await gate.wait()
        return await inner.send(request, timeout=5.0)

    async with make_client(transport=MockTransport(gated)) as tuya:
        leader = asyncio.create_task(tuya.devices.get_state(DEV))
        await asyncio.sleep(0.01)
        waiters = [asyncio.create_task(tuya.devices.get_state(DEV)) for _ in range(10)]
        await asyncio.sleep(0.01)
        leader.cancel()
        gate.set()
        results = await asyncio.gather(*waiters)
        assert len(results) == 10 and leader.cancelled()
        assert fake.grants == 1
        assert client_tasks() == []
    await inner.aclose()


async def test_clock_skew_is_learned_and_the_call_retried_once(
    fake: FakeTuya, make_client: MakeClient, clock: FakeClock
) -> None:
    server_ms = int(clock.time() * 1000) - 600_000  # our clock is 10 minutes fast

    def state(seen: Seen) -> dict[str, object]:
        if abs(int(seen.headers["t"]) - server_ms) > 300_000:
            return fake.fail(1013, "request time is invalid", t=server_ms)
        return fake.ok({"state": 0}) | {"t": server_ms}

    fake.on("GET", STATE, state)
    fake.on("GET", r"/v1\.0/token", lambda s: fake._grant(s) | {"t": server_ms})
    async with make_client() as tuya:
        for _ in range(5):
            await tuya.devices.get_state(DEV)
    assert len(fake.calls("GET", STATE)) == 5  # the token answer's t already fixed the offset


async def test_1013_with_server_time_resyncs(
    fake: FakeTuya, make_client: MakeClient, clock: FakeClock
) -> None:
    fake.on(
        "GET",
        STATE,
        fake.fail(1013, "request time is invalid", t=int(clock.time() * 1000) + 30_000),
        fake.ok({"state": 1}),
    )
    async with make_client() as tuya:
        assert (await tuya.devices.get_state(DEV)).frozen
    sent = [int(s.headers["t"]) for s in fake.calls("GET", STATE)]
    assert sent[1] - sent[0] == pytest.approx(30_000, abs=5)


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param((429, "slow", "text/plain"), id="http-429"),
        pytest.param("1199", id="1199"),
        pytest.param("1110", id="1110"),
        pytest.param("1111", id="1111"),
    ],
)
@pytest.mark.parametrize(
    ("adaptive", "hits", "sleeps"),
    [
        # paced by the route's adapted rate: cut to the 1/s floor (nothing was accepted)
        pytest.param(True, 11, [1.0] * 9, id="adaptive"),
        # full-jitter backoff (rng=1.0): sends at 0, 1, 3 and 7 s; 8 more would pass 10 s
        pytest.param(False, 4, [1.0, 2.0, 4.0], id="backoff"),
    ],
)
async def test_throttled_calls_are_retried_until_the_deadline(
    fake: FakeTuya,
    make_client: MakeClient,
    clock: FakeClock,
    reply: object,
    adaptive: bool,
    hits: int,
    sleeps: list[float],
) -> None:
    answer = fake.fail(int(reply)) if isinstance(reply, str) else reply
    for method, route, call in (("GET", STATE, "get_state"), ("POST", RESET, "reset")):
        clock.sleeps.clear()
        fake.on(method, route, answer)  # type: ignore[arg-type]
        settings = {"rng": lambda: 1.0, "deadline": 10.0, "adaptive": adaptive}
        async with make_client(**settings) as tuya:
            with pytest.raises(TuyaRateLimitError) as info:
                await getattr(tuya.devices, call)(DEV)  # reset too: throttled = not run
            assert (
                tuya.stats.rates[
                    f"{method} /v2.0/cloud/thing/{{device_id}}/{call.removeprefix('get_')}"
                ].throttles
                == hits
            )
        assert len(fake.calls(method, route)) == hits and info.value.attempts >= hits
        assert clock.sleeps == sleeps


async def test_two_throttles_then_success(
    fake: FakeTuya, make_client: MakeClient, clock: FakeClock
) -> None:
    fake.on("GET", STATE, (429, "x", "text/plain"), (429, "x", "text/plain"), fake.ok({"state": 0}))
    async with make_client() as tuya:
        await tuya.devices.get_state(DEV)
        assert tuya.stats.retries == 2
    assert len(fake.calls("GET", STATE)) == 3


async def test_retry_after_sets_the_wait(
    fake: FakeTuya, make_client: MakeClient, clock: FakeClock
) -> None:
    fake.on("GET", STATE, (503, "busy", "text/html", {"Retry-After": "4"}))
    async with make_client(rng=lambda: 1.0) as tuya:
        with pytest.raises(TuyaServerError) as info:
            await tuya.devices.get_state(DEV)
    assert info.value.retry_after == 4.0
    assert clock.sleeps == [4.0, 4.0]


async def test_5xx_retries_gets_and_idempotent_posts_but_not_reset(
    fake: FakeTuya, make_client: MakeClient
) -> None:
    busy = (503, "<html>busy</html>", "text/html")
    fake.on("GET", STATE, busy, busy, fake.ok({"state": 0}))
    fake.on("POST", FREEZE, busy, busy, fake.ok(True))
    fake.on("POST", RESET, (500, "<html>oops</html>", "text/html"))
    async with make_client() as tuya:
        await tuya.devices.get_state(DEV)
        await tuya.devices.freeze(DEV)
        with pytest.raises(TuyaOutcomeUnknownError, match="outcome is unknown"):
            await tuya.devices.reset(DEV)
    assert [
        len(fake.calls(m, r)) for m, r in (("GET", STATE), ("POST", FREEZE), ("POST", RESET))
    ] == [3, 3, 1]


async def test_connection_reset_is_retried_for_reads_and_unknown_for_firmware_start(
    fake: FakeTuya, make_client: MakeClient
) -> None:
    reset = aiohttp.ServerDisconnectedError()
    fake.on("GET", STATE, reset, fake.ok({"state": 0}))
    fake.on("POST", r"/v2\.0/cloud/thing/vdevo1/firmware/0", reset)
    fake.on("DELETE", r"/v2\.0/cloud/thing/vdevo1", reset, fake.fail(1106, "permission deny"))
    async with make_client() as tuya:
        await tuya.devices.get_state(DEV)
        with pytest.raises(TuyaOutcomeUnknownError) as info:
            await tuya.firmware.start_update(DEV, channel=0)
        assert isinstance(info.value, Exception) and info.value.attempts == 1
        with pytest.raises(TuyaPermissionError) as denied:
            await tuya.devices.delete(DEV)
        assert denied.value.possibly_completed
    assert len(fake.calls("POST", r"/v2\.0/cloud/thing/vdevo1/firmware/0")) == 1


async def test_connect_failure_is_retried_even_for_reset(
    fake: FakeTuya, make_client: MakeClient
) -> None:
    refused = aiohttp.ClientConnectorError(
        aiohttp.client_reqrep.ConnectionKey("h", 443, True, True, None, None, None),
        OSError(111, "Connection refused"),
    )
    fake.on("POST", RESET, refused, fake.ok(True))
    async with make_client() as tuya:
        await tuya.devices.reset(DEV)
    fake.on("GET", STATE, refused)
    async with make_client() as tuya:
        with pytest.raises(TuyaConnectError):
            await tuya.devices.get_state(DEV)


async def test_malformed_body_is_retried_once_for_reads(
    fake: FakeTuya, make_client: MakeClient
) -> None:
    fake.on("GET", STATE, (200, b'{"success":tr', "application/json"))
    async with make_client() as tuya:
        with pytest.raises(TuyaProtocolError):
            await tuya.devices.get_state(DEV)
    assert len(fake.calls("GET", STATE)) == 2


async def test_retry_quota_allows_35_retries_then_fails_fast(
    fake: FakeTuya, make_client: MakeClient
) -> None:
    fake.on("GET", STATE, (500, "x", "text/html"))
    async with make_client() as tuya:
        for _ in range(17):  # 2 retries each: 34 of the 500 // 14 = 35 the budget pays for
            with pytest.raises(TuyaServerError):
                await tuya.devices.get_state(DEV)
        with pytest.raises(TuyaRetryQuotaExceededError) as info:
            await tuya.devices.get_state(DEV)  # retry 35 is paid, retry 36 is not
        assert "HTTP 500" in str(info.value) and info.value.__cause__ is None
        with pytest.raises(TuyaRetryQuotaExceededError):
            await tuya.devices.get_state(DEV)  # fails fast after one attempt
        assert tuya.stats.retries == 35
    assert len(fake.calls("GET", STATE)) == 19 + 35


async def test_deadline_stops_retries(
    fake: FakeTuya, make_client: MakeClient, clock: FakeClock
) -> None:
    fake.on("GET", STATE, (429, "x", "text/plain"))
    async with make_client(rng=lambda: 1.0, deadline=2.5, adaptive=False) as tuya:
        with pytest.raises(TuyaRateLimitError):
            await tuya.devices.get_state(DEV)
    assert clock.sleeps == [1.0]  # the 2 s wait would cross the 2.5 s deadline


async def test_use_after_close_and_borrowed_session(
    fake: FakeTuya, make_client: MakeClient
) -> None:
    tuya = make_client()
    await tuya.aclose()
    with pytest.raises(TuyaClientClosedError):
        await tuya.devices.get_state(DEV)
    with pytest.raises(TuyaClientClosedError):
        async with tuya:
            pass
    fake.on("GET", STATE, fake.ok({"state": 0}))
    async with aiohttp.ClientSession() as http:
        async with make_client(session=http) as borrowed:
            await borrowed.devices.get_state(DEV)
        assert not http.closed


async def test_transport_errors_are_sanitised(fake: FakeTuya, make_client: MakeClient) -> None:
    fake.on("GET", STATE, aiohttp.ClientPayloadError("cut at https://x/v1.0/token/CANARY"))
    async with make_client() as tuya:
        with pytest.raises(TuyaTransportError) as info:
            await tuya.devices.get_state(DEV)
    assert "CANARY" not in str(info.value) and info.value.__cause__ is None
    assert info.value.__suppress_context__


async def test_advisory_window_refreshes_in_the_background(
    fake: FakeTuya, make_client: MakeClient, clock: FakeClock
) -> None:
    fake.on("GET", STATE, fake.ok({"state": 0}))
    async with make_client() as tuya:
        await tuya.devices.get_state(DEV)
        clock.advance(7200 - 200)  # 200 s of token life left: advisory, not mandatory
        results = await asyncio.gather(*(tuya.devices.get_state(DEV) for _ in range(100)))
        tokens = {_token_of(s) for s in fake.calls("GET", STATE)[1:101]}
        assert len(results) == 100 and tokens == {"CANARY-ACCESS-1"}  # nobody waited
        await asyncio.sleep(0.01)
        assert fake.refreshes == 1
        await tuya.devices.get_state(DEV)
        assert _token_of(fake.calls("GET", STATE)[-1]) == "CANARY-ACCESS-2"


async def test_rate_limiter_spaces_requests(
    fake: FakeTuya, make_client: MakeClient, clock: FakeClock
) -> None:
    stamps: list[float] = []

    def stamp(seen: Seen) -> object:
        stamps.append(clock.monotonic())
        return fake.ok({"state": 0})

    fake.on("GET", STATE, stamp)  # type: ignore[arg-type]
    async with make_client(rate=10.0, burst=1) as tuya:
        await asyncio.gather(*(tuya.devices.get_state(DEV) for _ in range(40)))
    # 41 requests (the token grant too) at 10/s, burst 1: one every 0.1 s
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert len(stamps) == 40 and gaps == pytest.approx([0.1] * 39)
