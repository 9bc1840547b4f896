"""``tuya-thing logs operations|reports`` and ``tuya-thing harvest``: logs as JSON lines."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import IO, Any

from ..errors import TuyaConfigError
from ..harvest import HarvestCheckpoint, HarvestProgress
from ..models import LogType
from . import _ui
from ._common import add_common, connect, json_line, parse_time, read_ids

TYPES = {t.name.lower(): t for t in LogType}


def _log_types(text: str) -> list[LogType]:
    try:
        return [
            TYPES[name.strip().lower()] if not name.strip().isdigit() else LogType(int(name))
            for name in text.split(",")
        ]
    except (KeyError, ValueError):
        raise argparse.ArgumentTypeError(
            f"log types are {', '.join(TYPES)} (or 1-10), comma-separated"
        ) from None


def _codes(text: str) -> list[str]:
    return [c.strip() for c in text.split(",") if c.strip()]


def _window_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--start", type=parse_time, default=None, help="ISO 8601 or -24h (def. -7d)")
    p.add_argument("--end", type=parse_time, default=None, help="ISO 8601, now or -1h")
    p.add_argument("--out", type=Path, default=None, help="write JSON lines here, not stdout")


def add_parser(sub: Any) -> None:
    group = sub.add_parser("logs", help="one device's operation or report logs")
    cmds = group.add_subparsers(dest="logs_command", required=True)
    ops = cmds.add_parser("operations", help="operation logs (JSON lines, newest first)")
    ops.add_argument("device_id")
    ops.add_argument("--types", type=_log_types, default=None, help="e.g. online,offline")
    ops.add_argument("--codes", type=_codes, default=None)
    reps = cmds.add_parser("reports", help="data-point reports (JSON lines, newest first)")
    reps.add_argument("device_id")
    reps.add_argument("--codes", type=_codes, required=True, help="e.g. cur_power,pv_power")
    for p in (ops, reps):
        _window_options(p)
        p.add_argument("--max", type=int, default=None, help="stop after this many records")
        add_common(p)
        p.set_defaults(run=run_logs)

    h = sub.add_parser("harvest", help="many devices' logs as JSON lines, resumable")
    h.add_argument("device_ids", nargs="*")
    h.add_argument("--ids-file", help="file with one device ID per line ('-' for stdin)")
    h.add_argument("--codes", type=_codes, default=None, help="report logs of these codes")
    h.add_argument("--operations", action="store_true", help="operation logs instead")
    h.add_argument("--types", type=_log_types, default=None, help="with --operations")
    h.add_argument(
        "--concurrency", type=int, default=16, help="devices walked at once (default: 16)"
    )
    h.add_argument(
        "--checkpoint",
        type=Path,
        default=None,
        help="resume file: continue after a crash without loss or duplicates (needs --out)",
    )
    _window_options(h)
    add_common(h)
    h.set_defaults(run=run_harvest)


async def run_logs(args: argparse.Namespace) -> int:
    async with connect(args) as ctx:
        logs = ctx.tuya.logs
        window = {"start": args.start, "end": args.end, "max_items": args.max}
        if args.logs_command == "operations":
            stream: Any = logs.iter_operations(
                args.device_id, types=args.types, codes=args.codes, **window
            )
        else:
            stream = logs.iter_reports(args.device_id, codes=args.codes, **window)
        out: IO[str] = args.out.open("w", encoding="utf-8") if args.out else sys.stdout
        try:
            async with stream:
                async for record in stream:
                    out.write(json_line(args.device_id, record))
        finally:
            if args.out:
                out.close()
    return 0


async def run_harvest(args: argparse.Namespace) -> int:
    if bool(args.codes) == bool(args.operations):
        raise TuyaConfigError("give either --codes (report logs) or --operations")
    if args.checkpoint and not args.out:
        raise TuyaConfigError("--checkpoint needs --out (the file it resumes)")
    ids = read_ids(args.device_ids, args.ids_file)
    saved = (
        json.loads(args.checkpoint.read_text())
        if args.checkpoint and args.checkpoint.exists()
        else None
    )
    checkpoint = HarvestCheckpoint.from_json(saved["harvest"]) if saved else None
    # bytes, so that the offset saved in the checkpoint is exact
    out: IO[bytes] = args.out.open("a+b") if args.out else sys.stdout.buffer
    if args.out:
        out.truncate(saved["offset"] if saved else 0)  # drop lines written after the checkpoint
        out.seek(0, os.SEEK_END)
    try:
        async with connect(args) as ctx:
            logs = ctx.tuya.logs
            # a resumed harvest keeps the window it started with (relative times have moved)
            window = {"start": args.start, "end": args.end} if checkpoint is None else {}
            if checkpoint is not None:
                done = sum(1 for d in checkpoint.devices.values() if d.get("done"))
                print(f"resuming: {done} of {len(ids)} devices already done", file=sys.stderr)
            common = {**window, "concurrency": args.concurrency, "checkpoint": checkpoint}
            with _ui.progress_bar("harvest", len(ids), quiet=args.quiet) as bar:

                def on_page(p: HarvestProgress) -> None:
                    rate = "uncapped" if p.rate is None else f"{p.rate:.1f}/s"
                    note = f"{p.records} records, {p.retries} retries, rate {rate}"
                    bar.update(p.devices_done, note=note)
                    if args.checkpoint:  # everything yielded so far is written: save
                        out.flush()
                        _save(args.checkpoint, out.tell(), harvest.checkpoint.to_json())

                if args.operations:
                    harvest: Any = logs.harvest_operations(
                        ids, types=args.types, progress=on_page, **common
                    )
                else:
                    harvest = logs.harvest_reports(
                        ids, codes=args.codes, progress=on_page, **common
                    )
                async with harvest:
                    async for item in harvest:
                        out.write(json_line(item.device_id, item.record).encode())
    finally:
        if args.out:
            out.close()
        else:
            out.flush()
    if args.checkpoint:
        args.checkpoint.unlink(missing_ok=True)
    print(f"{harvest.records} records from {len(ids)} devices", file=sys.stderr)
    return 0


def _save(path: Path, offset: int, harvest: str) -> None:
    """Write the checkpoint atomically (a crash never leaves half a file)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps({"offset": offset, "harvest": harvest}))
    os.replace(tmp, path)
