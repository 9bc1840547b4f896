"""The exception tree, chosen by what the caller can do about each failure.

::

    TuyaError
    ├── TuyaConfigError (ValueError)          bad client configuration; fix the code
    ├── TuyaValidationError (ValueError)      bad argument, raised before any network I/O
    ├── TuyaClientClosedError (RuntimeError)  the client was used after close
    ├── TuyaEventLoopError (RuntimeError)     the client was used from another event loop
    ├── TuyaTransportError                    the request never got a usable HTTP answer
    │   ├── TuyaConnectError                  no byte was sent (DNS, refused, connect timeout)
    │   ├── TuyaTLSError                      certificate or TLS failure; never retried
    │   └── TuyaTimeoutError (TimeoutError)   read timeout or the per-call deadline passed
    ├── TuyaOutcomeUnknownError               a non-idempotent call may or may not have run
    ├── TuyaProtocolError                     the answer is not a Tuya envelope (decode error)
    │   └── TuyaResponseTooLargeError         the body is over the configured cap
    ├── TuyaPaginationLoopError               a cursor repeated; carries the last good cursor
    ├── TuyaRetryQuotaExceededError           the client's retry budget is spent (fail fast)
    ├── TuyaBulkError (ExceptionGroup)        one or more batches of a bulk call failed
    └── TuyaAPIError                          Tuya answered ``success: false`` (code, msg, tid)
        ├── TuyaAuthError                     credentials, signature, token, clock, region
        │                                     (1001-1013, 1400, 2007)
        ├── TuyaPermissionError               not allowed, or unknown device (1106, 1114, 2884110x)
        │   └── TuyaQuotaError                trial call quota used up (28841004)
        ├── TuyaRateLimitError                throttled (1110, 1111, 1199, HTTP 429)
        ├── TuyaInvalidRequestError           bad parameter (1006-1008, 1100-1109, 1113, 40000904)
        ├── TuyaDeviceError                   device refuses it (1000, 1103, 2001-2010 but 2007)
        └── TuyaServerError                   Tuya-side failure (500, 1112, HTTP 5xx)

``CODE_TO_ERROR`` is the one table from Tuya code to class (by code, never by the localised
``msg``); ``HINTS`` says what to do about the common codes. Every error carries only sanitised
data: method, path *template* (never the filled path), code, msg and tid; no secret, token or
signature ever reaches a message, a repr or a chained cause.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self


def _restore(cls: type[BaseException], args: tuple[Any, ...]) -> BaseException:
    """Unpickle helper: create the exception from ``args`` without running ``__init__``."""
    exc = cls.__new__(cls, *args)
    exc.args = args  # ``OSError.__new__`` (under TimeoutError) leaves them to ``__init__``
    return exc


class TuyaError(Exception):
    """Root of every exception this package raises.

    ``resume_cursor`` is set when the error interrupted a paginator: the cursor of the first
    page not yet delivered, to pass back as ``start_cursor=``. ``device_id`` is set when the
    error ended a harvest: the device whose call failed.

    Every error survives ``pickle`` and ``copy`` with all its fields (e.g. across processes).
    """

    resume_cursor: str | None = None
    device_id: str | None = None

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text} (device {self.device_id})" if self.device_id else text

    def __reduce__(self) -> tuple[Any, ...]:
        # The default calls ``cls(*self.args)``, but ``args`` holds the formatted text, not the
        # constructor's arguments: rebuild from ``args`` without ``__init__``, then restore the
        # fields from ``__dict__`` (via ``BaseException.__setstate__``).
        return _restore, (type(self), self.args), self.__dict__


class TuyaConfigError(TuyaError, ValueError):
    """The client was configured wrongly (bad region, base URL, setting)."""


class TuyaValidationError(TuyaError, ValueError):
    """An argument is invalid; raised before any network I/O."""


class TuyaClientClosedError(TuyaError, RuntimeError):
    """The client was used after ``aclose()`` or outside its ``async with`` block."""


class TuyaEventLoopError(TuyaError, RuntimeError):
    """The client was used from an event loop other than the one it is bound to (the first loop
    that used it); create one client per event loop."""


class _RequestContext(TuyaError):
    """An error tied to one logical call: method and path template, never secrets."""

    def __init__(
        self, message: str, *, method: str = "", path: str = "", attempts: int = 0
    ) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.path = path
        self.attempts = attempts

    def __str__(self) -> str:
        where = f" [{self.method} {self.path}]" if self.method else ""
        tries = f" after {self.attempts} attempts" if self.attempts > 1 else ""
        device = f" (device {self.device_id})" if self.device_id else ""
        return f"{self.message}{where}{tries}{device}"


class TuyaTransportError(_RequestContext):
    """The request got no usable HTTP answer (connection failed, reset or timed out)."""


class TuyaConnectError(TuyaTransportError):
    """The connection could not be made; no byte of the request was sent."""


class TuyaTLSError(TuyaTransportError):
    """TLS handshake or certificate verification failed. Never retried."""


class TuyaTimeoutError(TuyaTransportError, TimeoutError):
    """A read timed out, or the per-call deadline passed."""


class TuyaOutcomeUnknownError(_RequestContext):
    """A non-idempotent call (reset, firmware start) failed after it may have reached Tuya.

    It was not retried: repeating it could act twice. Check the device before trying again.
    """


class TuyaProtocolError(_RequestContext):
    """The response is not a valid Tuya envelope (HTML page, truncated JSON, bad UTF-8...)."""

    def __init__(self, message: str, *, http_status: int | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.http_status = http_status


class TuyaResponseTooLargeError(TuyaProtocolError):
    """The response body is larger than the configured cap."""


class TuyaPaginationLoopError(TuyaError):
    """The cloud returned a cursor it had returned before; iteration stopped to avoid a loop."""

    def __init__(self, message: str, *, cursor: str | None) -> None:
        super().__init__(message)
        self.cursor = cursor


class TuyaRetryQuotaExceededError(TuyaError):
    """The client's retry budget is exhausted; failing fast until successes refill it."""


