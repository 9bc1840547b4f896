"""Pure protocol code: the route table, signed request building and envelope parsing.

No I/O here: the call pipeline hands in the clock reading, nonce and token, and gets back bytes and
headers to send; the transport hands back status, headers and bytes to parse.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeGuard
from urllib.parse import quote

import attrs

from . import _json, _signing
from .errors import (
    TuyaError,
    TuyaProtocolError,
    TuyaRateLimitError,
    TuyaServerError,
    error_for_code,
)


@attrs.frozen
class Route:
    """One HTTP endpoint: verb, path template, and whether repeating it is safe."""

    method: str
    template: str
    idempotent: bool
    needs_token: bool = True
    #: ``"GET /v2.0/cloud/thing/{device_id}"``: how rate limits and stats name the route.
    key: str = attrs.field(
        init=False,
        default=attrs.Factory(lambda self: f"{self.method} {self.template}", takes_self=True),
    )


THING = "/v2.0/cloud/thing/{device_id}"
TOKEN_GRANT = Route("GET", "/v1.0/token", idempotent=True, needs_token=False)
TOKEN_REFRESH = Route("GET", "/v1.0/token/{refresh_token}", idempotent=False, needs_token=False)
DEVICE_GET = Route("GET", THING, idempotent=True)
DEVICE_BATCH = Route("GET", "/v2.0/cloud/thing/batch", idempotent=True)
PROJECT_DEVICES = Route("GET", "/v2.0/cloud/thing/device", idempotent=True)
DEVICE_STATE = Route("GET", THING + "/state", idempotent=True)
DEVICE_FREEZE = Route("POST", THING + "/freeze", idempotent=True)
DEVICE_ATTRIBUTE = Route("POST", THING + "/attribute", idempotent=True)
DEVICE_TRANSFER = Route("POST", THING + "/transfer", idempotent=True)
DEVICE_DELETE = Route("DELETE", THING, idempotent=True)
DEVICE_RESET = Route("POST", THING + "/reset", idempotent=False)
OPERATION_LOGS = Route("GET", THING + "/logs", idempotent=True)
REPORT_LOGS = Route("GET", THING + "/report-logs", idempotent=True)
FIRMWARE_INFO = Route("GET", THING + "/firmware", idempotent=True)
FIRMWARE_START = Route("POST", THING + "/firmware/{channel}", idempotent=False)
FIRMWARE_PROGRESS = Route("GET", THING + "/firmware/{channel}/progress", idempotent=True)


def fill_path(template: str, params: Mapping[str, str]) -> str:
    """Percent-encode each (already validated) path parameter into the template."""
    return template.format_map(
        {k: v if _signing.unreserved(v) else quote(v, safe="") for k, v in params.items()}
    )


def encode_json(body: Any) -> bytes:
    """Serialise a JSON body once; these exact bytes are hashed and sent."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


@attrs.frozen(repr=False)
class SignedRequest:
    """What goes on the wire. ``repr`` shows only method and template: headers hold secrets."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    template: str

    @property
    def target(self) -> str:
        return f"{self.path}?{self.query}" if self.query else self.path

    def __repr__(self) -> str:
        return f"SignedRequest({self.method} {self.template})"


def prepare(
    method: str,
    path: str,
    params: _signing.Query,
    body: bytes,
    *,
    template: str,
    client_id: str,
    secret: str,
    t_ms: int,
    nonce: str,
    access_token: str = "",
    lang: str = "en",
) -> SignedRequest:
    """Sign ``method path?params`` with ``body`` exactly as it will be sent.

    ``path`` is already percent-encoded; query values are given decoded. The query goes on the
    wire sorted by key and percent-encoded; the signature covers the same order, decoded.
    """
    t = str(t_ms)
    sts = _signing.string_to_sign(
        method, _signing.body_sha256(body), _signing.canonical_url(path, params)
    )
    sign = _signing.sign(
        client_id=client_id, secret=secret, t=t, sts=sts, access_token=access_token, nonce=nonce
    )
    headers = {
        "client_id": client_id,
        "sign": sign,
        "sign_method": _signing.SIGN_METHOD,
        "t": t,
        "nonce": nonce,
        "lang": lang,
    }
    if access_token:
        headers["access_token"] = access_token
    if body:
        headers["Content-Type"] = "application/json"
    query = _signing.encode_query(sorted(params, key=lambda kv: kv[0])) if params else ""
    return SignedRequest(method, path, query, headers, body, template)


@attrs.frozen
class Envelope:
    """A successful answer: the endpoint's ``result`` plus server time and trace id."""

    result: Any
    t: int | None = None
    tid: str | None = None


