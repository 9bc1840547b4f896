"""Stop switches for the calls in flight.

Each call registers its task and the loop time by which it must be over: no timer and no
context manager per call (``asyncio.timeout`` would cost about 2 us on every call). One timer
per client stops the calls that outlive their deadline by the grace, the guard of last resort
behind the deadline every layer already honours, and ``stop_all`` stops every call at once
(``aclose``). A guard stops its call by cancelling the task; when the call is over, ``forget``
withdraws that cancellation as ``asyncio.timeout`` does, so a cancellation from outside still
reaches the caller as ``CancelledError``.
"""

from __future__ import annotations

import asyncio
from typing import Any


class Guard:
    """One call's stop switch: its task, the loop time it must be over by, and whether the
    guard stopped it."""

    __slots__ = ("cancelling", "due", "stopped", "task")

    def __init__(self, task: asyncio.Task[Any], due: float) -> None:
        self.task, self.due, self.stopped = task, due, False
        #: Cancellations of the task requested before the call started (not the guard's).
        self.cancelling = task.cancelling()

    def stop(self) -> None:
        if not self.stopped:
            self.stopped = True
            self.task.cancel()


class CallGuards:
    """The guards of one client's calls in flight."""

    def __init__(self) -> None:
        self._guards: set[Guard] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._idle = asyncio.Event()
        self._idle.set()

    def watch(self, seconds: float) -> Guard:
        """Guard the running task's call: stop it if it is still running in ``seconds``."""
        loop = asyncio.get_running_loop()
        task = asyncio.current_task(loop)
        if task is None:
            raise RuntimeError("a TuyaClient call must run in an asyncio task")
        guard = Guard(task, loop.time() + seconds)
        self._guards.add(guard)
        self._idle.clear()
        if self._timer is None or self._timer.when() > guard.due:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = loop.call_at(guard.due, self._expire)
        return guard

    def forget(self, guard: Guard) -> bool:
        """The guarded call is over. True when the guard stopped it and nothing else cancelled
        the task meanwhile: its ``CancelledError`` is then the guard's to turn into an error."""
        self._guards.discard(guard)
        if not self._guards:
            self._idle.set()
        return guard.stopped and guard.task.uncancel() <= guard.cancelling

    def stop_all(self) -> None:
        """Stop every call in flight now."""
        for guard in self._guards:
            guard.stop()

    async def wait_idle(self) -> None:
        """Until no call is in flight."""
        await self._idle.wait()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expire(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        self._timer = None
        later = []
        for guard in self._guards:
            if guard.due > now:
                later.append(guard.due)
            else:
                guard.stop()
        if later:
            self._timer = loop.call_at(min(later), self._expire)
