"""``tuya-thing devices ...``: the project's device list, details, freeze state, attributes,
transfer, delete, reset."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..bulk import BulkMode
from ..models import Device
from ._common import add_common, confirm, connect, dumps, emit, jsonable, output_format, read_ids

LIST_COLUMNS = ("id", "custom_name", "name", "category", "is_online", "bind_space_id")
PROJECT_COLUMNS = ("id", "custom_name", "name", "category", "product_id", "is_online")


def _csv(text: str) -> list[str]:
    """``a,b`` as ``["a", "b"]`` (blanks dropped)."""
    return [item.strip() for item in text.split(",") if item.strip()]


def add_parser(sub: Any) -> None:
    group = sub.add_parser("devices", help="device details and management")
    cmds = group.add_subparsers(dest="devices_command", required=True)

    def leaf(
        name: str, help_: str, *, destructive: bool = False, device: bool = True
    ) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = cmds.add_parser(name, help=help_)
        if device:
            p.add_argument("device_id")
        add_common(p, destructive=destructive)
        p.set_defaults(run=run)
        return p

    listing = leaf("list", "every device in the project, one JSON object a line", device=False)
    listing.add_argument("--product-ids", type=_csv, default=None, help="at most 5: a,b")
    listing.add_argument("--categories", type=_csv, default=None, help="e.g. nbq,xnyjcn")
    leaf("get", "details of one device")
    many = leaf("many", "details of many devices (20 per request)", device=False)
    many.add_argument("device_ids", nargs="*")
    many.add_argument("--ids-file", help="file with one ID per line ('-' for stdin)")
    many.add_argument("--partial", action="store_true", help="report failed batches, go on")
    leaf("state", "freeze state")
    leaf("freeze", "freeze the device")
    leaf("unfreeze", "unfreeze the device")
    leaf("rename", "set the device's name").add_argument("name")
    leaf("set-icon", "set the icon path or URL").add_argument("icon")
    loc = leaf("set-location", "set longitude and latitude")
    loc.add_argument("--lon", type=float, required=True)
    loc.add_argument("--lat", type=float, required=True)
    leaf("transfer", "move to another space").add_argument("--space-id", required=True)
    leaf("delete", "remove the device from the project", destructive=True)
    leaf("reset", "unbind and restore factory defaults", destructive=True)


async def run(args: argparse.Namespace) -> int:
    cmd = args.devices_command
    if cmd in ("delete", "reset"):
        action = "Delete" if cmd == "delete" else "Factory-reset"
        confirm(args, f"{action} device {args.device_id}?")
    async with connect(args) as ctx:
        devices = ctx.tuya.devices
        if cmd == "list":
            await _list(args, devices)
        elif cmd == "get":
            emit(args, await devices.get(args.device_id))
        elif cmd == "many":
            ids = read_ids(args.device_ids, args.ids_file)
            mode = BulkMode.PARTIAL if args.partial else BulkMode.FAIL_FAST
            result = await devices.get_many(ids, mode=mode)
            emit(args, list(result.devices), LIST_COLUMNS)
            if result.missing or result.errors:
                note = f"missing: {', '.join(result.missing) or '-'}; failed batches: "
                print(note + str(len(result.errors)), file=sys.stderr)
            return 1 if result.errors else 0
        elif cmd == "state":
            state = await devices.get_state(args.device_id)
            emit(args, {"device_id": args.device_id, "frozen": state.frozen})
        else:
            await _mutate(args, devices)
            emit(args, {"device_id": args.device_id, "action": cmd, "ok": True})
    return 0


async def _list(args: argparse.Namespace, devices: Any) -> None:
    """JSON lines as devices arrive (feed them to ``harvest --ids-file``; the default when
    not on a terminal), or a table or one JSON document at the end."""
    streaming = output_format(args, None if sys.stdout.isatty() else "jsonl") == "jsonl"
    found: list[Device] = []
    async with devices.iter_project(args.product_ids, args.categories) as fleet:
        async for device in fleet:
            if streaming:
                print(dumps(jsonable(device)))
            else:
                found.append(device)
    if not streaming:
        emit(args, found, PROJECT_COLUMNS)


async def _mutate(args: argparse.Namespace, devices: Any) -> None:
    cmd, dev = args.devices_command, args.device_id
    if cmd == "freeze":
        await devices.freeze(dev)
    elif cmd == "unfreeze":
        await devices.unfreeze(dev)
    elif cmd == "rename":
        await devices.rename(dev, args.name)
    elif cmd == "set-icon":
        await devices.set_icon(dev, args.icon)
    elif cmd == "set-location":
        await devices.set_location(dev, lon=args.lon, lat=args.lat)
    elif cmd == "transfer":
        await devices.transfer(dev, space_id=args.space_id)
    elif cmd == "delete":
        await devices.delete(dev)
    elif cmd == "reset":
        await devices.reset(dev)
