"""The session manager: signs, limits, sends and retries every call (reliability policy §3-5).

Each logical call runs this loop: get a token (single-flight), take a limiter slot and a
rate-bucket token, sign afresh (new ``t`` and nonce), send through the transport, parse the
envelope, and on failure ask ``_retry.decide`` what to do, within a per-call deadline.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import Any

import aiohttp
import anyio
import attrs

from . import _protocol
from ._protocol import Envelope, Route
from ._ratelimit import TokenBucket
from ._retry import Action, Decision, RetryQuota, backoff, decide
from ._signing import Query
from ._tokens import Token, TokenManager
from ._transport import Transport
from .config import ClientSettings, Credentials
from .errors import (
    TuyaAPIError,
    TuyaClientClosedError,
    TuyaError,
    TuyaOutcomeUnknownError,
    TuyaRetryQuotaExceededError,
    TuyaTimeoutError,
    TuyaTransportError,
    _RequestContext,
)

log = logging.getLogger("tuya_thing_async")

#: Re-learn the clock offset whenever the server's time differs from ours by this much (ms).
SKEW_RESYNC_MS = 60_000


@attrs.frozen
class SessionStats:
    """A snapshot of the counters a job can report or budget with (Tuya trial projects have
    call quotas)."""

    requests: int = 0
    retries: int = 0
    token_refreshes: int = 0
    token_grants: int = 0


class Session:
    """Token lifecycle, limiter, rate bucket, retries and clock-skew offset for one client."""

    def __init__(
        self,
        credentials: Credentials,
        base_url: str,
        settings: ClientSettings,
        http: aiohttp.ClientSession | None = None,
    ) -> None:
        self.credentials = credentials
        self.settings = settings
        self._clock = settings.clock
        self._transport = Transport(base_url, settings, http)
        self._limiter = anyio.CapacityLimiter(settings.max_concurrency)
        self._bucket = (
            TokenBucket(settings.rate, settings.burst, self._clock) if settings.rate else None
        )
        self._quota = RetryQuota(settings.retry_quota)
        self._tokens = TokenManager(self._fetch_token, self._clock, settings.rng)
        self._offset_ms = 0.0
        self._closed = False
        self._requests = 0
        self._retries = 0

    @property
    def limiter(self) -> anyio.CapacityLimiter:
        return self._limiter

    @property
    def closed(self) -> bool:
        return self._closed

    def check_open(self) -> None:
        if self._closed:
            raise TuyaClientClosedError("this TuyaClient is closed; create a new one")

    async def aclose(self) -> None:
        self._closed = True
        await self._tokens.aclose()
        await self._transport.close()

    async def call(
        self,
        route: Route,
        path_params: Mapping[str, str] | None = None,
        params: Query = (),
        body: Any = None,
        *,
        idempotent: bool | None = None,
    ) -> Envelope:
        """Run one logical call of ``route`` with retries; return its envelope."""
        self.check_open()
        path = _protocol.fill_path(route.template, path_params or {})
        payload = b"" if body is None else _protocol.encode_json(body)
        safe = route.idempotent if idempotent is None else idempotent
        return await self._run(route, path, params, payload, safe, use_quota=True)

    async def _fetch_token(self, route: Route, path: str, params: Query) -> Envelope:
        return await self._run(route, path, params, b"", route.idempotent, use_quota=False)

    async def _run(
        self,
        route: Route,
        path: str,
        params: Query,
        payload: bytes,
        idempotent: bool,
        *,
        use_quota: bool,
    ) -> Envelope:
        deadline = self._clock.monotonic() + self.settings.deadline
        attempts = 0
        token_retried = clock_retried = ambiguous = False
        spent = 0  # quota cost of this call's last retry, refunded on success
        while True:
            self.check_open()
            token = await self._tokens.current() if route.needs_token else None
            attempts += 1
            try:
                env = await self._attempt(route, path, params, payload, token, deadline)
            except TuyaError as exc:
                decision = decide(exc, idempotent=idempotent)
                if decision.action is Action.REFRESH_TOKEN and not token_retried:
                    if route.needs_token:
                        token_retried = True
                        attempts -= 1
                        await self._tokens.renew(token)
                        continue
                elif decision.action is Action.RESYNC_CLOCK and not clock_retried:
                    clock_retried = True
                    attempts -= 1
                    continue
                elif decision.action is Action.RETRY:
                    wait = self._retry_wait(decision, attempts, deadline, use_quota, exc)
                    if wait is not None:
                        seconds, spent = wait
                        ambiguous = ambiguous or isinstance(exc, TuyaTransportError)
                        self._retries += 1
                        log.debug(
                            "retrying %s %s in %.3fs after %s",
                            route.method,
                            route.template,
                            seconds,
                            type(exc).__name__,
                        )
                        await self._clock.sleep(seconds)
                        continue
                self._finish(exc, attempts, ambiguous)
                if decision.action is Action.OUTCOME_UNKNOWN:
                    raise TuyaOutcomeUnknownError(
                        f"the outcome is unknown: the request may have been processed "
                        f"({exc.__class__.__name__}: {getattr(exc, 'message', exc)}); "
                        "it was not repeated because repeating it is unsafe",
                        method=route.method,
                        path=route.template,
                        attempts=attempts,
                    ) from None
                raise exc from None
            if use_quota:
                self._quota.release(spent)
            return env

    def _retry_wait(
        self,
        decision: Decision,
        attempts: int,
        deadline: float,
        use_quota: bool,
        error: TuyaError,
    ) -> tuple[float, int] | None:
        """(seconds to wait, quota cost) of the next retry, or None when none may start.

        Raises ``TuyaRetryQuotaExceededError`` when only the client's retry budget stops it.
        """
        limit = self.settings.max_attempts
        if decision.max_attempts is not None:
            limit = min(limit, decision.max_attempts)
        if attempts >= limit:
            return None
        seconds = backoff(decision, attempts - 1, self.settings.rng)
        if self._clock.monotonic() + seconds >= deadline:
            return None
        if not use_quota:
            return seconds, 0
        cost = self._quota.acquire(decision.kind)
        if cost is None:
            raise TuyaRetryQuotaExceededError(
                f"retry budget exhausted, failing fast: {error}"
            ) from error
        return seconds, cost

    @staticmethod
    def _finish(exc: TuyaError, attempts: int, ambiguous: bool) -> None:
        if isinstance(exc, _RequestContext):
            exc.attempts = attempts
        if isinstance(exc, TuyaAPIError) and ambiguous:
            exc.possibly_completed = True

    async def _attempt(
        self,
        route: Route,
        path: str,
        params: Query,
        payload: bytes,
        token: Token | None,
        deadline: float,
    ) -> Envelope:
        # A free slot is taken without the two event-loop round trips of
        # CapacityLimiter.acquire(); its cost showed up in the client-overhead benchmark.
        try:
            self._limiter.acquire_nowait()
        except anyio.WouldBlock:
            await self._limiter.acquire()
        try:
            if self._bucket is not None:
                await self._bucket.acquire()
            remaining = deadline - self._clock.monotonic()
            if remaining <= 0:
                raise TuyaTimeoutError(
                    "the call's deadline passed", method=route.method, path=route.template
                )
            sent_ms = self._clock.time() * 1000
            request = _protocol.prepare(
                route.method,
                path,
                params,
                payload,
                template=route.template,
                client_id=self.credentials.access_id,
                secret=self.credentials.access_secret,
                t_ms=int(sent_ms + self._offset_ms),
                nonce=secrets.token_hex(16),
                access_token=token.access if token else "",
                lang=self.settings.lang,
            )
            self._requests += 1
            raw = await self._transport.send(
                route.method,
                request.target,
                request.headers,
                request.body,
                timeout=remaining,
                template=route.template,
            )
        finally:
            self._limiter.release()
        received_ms = self._clock.time() * 1000
        log.debug(
            "%s %s -> HTTP %d (%d bytes)", route.method, route.template, raw.status, len(raw.body)
        )
        try:
            env = _protocol.parse_response(
                raw.status, raw.headers, raw.body, method=route.method, template=route.template
            )
        except TuyaAPIError as exc:
            log.debug("%s %s -> Tuya code %d", route.method, route.template, exc.code)
            if exc.server_time_ms is not None:
                self._observe_clock(
                    exc.server_time_ms, sent_ms, received_ms, force=exc.code == 1013
                )
            raise
        if env.t is not None:
            self._observe_clock(env.t, sent_ms, received_ms, force=False)
        return env

    def _observe_clock(
        self, server_ms: int, sent_ms: float, received_ms: float, *, force: bool
    ) -> None:
        estimate = server_ms - (sent_ms + received_ms) / 2
        if force or abs(estimate - self._offset_ms) >= SKEW_RESYNC_MS:
            log.debug("clock offset now %+.0f ms", estimate)
            self._offset_ms = estimate

    @property
    def stats(self) -> SessionStats:
        return SessionStats(
            self._requests, self._retries, self._tokens.refreshes, self._tokens.grants
        )
