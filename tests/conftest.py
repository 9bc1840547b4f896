"""Shared fixtures: an injectable fake clock, the emulator on port 0, and a strict client."""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tuya_thing_async import ClientSettings, Clock, TuyaClient
from tuya_thing_async.emulator import FakeCloud, serve

#: A user's project, copied and run by tests/integration/test_user_project.py, not collected here.
collect_ignore = ["data/user_project"]


class FakeClock(Clock):
    """Wall and monotonic time that only move when slept on (or advanced by hand).

    Concurrent sleepers wake in order of their wake-up times: the earliest one moves the clock
    to its wake-up time while the later ones wait their turn, as on a real clock.
    """

    def __init__(self, wall: float = 1_770_000_000.0) -> None:
        self.wall = wall
        self.mono = 10_000.0
        self.sleeps: list[float] = []
        self._wakeups: list[float] = []

    def time(self) -> float:
        return self.wall

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.wall += seconds
        self.mono += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        target = self.mono + seconds
        heapq.heappush(self._wakeups, target)
        await asyncio.sleep(0)
        while self._wakeups[0] < target:  # noqa: ASYNC110 - an earlier sleeper goes first
            await asyncio.sleep(0)
        heapq.heappop(self._wakeups)
        self.advance(max(0.0, target - self.mono))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def fast_settings(**overrides: object) -> ClientSettings:
    """Settings for tests: strict models, no client-side rate cap, fixed jitter."""
    values: dict[str, object] = {"rate": None, "strict_models": True, "rng": lambda: 0.0}
    values.update(overrides)
    return ClientSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
def cloud() -> FakeCloud:
    return FakeCloud.seeded(devices=12, seed=7)


@pytest.fixture
async def base_url(cloud: FakeCloud) -> AsyncIterator[str]:
    async with serve(cloud) as url:
        yield url


@pytest.fixture
async def tuya(cloud: FakeCloud, base_url: str) -> AsyncIterator[TuyaClient]:
    async with TuyaClient(
        cloud.credentials, base_url=base_url, insecure_http=True, settings=fast_settings()
    ) as client:
        yield client


def client_tasks() -> list[asyncio.Task[object]]:
    """Pending tasks other than the current one and the in-process emulator's connections."""
    return [
        t
        for t in asyncio.all_tasks()
        if t is not asyncio.current_task() and "aiohttp/web_protocol.py" not in repr(t)
    ]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--soak-seconds",
        type=float,
        default=60.0,
        help="duration of the soak test (default 60 s; nightly runs use 600)",
    )
    parser.addoption(
        "--chaos",
        default="120,6,3,1,4,40",
        help="the CLI chaos harvest: devices,deleted,kills,days,concurrency,latency_ms "
        "(default 120,6,3,1,4,40; the full run: 10000,50,20,7,16,5)",
    )
    parser.addoption(
        "--token-share-seconds",
        type=float,
        default=12.0,
        help="duration of the two-process shared-token test (default 12 s; 60 s for a long run)",
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many real answers the conformance corpus held."""
    corpus = Path(__file__).parent / "data" / "real"
    answers = [p for p in corpus.glob("*.json") if not p.name.endswith(".expected.json")]
    checked = [p for p in answers if p.with_suffix(".expected.json").exists()]
    terminalreporter.write_line(
        f"conformance corpus: {len(answers)} real answers, {len(checked)} with expected results"
    )


def exception_texts(error: BaseException) -> list[str]:
    """Every text an error reporter could record: ``str`` and ``repr`` of the error, of each
    exception chained to it or grouped in it, and the repr of every local variable of the
    SDK's frames in their tracebacks (what ``pytest --showlocals`` or rich tracebacks print).
    The test's own frame, which catches the error, is left out."""
    texts: list[str] = []
    seen: set[int] = set()
    todo = [error]
    while todo:
        exc = todo.pop()
        if id(exc) in seen:
            continue
        seen.add(id(exc))
        texts += [str(exc), repr(exc)]
        todo += [e for e in (exc.__cause__, exc.__context__) if e is not None]
        if isinstance(exc, BaseExceptionGroup):
            todo += list(exc.exceptions)
        tb = exc.__traceback__
        while tb is not None:
            if "/tuya_thing_async/" in tb.tb_frame.f_code.co_filename:
                texts += [f"{name}={value!r}" for name, value in tb.tb_frame.f_locals.items()]
            tb = tb.tb_next
    return texts
