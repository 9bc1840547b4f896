"""Reliability-policy tests against the real-socket emulator: path injection and signature fuzz
(Hypothesis), secrets under DEBUG logging, TLS, deadlines, oversized bodies and lifecycle."""

from __future__ import annotations

import asyncio
import logging
import shutil
import ssl
import subprocess
import threading
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import TypeVar
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import FakeClock, client_tasks, exception_texts, fast_settings
from tests.unit.test_validation_config import BAD_IDS
from tuya_thing_async import (
    Credentials,
    TuyaClient,
    TuyaClientClosedError,
    TuyaConfigError,
    TuyaError,
    TuyaResponseTooLargeError,
    TuyaTimeoutError,
    TuyaTLSError,
    TuyaValidationError,
)
from tuya_thing_async.emulator import FakeCloud, Fault, serve

T = TypeVar("T")
STATE = "GET /v2.0/cloud/thing/{device_id}/state"


class LoopThread:
    """One emulator and one client on an event loop in a background thread, so that
    synchronous Hypothesis tests can drive many examples against a single server."""

    def __init__(self, cloud: FakeCloud) -> None:
        self.cloud = cloud
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self._stop: asyncio.Event | None = None
        ready: Future[TuyaClient] = Future()
        self._main = asyncio.run_coroutine_threadsafe(self._serve(ready), self.loop)
        self.tuya = ready.result(timeout=30)

    async def _serve(self, ready: Future[TuyaClient]) -> None:
        self._stop = asyncio.Event()
        async with (
            serve(self.cloud) as url,
            TuyaClient(
                self.cloud.credentials, base_url=url, insecure_http=True, settings=fast_settings()
            ) as tuya,
        ):
            ready.set_result(tuya)
            await self._stop.wait()

    def run(self, make: Callable[[TuyaClient], Awaitable[T]]) -> T:
        async def call() -> T:
            return await make(self.tuya)

        return asyncio.run_coroutine_threadsafe(call(), self.loop).result(timeout=30)

    def close(self) -> None:
        assert self._stop is not None
        self.loop.call_soon_threadsafe(self._stop.set)
        self._main.result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=30)
        self.loop.close()


@pytest.fixture(scope="module")
def shared() -> Iterator[LoopThread]:
    runner = LoopThread(FakeCloud.seeded(devices=3, seed=5))
    yield runner
    runner.close()


any_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(device_id=any_text | st.sampled_from(BAD_IDS))
def test_path_injection_never_reaches_another_route(shared: LoopThread, device_id: str) -> None:
    before = len(shared.cloud.requests)
    try:
        shared.run(lambda t: t.devices.get_state(device_id))
    except TuyaValidationError:
        assert len(shared.cloud.requests) == before  # refused before any network I/O
        return
    except TuyaError:
        pass  # unknown device: the cloud's 1106
    sent = list(shared.cloud.requests)[before:]
    assert sent, "a valid ID must reach the cloud"
    for _method, raw, _headers in sent:
        if raw.startswith("/v1.0/token"):
            continue
        segments = raw.split("?")[0].split("/")
        assert segments[:4] == ["", "v2.0", "cloud", "thing"] and segments[5:] == ["state"]
        assert unquote(segments[4]) == device_id


names = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=60
).filter(lambda s: s.strip())
values = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)) | st.sampled_from("&=+%/, ?#:"),
    max_size=40,
)


@settings(
    max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    query=st.dictionaries(st.from_regex(r"[a-z_]{1,12}", fullmatch=True), values, max_size=5),
    name=names,
)
def test_signatures_always_verify(shared: LoopThread, query: dict[str, str], name: str) -> None:
    """The emulator verifies every signature: query values with unicode and reserved
    characters, and JSON bodies with unicode and ':' (0 answers of 1004)."""
    dev = shared.cloud.device_ids[0]
    shared.run(lambda t: t.request("GET", f"/v2.0/cloud/thing/{dev}", params=query))
    shared.run(lambda t: t.devices.rename(dev, name))
    assert shared.cloud.devices[dev].custom_name == name
    assert shared.cloud.errors[1004] == 0


