"""Client-side request-rate limiting on the injectable clock.

``RateLimit`` is the generic cell-rate algorithm (GCRA): a reservation moves a "theoretical
arrival time" forward by ``1 / rate``, and ``burst`` requests may run ahead of it. It needs no
lock, serves waiters in reservation order, and can refuse a wait that would end past a
deadline without consuming any capacity.
"""

from __future__ import annotations

from .config import Clock


class RateLimit:
    """``rate`` requests per second on average, ``burst`` at once."""

    def __init__(self, rate: float, burst: int, clock: Clock) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tat = clock.monotonic()  # theoretical arrival time of the next request

    def reserve(self, deadline: float) -> float | None:
        """Reserve a send time; return the seconds to wait for it, or None (nothing consumed)
        when the wait would end after ``deadline``."""
        now = self._clock.monotonic()
        interval = 1.0 / self.rate
        tat = max(self._tat, now)
        wait = max(0.0, tat - (self.burst - 1) * interval - now)
        if now + wait > deadline:
            return None
        self._tat = tat + interval
        return wait
