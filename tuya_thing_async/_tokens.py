"""Access-token lifecycle: grant, proactive refresh, single-flight renewal (policy §4).

Tuya refresh tokens are single-use, so exactly one refresh may be in flight: every caller that
needs a new token awaits the same shielded task. A caller that saw a token error with an older
generation than the current one simply uses the newer token.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import quote

import attrs

from ._protocol import TOKEN_GRANT, TOKEN_REFRESH, Envelope, Route
from ._signing import Query
from .config import Clock
from .errors import TuyaError, TuyaProtocolError

log = logging.getLogger("tuya_thing_async.tokens")

#: Refresh in the background when less than this many seconds remain (minus up to 60 s jitter).
ADVISORY_WINDOW = 300.0
ADVISORY_JITTER = 60.0
#: Callers wait for a new token when less than this many seconds (at most 5% of the TTL)
#: remain.
MANDATORY_WINDOW = 60.0

Fetch = Callable[[Route, str, Query], Awaitable[Envelope]]


@attrs.frozen(repr=False)
class Token:
    """An access/refresh pair, published atomically. ``repr`` shows no secret."""

    access: str
    refresh: str
    #: Monotonic time after which callers must wait for a new token (mandatory window).
    usable_until: float
    #: Monotonic time after which a background refresh starts (advisory window).
    refresh_at: float
    generation: int

    def __repr__(self) -> str:
        return f"Token(generation={self.generation}, access=***, refresh=***)"


class TokenManager:
    """Holds the current token and renews it, single-flight."""

    def __init__(self, fetch: Fetch, clock: Clock, rng: Callable[[], float]) -> None:
        self._fetch = fetch
        self._clock = clock
        self._rng = rng
        self._token: Token | None = None
        self._task: asyncio.Task[Token] | None = None
        self._generation = 0
        self.refreshes = 0
        self.grants = 0

    async def current(self) -> Token:
        """A usable token; starts a background refresh inside the advisory window."""
        tok = self._token
        if tok is not None:
            now = self._clock.monotonic()
            if now < tok.usable_until:
                if now >= tok.refresh_at:
                    self._start()
                return tok
        return await self._wait(tok.generation if tok else 0)

    async def renew(self, stale: Token | None) -> Token:
        """After a token error with ``stale``: a newer token, refreshing only if none exists."""
        return await self._wait(stale.generation if stale else 0)

    async def _wait(self, generation: int) -> Token:
        tok = self._token
        if (
            tok is not None
            and tok.generation != generation
            and self._clock.monotonic() < tok.usable_until
        ):
            return tok
        return await asyncio.shield(self._start())

    def _start(self) -> asyncio.Task[Token]:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._renew())
            self._task.add_done_callback(self._finished)
        return self._task

    def _finished(self, task: asyncio.Task[Token]) -> None:
        self._task = None
        if not task.cancelled() and task.exception() is not None:
            log.debug("token renewal failed: %s", type(task.exception()).__name__)

    async def _renew(self) -> Token:
        old = self._token
        if old is not None and old.refresh:
            started = self._clock.monotonic()
            path = TOKEN_REFRESH.template.format(refresh_token=quote(old.refresh, safe=""))
            try:
                env = await self._fetch(TOKEN_REFRESH, path, ())
                self.refreshes += 1
                return self._publish(env, started)
            except TuyaError as exc:  # spent or revoked: fall back to one full grant
                log.debug("token refresh failed (%s); doing a full grant", type(exc).__name__)
        started = self._clock.monotonic()
        env = await self._fetch(TOKEN_GRANT, TOKEN_GRANT.template, (("grant_type", "1"),))
        self.grants += 1
        return self._publish(env, started)

    def _publish(self, env: Envelope, started: float) -> Token:
        result = env.result
        ok = isinstance(result, dict)
        access = result.get("access_token") if ok else None
        refresh = result.get("refresh_token", "") if ok else None
        ttl = result.get("expire_time", result.get("expire")) if ok else None
        if (
            not isinstance(access, str)
            or not access
            or not isinstance(refresh, str)
            or not isinstance(ttl, int | float)
            or ttl <= 0
        ):
            raise TuyaProtocolError(
                "token answer lacks access_token or expire_time", method="GET", path="/v1.0/token"
            )
        self._generation += 1
        # 7200 s tokens: refresh in the background with 240-300 s left, wait with 60 s left.
        # Short TTLs (tests, soak runs) scale both windows down to the same proportions.
        expires_at = started + float(ttl)
        mandatory = min(MANDATORY_WINDOW, ttl * 0.05)
        advisory = min(ADVISORY_WINDOW, ttl * 0.1) - self._rng() * min(ADVISORY_JITTER, ttl * 0.05)
        self._token = Token(
            access, refresh, expires_at - mandatory, expires_at - advisory, self._generation
        )
        log.debug("token generation %d valid for %ss", self._generation, ttl)
        return self._token

    async def aclose(self) -> None:
        """Cancel a background renewal, if any."""
        task = self._task
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
