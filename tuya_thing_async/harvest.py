"""Fleet harvest: walk many devices' logs concurrently, stream every record once, resumably.

Devices go through the shared fan-out helper in the order given (bounded concurrency): each
worker pages through one device at a time and hands whole pages to the consumer over a bounded
stream, so memory stays flat however many records pass. The checkpoint advances as records are
*yielded*: snapshot ``harvest.checkpoint`` after processing a record (or a batch of them) and a
restarted job resumes exactly after it. A snapshot costs the same for 100 devices or 100,000.

With ``on_error="skip"`` a device that fails for a reason of its own (gone, not authorised,
a parameter the cloud refuses...) is set aside in ``harvest.failures`` and the checkpoint, the
others go on, and a resumed run retries it from where it stopped. Failures that concern the
whole job (credentials, quota, the client closed, the cloud down) always raise. Every error a
harvest raises names its device (``error.device_id``).
"""

from __future__ import annotations

import copy
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Hashable, Sequence
from contextlib import aclosing
from typing import Any, Generic, Literal, NamedTuple, TypeVar

import attrs

from ._fanout import Failure, fan_out
from ._pipeline import ClientStats
from .checkpoint import DeviceFailure, DevicePosition, HarvestCheckpoint, fingerprint
from .errors import (
    TuyaAPIError,
    TuyaError,
    TuyaPaginationLoopError,
    TuyaRateLimitError,
    TuyaServerError,
    TuyaValidationError,
    is_job_wide,
)
from .models import Page
from .pagination import Dedupe, OneShotStream, Paginator

T = TypeVar("T")
FetchDevicePage = Callable[[str, str | None], Any]  # (device_id, cursor) -> Awaitable[Page[T]]
OnError = Literal["raise", "skip"]


class HarvestRecord(NamedTuple, Generic[T]):
    """One log record and the device it belongs to (a named tuple: a harvest yields millions;
    ``device_id, record = item`` unpacks one)."""

    device_id: str
    record: T


@attrs.frozen
class HarvestPage(Generic[T]):
    """The records of one page of one device (those not delivered before a resume)."""

    device_id: str
    records: Sequence[T]


@attrs.frozen
class HarvestProgress:
    """Passed to the progress callback after each page and each finished or failed device."""

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
    devices_failed: int = 0


def is_device_error(error: BaseException) -> bool:
    """Whether ``error`` concerns one device (skippable), not the whole job: not job-wide
    (credentials, region, API access, quota, the client), and not the cloud throttling or
    failing, which would fail every device alike."""
    if isinstance(error, TuyaPaginationLoopError):
        return True
    cloud_wide = (TuyaRateLimitError, TuyaServerError)
    return (
        isinstance(error, TuyaAPIError)
        and not isinstance(error, cloud_wide)
        and not is_job_wide(error)
    )


@attrs.define
class _Walk:
    """A device in progress, as the consumer has delivered it."""

    cursor: str | None = None
    skip: int = 0
    #: Entries of the page at ``cursor`` that repeat an earlier record.
    repeats: frozenset[int] = frozenset()

    def position(self, device_id: str) -> DevicePosition:
        later = tuple(sorted(i for i in self.repeats if i >= self.skip))
        return DevicePosition(device_id, self.cursor, self.skip, later)


@attrs.frozen
class _DevicePage:
    """A page of one device, the cursor it was requested with, the entries to skip and those
    that repeat an earlier record."""

    device_id: str
    cursor: str | None
    page: Page[Any]
    skip: int
    repeats: frozenset[int]

    def fresh(self) -> Sequence[int]:
        """Indices of the entries still to deliver."""
        indices = range(self.skip, len(self.page.items))
        return [i for i in indices if i not in self.repeats] if self.repeats else indices


_new = tuple.__new__


def _walk_from(position: DevicePosition) -> _Walk:
    return _Walk(position.cursor, position.skip, frozenset(position.repeats))


