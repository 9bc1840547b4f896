"""Observability of the call pipeline, in one place: log records with structured fields
(``extra=``), the hooks of ``ClientSettings`` and OpenTelemetry spans.

OpenTelemetry is optional (the ``[otel]`` extra installs opentelemetry-api): it is imported
lazily when a client is built, and without it there are no spans. Each logical call gets an
INTERNAL span and each attempt a CLIENT child span carrying the HTTP client attributes
(``http.request.method``, ``url.template``, ``server.address``, ``server.port``,
``http.response.status_code``, ``error.type``) plus ``tuya.code``, ``tuya.tid`` and
``tuya.device_id``. Nothing here ever sees a header, token, signature or body.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

from ._call import Call, CallState
from .config import ClientSettings
from .errors import TuyaAPIError, TuyaError, TuyaRateLimitError
from .events import CallEvent, RequestEvent, ResponseEvent, RetryEvent

log = logging.getLogger("tuya_thing_async.client")
hooks_log = logging.getLogger("tuya_thing_async.hooks")
#: Path placeholders whose values are secrets: the path keeps the placeholder.
SECRET_PARAMS = frozenset({"{refresh_token}"})
#: How long ``aclose`` waits for async hooks still running.
HOOK_GRACE = 1.0
Hook = Callable[[Any], object] | None


def where(call: Call) -> tuple[str, str | None]:
    """The path with secret parameters left as placeholders, and the device id if any."""
    template, path = call.route.template.split("/"), call.path.split("/")
    if len(template) != len(path):
        return call.route.template, None
    parts = [t if t in SECRET_PARAMS else p for t, p in zip(template, path, strict=True)]
    device = next(
        (unquote(p) for t, p in zip(template, path, strict=True) if t == "{device_id}"), None
    )
    return "/".join(parts), device


def _error_fields(error: BaseException) -> tuple[int | None, str | None, int | None]:
    """Tuya code, tid and HTTP status an error carries, if any."""
    if isinstance(error, TuyaAPIError):
        return error.code, error.tid, error.http_status
    return None, None, getattr(error, "http_status", None)


def _tracer(provider: Any) -> Any:
    """OpenTelemetry's tracer for this library (from ``provider``, else the global one), or
    None without opentelemetry-api or while no SDK is configured (spans would go nowhere, at
    some microseconds each)."""
    try:
        from opentelemetry import trace
    except ImportError:
        return None
    from . import _version

    provider = provider or trace.get_tracer_provider()
    if isinstance(provider, trace.ProxyTracerProvider | trace.NoOpTracerProvider):
        return None
    return trace.get_tracer("tuya_thing_async", _version.__version__, tracer_provider=provider)


class Observer:
    """Logs, hooks and spans of one client's calls."""

    def __init__(self, settings: ClientSettings, base_url: str) -> None:
        """``base_url`` (the transport's, if it has one) names the server in spans."""
        self._on_request, self._on_response = settings.on_request, settings.on_response
        self._on_retry = settings.on_retry
        self._clock, self._deadline = settings.clock, settings.deadline
        self._tracer = _tracer(settings.tracer_provider)
        parts = urlsplit(base_url)
        port = parts.port or (80 if parts.scheme == "http" else 443)
        self._server = {"server.address": parts.hostname or "", "server.port": port}
        self._tasks: set[asyncio.Future[Any]] = set()

    @staticmethod
    def _event(cls: type[CallEvent], call: Call, state: CallState, **more: Any) -> Any:
        path, device = where(call)
        attempt = max(state.attempts, 1)
        return cls(call.route.method, call.route.template, path, device, attempt, **more)

    @staticmethod
    def _extra(event: CallEvent, **more: Any) -> dict[str, Any]:
        fields = {
            "tuya_route": f"{event.method} {event.route}",
            "tuya_device_id": event.device_id,
            "tuya_attempt": event.attempt,
        }
        return fields | {f"tuya_{k}": v for k, v in more.items()}

    def call(self, call: Call, state: CallState) -> contextlib.AbstractContextManager[Any]:
        """Around one logical call: its span when tracing."""
        return _UNTRACED if self._tracer is None else self._traced_call(call, state)

    @contextlib.contextmanager
    def _traced_call(self, call: Call, state: CallState) -> Iterator[None]:
        with self._span(call, "INTERNAL") as span:
            try:
                yield
            except (TuyaError, TimeoutError) as exc:
                _mark_error(span, exc)
                raise
            finally:
                self._finish_span(span, state)

    def attempt(self, call: Call, state: CallState) -> contextlib.AbstractContextManager[Any]:
        """Around one attempt: when it started, for the records, and its span when tracing."""
        state.attempt_started = self._clock.monotonic()
        return _UNTRACED if self._tracer is None else self._traced_attempt(call, state)

    @contextlib.contextmanager
    def _traced_attempt(self, call: Call, state: CallState) -> Iterator[None]:
        with self._span(call, "CLIENT") as span:
            if state.attempts > 1:
                span.set_attribute("http.request.resend_count", state.attempts - 1)
            try:
                yield
            except TuyaError as exc:
                _mark_error(span, exc)
                raise

    @contextlib.contextmanager
    def _span(self, call: Call, kind: str) -> Iterator[Any]:
        from opentelemetry.trace import SpanKind

        _, device = where(call)
        attributes = {
            "http.request.method": call.route.method,
            "url.template": call.route.template,
            **self._server,
        }
        if device is not None:
            attributes["tuya.device_id"] = device
        with self._tracer.start_as_current_span(
            f"{call.route.method} {call.route.template}",
            kind=getattr(SpanKind, kind),
            attributes=attributes,
            record_exception=False,  # an exception's text stays out of the trace
            set_status_on_exception=False,
        ) as span:
            yield span

    @staticmethod
    def _finish_span(span: Any, state: CallState) -> None:
        if state.status is not None:
            span.set_attribute("http.response.status_code", state.status)
        if state.code is not None:
            span.set_attribute("tuya.code", state.code)
        if state.tid is not None:
            span.set_attribute("tuya.tid", state.tid)

    def request(self, call: Call, state: CallState) -> None:
        """A request is about to be sent."""
        if self._on_request is None and not log.isEnabledFor(logging.DEBUG):
            return
        event: RequestEvent = self._event(RequestEvent, call, state)
        log.debug(
            "%s %s attempt %d", event.method, event.path, event.attempt, extra=self._extra(event)
        )
        self._emit(self._on_request, event)

    def response(
        self,
        call: Call,
        state: CallState,
        status: int,
        sent_at: float,
        error: TuyaError | None,
        tid: str | None,
    ) -> None:
        """An HTTP answer to the request sent at monotonic ``sent_at`` was parsed: ``error``
        is what it means, None for success."""
        code, error_tid, _ = _error_fields(error) if error else (None, None, None)
        tid = tid or error_tid
        state.status, state.code, state.tid = status, code, tid
        if self._tracer is not None:
            _answer_attributes(status, code, tid)
        if self._on_response is None and not log.isEnabledFor(logging.DEBUG):
            return
        kind = type(error).__name__ if error else None
        latency_ms = round((self._clock.monotonic() - sent_at) * 1000, 3)
        event: ResponseEvent = self._event(
            ResponseEvent,
            call,
            state,
            status=status,
            code=code,
            tid=tid,
            latency_ms=latency_ms,
            error=kind,
        )
        outcome = f"{kind} code {code}" if kind else "ok"
        fields = self._extra(event, status=status, code=code, tid=tid, latency_ms=latency_ms)
        log.debug(
            "%s %s -> HTTP %d %s (tid %s) in %.0f ms",
            *(event.method, event.path, status, outcome, tid or "-", latency_ms),
            extra=fields,
        )
        self._emit(self._on_response, event)

    def retry(self, call: Call, state: CallState, error: TuyaError, wait: float) -> None:
        """The attempt failed with ``error``; the next starts in ``wait`` seconds."""
        code, tid, status = _error_fields(error)
        throttled = isinstance(error, TuyaRateLimitError)
        kind = type(error).__name__
        took = round((self._clock.monotonic() - state.attempt_started) * 1000, 3)
        event: RetryEvent = self._event(
            RetryEvent, call, state, error=kind, code=code, tid=tid, wait_s=wait,
            throttled=throttled, latency_ms=took,
        )  # fmt: skip
        why = f"{'throttled' if throttled else 'failed'} ({kind} code {code}, tid {tid or '-'})"
        fields = self._extra(event, code=code, tid=tid, status=status, wait_s=wait, latency_ms=took)
        log.info(
            "%s %s attempt %d %s; retrying in %.2fs",
            *(event.method, event.path, event.attempt, why, wait),
            extra=fields,
        )
        self._emit(self._on_retry, event)

    def failed(self, call: Call, state: CallState, error: BaseException) -> None:
        """A call ends with ``error``: WARNING if it gave up after retries, else DEBUG (the
        caller gets the error anyway)."""
        attempts = max(state.attempts, 1)
        level = logging.WARNING if attempts > 1 else logging.DEBUG
        if not log.isEnabledFor(level):
            return
        code, tid, status = _error_fields(error)
        event: CallEvent = self._event(CallEvent, call, state)
        started = state.deadline - self._deadline  # the call's deadline is set as it starts
        took = round((self._clock.monotonic() - started) * 1000, 3)
        fields = self._extra(event, code=code, tid=tid, status=status, latency_ms=took)
        fields["tuya_attempt"] = attempts
        log.log(
            level,
            "%s %s gave up after %d attempt(s): %s code %s (tid %s)",
            *(event.method, event.path, attempts, type(error).__name__, code, tid or "-"),
            extra=fields,
        )

    def _emit(self, hook: Hook, event: CallEvent) -> None:
        """Call ``hook``; an async one runs as a task. Its failure is logged, never raised."""
        if hook is None:
            return
        try:
            result = hook(event)
            if inspect.isawaitable(result):
                task = asyncio.ensure_future(result)
                self._tasks.add(task)
                task.add_done_callback(self._hook_done)
        except Exception as exc:
            hooks_log.warning("a hook raised %s", type(exc).__name__, exc_info=True)

    def _hook_done(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            error = task.exception()
            hooks_log.warning("an async hook raised %s", type(error).__name__, exc_info=error)

    async def aclose(self) -> None:
        """Wait briefly for async hooks still running, then cancel the rest."""
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=HOOK_GRACE)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)


_UNTRACED = contextlib.nullcontext()


def _mark_error(span: Any, error: BaseException) -> None:
    from opentelemetry.trace import Status, StatusCode

    span.set_attribute("error.type", type(error).__name__)
    span.set_status(Status(StatusCode.ERROR, type(error).__name__))


def _answer_attributes(status: int, code: int | None, tid: str | None) -> None:
    """HTTP status, Tuya code and tid on the current (attempt) span."""
    from opentelemetry import trace

    span = trace.get_current_span()
    span.set_attribute("http.response.status_code", status)
    if code is not None:
        span.set_attribute("tuya.code", code)
    if tid is not None:
        span.set_attribute("tuya.tid", tid)
