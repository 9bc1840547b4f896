"""``TuyaClient``: lifecycle, the resource namespaces and the signed escape hatch."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any
from urllib.parse import quote

import aiohttp
import attrs

from ._pipeline import CallPipeline, ClientStats
from ._protocol import PROJECT_DEVICES, Route
from ._transport import AiohttpTransport, Transport
from .config import (
    ENV_BASE_URL,
    ClientSettings,
    Credentials,
    Region,
    endpoint_from_env,
    resolve_base_url,
)
from .endpoints.devices import Devices, read_project_page
from .endpoints.firmware import Firmware
from .endpoints.logs import Logs
from .errors import TuyaConfigError, TuyaValidationError


@attrs.frozen
class Verified:
    """What ``await tuya.verify()`` found: the credentials work against ``base_url``."""

    base_url: str
    #: Whether the project's device listing returned at least one device.
    has_devices: bool
    #: Tuya's request id of the check (quote it to Tuya support).
    tid: str | None


_SEGMENT = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:@-]+")


class TuyaClient:
    """Async client for Tuya Cloud Device Management (``/v2.0/cloud/thing``).

    Use it as ``async with TuyaClient(creds, region=Region.EU) as tuya:`` (or call
    ``aclose()``). Pass ``session=`` to borrow an ``aiohttp.ClientSession`` (never closed by
    the client), or ``transport=`` to send through your own ``Transport``. Plain ``http://``
    is accepted only for loopback hosts together with ``insecure_http=True`` (the emulator).
    A client belongs to the event loop that first uses it.
    """

    def __init__(
        self,
        credentials: Credentials,
        *,
        region: Region | str | None = None,
        base_url: str | None = None,
        session: aiohttp.ClientSession | None = None,
        transport: Transport | None = None,
        settings: ClientSettings | None = None,
        insecure_http: bool = False,
    ) -> None:
        if not isinstance(credentials, Credentials):
            raise TypeError("credentials must be a Credentials instance")
        if transport is not None and session is not None:
            raise TuyaConfigError("give session= or transport=, not both")
        self.base_url = resolve_base_url(region, base_url, insecure_http)
        self.settings = settings or ClientSettings()
        self._pipeline = CallPipeline(
            credentials, self.settings, transport or self._aiohttp_transport(session)
        )
        self.devices = Devices(self._pipeline)
        self.logs = Logs(self._pipeline)
        self.firmware = Firmware(self._pipeline)

    @classmethod
    def from_env(
        cls,
        *,
        settings: ClientSettings | None = None,
        session: aiohttp.ClientSession | None = None,
        transport: Transport | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> TuyaClient:
        """A client configured by the environment (``os.environ``, or ``environ``):
        ``TUYA_ACCESS_ID``, ``TUYA_ACCESS_SECRET``, and ``TUYA_REGION`` (``EU``, ``US``...) or
        ``TUYA_BASE_URL``. Plain ``http://`` (loopback only: the emulator) needs
        ``TUYA_INSECURE_HTTP=1``. Raises a one-line ``TuyaConfigError`` naming a missing or
        bad variable."""
        credentials = Credentials.from_env(environ)
        where = endpoint_from_env(environ)
        try:
            base_url = resolve_base_url(where.region, where.base_url, where.insecure_http)
        except TuyaConfigError as exc:
            raise TuyaConfigError(f"{ENV_BASE_URL}: {exc}") from None
        return cls(
            credentials,
            base_url=base_url,
            settings=settings,
            session=session,
            transport=transport,
            insecure_http=where.insecure_http,
        )

    def _aiohttp_transport(self, session: aiohttp.ClientSession | None) -> AiohttpTransport:
        settings = self.settings
        return AiohttpTransport(
            self.base_url,
            session=session,
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            max_body_bytes=settings.max_body_bytes,
            connection_limit=max(settings.connection_limit, settings.max_concurrency),
        )

    @property
    def stats(self) -> ClientStats:
        """Requests sent, retries, token renewals and requests in flight (a snapshot)."""
        return self._pipeline.stats

    @property
    def closed(self) -> bool:
        return self._pipeline.closed

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | Sequence[tuple[str, str]] | None = None,
        body: Any = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Signed call to any Tuya OpenAPI path; returns the unwrapped ``result``.

        Retries follow the policy: GET and DELETE count as idempotent, POST and PUT do not
        unless ``idempotent=True``. Pass the query as ``params``, not inside ``path``.
        """
        verb = method.upper()
        if verb not in ("GET", "POST", "PUT", "DELETE"):
            raise TuyaValidationError(f"unsupported method {method!r}")
        if not path.startswith("/") or any(
            not _SEGMENT.fullmatch(s) or s in (".", "..") for s in path[1:].split("/")
        ):
            raise TuyaValidationError(
                "path must be an absolute path like '/v2.0/cloud/thing/ID', with no empty, "
                "'.' or '..' segments, no query ('?'), fragment ('#'), '%' or spaces"
            )
        items = list(params.items() if isinstance(params, Mapping) else params or ())
        query = tuple((str(k), str(val)) for k, val in items if val is not None)
        safe = verb in ("GET", "DELETE") if idempotent is None else idempotent
        encoded = quote(path, safe="/")
        route = Route(verb, encoded, safe, needs_token=not path.startswith("/v1.0/token"))
        return (await self._pipeline.call(route, params=query, body=body, idempotent=safe)).result

    async def verify(self) -> Verified:
        """A start-up check of credentials, region and permissions: gets a token and lists
        one device of the project (``GET /v2.0/cloud/thing/device?page_size=1``).

        Raises what a real call would: ``TuyaAuthError`` (wrong ID or secret, or the project
        lives in another region), ``TuyaPermissionError`` (the API is not authorised for the
        project), ``TuyaConnectError``...; each ``TuyaAPIError`` carries Tuya's code and a hint.
        """
        envelope = await self._pipeline.call(PROJECT_DEVICES, params=(("page_size", "1"),))
        listed, _, _ = read_project_page(envelope.result, 1)
        return Verified(self.base_url, bool(listed), envelope.tid)

    async def aclose(self) -> None:
        """Close the client: calls in flight, and any later call, end with
        ``TuyaClientClosedError``; the aiohttp session is closed if the client opened it.
        Idempotent."""
        await self._pipeline.aclose()

    async def __aenter__(self) -> TuyaClient:
        self._pipeline.check_open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<TuyaClient {self.base_url} {self._pipeline.credentials!r} {state}>"
