"""Run the emulator on the current event loop: ``async with serve(cloud) as base_url: ...``."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from .app import create_app
from .state import FakeCloud


@asynccontextmanager
async def serve(
    cloud: FakeCloud,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    ssl_context: ssl.SSLContext | None = None,
) -> AsyncIterator[str]:
    """Serve ``cloud`` on ``host:port`` (port 0 picks a free one); yields the base URL
    (``https://`` when an ``ssl_context`` is given)."""
    # Requests still running at shutdown (stalled by a fault) are cancelled after 1 s.
    runner = web.AppRunner(
        create_app(cloud), access_log=None, handle_signals=False, shutdown_timeout=1.0
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, ssl_context=ssl_context)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        scheme = "https" if ssl_context else "http"
        yield f"{scheme}://{shown}:{bound_port}"
    finally:
        await runner.cleanup()
