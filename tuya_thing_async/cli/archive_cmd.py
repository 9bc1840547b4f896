"""``tuya-thing archive``: one incremental archive run, for a nightly job.

Each run archives every device from where the last run stopped to now minus ``--lag`` into
date-partitioned JSON lines or Parquet under ``--out``; a killed run resumes when started
again. Exit 1 when devices failed (listed; the next run retries them). A warning names any
span that may have been lost because the previous run is older than Tuya's retention.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..archive import ArchiveResult, archive_operations, archive_reports, check_durations
from ..errors import TuyaConfigError
from . import _ui
from ._common import (
    add_common,
    add_shard_options,
    connect,
    parse_duration,
    parse_time,
    print_failures,
    project_ids,
    read_ids,
    shard_from,
)


def add_parser(sub: Any, codes: Any, log_types: Any) -> None:
    a = sub.add_parser("archive", help="incremental, exactly-once archive run (for cron)")
    a.add_argument("device_ids", nargs="*")
    a.add_argument("--ids-file", help="file with one device ID per line ('-' for stdin)")
    a.add_argument("--all", action="store_true", help="every device of the project (each run)")
    a.add_argument("--codes", type=codes, default=None, help="report logs of these codes")
    a.add_argument("--operations", action="store_true", help="operation logs instead")
    a.add_argument("--types", type=log_types, default=None, help="with --operations")
    a.add_argument("--out", type=Path, required=True, help="the archive directory")
    a.add_argument(
        "--store",
        type=Path,
        default=None,
        help="the SQLite store (default: OUT/archive.sqlite, OUT/archive-shard-K-of-N.sqlite)",
    )
    a.add_argument("--format", choices=("jsonl", "parquet"), default="jsonl")
    a.add_argument("--lag", default="10m", help="stop this long before now (10m)")
    a.add_argument(
        "--margin",
        default="1h",
        help="a first run starts this far inside Tuya's 7 days (1h)",
    )
    a.add_argument(
        "--now", type=parse_time, default=None, help="the time taken as now (default: the clock)"
    )
    a.add_argument("--concurrency", type=int, default=16, help="devices walked at once (16)")
    a.add_argument("--batch-records", type=int, default=100_000, help="records per commit (100000)")
    add_shard_options(a)
    add_common(a, formats=())
    a.set_defaults(run=run_archive)


def _check(args: argparse.Namespace) -> None:
    if args.all and (args.device_ids or args.ids_file):
        raise TuyaConfigError("give device IDs or --all, not both")
    if bool(args.codes) == bool(args.operations):
        raise TuyaConfigError("give either --codes (report logs) or --operations")
    for option, value in (
        ("--concurrency", args.concurrency),
        ("--batch-records", args.batch_records),
    ):
        if value < 1:
            raise TuyaConfigError(f"{option} must be at least 1, got {value}")


async def run_archive(args: argparse.Namespace) -> int:
    _check(args)
    shard = shard_from(args)
    lag, margin = parse_duration(args.lag, "--lag"), parse_duration(args.margin, "--margin")
    check_durations(lag, margin)
    ids = [] if args.all else read_ids(args.device_ids, args.ids_file)
    async with connect(args) as ctx:
        if args.all:
            ids = await project_ids(ctx.tuya)
        with _ui.harvest_progress(len(ids), quiet=args.quiet) as report:
            common: dict[str, Any] = {
                "out": args.out,
                "store": args.store,
                "format": args.format,
                "lag": lag,
                "margin": margin,
                "now": args.now,
                "shard": shard,
                "concurrency": args.concurrency,
                "batch_records": args.batch_records,
                "progress": report,
            }
            if args.operations:
                result = await archive_operations(ctx.tuya, ids, types=args.types, **common)
            else:
                result = await archive_reports(ctx.tuya, ids, codes=args.codes, **common)
    return _finish(result)


def _finish(result: ArchiveResult) -> int:
    for span in result.lost:
        print(
            f"warning: records from {span.start.isoformat()} to {span.end.isoformat()} of "
            f"{span.devices} devices may be lost: the last run ended before Tuya's 7-day "
            "retention (run more often)",
            file=sys.stderr,
        )
    print_failures(result.failures)
    failed = len(result.failures)
    resumed = f", {result.resumed} resumed" if result.resumed else ""
    print(
        f"archived {result.records} records into {len(result.files)} files up to "
        f"{result.end.isoformat()} ({result.devices} devices; windows: {result.jobs}{resumed})"
        + (f"; {failed} devices failed (the next run retries them)" if failed else ""),
        file=sys.stderr,
    )
    return 1 if failed else 0
