"""Checkpoint cost against fleet size: client CPU per harvested page, with a checkpoint taken
after every page, for fleets of 100 to 100,000 devices (emulator in its own process, one
``cur_power`` page per device, DEFAULT settings).

* library: ``harvest_reports`` (6 days, about 6 pages a device) over the whole fleet's IDs,
  ``harvest.checkpoint.to_json()`` after every page, the first ``pages`` pages timed (client
  process CPU), so every fleet size is timed over the same number of pages;
* CLI: ``tuya-thing harvest --ids-file ... --out ... --checkpoint ...`` over the whole fleet
  (6 days), its user CPU per 100 records written (a full page), read from ``/proc`` while it
  runs between its 3,000th and 33,000th record, so start-up is not counted and every fleet
  size is timed over the same amount of work.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _common import emulator_process, median, sdk_client

from tuya_thing_async.emulator.seed import fleet_ids


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


#: Records written before the CLI is timed (start-up and the first pages), then timed.
CLI_WARMUP, CLI_TIMED = 3_000, 30_000


def _user_ticks(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[11])  # utime, in clock ticks


def _lines(path: Path) -> int:
    try:
        with path.open("rb") as out:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: out.read(1 << 20), b""))
    except FileNotFoundError:
        return 0


def cli_cpu_per_page(info: dict[str, str], ids: list[str], timed: int = CLI_TIMED) -> float:
    """User CPU of ``tuya-thing harvest`` per 100 records written (a full page), measured
    while it runs, between the CLI_WARMUP-th and the (CLI_WARMUP + timed)-th record."""
    end = datetime.now(UTC) - timedelta(hours=1)
    start = end - timedelta(days=6)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "ids.txt").write_text("\n".join(ids))
        out = folder / "out.jsonl"
        command = [
            *(sys.executable, "-m", "tuya_thing_async", "harvest"),
            *("--ids-file", str(folder / "ids.txt"), "--codes", "cur_power"),
            *("--start", start.isoformat(), "--end", end.isoformat()),
            *("--out", str(out), "--checkpoint", str(folder / "out.ckpt"), "--quiet"),
        ]
        proc = subprocess.Popen(command, env={**os.environ, **info}, stdout=subprocess.DEVNULL)
        marks: list[tuple[int, int]] = []
        try:
            for goal in (CLI_WARMUP, CLI_WARMUP + timed):
                while (written := _lines(out)) < goal:
                    if proc.poll() is not None:
                        raise RuntimeError(f"the CLI ended after {written} records")
                    time.sleep(0.02)
                marks.append((_user_ticks(proc.pid), written))
        finally:
            proc.kill()
            proc.wait()
    (t0, r0), (t1, r1) = marks
    return (t1 - t0) / os.sysconf("SC_CLK_TCK") / (r1 - r0) * 100 * 1e6


async def measure(
    sizes: tuple[int, ...],
    pages: int,
    cli_sizes: tuple[int, ...],
    repeats: int = 1,
    cli_timed: int = CLI_TIMED,
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
                row["cli_us"] = median(
                    [cli_cpu_per_page(env, ids, cli_timed) for _ in range(repeats)]
                )
            rows[size] = row
    return rows
