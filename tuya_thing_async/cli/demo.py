"""``tuya-thing demo``: the photovoltaic story from Tuya's documentation, end to end, against
an embedded emulator (no account, no network).

A field engineer finds a newly paired storage system in the dealer's site space, checks,
renames and locates it, transfers it to the customer's home space, upgrades its firmware,
freezes and unfreezes it; then the dealer harvests 7 days of power and battery data of the
whole fleet into a JSONL file.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from .. import ClientSettings, TuyaClient
from ..emulator import FakeCloud, serve
from ..harvest import HarvestProgress
from . import _ui
from ._common import json_line

CODES = ("cur_power", "battery_percentage")


def add_parser(sub: Any) -> None:
    p = sub.add_parser("demo", help="run the end-to-end demo against an embedded emulator")
    p.add_argument("--devices", type=int, default=30, help="fleet size (default 30)")
    p.add_argument(
        "--out",
        type=lambda s: Path(s).absolute(),
        default=Path("tuya-demo-harvest.jsonl").absolute(),
        help="JSONL file to write",
    )
    p.add_argument("--latency-ms", type=float, default=2.0, help="emulated network latency")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(run=run_demo)


def say(text: str) -> None:
    print(text, flush=True)


async def run_demo(args: argparse.Namespace) -> int:
    began = time.monotonic()
    cloud = FakeCloud.seeded(
        devices=args.devices, seed=7, firmware_duration=3.0, latency=args.latency_ms / 1000
    )
    storage = next(
        d
        for d in cloud.devices.values()
        if d.kind == "storage" and any(c.status == 1 for c in d.channels.values())
    )
    settings = ClientSettings(rate=200, burst=50)
    async with (
        serve(cloud) as base_url,
        TuyaClient(
            cloud.credentials, base_url=base_url, insecure_http=True, settings=settings
        ) as tuya,
    ):
        say(f"Emulated Tuya cloud at {base_url} with {len(cloud.devices)} PV devices.\n")
        device = await tuya.devices.get(storage.id)
        say(
            f"1. New storage system in site space {device.bind_space_id}: {device.id} "
            f"({device.product_name}, online={device.is_online})"
        )
        state = await tuya.devices.get_state(device.id)
        say(
            f"2. Checked it: frozen={state.frozen}, category={device.category}, "
            f"time zone {device.time_zone}"
        )
        await tuya.devices.rename(device.id, "Garage battery - Miller family")
        await tuya.devices.set_location(device.id, lon=13.4050, lat=52.5200)
        home = cloud.home_space_ids[0]
        await tuya.devices.transfer(device.id, space_id=home)
        device = await tuya.devices.get(device.id)
        say(
            f"3. Renamed to {device.custom_name!r}, located at {device.lat}, {device.lon}, "
            f"transferred to home space {device.bind_space_id}"
        )
        await _firmware(tuya, device.id, args.quiet)
        await tuya.devices.freeze(device.id)
        frozen = (await tuya.devices.get_state(device.id)).frozen
        await tuya.devices.unfreeze(device.id)
        thawed = (await tuya.devices.get_state(device.id)).frozen
        say(f"5. Froze it (frozen={frozen}) and unfroze it again (frozen={thawed})")
        records = await _harvest(tuya, list(cloud.devices), args.out, args.quiet)
        stats = tuya.stats
    elapsed = time.monotonic() - began
    say(
        "\n"
        + _ui.table(
            ["devices", "records", "requests", "retries", "seconds"],
            [[len(cloud.devices), records, stats.requests, stats.retries, f"{elapsed:.1f}"]],
        )
    )
    say(f"\nHarvested records are in {args.out}")
    return 0


async def _firmware(tuya: TuyaClient, device_id: str, quiet: bool) -> None:
    updates = await tuya.firmware.get_updates(device_id)
    update = next(u for u in updates if u.available)
    say(
        f"4. Firmware: {len(updates)} channel(s); {update.type_desc} (channel {update.channel}) "
        f"{update.current_version} -> {update.version} available; upgrading"
    )
    await tuya.firmware.start_update(device_id, channel=update.channel)
    with _ui.progress_bar("   firmware", 100, quiet=quiet) as bar:
        async for progress in tuya.firmware.watch(
            device_id, channel=update.channel, interval=0.25, timeout=60
        ):
            bar.update(
                progress.progress if not progress.done else 100,
                note=progress.upgrade_status.name.lower(),
            )
    say(f"   update finished: {progress.upgrade_status.name.lower()}")


async def _harvest(tuya: TuyaClient, ids: list[str], out: Path, quiet: bool) -> int:
    say(f"6. Dealer harvests 7 days of {', '.join(CODES)} for {len(ids)} devices -> {out}")
    with _ui.progress_bar("   harvest", len(ids), quiet=quiet) as bar:

        def on_progress(p: HarvestProgress) -> None:
            bar.update(p.devices_done, note=f"{p.records} records, {p.requests} requests")

        harvest = tuya.logs.harvest_reports(ids, codes=CODES, concurrency=8, progress=on_progress)
        with out.open("w", encoding="utf-8") as fh:
            async with harvest:
                async for item in harvest:
                    fh.write(json_line(item.device_id, item.record))
    return harvest.records
