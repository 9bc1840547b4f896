"""Client-side request-rate limiting: one token bucket per client, on the injectable clock."""

from __future__ import annotations

import asyncio

from .config import Clock


class TokenBucket:
    """Allows ``rate`` requests per second on average and ``burst`` at once; FIFO for waiters."""

    def __init__(self, rate: float, burst: int, clock: Clock) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._stamp = clock.monotonic()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._clock.monotonic()
        self._tokens = min(float(self.burst), self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    async def acquire(self) -> None:
        """Wait until a request may be sent, then take one token."""
        async with self._lock:
            self._refill()
            while self._tokens < 1.0:
                await self._clock.sleep((1.0 - self._tokens) / self.rate)
                self._refill()
            self._tokens -= 1.0
