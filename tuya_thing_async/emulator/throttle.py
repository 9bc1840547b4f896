"""Frequency control as Tuya applies it: per project, per API, per second (answered 1199)."""

from __future__ import annotations

from collections.abc import Mapping

#: The key of a ``qps`` mapping that applies to every API without an entry of its own.
EVERY_API = "*"

QPS = float | Mapping[str, float] | None


def limit_for(qps: QPS, route: str) -> float | None:
    """The requests per second allowed on ``route`` ("GET /v2.0/cloud/thing/{device_id}")."""
    if qps is None or isinstance(qps, int | float):
        return qps
    return qps.get(route, qps.get(EVERY_API))


class Throttle:
    """Counts each API's requests in fixed one-second windows."""

    def __init__(self) -> None:
        self._windows: dict[str, tuple[int, int]] = {}  # route -> (second, requests in it)

    def admit(self, qps: QPS, route: str, now: float) -> bool:
        """Count one request on ``route`` at ``now`` (seconds); False when it is over the
        route's limit."""
        limit = limit_for(qps, route)
        if limit is None:
            return True
        second = int(now)
        window, count = self._windows.get(route, (second, 0))
        if window != second:
            count = 0
        if count >= limit:
            self._windows[route] = (second, count)
            return False
        self._windows[route] = (second, count + 1)
        return True
