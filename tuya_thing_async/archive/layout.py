"""Where archived records go and which window each device's next run covers (pure).

Data files are Hive-style date partitions, readable as they are by DuckDB, pandas and Spark:
``<out>/<kind>/date=YYYY-MM-DD/part-<store>-<job>-<part>.<ext>``, where ``<store>`` is the
store's random ID (so shards can share ``<out>``). A file is written under a hidden temporary
name (``.part-...tmp``, ignored by readers) and renamed only after the store has recorded it.

A device's archived span ends at its watermark ``w`` (a millisecond, included); its next window
keeps records with ``w < time <= end``. A device never archived starts at ``floor``: the
retention window plus a margin, so no record expires while the run walks it. A watermark older
than that leaves a gap: the span from ``w`` to ``floor`` that may have been lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta

import attrs

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MS = timedelta(milliseconds=1)


def ms_of(value: datetime) -> int:
    """An aware datetime as exact epoch milliseconds (floored)."""
    return (value - EPOCH) // MS


def time_of(ms: int) -> datetime:
    """Epoch milliseconds as an aware UTC datetime, exactly."""
    return EPOCH + ms * MS


def day_of(ms: int) -> date:
    return time_of(ms).date()


def partition(kind: str, day: date) -> str:
    """The partition directory of ``kind`` for ``day``, relative to the output directory."""
    return f"{kind}/date={day.isoformat()}"


def file_name(store_id: str, job_id: int, part: int, suffix: str) -> str:
    return f"part-{store_id}-{job_id:06d}-{part:05d}{suffix}"


def temp_name(name: str) -> str:
    """The hidden name a file is written under before the store records it."""
    return f".{name}.tmp"


def temp_pattern(store_id: str) -> str:
    """A glob, relative to a kind's directory, of this store's temporary files."""
    return f"date=*/.part-{store_id}-*.tmp"


@attrs.frozen
class Group:
    """Devices whose next window starts after the same watermark ``after_ms``."""

    after_ms: int
    device_ids: tuple[str, ...]


@attrs.frozen
class Gap:
    """Records with ``start_ms <= time < end_ms`` of ``devices`` were not archived."""

    start_ms: int
    end_ms: int
    devices: int


@attrs.frozen
class Plan:
    groups: tuple[Group, ...]
    gaps: tuple[Gap, ...]


def plan(
    device_ids: Iterable[str], watermarks: Mapping[str, int], *, floor_ms: int, end_ms: int
) -> Plan:
    """Group devices by where their window starts (after their watermark, or ``floor_ms``
    for new ones, or for watermarks older than it: then a gap); devices already archived up
    to ``end_ms`` are left out."""
    groups: dict[int, list[str]] = {}
    gaps: dict[int, int] = {}
    for device_id in device_ids:
        after = watermarks.get(device_id, floor_ms - 1)
        if after < floor_ms - 1:
            gaps[after + 1] = gaps.get(after + 1, 0) + 1
            after = floor_ms - 1
        if after < end_ms:
            groups.setdefault(after, []).append(device_id)
    return Plan(
        tuple(Group(after, tuple(ids)) for after, ids in sorted(groups.items())),
        tuple(Gap(start, floor_ms, n) for start, n in sorted(gaps.items())),
    )
