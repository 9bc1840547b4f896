"""Benchmark helpers: an emulator in its own process, and a minimal hand-written signed client
(the floor every SDK number is compared against)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import re
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import aiohttp

from tuya_thing_async import ClientSettings, Credentials, TuyaClient

EMPTY_SHA = hashlib.sha256(b"").hexdigest()


@contextmanager
def emulator_process(
    devices: int = 50,
    latency_ms: float = 0.0,
    jitter_ms: float = 0.0,
    qps: tuple[str, ...] = (),
    access_secret: str | None = None,
) -> Iterator[dict[str, str]]:
    """Start ``tuya-thing emulator serve`` on a free port in a child process (``qps``: its
    ``--qps`` values)."""
    cmd = [
        sys.executable,
        "-m",
        "tuya_thing_async",
        "emulator",
        "serve",
        "--port",
        "0",
        "--devices",
        str(devices),
        "--latency-ms",
        str(latency_ms),
        "--jitter-ms",
        str(jitter_ms),
        *(arg for value in qps for arg in ("--qps", value)),
        *(("--access-secret", access_secret) if access_secret else ()),
    ]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # "Press Ctrl+C to stop." would land in the table
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    info: dict[str, str] = {}
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        while "TUYA_ACCESS_SECRET" not in info or "device" not in info:
            line = proc.stdout.readline()
            if not line or time.monotonic() > deadline:
                raise RuntimeError("the emulator did not start")
            if m := re.search(r"\b(TUYA_\w+)=(\S+)", line):
                info[m.group(1)] = m.group(2)
            if m := re.search(r"first device: (\S+)", line):
                info["device"] = m.group(1)
        yield info
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


class MinimalClient:
    """Signs Tuya requests and parses JSON with nothing else: the performance floor."""

    def __init__(self, http: aiohttp.ClientSession, info: dict[str, str]) -> None:
        self.http, self.base = http, info["TUYA_BASE_URL"]
        self.cid, self.secret = info["TUYA_ACCESS_ID"], info["TUYA_ACCESS_SECRET"]
        self.token = ""

    def _headers(self, path: str) -> dict[str, str]:
        t, nonce = str(int(time.time() * 1000)), uuid.uuid4().hex
        sts = f"GET\n{EMPTY_SHA}\n\n{path}"
        msg = self.cid + self.token + t + nonce + sts
        sign = hmac.new(self.secret.encode(), msg.encode(), hashlib.sha256).hexdigest().upper()
        headers = {
            "client_id": self.cid,
            "sign": sign,
            "sign_method": "HMAC-SHA256",
            "t": t,
            "nonce": nonce,
        }
        if self.token:
            headers["access_token"] = self.token
        return headers

    async def get(self, path: str) -> object:
        async with self.http.get(self.base + path, headers=self._headers(path)) as resp:
            data = await resp.json()
        if not data.get("success"):
            raise RuntimeError(f"{path}: {data}")
        return data["result"]

    async def login(self) -> None:
        result = await self.get("/v1.0/token?grant_type=1")
        assert isinstance(result, dict)
        self.token = result["access_token"]


async def rate(worker_calls: int, concurrency: int, call: object) -> float:
    """Requests per second of ``concurrency`` workers each awaiting ``call()`` repeatedly."""

    async def worker() -> None:
        for _ in range(worker_calls):
            await call()  # type: ignore[operator]

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return worker_calls * concurrency / (time.perf_counter() - began)


def median(values: list[float]) -> float:
    return statistics.median(values)


@asynccontextmanager
async def sdk_client(info: dict[str, str], **overrides: Any) -> AsyncIterator[TuyaClient]:
    """The SDK with its default settings, except the ``ClientSettings`` fields given."""
    creds = Credentials(info["TUYA_ACCESS_ID"], info["TUYA_ACCESS_SECRET"])
    async with TuyaClient(
        creds,
        base_url=info["TUYA_BASE_URL"],
        insecure_http=True,
        settings=ClientSettings(**overrides),
    ) as tuya:
        yield tuya
