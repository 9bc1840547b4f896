"""The emulator's aiohttp.web application: routing, the request checks in a fixed order,
signature verification over the raw bytes received, faults, latency and the envelope.

It shares only ``_signing`` and the error-code table with the SDK, never the client's request
building or envelope parsing: it is the other side of the wire.
"""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, unquote

import attrs
from aiohttp import web

from .. import _signing
from .faults import Fault, FaultKind
from .handlers import HANDLERS, Call
from .state import CloudError, FakeCloud

CLOUD_KEY = web.AppKey("cloud", FakeCloud)
REQUIRED_HEADERS = ("client_id", "sign", "sign_method", "t")
JSON = "application/json"


@attrs.frozen
class RouteSpec:
    method: str
    template: str
    segments: tuple[str, ...]
    token: bool
    handler: Callable[[FakeCloud, Call], Any]

    @property
    def key(self) -> str:
        return f"{self.method} {self.template}"


def _routes() -> list[RouteSpec]:
    specs = []
    for (method, template), handler in HANDLERS.items():
        segments = tuple(template.strip("/").split("/"))
        specs.append(
            RouteSpec(method, template, segments, not template.startswith("/v1.0/token"), handler)
        )
    # literal segments beat placeholders (".../thing/batch" before ".../thing/{device_id}")
    specs.sort(key=lambda s: [seg.startswith("{") for seg in s.segments])
    return specs


ROUTES = _routes()


def match(method: str, raw_path: str) -> tuple[RouteSpec | None, dict[str, str]]:
    parts = raw_path.strip("/").split("/") if raw_path.strip("/") else []
    for spec in ROUTES:
        if spec.method != method or len(spec.segments) != len(parts):
            continue
        params: dict[str, str] = {}
        for pattern, part in zip(spec.segments, parts, strict=True):
            if pattern.startswith("{"):
                params[pattern[1:-1]] = unquote(part)
            elif pattern != part:
                break
        else:
            return spec, params
    return None, {}


def _envelope(cloud: FakeCloud, payload: dict[str, Any]) -> bytes:
    payload["t"] = cloud.now_ms()
    payload["tid"] = uuid.uuid4().hex
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def _answer(cloud: FakeCloud, body: bytes) -> web.Response:
    return web.Response(body=body, content_type=JSON)


def _error(cloud: FakeCloud, exc: CloudError) -> web.Response:
    cloud.errors[exc.code] += 1
    return _answer(cloud, _envelope(cloud, {"code": exc.code, "msg": exc.msg, "success": False}))


def verify(
    cloud: FakeCloud, request: web.Request, raw_path: str, query: str, body: bytes, token: bool
) -> None:
    """The request checks after routing, in order: headers, client, time, signature, token."""
    headers = request.headers
    if any(not headers.get(name) for name in REQUIRED_HEADERS):
        raise CloudError(1105)
    if headers["client_id"] != cloud.access_id:
        raise CloudError(1005)
    t = headers["t"]
    if not t.isdigit() or abs(int(t) - cloud.now_ms()) > cloud.time_window * 1000:
        raise CloudError(1013)
    access_token = headers.get("access_token", "") if token else ""
    signed = [
        (name, headers.get(name, ""))
        for name in filter(None, headers.get("Signature-Headers", "").split(":"))
    ]
    sts = _signing.string_to_sign(
        request.method,
        _signing.body_sha256(body),
        _signing.canonical_url(raw_path, parse_qsl(query, keep_blank_values=True)),
        signed,
    )
    expected = _signing.sign(
        client_id=cloud.access_id,
        secret=cloud.access_secret,
        t=t,
        sts=sts,
        access_token=access_token,
        nonce=headers.get("nonce", ""),
    )
    if headers["sign_method"] != _signing.SIGN_METHOD or not _signing.signatures_equal(
        expected, headers["sign"]
    ):
        raise CloudError(1004)
    if token:
        if not access_token:
            raise CloudError(1002)
        cloud.check_token(access_token)


async def dispatch(request: web.Request) -> web.StreamResponse:
    cloud = request.app[CLOUD_KEY]
    raw_path, _, query = request.raw_path.partition("?")
    spec, path_params = match(request.method, raw_path)
    key = spec.key if spec else "unknown"
    cloud.hits[key] += 1
    cloud.requests.append((request.method, request.raw_path, dict(request.headers)))
    cloud.in_flight[key] += 1
    cloud.peak_in_flight[key] = max(cloud.peak_in_flight[key], cloud.in_flight[key])
    try:
        return await _handle(cloud, request, spec, path_params, raw_path, query)
    finally:
        cloud.in_flight[key] -= 1


