"""Credentials, data-center regions, client settings and the injectable clock."""

from __future__ import annotations

import asyncio
import enum
import ipaddress
import math
import os
import random
import re
import time
from collections.abc import Callable, Mapping
from urllib.parse import SplitResult, urlsplit

import attrs

from .errors import TuyaConfigError
from .events import RequestEvent, ResponseEvent, RetryEvent


def _check_key(name: str, value: object) -> None:
    """Refuse an empty key or one with other than visible ASCII; never show the value."""
    if not isinstance(value, str) or not value:
        raise TuyaConfigError(f"Credentials.{name} must be a non-empty string")
    if not all("!" <= char <= "~" for char in value):
        raise TuyaConfigError(
            f"Credentials.{name} may hold only visible ASCII characters "
            "(no spaces, line breaks, control or non-ASCII characters)"
        )


@attrs.frozen(repr=False)
class Credentials:
    """A cloud project's key pair. ``repr``/``str`` never show the secret."""

    access_id: str
    access_secret: str

    def __attrs_post_init__(self) -> None:
        for name in ("access_id", "access_secret"):
            _check_key(name, getattr(self, name))

    def __repr__(self) -> str:
        return f"Credentials(access_id={self.access_id[:4]!r}…, access_secret=***)"

    __str__ = __repr__

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Credentials:
        """``TUYA_ACCESS_ID`` and ``TUYA_ACCESS_SECRET`` from ``environ`` (``os.environ`` by
        default); a one-line ``TuyaConfigError`` names a variable that is missing or bad."""
        env = os.environ if environ is None else environ
        values = [_required(env, name) for name in (ENV_ACCESS_ID, ENV_ACCESS_SECRET)]
        try:
            return cls(*values)
        except TuyaConfigError as exc:  # name the variable, never show its value
            text = str(exc).replace("Credentials.access_id", ENV_ACCESS_ID)
            text = text.replace("Credentials.access_secret", ENV_ACCESS_SECRET)
            raise TuyaConfigError(text) from None


ENV_ACCESS_ID = "TUYA_ACCESS_ID"
ENV_ACCESS_SECRET = "TUYA_ACCESS_SECRET"
ENV_REGION = "TUYA_REGION"
ENV_BASE_URL = "TUYA_BASE_URL"
#: The explicit opt-in for plain ``http://`` to a loopback host (the emulator).
ENV_INSECURE_HTTP = "TUYA_INSECURE_HTTP"
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")


def _required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "")
    if not value.strip():
        raise TuyaConfigError(f"{name} is not set (or empty)")
    return value.strip()


