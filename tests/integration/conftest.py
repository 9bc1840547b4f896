"""Helpers for full-stack tests: hand-built requests signed the way Tuya's official Python
connector signs them (no nonce, ``json.dumps`` body), independent of the SDK."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from tuya_thing_async.emulator import FakeCloud


class RawTuya:
    def __init__(self, cloud: FakeCloud, base_url: str, http: aiohttp.ClientSession) -> None:
        self.cloud, self.base_url, self.http = cloud, base_url, http
        self.token = ""
        self.refresh = ""

    def sign(
        self, method: str, path: str, query: dict[str, str], body: bytes, t: str, token: str
    ) -> str:
        url = path + ("?" + "&".join(f"{k}={query[k]}" for k in sorted(query)) if query else "")
        sts = f"{method}\n{hashlib.sha256(body).hexdigest()}\n\n{url}"
        message = self.cloud.access_id + token + t + sts
        key = self.cloud.access_secret.encode()
        return hmac.new(key, message.encode(), hashlib.sha256).hexdigest().upper()

    async def call(
        self,
        method: str,
        path: str,
        query: dict[str, str] | None = None,
        body: Any = None,
        *,
        token: str | None = None,
        t: str | None = None,
        tamper: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        query = query or {}
        payload = b"" if body is None else json.dumps(body).encode()
        t = t or str(int(self.cloud.now() * 1000))
        use_token = self.token if token is None else token
        headers = {
            "client_id": self.cloud.access_id,
            "sign_method": "HMAC-SHA256",
            "t": t,
            "access_token": use_token,
            "lang": "en",
            "dev_lang": "python",
            "sign": self.sign(method, path, query, payload, t, use_token),
        }
        if body is not None:
            headers["Content-Type"] = "application/json"
        tamper = tamper or {}
        headers.update(tamper.get("headers", {}))
        query = {**query, **tamper.get("query", {})}
        payload = tamper.get("body", payload)
        async with self.http.request(
            method,
            self.base_url + path,
            params=query or None,
            data=payload or None,
            headers=headers,
        ) as resp:
            assert resp.status == 200
            data: dict[str, Any] = await resp.json()
            return data

    async def login(self) -> None:
        data = await self.call("GET", "/v1.0/token", {"grant_type": "1"}, token="")
        assert data["success"], data
        self.token, self.refresh = data["result"]["access_token"], data["result"]["refresh_token"]


@pytest.fixture
def emulator() -> Iterator[dict[str, str]]:
    """``tuya-thing emulator serve`` (8 devices, seed 7, 15 ms latency) in another process;
    yields its ``TUYA_*`` settings, read from the ``export`` lines a user would paste."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tuya_thing_async",
            "emulator",
            "serve",
            "--port",
            "0",
            "--devices",
            "8",
            "--latency-ms",
            "15",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    env: dict[str, str] = {}
    assert proc.stdout is not None
    try:
        while "TUYA_INSECURE_HTTP" not in env:
            line = proc.stdout.readline()
            assert line, "emulator did not start"
            if m := re.match(r"export (TUYA_\w+)=(\S+)", line):
                env[m.group(1)] = m.group(2)
        yield env
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()