async def _handle(
    cloud: FakeCloud,
    request: web.Request,
    spec: RouteSpec | None,
    path_params: dict[str, str],
    raw_path: str,
    query: str,
) -> web.StreamResponse:
    """Process at arrival, then answer once ``latency`` has passed since arrival: the latency
    covers network and cloud time, so concurrent requests do not queue behind each other's
    processing (a real cloud serves them in parallel)."""
    loop = asyncio.get_running_loop()
    arrived = loop.time()
    body = await request.read()
    fault = cloud.faults.take(spec.key, spec.token) if spec else None
    delay = cloud.latency + (random.uniform(0, cloud.latency_jitter) if cloud.latency_jitter else 0)
    if fault is not None and fault.kind is FaultKind.STALL:
        delay += fault.seconds
    answer = _early_fault(cloud, fault)
    if answer is None and (fault is None or fault.kind is not FaultKind.DROP):
        answer = _process(cloud, request, spec, path_params, raw_path, query, body)
        if fault is not None and fault.kind is FaultKind.MALFORMED_AFTER:
            answer = _malformed(fault.variant)
    remaining = delay - (loop.time() - arrived)
    if remaining > 0:
        await asyncio.sleep(remaining)
    if fault is not None and fault.kind in (FaultKind.DROP, FaultKind.DROP_AFTER):
        return _drop(request)
    if fault is not None and fault.kind is FaultKind.TRUNCATED and answer is not None:
        return await _truncated(request, answer.body if isinstance(answer.body, bytes) else b"")
    assert answer is not None
    return answer


def _process(
    cloud: FakeCloud,
    request: web.Request,
    spec: RouteSpec | None,
    path_params: dict[str, str],
    raw_path: str,
    query: str,
    body: bytes,
) -> web.Response:
    """The request checks, in the emulator's fixed order, then the endpoint; always an envelope."""
    try:
        if spec is None:
            raise CloudError(1108)
        verify(cloud, request, raw_path, query, body, spec.token)
        if spec.token:
            cloud.admit(spec.key)
        call = Call(
            path_params,
            dict(parse_qsl(query, keep_blank_values=True)),
            body,
            request.headers.get("Content-Type", ""),
        )
        payload = _envelope(cloud, {"success": True, "result": spec.handler(cloud, call)})
    except CloudError as exc:
        return _error(cloud, exc)
    return _answer(cloud, payload)


def _drop(request: web.Request) -> web.StreamResponse:
    if request.transport is not None:
        request.transport.close()
    raise asyncio.CancelledError  # aiohttp ends the handler quietly; the client sees a reset


async def _truncated(request: web.Request, payload: bytes) -> web.StreamResponse:
    resp = web.StreamResponse(headers={"Content-Type": JSON, "Content-Length": str(len(payload))})
    await resp.prepare(request)
    await resp.write(payload[: len(payload) // 2])
    if request.transport is not None:
        request.transport.close()
    return resp


def _early_fault(cloud: FakeCloud, fault: Fault | None) -> web.Response | None:
    """Faults answered instead of processing: error codes, HTTP errors, malformed bodies."""
    if fault is None:
        return None
    if fault.kind is FaultKind.CODE:
        return _error(cloud, CloudError(fault.code))
    if fault.kind is FaultKind.HTTP:
        headers = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
        return web.Response(
            status=fault.status,
            headers=headers,
            content_type="text/html",
            text=f"<html><body><h1>{fault.status}</h1></body></html>",
        )
    if fault.kind is FaultKind.MALFORMED:
        return _malformed(fault.variant)
    return None


def _malformed(variant: str) -> web.Response:
    if variant == "html":
        return web.Response(
            status=502, content_type="text/html", text="<html><body>502 Bad Gateway</body></html>"
        )
    if variant == "text_plain":
        return web.Response(text='{"success":true,"result":true}', content_type="text/plain")
    bodies = {
        "empty": b"",
        "truncated_json": b'{"success":true,"result":{"id":"vdev',
        "invalid_utf8": b'{"success":true,"result":"\xff\xfe\xfd"}',
        "deep": b"[" * 100_000 + b"]" * 100_000,
        "oversized": b'{"success":true,"result":"' + b"x" * (8 * 1024 * 1024) + b'"}',
    }
    return web.Response(body=bodies[variant], content_type=JSON)


def create_app(cloud: FakeCloud) -> web.Application:
    """The aiohttp.web application serving ``cloud`` on every path."""
    app = web.Application(client_max_size=1024 * 1024)
    app[CLOUD_KEY] = cloud
    app.router.add_route("*", "/{tail:.*}", dispatch)
    return app
