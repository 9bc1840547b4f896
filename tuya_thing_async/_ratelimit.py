"""Client-side rate control, per API (route), on the injectable clock.

Tuya limits each API per project per second and publishes no numbers for these endpoints, so
by default no rate is capped until the cloud throttles (1110, 1111, 1199, HTTP 429); only
the requests an API has in flight start at 4 and widen by one per answer (TCP's slow start),
so a job's first round trips cannot flood a low limit. Once the cloud throttles, that
route is paused until a second has passed since the oldest request the cloud accepted in the
last second (so the cloud's window has room again), its rate is set to a share of what the
cloud evidently accepted, and it recovers with CUBIC (the congestion-control curve botocore's
adaptive retry mode uses): quickly back toward the accepted rate, flat around it, then probing
beyond it ever faster. The way back takes at least ``RECOVERY`` seconds: on a slow route the
plain curve returns within a second or two and probes again, and every probe costs throttles.
The margin under the accepted rate is at most a small share of it, so a client with a small
part of a shared limit is not cut further than the others.

CUBIC was chosen over AIMD because its recovery time does not depend on the rate or the
latency (a 10/s route and a 50/s route regain their ceiling within seconds alike), and over
Google SRE's client-side throttling because that one sheds load by refusing requests locally,
which a harvest cannot afford: here nothing is refused, requests only wait their turn.

Waiting requests are served first come, first served by a ``Pacer``, which reads the route's
rate afresh each time a request's turn comes, so a cut applies at once to those already
waiting. A request whose turn would come after its call's deadline is refused at once, having
consumed nothing.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import deque
from collections.abc import Callable, Mapping

import attrs

from .config import Clock

log = logging.getLogger("tuya_thing_async.ratelimit")
#: CUBIC's multiplicative decrease and scaling constant (rates in requests per second).
BETA = 0.8
SCALE = 0.4
#: The lowest rate a throttled route is slowed to (requests per second).
FLOOR = 1.0
#: How far under the accepted rate a throttled route settles (requests per second), at most
#: this share of it: a route with a small share of a shared limit must not lose a large part.
MARGIN = 0.5
MARGIN_SHARE = 0.05
#: Throttles of requests sent this soon after a cut belong to the same episode (seconds).
EPISODE = 1.0
#: The shortest recovery to the last ceiling (seconds): a slow route's CUBIC curve would reach
#: it sooner and probe beyond it every couple of seconds, each probe costing a throttle; and
#: clients sharing a limit that all recover in the same time keep their shares, so the one that
#: was cut most regains most in absolute terms (measured: 10/s routes throttled 4.8% instead of
#: 6-8%; 4 processes on one 25/s limit none below 3.9/s of a 6.25/s share in 5 runs, was 1.9).
RECOVERY = 5.0
#: Requests an API may have in flight at first, and the window at which slow start ends.
SLOW_START = 4
SLOW_START_END = 64


class Pacer:
    """Spaces requests at a rate that may change while they wait, first come first served.

    ``burst`` requests may go back to back after an idle spell; ``hold(t)`` lets none go
    before ``t``.
    """

    def __init__(self, clock: Clock, burst: int = 1) -> None:
        self._clock = clock
        self._burst = burst
        self._next = -math.inf  # the earliest time the next request may go
        self._queue: deque[int] = deque()
        self._tickets = 0

    def hold(self, until: float) -> None:
        self._next = max(self._next, until)

    def _earliest(self, interval: float, now: float) -> float:
        return max(self._next, now - (self._burst - 1) * interval)

    async def wait_turn(self, rate: Callable[[], float | None], deadline: float) -> bool:
        """Wait for this request's turn; False (and no turn taken) if it would come at or
        after ``deadline``."""
        if not self._queue and self._try_go(rate()):
            return True
        ticket, self._tickets = self._tickets, self._tickets + 1
        self._queue.append(ticket)
        try:
            while True:
                per_second, now = rate(), self._clock.monotonic()
                if self._queue[0] == ticket and self._try_go(per_second):
                    return True
                interval = 1.0 / per_second if per_second else 0.0
                turn = self._earliest(interval, now) + (ticket - self._queue[0]) * interval
                if turn >= deadline:
                    return False
                await self._clock.sleep(max(min(turn - now, interval), 0.001))
        finally:
            if self._queue and self._queue[0] == ticket:
                self._queue.popleft()
            elif ticket in self._queue:
                self._queue.remove(ticket)

    def _try_go(self, per_second: float | None) -> bool:
        now = self._clock.monotonic()
        interval = 1.0 / per_second if per_second else 0.0
        earliest = self._earliest(interval, now)
        if now < earliest:
            return False
        self._next = earliest + interval
        return True


class Accepted:
    """When the cloud accepted this route's requests over the last two seconds.

    ``per_second`` averages over two seconds once there is that much history: a one-second
    count can straddle two of the cloud's fixed windows and read up to twice the limit.
    Recording is one append; old entries are dropped when read (or past ``KEEP`` entries).
    """

    SPAN = 2.0
    KEEP = 4096

    def __init__(self) -> None:
        self._times: deque[float] = deque(maxlen=self.KEEP)
        self._since = math.inf

    def add(self, now: float) -> None:
        if not self._times:
            self._since = min(self._since, now)
        self._times.append(now)

    def per_second(self, now: float) -> float:
        """The accepted rate: over two seconds once there is that much history."""
        self._prune(now)
        if now - self._since >= self.SPAN:
            return len(self._times) / self.SPAN
        return float(self.last_second(now))

    def last_second(self, now: float) -> int:
        self._prune(now)
        count = 0
        for t in reversed(self._times):
            if t <= now - 1.0:
                break
            count += 1
        return count

    def oldest(self, now: float) -> float | None:
        """The oldest acceptance within the last second."""
        self._prune(now)
        return next((t for t in self._times if t > now - 1.0), None)

    def _prune(self, now: float) -> None:
        while self._times and self._times[0] <= now - self.SPAN:
            self._times.popleft()


class Cubic:
    """The adaptive rate of one route: None (no cap) until the first throttle."""

    def __init__(self) -> None:
        self.rate: float | None = None
        self._w_max = 0.0
        self._w_cut = 0.0
        self._k = 0.0
        self._cut_at = -math.inf

    def throttled(self, now: float, sent_at: float, accepted: float) -> bool:
        """A throttle answer to a request sent at ``sent_at``, when the cloud accepted
        ``accepted`` per second lately; True if it cut the rate. One cut per episode:
        requests sent before the last cut, or within the second after it (while the cloud's
        window may still be full), say nothing new."""
        if sent_at < self._cut_at + EPISODE:
            return False
        # aim just under what was accepted: evenly spaced requests at exactly that rate can
        # put one more into a fixed one-second window
        ceiling = max(accepted - min(MARGIN, accepted * MARGIN_SHARE), FLOOR)
        if ceiling < self._w_max:  # losing ground to others: yield some more (fast convergence)
            ceiling = max(ceiling * (1.0 + BETA) / 2.0, FLOOR)
        self._w_max = ceiling
        self._w_cut = max(ceiling * BETA, FLOOR)
        self._k = max((ceiling * (1.0 - BETA) / SCALE) ** (1.0 / 3.0), RECOVERY)
        self._cut_at = now
        self.rate = self._w_cut
        return True

    def succeeded(self, now: float, accepted: float) -> None:
        if self.rate is not None:
            elapsed = now - self._cut_at
            if elapsed < self._k:  # concave: back to the last ceiling at K (CUBIC's shape)
                gap = self._w_max - self._w_cut
                grown = self._w_max - gap * (1.0 - elapsed / self._k) ** 3
            else:  # convex: probing beyond it, by CUBIC's absolute growth
                grown = SCALE * (elapsed - self._k) ** 3 + self._w_max
            # probing beyond the last ceiling only while the route uses what it has
            self.rate = max(min(grown, max(self._w_max, 2.0 * accepted)), FLOOR)


@attrs.frozen
class RouteRate:
    """One API's rate control as ``tuya.stats.rates`` shows it."""

    #: The requests per second the client currently allows (None: no cap).
    rate: float | None
    #: Throttle answers received on this route.
    throttles: int
    #: Requests sent on this route.
    requests: int


