"""``TuyaClient``: lifecycle, the resource namespaces and the signed escape hatch."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any
from urllib.parse import quote

import aiohttp

from ._protocol import Route
from ._session import Session, SessionStats
from .config import ClientSettings, Credentials, Region, resolve_base_url
from .endpoints.devices import Devices
from .endpoints.firmware import Firmware
from .endpoints.logs import Logs
from .errors import TuyaValidationError

_SEGMENT = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:@-]+")


class TuyaClient:
    """Async client for Tuya Cloud Device Management (``/v2.0/cloud/thing``).

    Use it as ``async with TuyaClient(creds, region=Region.EU) as tuya:`` (or call
    ``aclose()``). Pass ``session=`` to borrow an ``aiohttp.ClientSession``; the client never
    closes a session it did not open. Plain ``http://`` is accepted only for loopback hosts
    together with ``insecure_http=True`` (the emulator).
    """

    def __init__(
        self,
        credentials: Credentials,
        *,
        region: Region | str | None = None,
        base_url: str | None = None,
        session: aiohttp.ClientSession | None = None,
        settings: ClientSettings | None = None,
        insecure_http: bool = False,
    ) -> None:
        if not isinstance(credentials, Credentials):
            raise TypeError("credentials must be a Credentials instance")
        self.base_url = resolve_base_url(region, base_url, insecure_http)
        self.settings = settings or ClientSettings()
        self._session = Session(credentials, self.base_url, self.settings, session)
        self.devices = Devices(self._session)
        self.logs = Logs(self._session)
        self.firmware = Firmware(self._session)

    @property
    def stats(self) -> SessionStats:
        """Requests sent, retries and token renewals so far (a snapshot)."""
        return self._session.stats

    @property
    def closed(self) -> bool:
        return self._session.closed

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
        route = Route(
            verb, quote(path, safe="/"), safe, needs_token=not path.startswith("/v1.0/token")
        )
        env = await self._session.call(route, params=query, body=body, idempotent=safe)
        return env.result

    async def aclose(self) -> None:
        """Close the client (and its aiohttp session if it opened one). Idempotent."""
        await self._session.aclose()

    async def __aenter__(self) -> TuyaClient:
        self._session.check_open()
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
        return f"<TuyaClient {self.base_url} {self._session.credentials!r} {state}>"
