"""Memory stays flat: stream report records of a large fleet through a harvest into a JSONL
file and sample this process's resident set size (RSS) at 10k, 100k and 1M records.

Run in its own process by ``run.py`` (``python benchmarks/memory.py --records N`` prints JSON),
so that nothing else the benchmark did is in the numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _common import emulator_process, sdk_client

from tuya_thing_async.emulator.seed import fleet_ids

CODES = [
    "pv_power",
    "cur_power",
    "energy_today",
    "temp_current",
    "battery_percentage",
    "charge_energy",
    "discharge_energy",
    "cur_voltage",
    "forward_energy_total",
]


def _status_mib(field: str) -> float:
    with open("/proc/self/status") as fh:
        kib = next(int(line.split()[1]) for line in fh if line.startswith(field))
    return kib / 1024


def rss_mib() -> float:
    """Current resident set size."""
    return _status_mib("VmRSS:")


async def measure(records: int) -> dict[str, float]:
    per_device = 2100  # all codes of the seeded kinds over 7 days, on average
    devices = math.ceil(records / per_device) + 2
    ids = fleet_ids(devices, seed=7)
    marks = sorted({m for m in (10_000, 100_000, 1_000_000, records) if m <= records})
    samples: dict[str, float] = {"start_mib": rss_mib()}
    with emulator_process(devices=devices) as info, tempfile.TemporaryDirectory() as tmp:
        async with sdk_client(info) as tuya:
            harvest = tuya.logs.harvest_reports(ids, codes=CODES, concurrency=16)
            with (Path(tmp) / "out.jsonl").open("w") as out:
                async with harvest:
                    async for item in harvest:
                        rec = item.record
                        out.write(
                            json.dumps(
                                {
                                    "device_id": item.device_id,
                                    "code": rec.code,
                                    "value": rec.value,
                                    "event_time": rec.event_time.isoformat(),
                                }
                            )
                            + "\n"
                        )
                        if marks and harvest.records == marks[0]:
                            samples[f"rss_at_{marks.pop(0)}"] = rss_mib()
                        if harvest.records >= records:
                            break
    # VmHWM, not ru_maxrss: ru_maxrss survives exec, so it would show the parent's peak
    samples["peak_mib"] = _status_mib("VmHWM:")
    samples["records"] = harvest.records
    return samples


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    print(json.dumps(asyncio.run(measure(parser.parse_args().records))))
