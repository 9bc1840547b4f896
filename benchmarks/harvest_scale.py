"""Checkpoint cost against fleet size: client CPU per harvested page, with a checkpoint taken
after every page, for fleets of 100 to 100,000 devices (emulator in its own process, one
``cur_power`` page per device, DEFAULT settings).

* library: ``harvest_reports`` (6 days, about 6 pages a device) over the whole fleet's IDs,
  ``harvest.checkpoint.to_json()`` after every page, the first ``pages`` pages timed (client
  process CPU), so every fleet size is timed over the same number of pages;
* CLI: ``tuya-thing harvest --ids-file ... --out ... --checkpoint ...`` over the whole fleet,
  its user CPU minus that of the same command for one device (start-up), per 100 records
  written (a full page; devices of different kinds report at different rates).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _common import emulator_process, median, sdk_client

from tuya_thing_async.emulator.seed import fleet_ids


def _window() -> tuple[datetime, datetime]:
    end = datetime.now(UTC) - timedelta(hours=1)
    return end - timedelta(hours=20), end


async def library_cpu_per_page(info: dict[str, str], ids: list[str], pages: int) -> float:
    end = datetime.now(UTC) - timedelta(hours=1)
    start = end - timedelta(days=6)  # 6 pages a device: the same page count for every fleet
    async with sdk_client(info) as tuya:
        await tuya.devices.get(ids[0])  # the token
        harvest = tuya.logs.harvest_reports(ids, codes=["cur_power"], start=start, end=end)
        began = None
        async with harvest:
            async for _page in harvest.iter_pages():
                harvest.checkpoint.to_json()
                if began is None:
                    began = time.process_time()
                if harvest.pages >= pages:
                    break
        assert began is not None
        return (time.process_time() - began) / max(1, harvest.pages - 1) * 1e6


def _cli_cpu(info: dict[str, str], ids: list[str], folder: Path) -> tuple[float, int]:
    ids_file = folder / "ids.txt"
    ids_file.write_text("\n".join(ids))
    start, end = _window()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "tuya_thing_async",
            "harvest",
            "--ids-file",
            str(ids_file),
            "--codes",
            "cur_power",
            "--start",
            start.isoformat(),
            "--end",
            end.isoformat(),
            "--out",
            str(folder / "out.jsonl"),
            "--checkpoint",
            str(folder / "out.ckpt"),
            "--quiet",
        ],
        check=True,
        env={**os.environ, **info},
        capture_output=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    with (folder / "out.jsonl").open("rb") as out:
        records = sum(1 for _ in out)
    (folder / "out.jsonl").unlink()
    # user time: the kernel's cost of writing a larger file is not the checkpoint's
    return after.ru_utime - before.ru_utime, records


def cli_cpu_per_page(info: dict[str, str], ids: list[str]) -> float:
    """CLI CPU per 100 records (a full page): fleets differ in records per device."""
    with tempfile.TemporaryDirectory() as tmp:
        base, base_records = _cli_cpu(info, ids[:1], Path(tmp))
        total, records = _cli_cpu(info, ids, Path(tmp))
    return (total - base) / (records - base_records) * 100 * 1e6


async def measure(
    sizes: tuple[int, ...], pages: int, cli_sizes: tuple[int, ...], repeats: int = 1
) -> dict[int, dict[str, float]]:
    """Median of ``repeats`` runs per fleet size."""
    rows: dict[int, dict[str, float]] = {}
    for size in sizes:
        ids = fleet_ids(size, seed=7)
        with emulator_process(devices=size) as info:
            env = {k: v for k, v in info.items() if k.startswith("TUYA_")}
            runs = [await library_cpu_per_page(info, ids, pages) for _ in range(repeats)]
            row = {"library_us": median(runs)}
            if size in cli_sizes:
                row["cli_us"] = median([cli_cpu_per_page(env, ids) for _ in range(repeats)])
            rows[size] = row
    return rows
