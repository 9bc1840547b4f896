"""``tuya-thing firmware check|start|watch``: OTA updates per channel, with a progress bar."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from . import _ui
from ._common import add_common, confirm, connect, emit, jsonable

COLUMNS = ("channel", "type_desc", "current_version", "version", "upgrade_status")


def add_parser(sub: Any) -> None:
    group = sub.add_parser("firmware", help="firmware updates")
    cmds = group.add_subparsers(dest="firmware_command", required=True)
    check = cmds.add_parser("check", help="update information, one row per channel")
    check.add_argument("device_id")
    add_common(check)
    for name, help_ in (
        ("start", "start the update of a channel"),
        ("watch", "follow an update's progress until it ends (at once if idle)"),
    ):
        p = cmds.add_parser(name, help=help_)
        p.add_argument("device_id")
        p.add_argument("--channel", type=int, required=True)
        p.add_argument("--interval", type=float, default=2.0, help="seconds between polls")
        p.add_argument("--timeout", type=float, default=1800.0, help="give up after (seconds)")
        add_common(p, destructive=name == "start")
        if name == "start":
            p.add_argument("--watch", action="store_true", help="then follow its progress")
    for p in cmds.choices.values():
        p.set_defaults(run=run)


async def run(args: argparse.Namespace) -> int:
    async with connect(args) as ctx:
        firmware = ctx.tuya.firmware
        if args.firmware_command == "check":
            emit(args, await firmware.get_updates(args.device_id), COLUMNS)
            return 0
        if args.firmware_command == "start":
            confirm(args, f"Start the firmware update of {args.device_id} channel {args.channel}?")
            await firmware.start_update(args.device_id, channel=args.channel)
            if not args.watch:
                emit(
                    args,
                    {
                        "device_id": args.device_id,
                        "channel": args.channel,
                        "action": "start",
                        "ok": True,
                    },
                )
                return 0
        last = None
        with _ui.progress_bar(f"channel {args.channel}", 100, quiet=args.quiet) as bar:
            async for last in firmware.watch(
                args.device_id, channel=args.channel, interval=args.interval, timeout=args.timeout
            ):
                bar.update(
                    100 if last.done else last.progress, note=last.upgrade_status.name.lower()
                )
        assert last is not None
        if last.idle:
            print(f"channel {args.channel}: no update is running (idle)", file=sys.stderr)
        emit(args, {"device_id": args.device_id, "channel": args.channel, **jsonable(last)})
        if last.idle:
            return 0 if args.firmware_command == "watch" else 1
        return 0 if last.upgrade_status.name == "SUCCEEDED" else 1
