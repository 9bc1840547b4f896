"""Archive formats side by side: write 1,000,000 report records as JSON lines and as Parquet
(the archive's own writers, 100,000 records a file as ``batch_records`` does by default),
then the size on disk and the time DuckDB takes to read them back (a count, and a group-by
per code with the mean value).

``python benchmarks/archive_formats.py --records N`` prints JSON; ``run.py`` calls ``measure``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb

from tuya_thing_async.archive.schema import REPORTS
from tuya_thing_async.archive.writers import JsonLinesWriter, ParquetWriter, Writer
from tuya_thing_async.emulator.seed import fleet_ids
from tuya_thing_async.harvest import HarvestRecord
from tuya_thing_async.models import ReportLog

PER_FILE = 100_000
CODES = ("cur_power", "pv_power", "battery_percentage", "energy_today")
JSON_COLUMNS = (
    "{'device_id': 'VARCHAR', 'code': 'VARCHAR', 'value': 'VARCHAR', 'event_time': 'TIMESTAMPTZ'}"
)


def _chunks(records: int) -> Iterator[list[HarvestRecord[ReportLog]]]:
    """Report records of 1,000 devices every 15 minutes, as a harvest yields them."""
    rng = random.Random(7)
    ids = fleet_ids(1000, seed=7)
    start = 1_795_000_000_000
    for first in range(0, records, PER_FILE):
        chunk = []
        for n in range(first, min(records, first + PER_FILE)):
            device, step = ids[n % len(ids)], n // len(ids)
            when = start + step * 900_000 + rng.randint(0, 20_000)
            code = CODES[step % len(CODES)]
            chunk.append(HarvestRecord(device, ReportLog(code, str(rng.randint(0, 6000)), when)))
        yield chunk


def _write(writer: Writer, folder: Path, records: int) -> tuple[float, int]:
    folder.mkdir()
    seconds = size = 0
    for n, chunk in enumerate(_chunks(records)):
        began = time.perf_counter()
        size += writer.write(folder / f"part-{n:05d}{writer.suffix}", REPORTS, chunk)
        seconds += time.perf_counter() - began
    return seconds, size


def _read(source: str) -> tuple[float, int]:
    began = time.perf_counter()
    db = duckdb.connect()
    count = db.sql(f"SELECT count(*) FROM {source}").fetchall()[0][0]
    db.sql(
        f"SELECT code, count(*), avg(CAST(value AS DOUBLE)) FROM {source} GROUP BY code"
    ).fetchall()
    db.close()
    return time.perf_counter() - began, int(count)


def measure(records: int, repeats: int) -> dict[str, Any]:
    """Medians over ``repeats`` of write seconds, bytes and DuckDB read seconds per format."""
    runs: dict[str, list[tuple[float, int, float]]] = {"jsonl": [], "parquet": []}
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            for name, writer in (("jsonl", JsonLinesWriter()), ("parquet", ParquetWriter())):
                folder = Path(tmp) / name
                wrote, size = _write(writer, folder, records)
                source = (
                    f"read_parquet('{folder}/*.parquet')"
                    if name == "parquet"
                    else f"read_json('{folder}/*.jsonl', format='newline_delimited', "
                    f"columns={JSON_COLUMNS})"
                )
                read, count = _read(source)
                assert count == records, (name, count)
                runs[name].append((wrote, size, read))
    return {
        name: {
            "write_s": statistics.median(r[0] for r in rows),
            "mib": statistics.median(r[1] for r in rows) / 2**20,
            "read_s": statistics.median(r[2] for r in rows),
        }
        for name, rows in runs.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    json.dump(measure(args.records, args.repeats), sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
