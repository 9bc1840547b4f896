"""The one network seam: the only module that touches aiohttp's client.

``Transport.send`` performs one HTTP exchange and returns status, headers and the body bytes
(read under a size cap), or raises a sanitised ``TuyaTransportError``: no aiohttp exception,
whose text holds the full URL (and so the refresh token), ever escapes or is chained.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import attrs
from yarl import URL

from .config import ClientSettings
from .errors import (
    TuyaConnectError,
    TuyaResponseTooLargeError,
    TuyaTimeoutError,
    TuyaTLSError,
    TuyaTransportError,
)

log = logging.getLogger("tuya_thing_async.transport")
#: Response headers the protocol layer reads; nothing else is kept.
_KEPT_HEADERS = ("Content-Type", "Retry-After")


@attrs.frozen
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes


class Transport:
    """Sends bytes over one ``aiohttp.ClientSession``, owned or borrowed."""

    def __init__(
        self,
        base_url: str,
        settings: ClientSettings,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self._base_url = base_url
        self._settings = settings
        self._session = session
        self._owns_session = session is None

    @property
    def session(self) -> aiohttp.ClientSession:
        """The aiohttp session, created lazily inside the running loop."""
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self._settings.connection_limit,
                limit_per_host=max(1, self._settings.connection_limit // 2),
                ttl_dns_cache=300,
            )
            self._session = aiohttp.ClientSession(connector=connector, auto_decompress=True)
        return self._session

    async def close(self) -> None:
        """Close the session if this transport opened it; a borrowed one is left alone."""
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()

    async def send(
        self,
        method: str,
        target: str,
        headers: dict[str, str],
        body: bytes,
        *,
        timeout: float,
        template: str,
    ) -> RawResponse:
        """One HTTP exchange to ``base_url + target`` (already encoded; sent verbatim)."""
        url = URL(self._base_url + target, encoded=True)
        client_timeout = aiohttp.ClientTimeout(
            total=max(timeout, 0.001),
            connect=min(self._settings.connect_timeout, max(timeout, 0.001)),
            sock_read=self._settings.read_timeout,
        )
        cap = self._settings.max_body_bytes
        try:
            async with self.session.request(
                method,
                url,
                headers=headers,
                data=body or None,
                timeout=client_timeout,
                allow_redirects=False,
            ) as resp:
                length = resp.content_length
                if length is not None and length > cap:
                    raise TuyaResponseTooLargeError(
                        f"response of {length} bytes is over the {cap}-byte cap",
                        http_status=resp.status,
                        method=method,
                        path=template,
                    )
                headers = {k: resp.headers[k] for k in _KEPT_HEADERS if k in resp.headers}
                if length is not None and "Content-Encoding" not in resp.headers:
                    # the declared length is within the cap and nothing is decompressed
                    return RawResponse(resp.status, headers, await resp.read())
                data = bytearray()
                async for chunk in resp.content.iter_chunked(65536):
                    data += chunk
                    if len(data) > cap:
                        raise TuyaResponseTooLargeError(
                            f"response body is over the {cap}-byte cap",
                            http_status=resp.status,
                            method=method,
                            path=template,
                        )
                return RawResponse(resp.status, headers, bytes(data))
        except aiohttp.ClientSSLError as exc:
            raise TuyaTLSError(
                f"TLS failure: {type(exc).__name__}", method=method, path=template
            ) from None
        except aiohttp.ClientConnectorError as exc:
            raise TuyaConnectError(
                f"could not connect: {type(exc).__name__} ({exc.os_error.strerror or 'error'})",
                method=method,
                path=template,
            ) from None
        except aiohttp.ConnectionTimeoutError:
            raise TuyaConnectError(
                "timed out while connecting", method=method, path=template
            ) from None
        except (TimeoutError, aiohttp.ServerTimeoutError):
            raise TuyaTimeoutError(
                "timed out waiting for the response", method=method, path=template
            ) from None
        except aiohttp.ServerDisconnectedError:
            raise TuyaTransportError(
                "server closed the connection without answering", method=method, path=template
            ) from None
        except aiohttp.ClientPayloadError:
            raise TuyaTransportError(
                "response body was cut off", method=method, path=template
            ) from None
        except (aiohttp.ClientError, OSError, asyncio.IncompleteReadError) as exc:
            raise TuyaTransportError(
                f"network error: {type(exc).__name__}", method=method, path=template
            ) from None