class Region(enum.Enum):
    """Tuya's documented OpenAPI data centers and their base URLs."""

    CN = "https://openapi.tuyacn.com"
    US = "https://openapi.tuyaus.com"
    US_EAST = "https://openapi-ueaz.tuyaus.com"
    EU = "https://openapi.tuyaeu.com"
    EU_WEST = "https://openapi-weaz.tuyaeu.com"
    IN = "https://openapi.tuyain.com"

    @property
    def base_url(self) -> str:
        return self.value


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_base_url(region: Region | str | None, base_url: str | None, insecure_http: bool) -> str:
    """Pick and check the base URL: https anywhere, plain http only on loopback with opt-in."""
    if base_url is None:
        base_url = _region_url(region)
    parts = _split_url(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TuyaConfigError(f"base_url must be an http(s) URL with a host, got {base_url!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise TuyaConfigError("base_url must not carry a path, query or fragment")
    if parts.scheme == "http":
        if not _is_loopback(parts.hostname):
            raise TuyaConfigError(
                "plain http:// is allowed only for loopback hosts (e.g. the emulator); "
                "use https:// for Tuya's cloud"
            )
        if not insecure_http:
            raise TuyaConfigError("plain http:// to a loopback host needs insecure_http=True")
    return f"{parts.scheme}://{parts.netloc}"


@attrs.frozen
class EnvEndpoint:
    """Where ``TuyaClient.from_env()`` connects: a region or a base URL, and the opt-in."""

    region: Region | None
    base_url: str | None
    insecure_http: bool


def endpoint_from_env(environ: Mapping[str, str] | None = None) -> EnvEndpoint:
    """``TUYA_BASE_URL`` (wins when both are set) or ``TUYA_REGION`` (``EU``, ``us_east``...),
    and ``TUYA_INSECURE_HTTP=1``, the only way to allow ``http://`` to a loopback host."""
    env = os.environ if environ is None else environ
    flag = env.get(ENV_INSECURE_HTTP, "").strip().lower()
    if flag not in _TRUE + _FALSE:
        raise TuyaConfigError(f"{ENV_INSECURE_HTTP} must be 1 or 0, got {flag!r}")
    insecure = flag in _TRUE
    base_url = env.get(ENV_BASE_URL, "").strip() or None
    if base_url is not None:
        if base_url.startswith("http://") and not insecure:
            raise TuyaConfigError(
                f"{ENV_BASE_URL} is plain http://: set {ENV_INSECURE_HTTP}=1 to allow it "
                "(loopback hosts only, e.g. the emulator)"
            )
        return EnvEndpoint(None, base_url, insecure)
    name = env.get(ENV_REGION, "").strip().upper().replace("-", "_")
    if not name:
        raise TuyaConfigError(f"{ENV_REGION} or {ENV_BASE_URL} is not set")
    if name not in Region.__members__:
        names = ", ".join(Region.__members__)
        raise TuyaConfigError(f"{ENV_REGION} must be one of {names}, got {name!r}")
    return EnvEndpoint(Region[name], None, insecure)


def _region_url(region: Region | str | None) -> str:
    if region is None:
        raise TuyaConfigError("give region=Region.XX or base_url=...")
    try:
        return region.base_url if isinstance(region, Region) else Region[region].base_url
    except KeyError:
        names = ", ".join(r.name for r in Region)
        raise TuyaConfigError(f"unknown region {region!r}; use one of {names}") from None


def _split_url(base_url: str) -> SplitResult:
    """Split ``base_url``, refusing what ``urlsplit`` would drop or choke on silently.

    Messages never repeat the URL here: it may carry a password.
    """
    if " " in base_url or not base_url.isprintable():  # other whitespace is not printable
        raise TuyaConfigError("base_url must not contain whitespace or control characters")
    try:
        parts = urlsplit(base_url)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        raise TuyaConfigError("base_url is not a valid URL") from None
    if "@" in parts.netloc:
        raise TuyaConfigError("base_url must not carry user info (user:password@)")
    try:
        port = parts.port
    except ValueError:  # not a number, or over 65535
        port = 0
    if port == 0:
        raise TuyaConfigError("base_url port must be a number within 1-65535")
    return parts


class Clock:
    """Time source for signing, token expiry, backoff and rate limiting.

    Tests inject a fake clock whose ``sleep`` advances time instantly.
    """

    def time(self) -> float:
        """Wall-clock seconds since the epoch (used for the signed ``t``)."""
        return time.time()

    def monotonic(self) -> float:
        """Monotonic seconds (used for expiry, deadlines and rate limiting)."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


@attrs.frozen
class ClientSettings:
    """Tuning knobs of a client."""

    #: Total seconds one logical call may take, retries and backoff included.
    deadline: float = 30.0
    #: Seconds to open a new connection (a pooled one is reused at once).
    connect_timeout: float = 10.0
    #: Longest wait for one answer, from sending the request to its last byte (one attempt;
    #: the call's deadline still bounds it).
    read_timeout: float = 20.0
    #: Attempts per logical call for transient failures (auth and clock retries are extra).
    max_attempts: int = 3
    #: Initial retry budget shared by the client (botocore's quota).
    retry_quota: int = 500
    #: Requests in flight at once.
    max_concurrency: int = 16
    #: Adapt each API's rate to the cloud's throttling (no cap until the cloud throttles).
    adaptive: bool = True
    #: Known per-API ceilings, requests per second, by route
    #: (``{"GET /v2.0/cloud/thing/{device_id}/report-logs": 20}``).
    rate_limits: Mapping[str, float] = attrs.field(factory=dict, converter=dict)
    #: An overall ceiling across all APIs, requests per second (``None``: none).
    rate: float | None = None
    burst: int = 10
    #: Bulk fan-out: batches of device IDs in flight at once.
    bulk_concurrency: int = 4
    #: Largest response body accepted, in bytes.
    max_body_bytes: int = 8 * 1024 * 1024
    #: Connection pool size; the pool never holds fewer than ``max_concurrency`` connections.
    connection_limit: int = 32
    lang: str = "en"
    #: Reject unknown response fields and missing ones (for tests: drift shows up as failures).
    strict_models: bool = False
    #: Randomness for backoff jitter; tests inject a fixed value.
    rng: Callable[[], float] = random.random
    clock: Clock = attrs.field(factory=Clock)
    #: Hooks, each given a redacted record (``tuya_thing_async.events``): a request about to
    #: be sent, an HTTP answer, a retry. Plain or async callables; see ``events``.
    on_request: Callable[[RequestEvent], object] | None = None
    on_response: Callable[[ResponseEvent], object] | None = None
    on_retry: Callable[[RetryEvent], object] | None = None
    #: An OpenTelemetry ``TracerProvider`` for the client's spans (None: the global one).
    tracer_provider: object | None = None

    def __attrs_post_init__(self) -> None:
        positives = {
            "deadline": self.deadline,
            "connect_timeout": self.connect_timeout,
            "read_timeout": self.read_timeout,
            "max_attempts": self.max_attempts,
            "max_concurrency": self.max_concurrency,
            "burst": self.burst,
            "bulk_concurrency": self.bulk_concurrency,
            "max_body_bytes": self.max_body_bytes,
            "connection_limit": self.connection_limit,
        }
        for name, value in positives.items():
            if value <= 0:
                raise TuyaConfigError(f"ClientSettings.{name} must be > 0, got {value!r}")
        _check_rate("ClientSettings.rate", self.rate)
        for route, per_second in self.rate_limits.items():
            if not isinstance(route, str) or not _ROUTE.fullmatch(route):
                raise TuyaConfigError(
                    f"ClientSettings.rate_limits key {route!r} must be a route such as "
                    "'GET /v2.0/cloud/thing/{device_id}/report-logs'"
                )
            _check_rate(f"ClientSettings.rate_limits[{route!r}]", per_second)
        if self.retry_quota < 0:
            raise TuyaConfigError("ClientSettings.retry_quota must be >= 0")


_ROUTE = re.compile(r"(GET|POST|PUT|DELETE) /[!-~]*")


def _check_rate(name: str, value: object) -> None:
    """A rate is a finite number of requests per second > 0, or None."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TuyaConfigError(f"{name} must be a number of requests per second or None")
    if not (math.isfinite(value) and value > 0):
        raise TuyaConfigError(f"{name} must be > 0 and finite, got {value!r}")
