"""Run the emulator: on the current event loop (``async with serve(cloud) as base_url``) or on
a loop of its own in a background thread (``with serve_in_thread(cloud) as base_url``), which
serves whatever event loop, test framework or process the client runs in."""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import attrs
from aiohttp import web

from .app import create_app
from .state import FakeCloud

#: Longest wait for the background server to start or stop, in seconds.
THREAD_TIMEOUT = 10.0


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


@attrs.define
class _Background:
    """What the server thread hands back: its base URL or start-up error, loop and stop."""

    started: threading.Event = attrs.Factory(threading.Event)
    url: str = ""
    error: BaseException | None = None
    loop: asyncio.AbstractEventLoop | None = None
    stop: asyncio.Event | None = None

    async def run(self, cloud: FakeCloud, host: str, port: int) -> None:
        self.loop, self.stop = asyncio.get_running_loop(), asyncio.Event()
        try:
            async with serve(cloud, host, port) as url:
                self.url = url
                self.started.set()
                await self.stop.wait()
        except Exception as exc:  # e.g. the port is taken: re-raised in the caller's thread
            self.error = exc
        finally:
            self.started.set()


@contextmanager
def serve_in_thread(cloud: FakeCloud, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``cloud`` from a daemon thread with its own event loop; yields the base URL.

    Use it from synchronous code, or when the client's event loop is not yours to share (a
    test framework's). ``cloud`` is then changed by the server thread: read its counters and
    call its knobs between requests, not while one is running.
    """
    background = _Background()
    thread = threading.Thread(
        target=lambda: asyncio.run(background.run(cloud, host, port)),
        name="tuya-emulator",
        daemon=True,
    )
    thread.start()
    if not background.started.wait(THREAD_TIMEOUT) or background.error is not None:
        thread.join(THREAD_TIMEOUT)
        raise RuntimeError("the emulator did not start") from background.error
    try:
        yield background.url
    finally:
        assert background.loop is not None and background.stop is not None
        background.loop.call_soon_threadsafe(background.stop.set)
        thread.join(THREAD_TIMEOUT)
