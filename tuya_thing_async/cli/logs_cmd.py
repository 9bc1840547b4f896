"""``tuya-thing logs operations|reports``, ``tuya-thing harvest`` and ``tuya-thing archive``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import IO, Any

from ..models import LogType
from . import _ui, archive_cmd, harvest_cmd
from ._common import add_common, connect, dumps, json_line, jsonable, output_format, parse_time

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
    ops.add_argument(
        "--edition",
        choices=("free", "paid"),
        default="free",
        help="log edition: free (query_type=1, 7 days) or paid (query_type=2)",
    )
    reps = cmds.add_parser("reports", help="data-point reports (JSON lines, newest first)")
    reps.add_argument("device_id")
    reps.add_argument("--codes", type=_codes, required=True, help="e.g. cur_power,pv_power")
    for p in (ops, reps):
        _window_options(p)
        p.add_argument("--max", type=int, default=None, help="stop after this many records")
        add_common(p, default_format="jsonl")
        p.set_defaults(run=run_logs)

    harvest_cmd.add_parser(sub, _window_options, _codes, _log_types)
    archive_cmd.add_parser(sub, _codes, _log_types)


async def run_logs(args: argparse.Namespace) -> int:
    async with connect(args) as ctx:
        logs = ctx.tuya.logs
        window = {"start": args.start, "end": args.end, "max_items": args.max}
        if args.logs_command == "operations":
            stream: Any = logs.iter_operations(
                args.device_id, types=args.types, codes=args.codes, edition=args.edition, **window
            )
        else:
            stream = logs.iter_reports(args.device_id, codes=args.codes, **window)
        out: IO[str] = args.out.open("w", encoding="utf-8") if args.out else sys.stdout
        try:
            await _write(args, stream, out)
        finally:
            if args.out:
                out.close()
    return 0


async def _write(args: argparse.Namespace, stream: Any, out: IO[str]) -> None:
    """JSON lines as records arrive; a table or one JSON document once all are in."""
    fmt = output_format(args, "jsonl")
    rows: list[dict[str, Any]] = []
    async with stream:
        async for record in stream:
            if fmt == "jsonl":
                out.write(json_line(args.device_id, record))
            else:
                rows.append({"device_id": args.device_id, **jsonable(record)})
    if fmt == "json":
        out.write(dumps(rows) + "\n")
    elif fmt == "table":
        out.write(
            (_ui.table(list(rows[0]), [list(r.values()) for r in rows]) if rows else "(nothing)")
            + "\n"
        )
