"""Bulk device details: any number of IDs, 20 per request, a bounded number of batches in flight.

A small pool of worker tasks pulls batches and reports each batch's outcome on a queue. The
consumer never yields while holding a lock, limiter slot or task group; on ``break``,
cancellation or a fail-fast error every worker is cancelled and awaited before control returns.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from contextlib import aclosing

import attrs

from ._tasks import next_from, stop
from .errors import TuyaBulkError, TuyaError
from .models import Device

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


Outcome = tuple[tuple[str, ...], list[Device] | TuyaError]


async def run_batches(
    ids: Sequence[str], fetch: FetchBatch, *, concurrency: int, mode: BulkMode
) -> AsyncGenerator[Outcome, None]:
    """Yield ``(batch_ids, devices or error)`` as batches complete.

    In fail-fast mode the first error cancels the remaining batches and raises
    ``TuyaBulkError``; in partial mode errors are yielded like results.
    """
    pending = batches(ids)
    outcomes: asyncio.Queue[Outcome] = asyncio.Queue()

    async def worker() -> None:
        while pending:
            batch = pending.pop(0)
            try:
                found: list[Device] | TuyaError = await fetch(batch)
            except TuyaError as exc:
                found = exc
            outcomes.put_nowait((batch, found))

    total = len(pending)
    workers = [asyncio.create_task(worker()) for _ in range(min(concurrency, total))]
    try:
        for _ in range(total):
            batch, found = await next_from(outcomes, workers)
            if isinstance(found, TuyaError) and mode is BulkMode.FAIL_FAST:
                raise TuyaBulkError(f"batch of {len(batch)} device IDs failed", [found])
            yield batch, found
    finally:
        await stop(workers)


async def collect(
    ids: Sequence[str], fetch: FetchBatch, *, concurrency: int, mode: BulkMode
) -> BulkResult:
    """Run every batch and assemble a ``BulkResult`` in input order."""
    by_id: dict[str, Device] = {}
    failures: list[BatchFailure] = []
    failed: set[str] = set()
    outcomes = run_batches(ids, fetch, concurrency=concurrency, mode=mode)
    async with aclosing(outcomes):
        async for batch, found in outcomes:
            if isinstance(found, TuyaError):
                failures.append(BatchFailure(batch, found))
                failed.update(batch)
            else:
                wanted = set(batch)
                by_id.update((d.id, d) for d in found if d.id in wanted)
    devices = tuple(by_id[i] for i in ids if i in by_id)
    missing = tuple(i for i in ids if i not in by_id and i not in failed)
    order = {i: n for n, i in enumerate(ids)}
    failures.sort(key=lambda f: order[f.ids[0]])
    return BulkResult(devices, missing, tuple(failures))