class TuyaAPIError(_RequestContext):
    """Tuya answered with ``success: false``: ``code``, ``msg`` and ``tid`` say why.

    ``possibly_completed`` is true when an earlier attempt of the same call ended ambiguously,
    so the requested change may already have happened (e.g. a retried delete answered 1106).
    """

    def __init__(
        self,
        code: int,
        msg: str,
        *,
        tid: str | None = None,
        http_status: int = 200,
        retry_after: float | None = None,
        method: str = "",
        path: str = "",
        attempts: int = 0,
    ) -> None:
        text = f"Tuya error {code}: {msg}" + (f" (tid {tid})" if tid else "")
        super().__init__(text, method=method, path=path, attempts=attempts)
        #: What to do about it (from ``HINTS``, or set by the endpoint that made the call).
        self.hint: str | None = HINTS.get(code)
        self.code = code
        self.msg = msg
        self.tid = tid
        self.http_status = http_status
        self.retry_after = retry_after
        self.possibly_completed = False
        #: The envelope's server time ``t`` (ms), used to correct clock skew.
        self.server_time_ms: int | None = None

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text}; hint: {self.hint}" if self.hint else text


class TuyaAuthError(TuyaAPIError):
    """Credentials, signature, token or request time rejected."""


class TuyaPermissionError(TuyaAPIError):
    """The project may not call this API or see this device (also: unknown device, 1106)."""


class TuyaQuotaError(TuyaPermissionError):
    """The trial edition's call quota is used up; retrying does not help."""


class TuyaRateLimitError(TuyaAPIError):
    """Tuya throttled the call (1110, 1111, 1199 or HTTP 429)."""


class TuyaInvalidRequestError(TuyaAPIError):
    """Tuya rejected a parameter."""


