"""Pure retry decisions: what to do after an attempt failed.

``decide`` classifies an error for a call whose repetition is safe or not; ``backoff`` computes
a full-jitter wait; ``RetryQuota`` is a client-wide retry budget in the style of botocore's.
Token errors and clock skew are not retried here: the pipeline's fix-up layer renews the token
or resyncs the clock once, within the same attempt.

A non-idempotent call (factory reset, firmware start) is repeated only when the failure proves
the request was not processed: no connection was made, or the cloud throttled it. Any failure
after the request went out (a dropped connection, a damaged answer, a 5xx, even one with
``Retry-After``) means the outcome is unknown.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

import attrs

from .errors import (
    TuyaConnectError,
    TuyaError,
    TuyaProtocolError,
    TuyaRateLimitError,
    TuyaResponseTooLargeError,
    TuyaServerError,
    TuyaTLSError,
    TuyaTransportError,
)


class Action(enum.Enum):
    RAISE = "raise"
    RETRY = "retry"
    #: The request may have run and must not be repeated: raise "outcome unknown".
    OUTCOME_UNKNOWN = "outcome_unknown"


class Kind(enum.Enum):
    THROTTLE = "throttle"
    TRANSIENT = "transient"


@attrs.frozen
class Decision:
    action: Action
    kind: Kind = Kind.TRANSIENT
    base: float = 0.1
    cap: float = 5.0
    #: Longest retries this class may use (malformed bodies get one retry only).
    max_attempts: int | None = None
    retry_after: float | None = None


RAISE = Decision(Action.RAISE)
UNKNOWN = Decision(Action.OUTCOME_UNKNOWN)

#: Cost of a retry against the quota, and the quota's start (botocore's numbers).
THROTTLE_COST = 5
TRANSIENT_COST = 14


def decide(error: TuyaError, *, idempotent: bool) -> Decision:
    """Classify ``error`` for a call whose repetition is (or is not) safe."""
    if isinstance(error, TuyaTLSError):
        return RAISE
    if isinstance(error, TuyaConnectError):
        return Decision(Action.RETRY, base=0.1, cap=5.0)  # nothing was sent: always safe
    if isinstance(error, TuyaTransportError):  # reset or read timeout after sending
        return Decision(Action.RETRY, base=0.1, cap=5.0) if idempotent else UNKNOWN
    if isinstance(error, TuyaProtocolError):  # answered, but not with a readable envelope
        if not idempotent:
            return UNKNOWN
        if isinstance(error, TuyaResponseTooLargeError):
            return RAISE
        if error.http_status is not None and error.http_status >= 500:
            return Decision(Action.RETRY, base=0.1, cap=20.0)
        return Decision(Action.RETRY, base=0.1, cap=5.0, max_attempts=2)
    if isinstance(error, TuyaRateLimitError):  # rejected before processing: always safe
        return Decision(
            Action.RETRY, Kind.THROTTLE, base=1.0, cap=20.0, retry_after=error.retry_after
        )
    if isinstance(error, TuyaServerError):
        if not idempotent:
            return UNKNOWN
        return Decision(Action.RETRY, base=0.1, cap=20.0, retry_after=error.retry_after)
    return RAISE


def backoff(decision: Decision, retry_index: int, rng: Callable[[], float]) -> float:
    """Full jitter: ``rng() * min(cap, base * 2**retry_index)``; a ``Retry-After`` hint is
    honoured as ``max(t, min(hint, t + 5))`` as botocore does."""
    wait: float = rng() * min(decision.cap, decision.base * 2.0**retry_index)
    if decision.retry_after is not None:
        wait = max(wait, min(decision.retry_after, wait + 5.0))
    return wait


class RetryQuota:
    """A client-wide retry budget: retries spend tokens, successes refund them."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.available = capacity

    def acquire(self, kind: Kind) -> int | None:
        """Spend the cost of one retry; None when the budget cannot pay for it."""
        cost = THROTTLE_COST if kind is Kind.THROTTLE else TRANSIENT_COST
        if cost > self.available:
            return None
        self.available -= cost
        return cost

    def release(self, spent: int) -> None:
        """Refund after a success: the last retry's cost, or 1 for a first-try success."""
        self.available = min(self.capacity, self.available + max(spent, 1))
