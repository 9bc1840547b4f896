"""The pure retry decision table, backoff and the retry quota."""

from __future__ import annotations

import pytest

from tuya_thing_async._retry import (
    Action,
    Kind,
    RetryQuota,
    backoff,
    decide,
)
from tuya_thing_async.errors import (
    TuyaConnectError,
    TuyaError,
    TuyaProtocolError,
    TuyaResponseTooLargeError,
    TuyaTimeoutError,
    TuyaTLSError,
    TuyaTransportError,
    error_for_code,
)
from tuya_thing_async.errors import TuyaServerError as Srv

R, X, U = Action.RETRY, Action.RAISE, Action.OUTCOME_UNKNOWN
CASES: list[tuple[str, TuyaError, Action, Action]] = [
    # (name, error, action for idempotent calls, action for non-idempotent calls).
    # Token codes and 1013 are fixed once by the pipeline's fix-up layer, never retried here.
    # A non-idempotent call is repeated only when the request provably did not run.
    ("connect", TuyaConnectError("x"), R, R),
    ("tls", TuyaTLSError("x"), X, X),
    ("reset", TuyaTransportError("x"), R, U),
    ("read timeout", TuyaTimeoutError("x"), R, U),
    ("http 429", error_for_code(429, "", http_status=429), R, R),
    ("1110", error_for_code(1110, ""), R, R),
    ("1111", error_for_code(1111, ""), R, R),
    ("1199", error_for_code(1199, ""), R, R),
    ("http 500", Srv(500, "", http_status=500), R, U),
    ("http 502", Srv(502, "", http_status=502), R, U),
    ("http 503 retry-after", Srv(503, "", http_status=503, retry_after=1), R, U),
    ("code 500", error_for_code(500, ""), R, U),
    ("1112", error_for_code(1112, ""), R, U),
    ("1010", error_for_code(1010, ""), X, X),
    ("1011", error_for_code(1011, ""), X, X),
    ("1012", error_for_code(1012, ""), X, X),
    ("1400", error_for_code(1400, ""), X, X),
    ("1013", error_for_code(1013, ""), X, X),
    ("malformed 2xx", TuyaProtocolError("x", http_status=200), R, U),
    ("html 502", TuyaProtocolError("x", http_status=502), R, U),
    ("too large", TuyaResponseTooLargeError("x", http_status=200), X, U),
    *[
        (str(code), error_for_code(code, ""), X, X)
        for code in (1004, 1100, 1106, 1109, 1113, 2003, 28841004, 28841107, 40000309)
    ],
]


@pytest.mark.parametrize(
    ("error", "idem", "unsafe"), [pytest.param(*case[1:], id=case[0]) for case in CASES]
)
def test_classification(error: TuyaError, idem: Action, unsafe: Action) -> None:
    assert decide(error, idempotent=True).action is idem
    assert decide(error, idempotent=False).action is unsafe


def test_throttle_backoff_is_full_jitter_base_1_cap_20() -> None:
    d = decide(error_for_code(1199, ""), idempotent=True)
    assert d.kind is Kind.THROTTLE
    assert [backoff(d, i, lambda: 1.0) for i in range(6)] == [1, 2, 4, 8, 16, 20]
    assert backoff(d, 3, lambda: 0.5) == 4


def test_retry_after_is_honoured_up_to_plus_5_seconds() -> None:
    d = decide(error_for_code(429, "", http_status=429, retry_after=4), idempotent=True)
    assert backoff(d, 0, lambda: 1.0) == 4
    d = decide(error_for_code(429, "", http_status=429, retry_after=60), idempotent=True)
    assert backoff(d, 0, lambda: 1.0) == 6


def test_quota_allows_35_transient_retries_then_refills_by_successes() -> None:
    quota = RetryQuota(500)
    spent = [quota.acquire(Kind.TRANSIENT) for _ in range(40)]
    assert sum(c is not None for c in spent) == 35
    assert quota.acquire(Kind.TRANSIENT) is None
    for _ in range(35):
        quota.release(0)
    assert quota.available == 500 - 35 * 14 + 35
    quota.release(10_000)
    assert quota.available == 500
