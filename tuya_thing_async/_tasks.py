"""Worker-pool plumbing shared by bulk fan-out and fleet harvest."""

from __future__ import annotations

import asyncio
from typing import TypeVar

Q = TypeVar("Q")


async def next_from(queue: asyncio.Queue[Q], workers: list[asyncio.Task[None]]) -> Q:
    """The next item of ``queue``; re-raises a worker's exception instead of waiting forever."""
    while True:
        if not queue.empty():
            return queue.get_nowait()
        for task in workers:
            if task.done() and not task.cancelled():
                error = task.exception()
                if error is not None:
                    raise error
        getter = asyncio.ensure_future(queue.get())
        alive = [w for w in workers if not w.done()]
        try:
            await asyncio.wait([getter, *alive], return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not getter.done():
                getter.cancel()
                await asyncio.gather(getter, return_exceptions=True)
        if not getter.cancelled():
            return getter.result()


async def stop(workers: list[asyncio.Task[None]]) -> None:
    """Cancel the workers and wait until every one has finished."""
    for task in workers:
        task.cancel()
    await asyncio.gather(*workers, return_exceptions=True)
