"""HTTP-level fixtures on aioresponses (no sockets): a scripted fake of Tuya's endpoints that
records what the SDK sent."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import aiohttp
import aioresponses.core as aioresponses_core
import attrs
import pytest
from aiohttp import ClientResponse
from aioresponses import CallbackResult, aioresponses
from yarl import URL

from tests.conftest import FakeClock, fast_settings
from tuya_thing_async import Credentials, Transport, TuyaClient


class _NoWriter:
    output_size = 0


class _CompatResponse(ClientResponse):
    """aioresponses 0.7.9 predates aiohttp 3.14's required ``stream_writer`` argument."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", _NoWriter())
        super().__init__(*args, **kwargs)


aioresponses_core.ClientResponse = _CompatResponse  # type: ignore[misc]

ACCESS_ID = "canaryid00000000"
SECRET = "CANARY-SECRET-9f2c"
BASE = "https://openapi.tuyaeu.com"


@attrs.define
class Seen:
    method: str
    url: URL
    headers: dict[str, str]
    body: bytes


Reply = dict[str, Any] | tuple[Any, ...] | Exception
Handler = Callable[[Seen], Reply]


class FakeTuya:
    """Routes by regex over the path; each route answers from a script or a handler."""

    def __init__(self, mock: aioresponses, clock: FakeClock) -> None:
        self.mock = mock
        self.clock = clock
        self.seen: list[Seen] = []
        self.grants = 0
        self.refreshes = 0
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        for method in ("GET", "POST", "DELETE", "PUT"):
            mock.add(
                re.compile(r"https://openapi\.tuyaeu\.com/.*"),
                method,
                callback=functools.partial(self._dispatch, method),
                repeat=True,
            )
        self.on("GET", r"/v1\.0/token", self._grant)
        self.on("GET", r"/v1\.0/token/[^/]+", self._refresh)

    def ok(self, result: Any) -> dict[str, Any]:
        return {
            "success": True,
            "result": result,
            "t": int(self.clock.time() * 1000),
            "tid": "tid-ok",
        }

    def fail(self, code: int, msg: str = "error", t: int | None = None) -> dict[str, Any]:
        return {
            "success": False,
            "code": code,
            "msg": msg,
            "t": int(self.clock.time() * 1000) if t is None else t,
            "tid": "tid-err",
        }

    def _grant(self, seen: Seen) -> Reply:
        self.grants += 1
        return self._pair()

    def _refresh(self, seen: Seen) -> Reply:
        self.refreshes += 1
        return self._pair()

    def _pair(self) -> dict[str, Any]:
        n = self.grants + self.refreshes
        return self.ok(
            {
                "access_token": f"CANARY-ACCESS-{n}",
                "refresh_token": f"CANARY-REFRESH-{n}",
                "expire_time": 7200,
                "uid": "u",
            }
        )

    def on(self, method: str, path: str, handler: Handler | Reply, *more: Reply) -> None:
        """Route ``method path``: a handler, or a script of replies whose last one repeats."""
        if callable(handler) and not isinstance(handler, Exception):
            fn = handler
        else:
            script = [handler, *more]

            def fn(seen: Seen) -> Reply:
                return script.pop(0) if len(script) > 1 else script[0]

        self._routes.insert(0, (method, re.compile(path + r"$"), fn))

    def calls(self, method: str, path: str) -> list[Seen]:
        pattern = re.compile(path + r"$")
        return [s for s in self.seen if s.method == method and pattern.match(s.url.path)]

    def _dispatch(self, method: str, url: URL, **kwargs: Any) -> CallbackResult:
        seen = Seen(method, url, dict(kwargs.get("headers") or {}), kwargs.get("data") or b"")
        self.seen.append(seen)
        for route_method, pattern, fn in self._routes:
            if route_method == method and pattern.match(url.raw_path):
                reply = fn(seen)
                break
        else:
            reply = self.fail(1108, "uri path invalid")
        if isinstance(reply, Exception):
            raise reply
        if isinstance(reply, tuple):  # (status, body, content type[, headers])
            status, body, ctype, *headers = reply
            return CallbackResult(
                status=status,
                body=body,
                content_type=ctype,
                headers=headers[0] if headers else None,
            )
        return CallbackResult(status=200, body=json.dumps(reply), content_type="application/json")


@pytest.fixture
def fake(clock: FakeClock) -> Iterator[FakeTuya]:
    with aioresponses() as mock:
        yield FakeTuya(mock, clock)


@pytest.fixture
def make_client(clock: FakeClock) -> Callable[..., TuyaClient]:
    def make(
        *,
        transport: Transport | None = None,
        session: aiohttp.ClientSession | None = None,
        **overrides: Any,
    ) -> TuyaClient:
        settings = fast_settings(clock=clock, **overrides)
        return TuyaClient(
            Credentials(ACCESS_ID, SECRET),
            base_url=BASE,
            settings=settings,
            transport=transport,
            session=session,
        )

    return make
