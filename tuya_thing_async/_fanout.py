"""The one fan-out helper behind bulk details and fleet harvests.

``fan_out(items, work, concurrency=n)`` iterates ``work(item)`` (an async generator) for every
item, ``n`` items at a time, and yields what they produce (and a ``Failure`` for each item
whose work raised). With more than one item in flight, workers run in an anyio task group and
hand results over through a bounded memory object stream, so a slow consumer holds the
workers back instead of letting results pile up. With one item, or ``concurrency=1``, the work
runs in the consumer's own task: no workers, no hand-over.

The task group lives in a runner task of its own, not in the generator: the consumer may be
suspended in its own code, or the generator closed from another task (by the loop's async
generator finaliser), without any cancel scope crossing a ``yield``. Closing the generator
cancels the runner and waits until every worker has ended.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator, Callable, Iterable
from contextlib import aclosing
from typing import Generic, TypeVar

import anyio
import attrs
from anyio.streams.memory import MemoryObjectSendStream

I = TypeVar("I")  # noqa: E741 - the item type
R = TypeVar("R")

Work = Callable[[I], AsyncGenerator[R, None]]


@attrs.frozen
class Failure(Generic[I]):
    """The work for ``item`` raised ``error``; the other items went on."""

    item: I
    error: Exception


async def fan_out(
    items: Iterable[I], work: Work[I, R], *, concurrency: int
) -> AsyncGenerator[R | Failure[I], None]:
    """Yield the work's results (and failures) as they come; see the module docstring."""
    pending = deque(items)
    if concurrency == 1 or len(pending) <= 1:
        async with aclosing(_in_turn(pending, work)) as outcomes:
            async for outcome in outcomes:
                yield outcome
        return
    send, receive = anyio.create_memory_object_stream[R | Failure[I]](max_buffer_size=concurrency)
    runner = asyncio.get_running_loop().create_task(
        _run_workers(pending, work, min(concurrency, len(pending)), send)
    )
    try:
        with receive:
            while True:
                try:  # a result already waiting is taken without a trip through the loop
                    outcome = receive.receive_nowait()
                except anyio.WouldBlock:
                    try:
                        outcome = await receive.receive()
                    except anyio.EndOfStream:
                        break
                except anyio.EndOfStream:
                    break
                yield outcome
        await runner  # surfaces a crash of the runner itself, which would end the stream early
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)


async def _in_turn(pending: deque[I], work: Work[I, R]) -> AsyncGenerator[R | Failure[I], None]:
    """The items one after another, in the consumer's task."""
    while pending:
        item = pending.popleft()
        try:
            async with aclosing(work(item)) as results:
                async for result in results:
                    yield result  # the consumer's own errors never come back in here
        except Exception as exc:  # reported to the consumer, outside this block
            failure = Failure(item, exc)
        else:
            continue
        yield failure


async def _run_workers(
    pending: deque[I], work: Work[I, R], workers: int, send: MemoryObjectSendStream[R | Failure[I]]
) -> None:
    async with send, anyio.create_task_group() as group:
        for _ in range(workers):
            group.start_soon(_worker, pending, work, send.clone())


async def _worker(
    pending: deque[I], work: Work[I, R], send: MemoryObjectSendStream[R | Failure[I]]
) -> None:
    async def emit(result: R | Failure[I]) -> None:
        try:  # room in the buffer: no trip through the event loop
            send.send_nowait(result)
        except anyio.WouldBlock:
            await send.send(result)

    with send:
        while pending:
            item = pending.popleft()
            try:
                async with aclosing(work(item)) as results:
                    async for result in results:
                        await emit(result)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                return  # the consumer has stopped listening
            except Exception as exc:  # reported to the consumer; never CancelledError
                failure = Failure(item, exc)
            else:
                continue
            try:
                await emit(failure)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                return
