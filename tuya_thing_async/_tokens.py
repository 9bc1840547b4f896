"""Access-token lifecycle: grant, proactive refresh, single-flight renewal.

Tuya refresh tokens are single-use, so exactly one renewal may be in flight: every caller that
needs a new token awaits the same shielded task. A caller that saw a token error with an older
generation than the current one simply uses the newer token. Each waiter on a failed renewal
gets its own copy of the error. Tokens live only in ``Token`` objects, whose repr is redacted,
so they never show up in a traceback's local variables.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import attrs

from ._call import Call
from ._protocol import TOKEN_GRANT, TOKEN_REFRESH, Envelope
from .config import Clock
from .errors import TuyaClientClosedError, TuyaError, TuyaProtocolError

log = logging.getLogger("tuya_thing_async.tokens")

#: Refresh in the background when less than this many seconds remain (minus up to 60 s jitter).
ADVISORY_WINDOW = 300.0
ADVISORY_JITTER = 60.0
#: Callers wait for a new token when less than this many seconds (at most 5% of the TTL)
#: remain.
MANDATORY_WINDOW = 60.0
#: Longest token life accepted from the cloud (Tuya grants 7200 s).
MAX_TTL = 366 * 86400
#: Full grants tried when the answers hold no usable token.
GRANT_TRIES = 2
#: What a token may look like: it goes into a header, so visible ASCII only.
_TOKEN = re.compile(r"[\x21-\x7e]{1,1024}")

Run = Callable[[Call], Awaitable[Envelope]]
GRANT = Call(TOKEN_GRANT, TOKEN_GRANT.template, (("grant_type", "1"),), budgeted=False)


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


def refresh_call(token: Token) -> Call:
    """``GET /v1.0/token/{refresh_token}``; not idempotent: the refresh token is single-use."""
    path = TOKEN_REFRESH.template.format(refresh_token=quote(token.refresh, safe=""))
    return Call(TOKEN_REFRESH, path, idempotent=False, budgeted=False)


@attrs.frozen(repr=False)
class _Grant:
    access: str
    refresh: str
    ttl: float


def _read_grant(result: Any) -> _Grant | None:
    """The token answer's fields, or None when any is missing or implausible."""
    if not isinstance(result, dict):
        return None
    access, refresh = result.get("access_token"), result.get("refresh_token", "")
    ttl = result.get("expire_time", result.get("expire"))
    if not isinstance(access, str) or not _TOKEN.fullmatch(access):
        return None
    if not isinstance(refresh, str) or (refresh and not _TOKEN.fullmatch(refresh)):
        return None
    if isinstance(ttl, bool) or not isinstance(ttl, int | float) or not 0 < ttl <= MAX_TTL:
        return None
    return _Grant(access, refresh, float(ttl))


class TokenManager:
    """Holds the current token and renews it, single-flight."""

    def __init__(self, run: Run, clock: Clock, rng: Callable[[], float]) -> None:
        self._run = run
        self._clock = clock
        self._rng = rng
        self._token: Token | None = None
        self._task: asyncio.Task[Token] | None = None
        self._generation = 0
        self.refreshes = 0
        self.grants = 0

    def usable(self) -> Token | None:
        """The current token if it is usable now, without waiting (a background refresh
        starts inside the advisory window); None if a caller must wait for one."""
        token = self._token
        if token is not None:
            now = self._clock.monotonic()
            if now < token.usable_until:
                if now >= token.refresh_at:
                    self._start()
                return token
        return None

    async def current(self) -> Token:
        """A usable token, waiting for a renewal if there is none."""
        token = self.usable()
        if token is not None:
            return token
        stale = self._token
        return await self._wait(stale.generation if stale else 0)

    async def renew(self, stale: Token | None) -> Token:
        """After a token error with ``stale``: a newer token, renewing only if none exists."""
        return await self._wait(stale.generation if stale else 0)

    async def _wait(self, generation: int) -> Token:
        token = self._token
        fresh = token is not None and token.generation != generation
        if token is not None and fresh and self._clock.monotonic() < token.usable_until:
            return token
        task = self._start()
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.cancelled() and not _being_cancelled():
                error: TuyaError = TuyaClientClosedError("the client was closed")
            else:
                raise
        except TuyaError as exc:  # every waiter gets its own copy, with no shared state
            error = copy.copy(exc)
        raise error

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
            try:
                grant = _read_grant((await self._run(refresh_call(old))).result)
            except TuyaError as exc:  # spent or revoked: fall back to one full grant
                log.info(
                    "token refresh failed (%s); doing a full grant",
                    type(exc).__name__,
                    extra={
                        "tuya_route": TOKEN_REFRESH.key,
                        "tuya_code": getattr(exc, "code", None),
                    },
                )
            else:
                self.refreshes += 1
                if grant is not None:
                    return self._publish(grant, started)
                log.debug("the refreshed token is unusable; doing a full grant")
        for _ in range(GRANT_TRIES):  # an unusable token (e.g. with CR/LF) is not kept
            started = self._clock.monotonic()
            grant = _read_grant((await self._run(GRANT)).result)
            self.grants += 1
            if grant is not None:
                return self._publish(grant, started)
        raise TuyaProtocolError(
            "the token answer lacks a usable access_token or expire_time",
            method="GET",
            path=TOKEN_GRANT.template,
        )

    def _publish(self, grant: _Grant, started: float) -> Token:
        self._generation += 1
        # 7200 s tokens: refresh in the background with 240-300 s left, wait with 60 s left.
        # Short TTLs (tests, soak runs) scale both windows down to the same proportions.
        ttl = grant.ttl
        expires_at = started + ttl
        mandatory = min(MANDATORY_WINDOW, ttl * 0.05)
        advisory = min(ADVISORY_WINDOW, ttl * 0.1) - self._rng() * min(ADVISORY_JITTER, ttl * 0.05)
        self._token = Token(
            grant.access,
            grant.refresh,
            expires_at - mandatory,
            expires_at - advisory,
            self._generation,
        )
        log.info(
            "new access token (generation %d), valid for %.0fs",
            *(self._generation, ttl),
            extra={"tuya_token_generation": self._generation, "tuya_token_ttl_s": ttl},
        )
        return self._token

    async def aclose(self) -> None:
        """Cancel a renewal in flight, if any, and wait for it to end."""
        task = self._task
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


def _being_cancelled() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