class TuyaDeviceError(TuyaAPIError):
    """The device's state refuses the call (offline, frozen, not supported...)."""


class TuyaServerError(TuyaAPIError):
    """Tuya failed on its side (code 500, 1112, or HTTP 5xx)."""


class TuyaBulkError(ExceptionGroup[Exception], TuyaError):
    """One or more batches of a bulk call failed; ``exceptions`` holds one error per batch."""

    def __new__(cls, message: str, exceptions: Sequence[Exception]) -> Self:
        return super().__new__(cls, message, exceptions)

    def derive(self, excs: Sequence[Exception]) -> TuyaBulkError:  # type: ignore[override]
        return TuyaBulkError(self.message, excs)


CODE_TO_ERROR: dict[int, type[TuyaAPIError]] = {
    500: TuyaServerError,
    1000: TuyaDeviceError,
    1001: TuyaAuthError,
    1002: TuyaAuthError,
    1003: TuyaAuthError,
    1004: TuyaAuthError,
    1005: TuyaAuthError,
    1006: TuyaInvalidRequestError,
    1007: TuyaInvalidRequestError,
    1008: TuyaInvalidRequestError,
    1010: TuyaAuthError,
    1011: TuyaAuthError,
    1012: TuyaAuthError,
    1013: TuyaAuthError,
    1100: TuyaInvalidRequestError,
    1101: TuyaInvalidRequestError,
    1102: TuyaInvalidRequestError,
    1103: TuyaDeviceError,
    1104: TuyaInvalidRequestError,
    1105: TuyaInvalidRequestError,
    1106: TuyaPermissionError,
    1107: TuyaInvalidRequestError,
    1108: TuyaInvalidRequestError,  # live: also an API the project may not use (see HINTS)
    1109: TuyaInvalidRequestError,
    1110: TuyaRateLimitError,  # documented as throttling; once seen live as "illegal param"
    1111: TuyaRateLimitError,
    1112: TuyaServerError,
    1113: TuyaInvalidRequestError,
    1114: TuyaPermissionError,
    1199: TuyaRateLimitError,
    1400: TuyaAuthError,
    **dict.fromkeys((2001, 2002, 2003, 2004, 2005, 2006, 2008, 2009, 2010), TuyaDeviceError),
    2007: TuyaAuthError,  # live: "cross-region access is not allowed" on the token request
    28841001: TuyaPermissionError,
    28841002: TuyaPermissionError,
    28841004: TuyaQuotaError,
    28841101: TuyaPermissionError,
    28841105: TuyaPermissionError,
    28841106: TuyaPermissionError,
    28841107: TuyaPermissionError,
    40000904: TuyaInvalidRequestError,
}

#: The documented message of each code; the emulator answers with these.
CODE_MESSAGES: dict[int, str] = {
    500: "system error, please contact the admin",
    1000: "data not exist",
    1001: "secret invalid",
    1002: "access_token is null",
    1003: "grant type invalid",
    1004: "sign invalid",
    1005: "clientId invalid",
    1006: "not support content type",
    1007: "not support key",
    1008: "invalid access",
    1010: "token invalid",
    1011: "token invalid",
    1012: "token status is invalid",
    1013: "request time is invalid",
    1100: "param is empty",
    1101: "params range invalid",
    1102: "param is null",
    1103: "commands issue error",
    1104: "type is incorrect",
    1105: "missing the header",
    1106: "permission deny",
    1107: "code invalid",
    1108: "uri path invalid",
    1109: "param is illegal, please check it",
    1110: "concurrent request over limit",
    1111: "system is busy, please retry later",
    1112: "the user is syncing in the background, please try again later",
    1113: "do not repeat the operation in a short time",
    1114: "your ip don't have access to this API",
    1199: "your requests are too frequent",
    1400: "token invalid",
    2001: "device is offline",
    2002: "this user does not have any devices",
    2003: "function not support",
    2004: "not support the lock type",
    2005: "product not exist",
    2006: "user not exist",
    2007: "your ip cross-region access is not allowed",
    2008: "command or value not support",
    2009: "not support this device",
    2010: "device not exist",
    28841001: "No permissions",
    28841002: "no permissions",
    28841004: "No permissions. Your quota of Trial Edition is used up.",
    28841101: "No permissions. This API is not subscribed.",
    28841105: "No permissions. This project is not authorized to call this API",
    28841106: "No permissions. This API is not subscribed.",
    28841107: "No permission. The data center is suspended",
    40000904: "param size too much",
}