class Harvest(OneShotStream, Generic[T]):
    """Async iterator of ``HarvestRecord``s over many devices; an async context manager too."""

    def __init__(
        self,
        device_ids: Sequence[str],
        fetch: FetchDevicePage,
        checkpoint: HarvestCheckpoint,
        *,
        concurrency: int,
        on_error: OnError,
        progress: Callable[[HarvestProgress], None] | None,
        stats: Callable[[], ClientStats],
        route: str,
        key: Callable[[T], Hashable],
    ) -> None:
        self._ids = device_ids
        self._resumed = checkpoint
        self._taken = checkpoint.taken
        self._walks = {p.device_id: _walk_from(p) for p in checkpoint.active}
        self._to_retry = {f.device_id: f for f in checkpoint.failed}
        self._failed: dict[str, DeviceFailure] = {}
        self._done = checkpoint.devices_done
        self._fetch = fetch
        self._concurrency = concurrency
        self._on_error = on_error
        self._progress = progress
        self._stats = stats
        self._route = route
        self._key = key
        #: Records dropped because the cloud repeated them.
        self.duplicates = 0
        self.records = 0
        self.pages = 0

    def __aiter__(self) -> AsyncIterator[HarvestRecord[T]]:
        return self._start(self._records())

    def iter_pages(self) -> AsyncIterator[HarvestPage[T]]:
        """Whole pages instead of single records (cheaper for consumers that write pages);
        a page counts as delivered once yielded."""
        return self._start(self._pages())

    @property
    def failures(self) -> tuple[DeviceFailure, ...]:
        """Devices set aside with ``on_error="skip"`` (and earlier ones not yet retried)."""
        return (*self._to_retry.values(), *self._failed.values())

    @property
    def checkpoint(self) -> HarvestCheckpoint:
        """A snapshot of the resume point: everything yielded so far counts as delivered."""
        active = tuple(w.position(d) for d, w in self._walks.items())
        return attrs.evolve(self._resumed, taken=self._taken, active=active, failed=self.failures)

    def _queue(self) -> list[str]:
        """Earlier failures first, then devices in progress, then the ones not started."""
        return [*self._to_retry, *self._walks, *self._ids[self._resumed.taken :]]

    def _take(self, device_id: str) -> _Walk:
        """Called as a worker takes ``device_id``: it counts as started from now on."""
        walk = self._walks.get(device_id)
        if walk is None:
            failure = self._to_retry.pop(device_id, None)
            start = failure.position if failure else DevicePosition(device_id)
            walk = self._walks[device_id] = _walk_from(start)
            self._taken += failure is None
        return walk

    async def _walk(self, device_id: str) -> AsyncGenerator[_DevicePage, None]:
        start = self._take(device_id)
        cursor, skip, known = start.cursor, start.skip, start.repeats
        pages = Paginator(lambda c: self._fetch(device_id, c), start_cursor=cursor)
        dedupe = Dedupe(self._key)
        async with pages:
            async for page in pages.pages():
                repeats = dedupe.repeats(page.items) | known
                yield _DevicePage(device_id, cursor, page, skip, repeats)
                cursor, skip, known = page.cursor, 0, frozenset()

    async def _outcomes(self) -> AsyncGenerator[_DevicePage, None]:
        """Each device page as it comes; failures set aside or raised."""
        outcomes = fan_out(self._queue(), self._walk, concurrency=self._concurrency)
        async with aclosing(outcomes):
            async for outcome in outcomes:
                if isinstance(outcome, Failure):
                    self._fail(outcome.item, outcome.error)
                else:
                    walk = self._walks[outcome.device_id]
                    walk.cursor, walk.skip = outcome.cursor, outcome.skip
                    walk.repeats = outcome.repeats
                    yield outcome

    def _page_delivered(self, item: _DevicePage) -> None:
        self.pages += 1
        self.duplicates += len(item.repeats)
        if item.page.has_more:
            walk = self._walks[item.device_id]
            walk.cursor, walk.skip, walk.repeats = item.page.cursor, 0, frozenset()
        else:
            del self._walks[item.device_id]
            self._done += 1
        self._report()

    async def _records(self) -> AsyncGenerator[HarvestRecord[T], None]:
        outcomes = self._outcomes()
        async with aclosing(outcomes):
            async for item in outcomes:
                device_id, items = item.device_id, item.page.items
                walk = self._walks[device_id]
                for index in item.fresh():
                    walk.skip = index + 1  # counted as delivered once yielded
                    self.records += 1
                    yield _new(HarvestRecord, (device_id, items[index]))
                self._page_delivered(item)

    async def _pages(self) -> AsyncGenerator[HarvestPage[T], None]:
        outcomes = self._outcomes()
        async with aclosing(outcomes):
            async for item in outcomes:
                items = item.page.items
                records: Sequence[Any] = items[item.skip :] if item.skip else items
                if item.repeats:
                    records = [items[i] for i in item.fresh()]
                self._walks[item.device_id].skip = len(items)
                self.records += len(records)
                yield HarvestPage(item.device_id, records)
                self._page_delivered(item)

    def _fail(self, device_id: str, error: Exception) -> None:
        """Set the device aside (``on_error="skip"``), or raise the error naming it."""
        if isinstance(error, TuyaError):
            error = copy.copy(error).with_traceback(error.__traceback__)
            error.device_id = device_id
        if self._on_error == "raise" or not is_device_error(error):
            raise error
        walk = self._walks.pop(device_id)
        code = error.code if isinstance(error, TuyaAPIError) else None
        message = error.msg if isinstance(error, TuyaAPIError) else str(error)
        position = walk.position(device_id)
        failure = DeviceFailure(device_id, type(error).__name__, code, message, position)
        self._failed[device_id] = failure
        self._report()

    def _report(self) -> None:
        if self._progress is not None:
            stats = self._stats()
            rate = stats.rates.get(self._route)
            self._progress(
                HarvestProgress(
                    self._resumed.devices,
                    self._done,
                    self.records,
                    self.pages,
                    stats.requests,
                    stats.retries,
                    rate.rate if rate else None,
                    rate.throttles if rate else 0,
                    len(self._failed) + len(self._to_retry),
                )
            )


def check_checkpoint(
    checkpoint: HarvestCheckpoint | None,
    device_ids: Sequence[str],
    start_ms: int,
    end_ms: int,
    filter_: str,
) -> HarvestCheckpoint:
    """A fresh checkpoint, or the given one if it belongs to the same devices (in the same
    order), window and filter."""
    fleet = fingerprint(device_ids)
    if checkpoint is None:
        return HarvestCheckpoint(start_ms, end_ms, filter_, fleet, len(device_ids))
    if (checkpoint.start_ms, checkpoint.end_ms, checkpoint.filter) != (start_ms, end_ms, filter_):
        raise TuyaValidationError(
            "the checkpoint belongs to another window or filter; resume with the same "
            "start, end and codes/types (or omit start and end to reuse the checkpoint's)"
        )
    if (checkpoint.fleet, checkpoint.devices) != (fleet, len(device_ids)):
        raise TuyaValidationError(
            "the checkpoint belongs to another list of devices; resume with the same IDs in "
            "the same order"
        )
    return checkpoint
