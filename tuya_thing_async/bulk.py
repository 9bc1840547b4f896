"""Bulk device details: any number of IDs, 20 per request, a bounded number of batches in flight.

Batches run through the shared fan-out helper; the consumer never yields while holding a
limiter slot or task group, and on ``break``, cancellation or a fail-fast error every batch
still running is cancelled and awaited before control returns. Errors that are not about one
batch but about the whole job (``errors.is_job_wide``: the client was closed or used from another
event loop, credentials, region, API access, quota) are raised as themselves.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from contextlib import aclosing
from operator import attrgetter

import attrs

from ._fanout import Failure, fan_out
from .errors import TuyaBulkError, TuyaError, is_job_wide
from .models import Device
from .pagination import OneShotStream

#: Tuya's limit of device IDs per ``GET /v2.0/cloud/thing/batch`` request.
BATCH_SIZE = 20

FetchBatch = Callable[[Sequence[str]], Awaitable[list[Device]]]


class BulkMode(enum.Enum):
    """``FAIL_FAST`` cancels the other batches on the first failure; ``PARTIAL`` finishes them."""

    FAIL_FAST = "fail_fast"
    PARTIAL = "partial"


@attrs.frozen
class BatchFailure:
    """One failed batch: the IDs it covered and why it failed."""

    ids: tuple[str, ...]
    error: TuyaError


@attrs.frozen
class BulkResult:
    """Outcome of ``devices.get_many``, per ID.

    ``devices`` are the found devices in input order; ``missing`` the IDs the cloud did not
    return (unknown, deleted or not in this project); ``errors`` the failed batches.
    """

    devices: tuple[Device, ...]
    missing: tuple[str, ...]
    errors: tuple[BatchFailure, ...]

    @property
    def failed_ids(self) -> tuple[str, ...]:
        return tuple(i for failure in self.errors for i in failure.ids)

    def raise_for_errors(self) -> None:
        """Raise ``TuyaBulkError`` (an ``ExceptionGroup``) if any batch failed."""
        if self.errors:
            raise TuyaBulkError(
                f"{len(self.errors)} batch(es) covering {len(self.failed_ids)} device IDs failed",
                [f.error for f in self.errors],
            )


def batches(ids: Sequence[str], size: int = BATCH_SIZE) -> list[tuple[str, ...]]:
    return [tuple(ids[i : i + size]) for i in range(0, len(ids), size)]


@attrs.frozen
class BatchOutcome:
    """What one batch request returned (devices it asked for, each once), or its error."""

    ids: tuple[str, ...]
    found: dict[str, Device] | TuyaError


async def run_batches(
    ids: Sequence[str], fetch: FetchBatch, *, concurrency: int, mode: BulkMode
) -> AsyncGenerator[BatchOutcome, None]:
    """Yield each batch's outcome as it completes.

    In fail-fast mode the first error cancels the remaining batches and raises
    ``TuyaBulkError``; in partial mode errors are yielded like results.
    """

    async def work(batch: tuple[str, ...]) -> AsyncGenerator[BatchOutcome, None]:
        yield BatchOutcome(batch, _each_once(await fetch(batch), batch))

    outcomes = fan_out(batches(ids), work, concurrency=concurrency)
    async with aclosing(outcomes):
        async for outcome in outcomes:
            if isinstance(outcome, Failure):
                yield BatchOutcome(outcome.item, _failed(outcome.item, outcome.error, mode))
            else:
                yield outcome


def _failed(batch: tuple[str, ...], error: Exception, mode: BulkMode) -> TuyaError:
    """A failed batch's error to record (partial mode); raises the error to fail with."""
    if not isinstance(error, TuyaError) or is_job_wide(error):
        raise error
    if mode is BulkMode.FAIL_FAST:
        raise TuyaBulkError(f"batch of {len(batch)} device IDs failed", [error])
    return error


_device_id = attrgetter("id")


def _each_once(devices: list[Device], batch: tuple[str, ...]) -> dict[str, Device]:
    """The devices the batch asked for by ID, in the batch's order, each once (the cloud may
    repeat an entry: the first one counts)."""
    if tuple(map(_device_id, devices)) == batch:  # the usual answer: each once, in order
        return dict(zip(batch, devices, strict=True))
    first = {device.id: device for device in reversed(devices)}
    return {i: first[i] for i in batch if i in first}


class DeviceStream(OneShotStream):
    """``devices.iter_many``: devices as their batches complete; an async context manager.

    In partial mode, failed batches are raised together as ``TuyaBulkError`` after every
    device of the successful batches has been yielded.
    """

    def __init__(
        self, ids: Sequence[str], fetch: FetchBatch, *, concurrency: int, mode: BulkMode
    ) -> None:
        self._ids, self._fetch, self._concurrency, self._mode = ids, fetch, concurrency, mode

    def __aiter__(self) -> AsyncIterator[Device]:
        return self._start(self._devices())

    async def _devices(self) -> AsyncGenerator[Device, None]:
        errors: list[TuyaError] = []
        outcomes = run_batches(
            self._ids, self._fetch, concurrency=self._concurrency, mode=self._mode
        )
        async with aclosing(outcomes):
            async for outcome in outcomes:
                if isinstance(outcome.found, TuyaError):
                    errors.append(outcome.found)
                else:
                    for device in outcome.found.values():
                        yield device
        if errors:
            raise TuyaBulkError(f"{len(errors)} batch(es) failed", errors)


async def collect(
    ids: Sequence[str], fetch: FetchBatch, *, concurrency: int, mode: BulkMode
) -> BulkResult:
    """Run every batch and assemble a ``BulkResult`` in input order."""
    if len(ids) <= BATCH_SIZE:
        return await _collect_one(tuple(ids), fetch, mode)
    by_id: dict[str, Device] = {}
    failures: list[BatchFailure] = []
    failed: set[str] = set()
    outcomes = run_batches(ids, fetch, concurrency=concurrency, mode=mode)
    async with aclosing(outcomes):
        async for outcome in outcomes:
            if isinstance(outcome.found, TuyaError):
                failures.append(BatchFailure(outcome.ids, outcome.found))
                failed.update(outcome.ids)
            else:
                by_id.update(outcome.found)
    devices = tuple(by_id[i] for i in ids if i in by_id)
    missing = tuple(i for i in ids if i not in by_id and i not in failed)
    order = {i: n for n, i in enumerate(ids)}
    failures.sort(key=lambda f: order[f.ids[0]])
    return BulkResult(devices, missing, tuple(failures))


async def _collect_one(batch: tuple[str, ...], fetch: FetchBatch, mode: BulkMode) -> BulkResult:
    """One request (the usual bot call): ``run_batches`` would run it in the caller's task
    too, but through four generator layers that cost about 12 us more per call."""
    try:
        devices = await fetch(batch)
    except Exception as error:  # handled below, outside this block: nothing chained
        failure = error
    else:
        found = _each_once(devices, batch)
        missing = tuple(i for i in batch if i not in found) if len(found) < len(batch) else ()
        return BulkResult(tuple(found.values()), missing, ())
    return BulkResult((), (), (BatchFailure(batch, _failed(batch, failure, mode)),))
