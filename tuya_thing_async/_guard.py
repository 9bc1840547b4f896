"""Stop switches for the calls in flight.

Each call runs inside an ``asyncio.Timeout`` that is entered unarmed: no timer per call (a
timer costs a heap push and a cancel on every request). One timer per client stops the calls
that outlive their deadline by the grace, the guard of last resort behind the deadline every
layer already honours, and ``stop_all`` stops every call at once (``aclose``). A stopped call
sees ``TimeoutError`` from its guard, and asyncio's own bookkeeping keeps a cancellation from
outside intact.
"""

from __future__ import annotations

import asyncio


class CallGuards:
    """The guards of one client's calls in flight, by the loop time each must be over."""

    def __init__(self) -> None:
        self._due: dict[asyncio.Timeout, float] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._idle = asyncio.Event()
        self._idle.set()

    def watch(self, guard: asyncio.Timeout, seconds: float) -> None:
        """Stop the call in ``guard`` (entered, unarmed) if it is still running in ``seconds``."""
        loop = asyncio.get_running_loop()
        due = loop.time() + seconds
        self._due[guard] = due
        self._idle.clear()
        if self._timer is None or self._timer.when() > due:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = loop.call_at(due, self._expire)

    def forget(self, guard: asyncio.Timeout) -> None:
        """The call in ``guard`` is over (before the guard is exited)."""
        del self._due[guard]
        if not self._due:
            self._idle.set()

    def stop_all(self) -> None:
        """Stop every call in flight now."""
        now = asyncio.get_running_loop().time()
        for guard in self._due:
            if not guard.expired():  # an expired one is ending its call already
                guard.reschedule(now)

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
        for guard, due in self._due.items():
            if due > now:
                later.append(due)
            elif not guard.expired():
                guard.reschedule(now)
        if later:
            self._timer = loop.call_at(min(later), self._expire)