class _Route:
    def __init__(self, ceiling: float | None, adaptive: bool, clock: Clock) -> None:
        self.ceiling = ceiling
        self.cubic = Cubic() if adaptive else None
        self.accepted = Accepted()
        self.pacer = Pacer(clock)
        self.throttles = self.requests = 0
        # slow start: requests in flight may double per round trip until the first throttle
        self.window: int | None = SLOW_START if adaptive else None
        self.in_flight = 0
        self.room = asyncio.Event()

    def rate(self) -> float | None:
        adaptive = self.cubic.rate if self.cubic else None
        if adaptive is None or self.ceiling is None:
            return adaptive if self.ceiling is None else self.ceiling
        return min(adaptive, self.ceiling)

    async def wait_for_room(self) -> None:
        while self.window is not None and self.in_flight >= self.window:
            self.room.clear()
            await self.room.wait()

    def grow(self, throttled: bool) -> None:
        """Slow start: one more request in flight per success; over at the first throttle
        (the adaptive rate takes over) or once the window is wide."""
        if self.window is not None:
            self.window = None if throttled or self.window >= SLOW_START_END else self.window + 1
            self.room.set()


class RateControl:
    """Every route's rate of one client (= one cloud project), plus an overall ceiling."""

    def __init__(
        self,
        clock: Clock,
        *,
        adaptive: bool = True,
        limits: Mapping[str, float] | None = None,
        overall: float | None = None,
        burst: int = 1,
    ) -> None:
        self._clock = clock
        self._adaptive = adaptive
        self._limits = dict(limits or {})
        self._overall = None if overall is None else Pacer(clock, burst)
        self._overall_rate = overall
        self._routes: dict[str, _Route] = {}

    def _route(self, key: str) -> _Route:
        route = self._routes.get(key)
        if route is None:
            route = _Route(self._limits.get(key), self._adaptive, self._clock)
            self._routes[key] = route
        return route

    def take_now(self, key: str) -> bool:
        """Take a turn on ``key`` without waiting, if nothing stands in the way (the common
        case: no cap, room in flight); False means ``wait_turn`` must decide."""
        route = self._routes.get(key)
        if route is None or self._overall is not None or route.rate() is not None:
            return False
        if route.window is not None and route.in_flight >= route.window:
            return False
        route.requests += 1
        route.in_flight += 1
        return True

    async def wait_turn(self, key: str, deadline: float) -> bool:
        """Wait until a request may go on route ``key``; False if not before ``deadline``
        (then nothing is consumed on the route). A True must be followed by ``release``."""
        route = self._route(key)
        await route.wait_for_room()
        if route.rate() is not None and not await route.pacer.wait_turn(route.rate, deadline):
            return False
        if self._overall is not None:
            overall = self._overall_rate
            if not await self._overall.wait_turn(lambda: overall, deadline):
                return False
        route.requests += 1
        route.in_flight += 1
        return True

    def release(self, key: str) -> None:
        """The request that took a turn on ``key`` is over (answered or not)."""
        route = self._routes[key]
        route.in_flight -= 1
        route.room.set()

    def answered(self, key: str, sent_at: float, *, throttled: bool) -> None:
        """Feed one answer (to a request sent at monotonic ``sent_at``) into the route."""
        route, now = self._route(key), self._clock.monotonic()
        route.grow(throttled)
        if not throttled:
            route.accepted.add(now)
            if route.cubic is not None and route.cubic.rate is not None:
                route.cubic.succeeded(now, route.accepted.last_second(now))
            return
        route.throttles += 1
        accepted = route.accepted.per_second(now)
        if route.cubic is not None and route.cubic.throttled(now, sent_at, accepted):
            log.info(
                "%s throttled: rate cut to %.2f/s",
                *(key, route.cubic.rate),
                extra={"tuya_route": key, "tuya_rate": route.cubic.rate},
            )
            oldest = route.accepted.oldest(now)
            # wait until the cloud's last second of accepted requests has passed
            route.pacer.hold(now if oldest is None else oldest + 1.0)

    def snapshot(self) -> dict[str, RouteRate]:
        """Each route's current state, by route key (``"GET /v2.0/cloud/thing/{device_id}"``)."""
        return {
            key: RouteRate(route.rate(), route.throttles, route.requests)
            for key, route in self._routes.items()
        }
