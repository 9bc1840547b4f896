"""Keep every log beyond Tuya's 7 days: incremental archive runs for a scheduled job.

    result = await archive_reports(tuya, ids, out=Path("archive"), codes=["cur_power"])

Each run archives every device from its stored watermark to now minus ``lag`` into
date-partitioned JSON lines or Parquet files, and advances the watermarks in the same SQLite
transaction that records the files, so consecutive runs chain with no gap and no duplicate and
a killed run resumes. A device never archived starts ``margin`` inside Tuya's retention; one
whose watermark is older than that is reported in ``result.lost``. ``shard=(k, n)`` archives
only the devices of shard ``k`` of ``n`` (each worker with its own store).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .. import _validation as v
from ..checkpoint import HarvestCheckpoint
from ..client import TuyaClient
from ..errors import TuyaValidationError
from ..harvest import Harvest, HarvestProgress
from ..models import LogType
from ..shard import check, select
from .layout import ms_of
from .results import ArchiveFile, ArchiveResult, LostSpan
from .run import Options, Source, run_archive
from .schema import OPERATIONS, REPORTS
from .writers import ArchiveFormat, writer_for

__all__ = [
    "ArchiveFile",
    "ArchiveFormat",
    "ArchiveResult",
    "LostSpan",
    "archive_operations",
    "archive_reports",
    "check_durations",
    "default_store",
]

LAG = timedelta(minutes=10)
MARGIN = timedelta(hours=1)


def default_store(out: Path, shard: tuple[int, int] | None = None) -> Path:
    """``<out>/archive.sqlite``, or ``<out>/archive-shard-K-of-N.sqlite`` for a shard."""
    checked = check(shard)
    if checked is None:
        return out / "archive.sqlite"
    return out / f"archive-shard-{checked.k}-of-{checked.n}.sqlite"


def check_durations(lag: timedelta, margin: timedelta) -> tuple[int, int]:
    """``lag`` (0 to under 1 day) and ``margin`` (0 to under 6 days) in milliseconds;
    ``TuyaValidationError`` otherwise."""
    out = []
    for value, name, hours in ((lag, "lag", 24), (margin, "margin", 144)):
        if not isinstance(value, timedelta) or not timedelta(0) <= value < timedelta(hours=hours):
            raise TuyaValidationError(f"{name} must be >= 0 and < {hours} hours, got {value!r}")
        out.append(value // timedelta(milliseconds=1))
    return out[0], out[1]


def _options(
    tuya: TuyaClient,
    *,
    out: Path | str,
    store: Path | str | None,
    format: ArchiveFormat,
    now: datetime | None,
    lag: timedelta,
    margin: timedelta,
    shard: tuple[int, int] | None,
    batch_records: int,
) -> Options:
    """Check every setting before any network I/O."""
    checked = check(shard)
    lag_ms, margin_ms = check_durations(lag, margin)
    if isinstance(batch_records, bool) or not isinstance(batch_records, int) or batch_records < 1:
        raise TuyaValidationError(f"batch_records must be an int >= 1, got {batch_records!r}")
    if now is not None and (not isinstance(now, datetime) or now.utcoffset() is None):
        raise TuyaValidationError("now must be a timezone-aware datetime, e.g. datetime.now(UTC)")
    return Options(
        out=Path(out),
        store=Path(store) if store is not None else default_store(Path(out), checked),
        writer=writer_for(format),
        now_ms=ms_of(now) if now is not None else int(tuya.settings.clock.time() * 1000),
        lag_ms=lag_ms,
        margin_ms=margin_ms,
        batch_records=batch_records,
        shard=checked,
    )


def _types(types: Iterable[LogType | int] | None) -> list[int] | None:
    try:
        return None if types is None else sorted({int(LogType(t)) for t in types})
    except (TypeError, ValueError):
        raise TuyaValidationError(f"unknown log type in {types!r}; use LogType") from None


async def archive_reports(
    tuya: TuyaClient,
    device_ids: Iterable[str],
    *,
    out: Path | str,
    codes: Iterable[str],
    format: ArchiveFormat = "jsonl",
    store: Path | str | None = None,
    lag: timedelta = LAG,
    margin: timedelta = MARGIN,
    shard: tuple[int, int] | None = None,
    now: datetime | None = None,
    concurrency: int = 16,
    batch_records: int = 100_000,
    progress: Callable[[HarvestProgress], None] | None = None,
) -> ArchiveResult:
    """Archive the data-point reports of ``codes`` of ``device_ids`` into ``out``
    (``reports/date=YYYY-MM-DD/part-*.jsonl|parquet``), from each device's watermark in
    ``store`` (default ``out/archive.sqlite``) to ``now - lag``. ``now`` defaults to the
    client's clock."""
    chosen = sorted(dict.fromkeys(codes))
    stream = f"reports codes={v.codes(chosen, required=True)}"
    options = _options(
        tuya,
        out=out,
        store=store,
        format=format,
        now=now,
        lag=lag,
        margin=margin,
        shard=shard,
        batch_records=batch_records,
    )

    def start(
        ids: Sequence[str], cp: HarvestCheckpoint | None, s: datetime | None, e: datetime | None
    ) -> Harvest[Any]:
        return tuya.logs.harvest_reports(
            ids, codes=chosen, start=s, end=e, checkpoint=cp, **_job(concurrency, progress)
        )

    ids = select(v.device_ids(device_ids), options.shard)
    return await run_archive(ids, Source(REPORTS, stream, start), options)


async def archive_operations(
    tuya: TuyaClient,
    device_ids: Iterable[str],
    *,
    out: Path | str,
    types: Iterable[LogType | int] | None = None,
    codes: Iterable[str] | None = None,
    format: ArchiveFormat = "jsonl",
    store: Path | str | None = None,
    lag: timedelta = LAG,
    margin: timedelta = MARGIN,
    shard: tuple[int, int] | None = None,
    now: datetime | None = None,
    concurrency: int = 16,
    batch_records: int = 100_000,
    progress: Callable[[HarvestProgress], None] | None = None,
) -> ArchiveResult:
    """Archive operation logs (free edition) like ``archive_reports``, into
    ``out/operations/``; ``types`` and ``codes`` filter as in ``harvest_operations``."""
    chosen_types = _types(types)
    chosen_codes = None if codes is None else sorted(dict.fromkeys(codes))
    stream = f"operations types={chosen_types} codes={v.codes(chosen_codes, required=False)}"
    options = _options(
        tuya,
        out=out,
        store=store,
        format=format,
        now=now,
        lag=lag,
        margin=margin,
        shard=shard,
        batch_records=batch_records,
    )

    def start(
        ids: Sequence[str], cp: HarvestCheckpoint | None, s: datetime | None, e: datetime | None
    ) -> Harvest[Any]:
        return tuya.logs.harvest_operations(
            ids,
            types=chosen_types,
            codes=chosen_codes,
            start=s,
            end=e,
            checkpoint=cp,
            **_job(concurrency, progress),
        )

    ids = select(v.device_ids(device_ids), options.shard)
    return await run_archive(ids, Source(OPERATIONS, stream, start), options)


def _job(concurrency: int, progress: Callable[[HarvestProgress], None] | None) -> dict[str, Any]:
    return {"concurrency": concurrency, "progress": progress, "on_error": "skip"}
