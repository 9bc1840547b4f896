"""``tuya-thing emulator serve``: run the Tuya-cloud emulator until interrupted;
``tuya-thing emulator devices``: its fleet's device IDs."""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import sys
from pathlib import Path
from typing import Any

from ..config import ENV_ACCESS_ID, ENV_ACCESS_SECRET, ENV_BASE_URL, ENV_INSECURE_HTTP
from ..emulator import FakeCloud, serve
from ..emulator.throttle import EVERY_API
from ._common import parse_rate, parse_route_rate


def add_parser(sub: Any) -> None:
    emulator = sub.add_parser("emulator", help="the local Tuya-cloud emulator")
    commands = emulator.add_subparsers(dest="emulator_command", required=True)
    p = commands.add_parser(
        "serve",
        help="serve a seeded emulator until interrupted",
        description="Serve a seeded emulator until interrupted. Prints 'export TUYA_...=' lines "
        "to paste into another shell, where TuyaClient.from_env() and tuya-thing use it.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=_bounded(int, 0, 65535), default=8765, help="0 picks a free one")
    _fleet_options(p)
    p.add_argument(
        "--latency-ms", type=_bounded(float, 0), default=0.0, help="added to every answer"
    )
    p.add_argument("--jitter-ms", type=_bounded(float, 0), default=0.0, help="plus 0..jitter")
    p.add_argument(
        "--qps",
        type=_qps,
        action="append",
        default=[],
        metavar="RATE|ROUTE=RATE",
        help="requests per second per API, answered 1199 beyond: a number for every API, or "
        "'GET /v2.0/cloud/thing/{device_id}/report-logs=10' for one (repeatable; default: none)",
    )
    p.add_argument(
        "--token-ttl", type=_bounded(int, 1), default=7200, help="access-token lifetime, seconds"
    )
    p.add_argument("--access-id", default=None, help="project access ID to accept")
    p.add_argument("--access-secret", default=None, help="project secret (random if omitted)")
    p.add_argument(
        "--env-file",
        type=Path,
        default=None,
        help="also write the TUYA_* settings to this file (KEY=value lines, mode 600)",
    )
    p.set_defaults(run=run_serve)
    ids = commands.add_parser(
        "devices", help="print the seeded fleet's device IDs, one a line (for --ids-file)"
    )
    _fleet_options(ids)
    ids.add_argument(
        "--verbose", action="store_true", help="add each device's kind and name as a # comment"
    )
    ids.set_defaults(run=run_devices)


def _fleet_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--devices", type=_bounded(int, 0), default=50, help="fleet size")
    p.add_argument("--seed", type=int, default=7, help="the same seed gives the same fleet")


def _bounded(kind: type[Any], low: float, high: float | None = None) -> Any:
    """An argparse type: a ``kind`` (int or float) within ``low..high``."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or value < low or (high is not None and value > high):
            span = f"{low}..{high}" if high is not None else f">= {low}"
            noun = "an integer" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"{text!r} is not {noun} {span}")
        return value

    return parse


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
            print(f"{device.id}  # {device.kind:<8}  {device.custom_name}")
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
        env = {
            ENV_BASE_URL: base_url,
            ENV_ACCESS_ID: cloud.access_id,
            ENV_ACCESS_SECRET: cloud.access_secret,
            ENV_INSECURE_HTTP: "1",
        }
        if args.env_file:
            _write_env_file(args.env_file, env)
        print(f"# Tuya-cloud emulator serving {len(cloud.devices)} devices at {base_url}")
        print("# paste into another shell:")
        for name, value in env.items():
            print(f"export {name}={shlex.quote(value)}")
        print(f"# first device: {cloud.device_ids[0] if cloud.devices else '-'}")
        print(f"# site spaces: {', '.join(cloud.site_space_ids)}")
        print(f"# home spaces: {', '.join(cloud.home_space_ids[:5])} ...", flush=True)
        print("Press Ctrl+C to stop.", file=sys.stderr, flush=True)
        await asyncio.Event().wait()
    return 0


def _write_env_file(path: Path, env: dict[str, str]) -> None:
    """``KEY=value`` lines (read by docker --env-file, systemd, dotenv), owner-only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, "w", encoding="utf-8") as out:
        out.writelines(f"{name}={value}\n" for name, value in env.items())
