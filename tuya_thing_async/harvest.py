"""Fleet harvest: walk many devices' logs concurrently, stream every record once, resumably.

Devices go through the shared fan-out helper (bounded concurrency): each worker pages through
one device at a time and hands whole pages to the consumer over a bounded stream, so memory
stays flat however many records pass.
The checkpoint advances as records are *yielded*: snapshot ``harvest.checkpoint`` after
processing a record (or a batch of them) and a restarted job resumes exactly after it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from contextlib import aclosing
from typing import Any, Generic, TypeVar

import attrs

from ._fanout import Emit, Failure, fan_out
from ._pipeline import ClientStats
from .errors import TuyaValidationError
from .models import Page
from .pagination import OneShotStream, Paginator

T = TypeVar("T")
FetchDevicePage = Callable[[str, str | None], Any]  # (device_id, cursor) -> Awaitable[Page[T]]


@attrs.frozen
class HarvestRecord(Generic[T]):
    """One log record and the device it belongs to."""

    device_id: str
    record: T


@attrs.frozen
class HarvestProgress:
    """Passed to the progress callback after each page and each finished device."""

    devices_total: int
    devices_done: int
    records: int
    pages: int
    requests: int
    retries: int
    #: The rate the client settled on for the log API, requests per second (None: no cap,
    #: the cloud has not throttled).
    rate: float | None = None
    #: Throttle answers on the log API so far.
    throttles: int = 0


@attrs.define
class HarvestCheckpoint:
    """Serializable resume point: per device, done or (cursor of the current page, records of
    it already delivered); plus the window and filter it belongs to."""

    start_ms: int
    end_ms: int
    filter: str
    devices: dict[str, dict[str, Any]] = attrs.Factory(dict)

    def is_done(self, device_id: str) -> bool:
        return bool(self.devices.get(device_id, {}).get("done"))

    def to_json(self) -> str:
        return json.dumps(attrs.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> HarvestCheckpoint:
        try:
            data = json.loads(text)
            return cls(
                int(data["start_ms"]),
                int(data["end_ms"]),
                str(data["filter"]),
                dict(data["devices"]),
            )
        except (ValueError, KeyError, TypeError):
            raise TuyaValidationError("not a harvest checkpoint") from None


@attrs.frozen
class _DevicePage:
    """A page of one device, the cursor it was requested with and the records to skip."""

    device_id: str
    cursor: str | None
    page: Page[Any]
    skip: int


class Harvest(OneShotStream, Generic[T]):
    """Async iterator of ``HarvestRecord``s over many devices; an async context manager too."""

    def __init__(
        self,
        device_ids: Sequence[str],
        fetch: FetchDevicePage,
        checkpoint: HarvestCheckpoint,
        *,
        concurrency: int,
        progress: Callable[[HarvestProgress], None] | None,
        stats: Callable[[], ClientStats],
        route: str,
    ) -> None:
        self._resumed = checkpoint
        #: per device: {"done": True} or {"cursor": ..., "skip": records of that page delivered}
        self._positions: dict[str, dict[str, Any]] = dict(checkpoint.devices)
        self._done = sum(1 for p in self._positions.values() if p.get("done"))
        self._ids = [d for d in device_ids if not checkpoint.is_done(d)]
        self._total = len(device_ids)
        self._fetch = fetch
        self._concurrency = concurrency
        self._progress = progress
        self._stats = stats
        self._route = route
        self.records = 0
        self.pages = 0

    def __aiter__(self) -> AsyncIterator[HarvestRecord[T]]:
        return self._start(self._run())

    @property
    def checkpoint(self) -> HarvestCheckpoint:
        """A snapshot of the resume point: everything yielded so far counts as delivered."""
        cp = self._resumed
        devices = {d: dict(p) for d, p in self._positions.items()}
        return HarvestCheckpoint(cp.start_ms, cp.end_ms, cp.filter, devices)

    async def _walk(self, device_id: str, emit: Emit[_DevicePage]) -> None:
        state = self._positions.get(device_id, {})
        cursor, skip = state.get("cursor"), int(state.get("skip", 0))
        pages = Paginator(lambda c: self._fetch(device_id, c), start_cursor=cursor)
        async with pages:
            async for page in pages.pages():
                await emit(_DevicePage(device_id, cursor, page, skip))
                cursor, skip = page.cursor, 0

    async def _run(self) -> AsyncGenerator[HarvestRecord[T], None]:
        outcomes = fan_out(self._ids, self._walk, concurrency=self._concurrency)
        async with aclosing(outcomes):
            async for outcome in outcomes:
                if isinstance(outcome, Failure):
                    raise outcome.error
                device_id, page = outcome.device_id, outcome.page
                position = self._positions[device_id] = {
                    "cursor": outcome.cursor,
                    "skip": outcome.skip,
                }
                for index in range(outcome.skip, len(page.items)):
                    position["skip"] = index + 1  # counted as delivered once yielded
                    self.records += 1
                    yield HarvestRecord(device_id, page.items[index])
                self.pages += 1
                if page.has_more:
                    self._positions[device_id] = {"cursor": page.cursor, "skip": 0}
                else:
                    self._positions[device_id] = {"done": True}
                    self._done += 1
                self._report()

    def _report(self) -> None:
        if self._progress is not None:
            stats = self._stats()
            rate = stats.rates.get(self._route)
            self._progress(
                HarvestProgress(
                    self._total,
                    self._done,
                    self.records,
                    self.pages,
                    stats.requests,
                    stats.retries,
                    rate.rate if rate else None,
                    rate.throttles if rate else 0,
                )
            )


def check_checkpoint(
    checkpoint: HarvestCheckpoint | None, start_ms: int, end_ms: int, filter_: str
) -> HarvestCheckpoint:
    """A fresh checkpoint, or the given one if it belongs to the same window and filter."""
    if checkpoint is None:
        return HarvestCheckpoint(start_ms, end_ms, filter_)
    if (checkpoint.start_ms, checkpoint.end_ms, checkpoint.filter) != (start_ms, end_ms, filter_):
        raise TuyaValidationError(
            "the checkpoint belongs to another window or filter; resume with the same "
            "start, end and codes/types (or omit start and end to reuse the checkpoint's)"
        )
    return checkpoint
