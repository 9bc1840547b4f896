"""The one network seam: ``Transport`` (what the call pipeline sends through), its aiohttp
implementation (the only code that touches aiohttp's client) and ``MockTransport`` for tests.

aiohttp exceptions are mapped to ``TuyaTransportError`` subclasses in one place,
``_map_error``. The mapped error is raised outside the ``except`` block, so it chains no aiohttp
exception (whose text holds the full URL, and so the refresh token) and its traceback holds no
frame with the URL or headers in a local variable.
"""

from __future__ import annotations

import abc
import asyncio
import inspect
from collections.abc import Awaitable, Callable

import aiohttp
import attrs
from aiohttp.http import SERVER_SOFTWARE
from yarl import URL

from ._protocol import SignedRequest
from ._version import __version__
from .errors import (
    TuyaClientClosedError,
    TuyaConfigError,
    TuyaConnectError,
    TuyaError,
    TuyaResponseTooLargeError,
    TuyaTimeoutError,
    TuyaTLSError,
    TuyaTransportError,
)

#: Names the SDK, then aiohttp and Python (aiohttp's own default).
USER_AGENT = f"tuya-thing-async/{__version__} {SERVER_SOFTWARE}"
#: Response headers the protocol layer reads; nothing else is kept.
KEPT_HEADERS = ("Content-Type", "Retry-After")
#: aiohttp exceptions, most specific first, and what they mean for a caller.
_ERROR_MAP: tuple[tuple[type[BaseException], type[TuyaTransportError], str], ...] = (
    (aiohttp.ClientSSLError, TuyaTLSError, "TLS failure"),
    (aiohttp.ClientConnectorError, TuyaConnectError, "could not connect"),
    (aiohttp.ConnectionTimeoutError, TuyaConnectError, "timed out while connecting"),
    (TimeoutError, TuyaTimeoutError, "timed out waiting for the response"),
    (aiohttp.ServerDisconnectedError, TuyaTransportError, "server closed the connection"),
    (aiohttp.ClientPayloadError, TuyaTransportError, "response body was cut off"),
    (aiohttp.ClientError, TuyaTransportError, "network error"),
    (OSError, TuyaTransportError, "network error"),
    (asyncio.IncompleteReadError, TuyaTransportError, "response was cut off"),
)
_MAPPED = tuple(source for source, _, _ in _ERROR_MAP)


@attrs.frozen(repr=False)
class TransportResponse:
    """An HTTP answer: status, the kept headers and the whole body (under the size cap).
    ``repr`` leaves the body out: a token answer holds tokens."""

    status: int
    headers: dict[str, str]
    body: bytes

    def __repr__(self) -> str:
        return f"TransportResponse(status={self.status}, {len(self.body)} bytes)"


class Transport(abc.ABC):
    """Sends one signed request and returns the answer; nothing else (no retries, no parsing).

    Implementations raise ``TuyaTransportError`` subclasses for network failures:
    ``TuyaConnectError`` only when no byte of the request was sent.
    """

    @abc.abstractmethod
    async def send(self, request: SignedRequest, *, timeout: float) -> TransportResponse:
        """One HTTP exchange for ``request``, within ``timeout`` seconds."""

    async def aclose(self) -> None:  # noqa: B027 - optional to override
        """Release what the transport opened (called by the client's ``aclose``; may be called
        more than once)."""


@attrs.frozen
class _Oversize:
    status: int


Handler = Callable[[SignedRequest], TransportResponse | Awaitable[TransportResponse]]


class MockTransport(Transport):
    """A transport that answers from ``handler(request)`` (sync or async), for tests."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler

    async def send(self, request: SignedRequest, *, timeout: float) -> TransportResponse:
        answer = self._handler(request)
        return await answer if inspect.isawaitable(answer) else answer


def _map_error(exc: BaseException) -> TuyaTransportError:
    for source, target, text in _ERROR_MAP:
        if isinstance(exc, source):
            return target(f"{text} ({type(exc).__name__})")
    raise AssertionError("unmapped")  # pragma: no cover - _MAPPED lists the same classes


class AiohttpTransport(Transport):
    """Sends over one ``aiohttp.ClientSession``: borrowed (never closed here) or created
    lazily inside the running loop and closed by ``aclose``.

    A borrowed session answers exactly as an owned one: each request sets its own timeouts,
    ``raise_for_status=False``, no redirects, decompression on and no session middlewares.
    The session's default headers, cookies, auth, proxy settings and trace configs still
    apply (aiohttp offers no per-request opt-out); a session with a ``base_url`` is refused.
    """

    def __init__(
        self,
        base_url: str,
        *,
        session: aiohttp.ClientSession | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 20.0,
        max_body_bytes: int = 8 * 1024 * 1024,
        connection_limit: int = 32,
    ) -> None:
        if session is not None and getattr(session, "_base_url", None) is not None:
            raise TuyaConfigError("a borrowed aiohttp session must not have a base_url")
        self.base_url = base_url
        self._session = session
        self._owns_session = session is None
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._usual_timeout = self._timeout(read_timeout)
        self._cap = max_body_bytes
        self._connection_limit = connection_limit

    @property
    def session(self) -> aiohttp.ClientSession:
        """The aiohttp session, created on first use."""
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self._connection_limit,  # one host: no lower per-host limit
                ttl_dns_cache=300,
            )
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session

    def _timeout(self, total: float) -> aiohttp.ClientTimeout:
        """One timer per request (``total``); ``sock_connect`` applies only to new
        connections, so a pooled request schedules nothing else."""
        return aiohttp.ClientTimeout(total=total, sock_connect=min(self._connect_timeout, total))

    async def aclose(self) -> None:
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()

    async def send(self, request: SignedRequest, *, timeout: float) -> TransportResponse:
        error: TuyaError
        if self._session is not None and self._session.closed:
            raise TuyaClientClosedError("the borrowed aiohttp session is closed")
        try:
            response = await self._exchange(request, max(timeout, 0.001))
        except _MAPPED as exc:
            error = _map_error(exc)
        else:
            if isinstance(response, TransportResponse):
                return response
            error = TuyaResponseTooLargeError(
                f"response body is over the {self._cap}-byte cap", http_status=response.status
            )
        raise error  # outside the except block: no aiohttp exception in its chain

    async def _exchange(
        self, request: SignedRequest, timeout: float
    ) -> TransportResponse | _Oversize:
        """The exchange. An over-cap body is returned as ``_Oversize``, not raised here: this
        frame holds the response object, whose repr shows the URL."""
        async with self.session.request(
            request.method,
            URL(self.base_url + request.target, encoded=True),
            headers={**request.headers, "User-Agent": USER_AGENT},
            data=request.body or None,
            timeout=(
                self._usual_timeout if timeout >= self._read_timeout else self._timeout(timeout)
            ),
            allow_redirects=False,
            raise_for_status=False,
            auto_decompress=True,
            read_until_eof=True,
            middlewares=(),
        ) as resp:
            kept = {k: resp.headers[k] for k in KEPT_HEADERS if k in resp.headers}
            length = resp.content_length
            if length is not None and length > self._cap:
                return _Oversize(resp.status)
            if length is not None and "Content-Encoding" not in resp.headers:
                return TransportResponse(resp.status, kept, await resp.read())
            data = bytearray()
            async for chunk in resp.content.iter_chunked(65536):
                data += chunk
                if len(data) > self._cap:
                    return _Oversize(resp.status)
            return TransportResponse(resp.status, kept, bytes(data))