#: Codes that mean "get a new token, then retry once".
TOKEN_CODES = frozenset({1010, 1011, 1012, 1400})
#: Code that means "the request time is off": learn the skew, re-sign, retry once.
CLOCK_SKEW_CODE = 1013


def error_for_code(
    code: int,
    msg: str,
    *,
    tid: str | None = None,
    http_status: int = 200,
    retry_after: float | None = None,
    method: str = "",
    path: str = "",
) -> TuyaAPIError:
    """Build the typed error for a Tuya ``code`` (unknown codes give plain ``TuyaAPIError``)."""
    cls = CODE_TO_ERROR.get(code, TuyaAPIError)
    if http_status == 429 or (cls is TuyaAPIError and "frequen" in msg.lower()):
        cls = TuyaRateLimitError
    return cls(
        code,
        msg,
        tid=tid,
        http_status=http_status,
        retry_after=retry_after,
        method=method,
        path=path,
    )


_REGION = "use the Region of the data center your cloud project is in"
_SUBSCRIBE = "subscribe the cloud project to the API product that holds this API"
#: What to do about the common codes; shown in ``str(error)`` and by the command line.
HINTS: dict[int, str] = {
    1004: "signature rejected: check the Access Secret, and that the system clock is right",
    **dict.fromkeys((1010, 1011), "token rejected after a renewal: check the Access ID/Secret"),
    1013: "request time rejected: the system clock is off, sync it (NTP)",
    1106: "unknown device ID, or the device is not linked to this cloud project",
    1108: "on a real project this usually means the API is not enabled for the project: "
    f"check its API products / service subscription ({_SUBSCRIBE}); not an SDK bug",
    1114: f"this IP may not call this API: {_REGION}, and check the project's IP allowlist",
    2001: "the device is offline or frozen: check it is powered, online and unfrozen",
    2003: "the device (or its firmware) does not support this function",
    2007: f"cross-region access: {_REGION} (wrong Region / base URL)",
    2010: "unknown device ID: check it, and that the device is in this cloud project",
    28841002: "the cloud development plan has expired: renew it on the Tuya platform",
    28841004: "the trial call quota is used up: wait for the monthly refresh or upgrade",
    28841101: f"this API is not subscribed: {_SUBSCRIBE}",
    28841105: f"this project is not authorised to call this API: {_SUBSCRIBE}",
    28841106: f"this API is not subscribed: {_SUBSCRIBE}",
    28841107: f"the data center is not enabled for this project: {_REGION}, or enable it",
}

#: Codes about the whole project (region, API access, plan), never about one device or batch.
PROJECT_CODES = frozenset(
    {1108, 1114, 2007, 28841001, 28841002, 28841101, 28841105, 28841106, 28841107}
)
_JOB_WIDE: tuple[type[TuyaError], ...] = (TuyaAuthError, TuyaQuotaError, TuyaConfigError)
_JOB_WIDE += (TuyaClientClosedError, TuyaEventLoopError, TuyaRetryQuotaExceededError)


def is_job_wide(error: BaseException) -> bool:
    """Whether ``error`` stops every request of a job (client, credentials, region, API
    access, quota), so that a bulk call raises it as itself instead of per batch."""
    if isinstance(error, _JOB_WIDE):
        return True
    return isinstance(error, TuyaAPIError) and error.code in PROJECT_CODES
