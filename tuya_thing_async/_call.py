"""What one logical call is (``Call``) and what the pipeline learns while running it
(``CallState``). Both are plain data; ``Call``'s repr shows the route only, because its filled
path can hold a secret (the refresh-token route carries the token in the path)."""

from __future__ import annotations

import attrs

from ._protocol import Route
from ._signing import Query
from .errors import TuyaRateLimitError


@attrs.frozen(repr=False)
class Call:
    """One logical call: the route, its encoded path, decoded query and exact body bytes."""

    route: Route
    path: str
    params: Query = ()
    payload: bytes = b""
    #: Whether repeating the request after an ambiguous failure is safe.
    idempotent: bool = True
    #: Whether retries spend the client's retry budget (token requests do not).
    budgeted: bool = True

    def __repr__(self) -> str:
        return f"Call({self.route.method} {self.route.template})"


@attrs.define
class CallState:
    """Mutable bookkeeping of one call across its attempts."""

    #: Monotonic time (the client's clock) by which the call must be over.
    deadline: float
    #: Attempts made by the retry layer (token and clock fix-ups re-send within one attempt).
    attempts: int = 0
    #: Attempts the cloud throttled (not counted against the attempt limit), and the last
    #: throttle answer: what the call fails with if its deadline passes while it waits.
    throttled: int = 0
    throttle: TuyaRateLimitError | None = None
    #: Whether the current attempt put the request on the wire.
    sent: bool = False
    #: Whether the current attempt is waiting for a token (a failure is the token request's).
    fetching_token: bool = False
    #: An earlier attempt ended so that the request may have been processed.
    maybe_processed: bool = False
    #: Retry-budget cost of the last retry, refunded on success.
    spent: int = 0
    #: For the records and spans: when the attempt started (monotonic), and the last answer's
    #: HTTP status, Tuya code and tid.
    attempt_started: float = 0.0
    status: int | None = None
    code: int | None = None
    tid: str | None = None
