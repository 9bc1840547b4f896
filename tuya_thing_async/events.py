"""What the client's hooks receive: frozen, redacted records of each request, answer and
retry. None holds a secret: no header, token, signature or body; the path of the token-refresh
route keeps its ``{refresh_token}`` placeholder.

Pass hooks in ``ClientSettings(on_request=..., on_response=..., on_retry=...)``: plain or
``async`` callables taking the record. A hook never affects the call: a plain hook runs inline
(keep it fast), an ``async`` one runs as a task of its own, and an exception a hook raises is
logged (``tuya_thing_async.hooks``, WARNING) and dropped.
"""

from __future__ import annotations

import attrs


@attrs.frozen
class CallEvent:
    """Fields every record has."""

    #: ``"GET"``, ``"POST"``...
    method: str
    #: The path template, e.g. ``"/v2.0/cloud/thing/{device_id}/logs"``.
    route: str
    #: The path sent, secrets left as placeholders.
    path: str
    #: The device the call is about, if any.
    device_id: str | None
    #: The call's attempt (1 for the first; token and clock fix-ups re-send within one).
    attempt: int


@attrs.frozen
class RequestEvent(CallEvent):
    """A request is about to go on the wire."""


@attrs.frozen
class ResponseEvent(CallEvent):
    """An HTTP answer arrived (transport failures show up as ``RetryEvent`` or the error)."""

    status: int
    #: Tuya's error code (None on success).
    code: int | None
    #: Tuya's request id.
    tid: str | None
    #: From sending the request to the parsed answer, in milliseconds.
    latency_ms: float
    #: The class name of the error the answer means (None on success).
    error: str | None


@attrs.frozen
class RetryEvent(CallEvent):
    """Attempt ``attempt`` failed and the call will try again after ``wait_s``."""

    #: The class name of the error that failed the attempt.
    error: str
    code: int | None
    tid: str | None
    #: Seconds until the next attempt (0 when the route's rate decides).
    wait_s: float
    #: Whether the cloud throttled the attempt (it was not run).
    throttled: bool
    #: How long the failed attempt took, in milliseconds.
    latency_ms: float