async def test_secrets_never_leak_under_debug_logging(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "CANARY-SECRET-1f3e9a"
    cloud = FakeCloud.seeded(devices=4, seed=2, access_secret=secret, token_ttl=60)
    errors: list[BaseException] = []
    async with serve(cloud) as url:
        tuya = TuyaClient(
            cloud.credentials, base_url=url, insecure_http=True, settings=fast_settings()
        )
        async with tuya:
            dev = cloud.device_ids[0]
            faults = [
                Fault.error(1010),
                Fault.http(500),
                Fault.drop(),
                Fault.malformed("html"),
                Fault.truncated(),
                Fault.error(1004),
                Fault.error(1106),
            ]
            for fault in faults:
                cloud.faults.add(STATE, fault, times=3)
                try:
                    await tuya.devices.get_state(dev)
                except TuyaError as exc:
                    errors.append(exc)
                cloud.faults.clear()
            cloud.expire_tokens()
            await tuya.devices.get(dev)
            for bad in ("../x", "a b"):
                try:
                    await tuya.devices.get(bad)
                except TuyaError as exc:
                    errors.append(exc)
            reprs = [
                repr(tuya),
                str(tuya),
                repr(cloud.credentials),
                repr(tuya.stats),
            ]
    tokens = [t for t in cloud._grants] + [g.refresh_token for g in cloud._grants.values()]
    signs = [headers["sign"] for _, _, headers in cloud.requests if "sign" in headers]
    canaries = [secret, *tokens, *signs]
    assert len(tokens) >= 4 and len(signs) > 10 and errors

    texts = [r.getMessage() for r in caplog.records] + reprs
    texts += [text for error in errors for text in exception_texts(error)]
    for text in texts:
        for canary in canaries:
            assert canary not in text


async def test_deadline_is_enforced_with_no_retry_after_it(cloud: FakeCloud, base_url: str) -> None:
    clock = FakeClock()
    cloud.faults.add(STATE, Fault.stall(0.5), times=5)
    settings_ = fast_settings(clock=clock, rng=lambda: 1.0, read_timeout=0.05, deadline=0.25)
    async with TuyaClient(
        cloud.credentials, base_url=base_url, insecure_http=True, settings=settings_
    ) as tuya:
        await tuya.devices.get(cloud.device_ids[0])  # token first
        with pytest.raises(TuyaTimeoutError):
            await tuya.devices.get_state(cloud.device_ids[0])
    assert clock.sleeps == [0.1]  # the next wait (0.2 s) would end past the 0.25 s deadline
    assert cloud.hits[STATE] == 2


async def test_oversized_body_is_refused_while_reading(cloud: FakeCloud, base_url: str) -> None:
    cloud.faults.add(STATE, Fault.malformed("oversized"))
    async with TuyaClient(
        cloud.credentials,
        base_url=base_url,
        insecure_http=True,
        settings=fast_settings(max_body_bytes=4096),
    ) as tuya:
        with pytest.raises(TuyaResponseTooLargeError, match="4096-byte cap"):
            await tuya.devices.get_state(cloud.device_ids[0])


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> ssl.SSLContext:
    openssl = shutil.which("openssl")
    assert openssl, "openssl is needed to make a self-signed certificate"
    folder: Path = tmp_path_factory.mktemp("tls")
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(folder / "key.pem"),
            "-out",
            str(folder / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context


async def test_tls_errors_are_not_retried(self_signed: ssl.SSLContext) -> None:
    cloud = FakeCloud.seeded(devices=2, seed=1)
    async with serve(cloud, ssl_context=self_signed) as url:
        assert url.startswith("https://")
        async with TuyaClient(cloud.credentials, base_url=url, settings=fast_settings()) as tuya:
            with pytest.raises(TuyaTLSError):
                await tuya.devices.get(cloud.device_ids[0])
            assert tuya.stats.requests == 1 and tuya.stats.retries == 0
    assert sum(cloud.hits.values()) == 0
    with pytest.raises(TuyaConfigError):
        TuyaClient(Credentials("a", "b"), base_url="http://example.com")
    with pytest.raises(TuyaConfigError):
        TuyaClient(Credentials("a", "b"), base_url="http://127.0.0.1:9")


async def test_lifecycle(cloud: FakeCloud, base_url: str) -> None:
    tuya = TuyaClient(cloud.credentials, base_url=base_url, insecure_http=True)
    async with tuya:
        await tuya.devices.get(cloud.device_ids[0])
    assert tuya.closed and tuya.stats.in_flight == 0
    with pytest.raises(TuyaClientClosedError):
        await tuya.devices.get(cloud.device_ids[0])
    await tuya.aclose()  # closing twice is fine
    assert client_tasks() == []
