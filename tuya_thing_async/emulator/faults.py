"""Fault injection: what the next N calls to a route should suffer instead of a normal answer."""

from __future__ import annotations

import enum
import random
from collections import deque

import attrs


class FaultKind(enum.Enum):
    CODE = "code"  # a Tuya error envelope with this code (HTTP 200)
    HTTP = "http"  # an HTTP error status (5xx, 429) with a short non-JSON body
    DROP = "drop"  # close the connection before processing the request
    DROP_AFTER = "drop_after"  # process the request, then close without answering
    MALFORMED = "malformed"  # a 2xx answer whose body is not a valid envelope
    MALFORMED_AFTER = "malformed_after"  # process the request, then answer like MALFORMED
    TRUNCATED = "truncated"  # a valid answer cut off mid-body (Content-Length larger)
    STALL = "stall"  # wait this many (real) seconds, then answer normally


MALFORMED_VARIANTS = (
    "html",
    "empty",
    "truncated_json",
    "text_plain",
    "invalid_utf8",
    "deep",
    "oversized",
)


@attrs.frozen
class Fault:
    """One injected fault. Build it with the class methods."""

    kind: FaultKind
    code: int = 0
    status: int = 500
    seconds: float = 0.0
    variant: str = ""
    retry_after: float | None = None

    @classmethod
    def error(cls, code: int) -> Fault:
        """Answer with Tuya error ``code`` (e.g. 1199, 1010, 500, 28841107) at HTTP 200."""
        return cls(FaultKind.CODE, code=code)

    @classmethod
    def http(cls, status: int, *, retry_after: float | None = None) -> Fault:
        """Answer with HTTP ``status`` (e.g. 429, 500, 502, 503) and an HTML body."""
        return cls(FaultKind.HTTP, status=status, retry_after=retry_after)

    @classmethod
    def drop(cls, *, after_processing: bool = False) -> Fault:
        """Close the connection without answering, before or after doing the work."""
        return cls(FaultKind.DROP_AFTER if after_processing else FaultKind.DROP)

    @classmethod
    def malformed(cls, variant: str = "truncated_json", *, after_processing: bool = False) -> Fault:
        """A 2xx answer that is not a valid envelope (see ``MALFORMED_VARIANTS``), instead of
        doing the work or after doing it."""
        if variant not in MALFORMED_VARIANTS:
            raise ValueError(f"variant must be one of {MALFORMED_VARIANTS}")
        kind = FaultKind.MALFORMED_AFTER if after_processing else FaultKind.MALFORMED
        return cls(kind, variant=variant, status=502 if variant == "html" else 200)

    @classmethod
    def truncated(cls) -> Fault:
        """Start a valid answer, then close the connection mid-body."""
        return cls(FaultKind.TRUNCATED)

    @classmethod
    def stall(cls, seconds: float) -> Fault:
        """Hold the request ``seconds`` of real time before answering."""
        return cls(FaultKind.STALL, seconds=seconds)


class FaultQueue:
    """Per-route queues of faults, plus an optional random fault rate (for soak tests).

    Routes are keys like ``"GET /v2.0/cloud/thing/{device_id}"``; ``"*"`` matches every route.
    """

    def __init__(self) -> None:
        self._queues: dict[str, deque[Fault]] = {}
        self._random_rate = 0.0
        self._random_faults: tuple[Fault, ...] = ()
        self._rng = random.Random(0)
        self.injected = 0

    def add(self, route: str, fault: Fault, times: int = 1) -> None:
        self._queues.setdefault(route, deque()).extend([fault] * times)

    def set_random(self, rate: float, faults: tuple[Fault, ...], seed: int = 0) -> None:
        """Hit ``rate`` (0..1) of business calls with a fault drawn from ``faults``."""
        self._random_rate, self._random_faults = rate, faults
        self._rng = random.Random(seed)

    def clear(self) -> None:
        self._queues.clear()
        self._random_rate = 0.0

    def take(self, route: str, business: bool) -> Fault | None:
        for key in (route, "*"):
            queue = self._queues.get(key)
            if queue:
                self.injected += 1
                return queue.popleft()
        if business and self._random_faults and self._rng.random() < self._random_rate:
            self.injected += 1
            return self._rng.choice(self._random_faults)
        return None
