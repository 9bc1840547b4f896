"""``tuya-thing harvest``: many devices' logs as JSON lines, resumable after a crash.

Devices that fail for a reason of their own (deleted, not authorised...) are skipped, listed
at the end, and retried by a resumed run; the command then exits 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import TuyaConfigError
from ..harvest import Harvest, HarvestProgress
from ..shard import select
from . import _ui
from ._common import (
    add_common,
    add_shard_options,
    connect,
    json_line,
    print_failures,
    project_ids,
    read_ids,
    shard_from,
)
from ._resume import Output, ResumeState, load


def add_parser(sub: Any, window_options: Any, codes: Any, log_types: Any) -> None:
    h = sub.add_parser("harvest", help="many devices' logs as JSON lines, resumable")
    h.add_argument("device_ids", nargs="*")
    h.add_argument("--ids-file", help="file with one device ID per line ('-' for stdin)")
    h.add_argument(
        "--all",
        action="store_true",
        help="every device of the project (listed first; with --checkpoint the list is kept "
        "beside it, so a resumed run walks the same devices)",
    )
    h.add_argument("--codes", type=codes, default=None, help="report logs of these codes")
    h.add_argument("--operations", action="store_true", help="operation logs instead")
    h.add_argument("--types", type=log_types, default=None, help="with --operations")
    h.add_argument(
        "--concurrency", type=int, default=16, help="devices walked at once (default: 16)"
    )
    h.add_argument(
        "--fail-fast",
        action="store_true",
        help="stop at the first device that fails (default: skip it, list it, exit 1)",
    )
    h.add_argument(
        "--checkpoint",
        type=Path,
        default=None,
        help="resume file: continue after a crash without loss or duplicates (needs --out)",
    )
    window_options(h)
    add_shard_options(h)
    add_common(h, formats=("jsonl",), default_format="jsonl, the only one")
    h.set_defaults(run=run_harvest)


def _check(args: argparse.Namespace) -> None:
    if args.all and (args.device_ids or args.ids_file):
        raise TuyaConfigError("give device IDs or --all, not both")
    if bool(args.codes) == bool(args.operations):
        raise TuyaConfigError("give either --codes (report logs) or --operations")
    if args.checkpoint and not args.out:
        raise TuyaConfigError("--checkpoint needs --out (the file it resumes)")


async def run_harvest(args: argparse.Namespace) -> int:
    _check(args)
    shard = shard_from(args)
    ids = [] if args.all else list(dict.fromkeys(read_ids(args.device_ids, args.ids_file)))
    resumable = args.checkpoint and args.checkpoint.exists()
    state = load(args.checkpoint, args.out) if resumable else None
    output = Output(args.out, state) if args.out else None
    try:
        async with connect(args) as ctx:
            if args.all:
                ids = await _project_ids(ctx.tuya, args.checkpoint)
            ids = select(ids, shard)
            if state is not None:
                done = state.harvest.devices_done
                print(f"resuming: {done} of {len(ids)} devices already done", file=sys.stderr)
            with _ui.harvest_progress(len(ids), quiet=args.quiet) as report:

                def on_page(progress: HarvestProgress) -> None:
                    report(progress)
                    if output is not None and args.checkpoint:  # all yielded is written
                        output.save(args.checkpoint, harvest.checkpoint)

                harvest = _start(ctx.tuya.logs, args, ids, state, on_page)
                await _write(harvest, output)
    finally:
        if output is not None:
            output.close()
    return _finish(args, harvest, len(ids))


async def _project_ids(tuya: Any, checkpoint: Path | None) -> list[str]:
    """Every device of the project, in the cloud's order; kept beside the checkpoint."""
    kept = checkpoint.with_suffix(checkpoint.suffix + ".ids") if checkpoint else None
    if kept is not None and kept.exists():
        return kept.read_text(encoding="utf-8").split()
    ids = await project_ids(tuya)
    if kept is not None:
        kept.write_text("\n".join(ids), encoding="utf-8")
    return ids


def _start(
    logs: Any,
    args: argparse.Namespace,
    ids: list[str],
    state: ResumeState | None,
    progress: Callable[[HarvestProgress], None],
) -> Any:
    common: dict[str, Any] = {
        "progress": progress,
        "concurrency": args.concurrency,
        "on_error": "raise" if args.fail_fast else "skip",
        "checkpoint": state.harvest if state else None,
    }
    if state is None:  # a resumed harvest keeps its window (relative times have moved)
        common |= {"start": args.start, "end": args.end}
    if args.operations:
        return logs.harvest_operations(ids, types=args.types, **common)
    return logs.harvest_reports(ids, codes=args.codes, **common)


async def _write(harvest: Harvest[Any], output: Output | None) -> None:
    async with harvest:
        async for item in harvest:
            line = json_line(item.device_id, item.record)
            if output is None:
                sys.stdout.write(line)
            else:
                output.write(line.encode())
    sys.stdout.flush()


def _finish(args: argparse.Namespace, harvest: Harvest[Any], devices: int) -> int:
    failures = harvest.failures
    print_failures(failures)
    print(
        f"{harvest.records} records from {devices - len(failures)} of {devices} devices"
        + (f"; {len(failures)} failed (a resumed run retries them)" if failures else ""),
        file=sys.stderr,
    )
    if args.checkpoint and not failures:
        args.checkpoint.unlink(missing_ok=True)
        args.checkpoint.with_suffix(args.checkpoint.suffix + ".ids").unlink(missing_ok=True)
    return 1 if failures else 0