#: Longest ``Retry-After`` honoured, in seconds; a longer one is treated as absent.
_MAX_RETRY_AFTER = 3600.0
#: Server times ``t`` (ms) must be below this: beyond it, JSON numbers are no longer exact.
_MAX_SERVER_TIME = 2**53
#: Error codes must be non-negative and fit a signed 64-bit integer; string codes are shorter.
_MAX_CODE = 2**63
_MAX_CODE_DIGITS = 12
_MAX_TID_LENGTH = 128


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds of a numeric ``Retry-After`` within 0..3600, else None.

    The HTTP-date form, NaN, infinities, negative and over-long values are all ignored.
    """
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if 0.0 <= seconds <= _MAX_RETRY_AFTER else None


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _server_time(data: Mapping[str, Any]) -> int | None:
    """The envelope's ``t`` (ms) when it is a plausible integer time, else None."""
    t = data.get("t")
    return t if _is_int(t) and 0 <= t < _MAX_SERVER_TIME else None


def _tid(data: Mapping[str, Any]) -> str | None:
    tid = data.get("tid")
    return tid if isinstance(tid, str) and len(tid) <= _MAX_TID_LENGTH else None


def _code(data: Mapping[str, Any], status: int) -> int:
    """The envelope's error code (an int, or a string of ASCII digits); if it is missing or
    absurd, the HTTP status when that is an error status, else 0."""
    code = data.get("code")
    if isinstance(code, str) and code.isascii() and code.isdigit():
        code = int(code) if len(code) <= _MAX_CODE_DIGITS else None
    if _is_int(code) and 0 <= code < _MAX_CODE:
        return code
    return status if status >= 400 else 0


def _http_error(status: int, retry_after: float | None, method: str, template: str) -> TuyaError:
    """The error for an error status whose body is not a Tuya envelope."""
    if status == 429:
        return TuyaRateLimitError(
            429,
            "HTTP 429 Too Many Requests",
            http_status=429,
            retry_after=retry_after,
            method=method,
            path=template,
        )
    if status >= 500:
        return TuyaServerError(
            status,
            f"HTTP {status}",
            http_status=status,
            retry_after=retry_after,
            method=method,
            path=template,
        )
    return TuyaProtocolError(
        f"HTTP {status} without a Tuya envelope", http_status=status, method=method, path=template
    )


def parse_response(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    method: str,
    template: str,
) -> Envelope:
    """Return the envelope of a successful answer, or raise the typed error it describes.

    Whatever the status, headers and body, this returns an ``Envelope`` or raises a
    ``TuyaError``: odd or absurd field values are ignored, never a raw Python error.
    """
    retry_after = _retry_after(headers)
    data = _decode(body, headers.get("Content-Type", ""), status, method, template)
    if data is None:
        raise _http_error(status, retry_after, method, template)
    t, tid = _server_time(data), _tid(data)
    if data.get("success") is True and 200 <= status < 300:
        return Envelope(data.get("result"), t, tid)
    msg = data.get("msg")
    error = error_for_code(
        _code(data, status),
        msg if isinstance(msg, str) else "",
        tid=tid,
        http_status=status,
        retry_after=retry_after,
        method=method,
        path=template,
    )
    error.server_time_ms = t
    raise error


def _decode(body: bytes, content_type: str, status: int, method: str, template: str) -> Any:
    """JSON object of the body, None for a non-JSON error status, else TuyaProtocolError."""
    is_json = "json" in content_type.lower()
    if not is_json:
        if status == 429 or status >= 400:
            return None
        raise TuyaProtocolError(
            f"expected a JSON answer, got content type {content_type or 'none'!r}",
            http_status=status,
            method=method,
            path=template,
        )
    if not body:
        if status >= 400:
            return None
        raise TuyaProtocolError(
            "empty response body", http_status=status, method=method, path=template
        )
    try:
        data = _json.loads(body)
    except UnicodeDecodeError:
        reason = "response body is not valid UTF-8"
    except RecursionError:
        reason = "response JSON is nested too deeply"
    except ValueError:
        reason = "response body is not valid JSON (truncated or malformed)"
    else:
        if isinstance(data, dict):
            return data
        reason = "response JSON is not an object"
    if status >= 400:
        return None
    raise TuyaProtocolError(reason, http_status=status, method=method, path=template) from None
