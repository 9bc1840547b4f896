"""``tuya-thing emulator serve``: run the Tuya-cloud emulator until interrupted;
``tuya-thing emulator devices``: its fleet's device IDs."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from ..emulator import FakeCloud, serve
from ..emulator.throttle import EVERY_API
from ._common import parse_rate, parse_route_rate


def add_parser(sub: Any) -> None:
    emulator = sub.add_parser("emulator", help="the local Tuya-cloud emulator")
    commands = emulator.add_subparsers(dest="emulator_command", required=True)
    p = commands.add_parser("serve", help="serve a seeded emulator until interrupted")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--devices", type=int, default=50)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--latency-ms", type=float, default=0.0, help="added to every answer")
    p.add_argument("--jitter-ms", type=float, default=0.0, help="plus uniform 0..jitter")
    p.add_argument(
        "--qps",
        type=_qps,
        action="append",
        default=[],
        metavar="RATE|ROUTE=RATE",
        help="requests per second per API, answered 1199 beyond: a number for every API, or "
        "'GET /v2.0/cloud/thing/{device_id}/report-logs=10' for one (repeatable; default: none)",
    )
    p.add_argument("--token-ttl", type=int, default=7200, help="access-token lifetime, seconds")
    p.add_argument("--access-id", default=None, help="project access ID to accept")
    p.add_argument("--access-secret", default=None, help="project secret (random if omitted)")
    p.set_defaults(run=run_serve)
    ids = commands.add_parser("devices", help="print the seeded fleet's device IDs, one a line")
    ids.add_argument("--devices", type=int, default=50)
    ids.add_argument("--seed", type=int, default=7)
    ids.add_argument("--verbose", action="store_true", help="also each device's kind and name")
    ids.set_defaults(run=run_devices)


def _qps(text: str) -> tuple[str, float]:
    """``20`` (every API) or ``ROUTE=20``."""
    if "=" in text:
        return parse_route_rate(text)
    rate = parse_rate(text)
    if rate is None:
        raise argparse.ArgumentTypeError("--qps takes a number or ROUTE=RATE")
    return EVERY_API, rate


async def run_devices(args: argparse.Namespace) -> int:
    """The same IDs ``serve`` and ``--emulator`` use (the fleet is deterministic), one a line
    so the output feeds ``harvest --ids-file``; ``--verbose`` adds kind and name."""
    fleet = FakeCloud.seeded(devices=args.devices, seed=args.seed).devices
    for device_id in fleet:
        if args.verbose:
            device = fleet.peek(device_id)
            print(f"{device.id}  {device.kind:<8}  {device.custom_name}")
        else:
            print(device_id)
    return 0


async def run_serve(args: argparse.Namespace) -> int:
    knobs: dict[str, Any] = {
        "latency": args.latency_ms / 1000,
        "latency_jitter": args.jitter_ms / 1000,
        "qps": dict(args.qps) or None,
        "token_ttl": args.token_ttl,
        "access_secret": args.access_secret,
    }
    if args.access_id:
        knobs["access_id"] = args.access_id
    cloud = FakeCloud.seeded(devices=args.devices, seed=args.seed, **knobs)
    async with serve(cloud, args.host, args.port) as base_url:
        print(f"Tuya-cloud emulator serving {len(cloud.devices)} devices at {base_url}")
        print(f"  TUYA_BASE_URL={base_url}")
        print(f"  TUYA_ACCESS_ID={cloud.access_id}")
        print(f"  TUYA_ACCESS_SECRET={cloud.access_secret}")
        print(f"  first device: {cloud.device_ids[0] if cloud.devices else '-'}")
        print(f"  site spaces: {', '.join(cloud.site_space_ids)}")
        print(f"  home spaces: {', '.join(cloud.home_space_ids[:5])} ...")
        print("Press Ctrl+C to stop.", flush=True)
        await asyncio.Event().wait()
    return 0
