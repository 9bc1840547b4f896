"""The call pipeline: every request to the cloud runs through these layers, outermost first.

1. ``run``: lifecycle and context. Refuses calls on a closed client or from another event
   loop, bounds the whole call by its deadline, turns ``aclose()`` into
   ``TuyaClientClosedError`` for the calls in flight, and attaches method, path template,
   attempts and ``possibly_completed`` to the error, once.
2. ``_with_retries``: backoff, the deadline, the retry budget and the outcome-unknown rule.
3. ``_with_fixups``: the token (single-flight renewal after a token error) and the clock
   offset (one resync after 1013), each at most once per attempt.
4. ``_send_once``: rate control, the concurrency limit, signing, the transport and parsing;
   exactly one request.

Errors leave ``run`` with no chained ``__context__``/``__cause__``; secrets live only in
objects whose repr is redacted (``Call``, ``Token``, ``SignedRequest``), never in plain local
variables that a traceback would show.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import TypeVar

import attrs

from . import _protocol
from ._call import Call, CallState
from ._guard import CallGuards
from ._observe import Observer
from ._protocol import Envelope, SignedRequest
from ._ratelimit import RateControl, RouteRate
from ._retry import Action, Decision, Kind, RetryQuota, backoff, decide
from ._signing import Query
from ._skew import ClockOffset
from ._tokens import Token, TokenManager
from ._transport import Transport, TransportResponse
from .config import ClientSettings, Credentials
from .errors import (
    CLOCK_SKEW_CODE,
    TOKEN_CODES,
    TuyaAPIError,
    TuyaClientClosedError,
    TuyaConnectError,
    TuyaError,
    TuyaEventLoopError,
    TuyaOutcomeUnknownError,
    TuyaRateLimitError,
    TuyaRetryQuotaExceededError,
    TuyaTimeoutError,
    _RequestContext,
)

E = TypeVar("E", bound=BaseException)
#: How long ``aclose()`` waits for cancelled calls to unwind before closing the transport.
CLOSE_GRACE = 5.0
#: How long after its deadline a call still running is stopped from outside (seconds).
DEADLINE_GRACE = 0.1
#: Shortest wait before retrying a throttled request when adaptive rate control is off.
MIN_THROTTLE_WAIT = 0.1


@attrs.frozen
class ClientStats:
    """A snapshot of the counters a job can report or budget with (Tuya trial projects have
    call quotas)."""

    requests: int = 0
    retries: int = 0
    token_refreshes: int = 0
    token_grants: int = 0
    #: Requests on the wire right now (holding a concurrency slot).
    in_flight: int = 0
    #: Each API's rate control, by route (``"GET /v2.0/cloud/thing/{device_id}/report-logs"``).
    rates: dict[str, RouteRate] = attrs.Factory(dict)


def _detached(error: E) -> E:
    """``error`` with no chained exception (a chained one could hold request data)."""
    error.__cause__ = error.__context__ = None
    return error


class CallPipeline:
    """Runs the calls of one client: token, signing, rate control, retries, transport."""

    def __init__(
        self, credentials: Credentials, settings: ClientSettings, transport: Transport
    ) -> None:
        self.credentials = credentials
        self.settings = settings
        self._clock = settings.clock
        self._transport = transport
        self._slots = asyncio.Semaphore(settings.max_concurrency)
        self._rates = RateControl(
            self._clock,
            adaptive=settings.adaptive,
            limits=settings.rate_limits,
            overall=settings.rate,
            burst=settings.burst,
        )
        self._quota = RetryQuota(settings.retry_quota)
        self._tokens = TokenManager(self.run, self._clock, settings.rng)
        self._offset = ClockOffset()
        self._observe = Observer(settings, getattr(transport, "base_url", ""))
        self._guards = CallGuards()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self._requests = self._retries = self._in_flight = 0

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def stats(self) -> ClientStats:
        tokens = self._tokens
        return ClientStats(
            self._requests,
            self._retries,
            tokens.refreshes,
            tokens.grants,
            self._in_flight,
            self._rates.snapshot(),
        )

    def check_open(self) -> None:
        if self._closed:
            raise TuyaClientClosedError("this TuyaClient is closed; create a new one")

    def _bind_loop(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif self._loop is not loop:
            raise TuyaEventLoopError(
                "this TuyaClient belongs to another event loop; create one client per loop"
            )

    async def call(
        self,
        route: _protocol.Route,
        path_params: dict[str, str] | None = None,
        params: Query = (),
        body: object = None,
        *,
        idempotent: bool | None = None,
    ) -> Envelope:
        """Run one call of ``route`` (path parameters already validated)."""
        return await self.run(
            Call(
                route,
                _protocol.fill_path(route.template, path_params or {}),
                params,
                b"" if body is None else _protocol.encode_json(body),
                route.idempotent if idempotent is None else idempotent,
            )
        )

    async def run(self, call: Call) -> Envelope:
        """Layer 1: lifecycle, the overall deadline, the call's guard and the error's context;
        observed (logs, hooks and spans: ``_observe``)."""
        self.check_open()
        self._bind_loop()
        state = CallState(deadline=self._clock.monotonic() + self.settings.deadline)
        try:
            with self._observe.call(call, state):
                return await self._guarded(call, state)
        except TuyaError as exc:
            error = self._with_context(exc, call, state)
        self._observe.failed(call, state, error)
        raise error

    async def _guarded(self, call: Call, state: CallState) -> Envelope:
        """The call under its guard, stopped on ``aclose`` or long past its deadline."""
        guard = self._guards.watch(self.settings.deadline + DEADLINE_GRACE)
        try:
            envelope = await self._with_retries(call, state)
        except BaseException as exc:
            if not (self._guards.forget(guard) and isinstance(exc, asyncio.CancelledError)):
                raise
        else:
            self._guards.forget(guard)
            return envelope
        raise self._stopped_error(call, state)  # outside the except block: nothing chained

    def _stopped_error(self, call: Call, state: CallState) -> TuyaError:
        """Why a call was stopped: closed, or out of time (a sent write may have run)."""
        unknown = state.sent and not call.idempotent
        if self._closed:
            text = "the client was closed while the call was running"
            if unknown:
                text += "; the request had been sent and may have been processed"
            return TuyaClientClosedError(text)
        if unknown:
            return TuyaOutcomeUnknownError(
                "the outcome is unknown: the call's deadline passed while waiting for the "
                "answer, and the request may have been processed"
            )
        return TuyaTimeoutError(f"the call's {self.settings.deadline:g}s deadline passed")

    @staticmethod
    def _with_context(error: TuyaError, call: Call, state: CallState) -> TuyaError:
        if isinstance(error, _RequestContext) and not error.method:
            error.method, error.path = call.route.method, call.route.template
            error.attempts = state.attempts
        if isinstance(error, TuyaAPIError) and state.maybe_processed:
            error.possibly_completed = True
        return _detached(error)

    async def _with_retries(self, call: Call, state: CallState) -> Envelope:
        """Layer 2: attempts with full-jitter backoff until success or a reason to stop."""
        while True:
            state.attempts += 1
            state.sent = False
            try:
                with self._observe.attempt(call, state):
                    envelope = await self._with_fixups(call, state)
            except TuyaError as exc:
                wait = self._plan_retry(exc, call, state)
            else:
                if call.budgeted:
                    self._quota.release(state.spent)
                return envelope
            if wait > 0:
                await self._clock.sleep(wait)

    def _plan_retry(self, error: TuyaError, call: Call, state: CallState) -> float:
        """Seconds to wait before the next attempt; raises the error to give up with."""
        if state.fetching_token:
            raise error  # the token request was retried on its own
        # A request that never went out may be repeated whatever the call.
        decision = decide(error, idempotent=call.idempotent or not state.sent)
        if decision.action is Action.OUTCOME_UNKNOWN:
            raise TuyaOutcomeUnknownError(
                f"the outcome is unknown: the request may have been processed ({error}); "
                "it was not repeated because repeating it is unsafe"
            )
        if decision.action is Action.RAISE:
            raise error
        if state.throttle is not None and isinstance(error, TuyaTimeoutError) and not state.sent:
            raise state.throttle  # the deadline ran out waiting for a throttled route
        if decision.kind is Kind.THROTTLE:
            wait = self._throttle_wait(decision, error, state)
        else:
            wait = self._transient_wait(decision, error, call, state)
        if self._clock.monotonic() + wait >= state.deadline:
            raise error
        if call.budgeted and decision.kind is Kind.TRANSIENT:
            cost = self._quota.acquire(decision.kind)
            if cost is None:
                raise TuyaRetryQuotaExceededError(f"retry budget exhausted, failing fast: {error}")
            state.spent = cost
        state.maybe_processed |= state.sent and not isinstance(error, TuyaConnectError)
        self._retries += 1
        self._observe.retry(call, state, error, wait)
        return wait

    def _throttle_wait(self, decision: Decision, error: TuyaError, state: CallState) -> float:
        """The cloud did not run a throttled request: it is retried while the deadline allows,
        paced by the route's (adapted) rate, or with backoff when adapting is off."""
        state.throttled += 1
        if isinstance(error, TuyaRateLimitError):
            state.throttle = error
        if decision.retry_after is not None:
            return decision.retry_after
        if self.settings.adaptive:
            return 0.0
        return max(MIN_THROTTLE_WAIT, backoff(decision, state.throttled - 1, self.settings.rng))

    def _transient_wait(
        self, decision: Decision, error: TuyaError, call: Call, state: CallState
    ) -> float:
        failures = state.attempts - state.throttled
        limit = min(self.settings.max_attempts, decision.max_attempts or self.settings.max_attempts)
        if failures >= limit:
            raise error
        return backoff(decision, failures - 1, self.settings.rng)

    async def _with_fixups(self, call: Call, state: CallState) -> Envelope:
        """Layer 3: the token and the clock offset, each fixed at most once per attempt."""
        renewed = resynced = False
        while True:
            token = self._tokens.usable() if call.route.needs_token else None
            if token is None and call.route.needs_token:
                token = await self._new_token(state, None)
            try:
                return await self._send_once(call, token, state)
            except TuyaAPIError as exc:
                renew = exc.code in TOKEN_CODES and token is not None and not renewed
                if not renew and (exc.code != CLOCK_SKEW_CODE or resynced):
                    raise
            if renew:
                renewed = True
                await self._new_token(state, token)
            else:
                resynced = True  # the offset was learned from the rejection's ``t``

    async def _new_token(self, state: CallState, stale: Token | None) -> Token:
        """Wait for a token (a renewed one after an error with ``stale``). A failure here is
        the token request's own, already retried: ``fetching_token`` says so."""
        state.fetching_token = True
        token = await (self._tokens.renew(stale) if stale else self._tokens.current())
        state.fetching_token = False
        return token

    async def _send_once(self, call: Call, token: Token | None, state: CallState) -> Envelope:
        """Layer 4: exactly one request, within the deadline, never from a closed client."""
        self.check_open()
        key = call.route.key
        if not self._rates.take_now(key):
            await self._pace(call, state)
        try:
            await self._slots.acquire()
            self._in_flight += 1
            try:
                remaining = state.deadline - self._clock.monotonic()
                if remaining <= 0:
                    raise TuyaTimeoutError("the call's deadline passed before it was sent")
                sent_s, sent_at = self._clock.time(), self._clock.monotonic()
                request = self._sign(call, token, sent_s)
                state.sent = True
                self._requests += 1
                self._observe.request(call, state)
                response = await self._transport.send(request, timeout=remaining)
            finally:
                self._in_flight -= 1
                self._slots.release()
        finally:
            self._rates.release(key)
        return self._parse(call, state, response, sent_s, sent_at)

    def _sign(self, call: Call, token: Token | None, sent_s: float) -> SignedRequest:
        return _protocol.prepare(
            call.route.method,
            call.path,
            call.params,
            call.payload,
            template=call.route.template,
            client_id=self.credentials.access_id,
            secret=self.credentials.access_secret,
            t_ms=self._offset.server_ms(sent_s),
            nonce=os.urandom(16).hex(),
            access_token=token.access if token else "",
            lang=self.settings.lang,
        )

    async def _pace(self, call: Call, state: CallState) -> None:
        """Wait for the route's turn, refusing a wait that outlasts the deadline."""
        if not await self._rates.wait_turn(call.route.key, state.deadline):
            raise TuyaTimeoutError("the call's deadline would pass waiting for the rate limit")

    def _parse(
        self,
        call: Call,
        state: CallState,
        response: TransportResponse,
        sent_s: float,
        sent_at: float,
    ) -> Envelope:
        """The envelope, or the error the answer describes; feeds the clock offset (from the
        server's ``t``, sent at wall time ``sent_s``) and the route's rate (monotonic
        ``sent_at``)."""
        sent_ms, received_ms = sent_s * 1000, self._clock.time() * 1000
        try:
            envelope = _protocol.parse_response(
                response.status, response.headers, response.body, method="", template=""
            )
        except TuyaAPIError as exc:
            if exc.server_time_ms is not None:
                force = exc.code == CLOCK_SKEW_CODE
                self._offset.observe(exc.server_time_ms, sent_ms, received_ms, force=force)
            throttled = isinstance(exc, TuyaRateLimitError)
            self._rates.answered(call.route.key, sent_at, throttled=throttled)
            error: TuyaError = exc
        except TuyaError as exc:
            error = exc
        else:
            if envelope.t is not None:
                self._offset.observe(envelope.t, sent_ms, received_ms, force=False)
            self._rates.answered(call.route.key, sent_at, throttled=False)
            self._observe.response(call, state, response.status, sent_at, None, envelope.tid)
            return envelope
        self._observe.response(call, state, response.status, sent_at, error, None)
        # Raised from here with a fresh traceback: the parser's frames hold the body.
        raise _detached(error).with_traceback(None)

    async def aclose(self) -> None:
        """End every call in flight with ``TuyaClientClosedError``, then close the transport
        and any token renewal. Idempotent."""
        if not self._closed:
            self._closed = True
            self._guards.stop_all()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(CLOSE_GRACE):
                await self._guards.wait_idle()
        self._guards.close()
        await self._tokens.aclose()
        await self._observe.aclose()
        await self._transport.aclose()
