"""A local emulator of the Tuya cloud's Device Management API, for demos and tests.

    cloud = FakeCloud.seeded(devices=50, seed=7)
    async with serve(cloud) as base_url:
        async with TuyaClient(cloud.credentials, base_url=base_url, insecure_http=True) as tuya:
            ...

It verifies signatures and tokens, pages with real cursors, answers with Tuya's envelopes and
error codes, enforces a QPS limit, and injects latency and faults. Where Tuya's behaviour is
undocumented it follows this project's own decisions, not vendor fact. It follows the real
answers collected in ``tests/data/real``: one token per project, shared by every client of it
(see ``state``); operation logs in the free and the paid edition, with ``query_type`` required
(see ``handlers``); ``model`` in batch answers.

A seeded fleet is lazy: devices are built from the seed when first used and their 7 days of
logs generated when read (the same records every time; a bounded number of devices' logs is
cached), so ``FakeCloud.seeded(devices=100_000)`` starts in about a second in a few tens of MB.
"""

from .app import create_app
from .faults import Fault, FaultKind
from .server import serve, serve_in_thread
from .state import CloudError, FakeCloud

__all__ = [
    "CloudError",
    "FakeCloud",
    "Fault",
    "FaultKind",
    "create_app",
    "serve",
    "serve_in_thread",
]
