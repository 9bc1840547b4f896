"""An emulator whose clock the test moves (and whose fleet keeps reporting as it does), and
the records it holds, to compare archives with."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from tuya_thing_async.archive.layout import ms_of
from tuya_thing_async.emulator import FakeCloud

START = 1_795_000_000.0
CODES = ["battery_percentage", "cur_power"]


class Row(NamedTuple):
    device_id: str
    code: str
    value: str
    time_ms: int


class MovingCloud:
    """A seeded emulator at ``START`` whose clock moves only when told."""

    def __init__(self, devices: int, days_ahead: float, latency: float = 0.0) -> None:
        self.now = START
        self.cloud = FakeCloud.seeded(
            devices=devices,
            seed=5,
            clock=lambda: self.now,
            days_ahead=days_ahead,
            time_window=1e12,  # clients keep their own clock; the emulator's is moved by days
            latency=latency,
        )

    def advance(self, days: float) -> None:
        self.now += days * 86_400

    @property
    def at(self) -> datetime:
        return datetime.fromtimestamp(self.now, UTC)

    def rows(self, after_ms: int, end_ms: int, ids: Iterable[str] | None = None) -> Counter[Row]:
        """Every report of ``CODES`` with ``after_ms < time <= end_ms`` the fleet holds."""
        out: Counter[Row] = Counter()
        for device_id in self.cloud.device_ids if ids is None else ids:
            for t, _, code, value in self.cloud.devices.peek(device_id).reports:
                if code in CODES and after_ms < t <= end_ms:
                    out[Row(device_id, code, value, t)] += 1
        return out


def jsonl_rows(out: Path) -> Counter[Row]:
    """Every record of the visible JSON lines files under ``out``."""
    rows: Counter[Row] = Counter()
    for path in sorted(out.glob("reports/date=*/part-*.jsonl")):
        for line in path.read_text().splitlines():
            data = json.loads(line)
            when = datetime.fromisoformat(data["event_time"])
            rows[Row(data["device_id"], data["code"], data["value"], ms_of(when))] += 1
    return rows
