"""One archive run: from each device's watermark to now minus a lag, exactly once.

The run first finishes what an earlier run left open (a job stopped by a crash resumes from
its checkpoint; devices that failed are retried from where they stopped), then plans new
windows from the stored watermarks (``layout.plan``) and harvests them with the existing
``Harvest`` (``on_error="skip"``). Records are buffered and flushed every ``batch_records``:
each file is written under a hidden name and fsynced, then one SQLite transaction records the
files and the harvest checkpoint after them (and, at a job's end, the watermarks), then the
files are renamed into place. Killed at any moment, a rerun renames what was committed, drops
what was not and resumes from the last commit: no record is lost or written twice.

Windows are asked for one millisecond wider on each side and records outside
``watermark < time <= end`` dropped, so chaining does not depend on whether the cloud counts
``start_time`` and ``end_time`` inclusively.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import attrs

from ..checkpoint import DeviceFailure, HarvestCheckpoint
from ..endpoints.logs import RETENTION
from ..errors import TuyaConfigError
from ..harvest import Harvest, HarvestPage, HarvestRecord
from ..shard import Shard
from .layout import (
    MS,
    Gap,
    day_of,
    file_name,
    partition,
    plan,
    temp_name,
    temp_pattern,
    time_of,
)
from .results import ArchiveFile, ArchiveResult, LostSpan
from .schema import LogKind
from .store import Job, JobEnd, Store, StoredFile
from .writers import Writer

RETENTION_MS = RETENTION // MS
DAY_MS = timedelta(days=1) // MS
#: (device IDs, checkpoint, start, end) -> a harvest with ``on_error="skip"``.
StartHarvest = Callable[
    [Sequence[str], HarvestCheckpoint | None, datetime | None, datetime | None], Harvest[Any]
]


@attrs.frozen
class Source:
    """What a stream archives: its kind, its key in the store, how to start its harvest."""

    kind: LogKind
    stream: str
    start: StartHarvest


@attrs.frozen
class Options:
    """A run's settings, checked before any network I/O."""

    out: Path
    store: Path
    writer: Writer
    now_ms: int
    lag_ms: int
    margin_ms: int
    batch_records: int
    shard: Shard | None

    @property
    def end_ms(self) -> int:
        return self.now_ms - self.lag_ms

    @property
    def floor_ms(self) -> int:
        return self.now_ms - RETENTION_MS + self.margin_ms


class _Run:
    """One run over one store: jobs, the buffer of records not yet flushed, the totals."""

    def __init__(self, store: Store, source: Source, options: Options) -> None:
        self.store, self.source, self.options = store, source, options
        self.files: list[ArchiveFile] = []
        self.failures: list[DeviceFailure] = []
        self.records = self.jobs = 0
        self._buffer: dict[int, list[HarvestRecord[Any]]] = {}
        self._pending = 0

    async def resume(self, job: Job) -> None:
        cp = HarvestCheckpoint.from_json(job.checkpoint)
        await self._walk(job, self.source.start(job.device_ids, cp, None, None))

    async def start(self, after_ms: int, device_ids: Sequence[str], run_id: int) -> None:
        end_ms = self.options.end_ms
        harvest = self.source.start(device_ids, None, time_of(after_ms), time_of(end_ms + 1))
        cp = harvest.checkpoint.to_json()
        job = self.store.create_job(run_id, self.source.stream, after_ms, end_ms, device_ids, cp)
        await self._walk(job, harvest)

    async def _walk(self, job: Job, harvest: Harvest[Any]) -> None:
        self.jobs += 1
        async with harvest:
            async for page in harvest.iter_pages():
                self._add(job, page)
                if self._pending >= self.options.batch_records:
                    job = await self._flush(job, harvest.checkpoint, None)
        await self._flush(job, harvest.checkpoint, JobEnd(harvest.failures))
        self.failures += harvest.failures

    def _add(self, job: Job, page: HarvestPage[Any]) -> None:
        for record in page.records:
            ms = record.event_time_ms
            if job.after_ms < ms <= job.end_ms:
                self._buffer.setdefault(ms // DAY_MS, []).append(
                    HarvestRecord(page.device_id, record)
                )
                self._pending += 1

    async def _flush(self, job: Job, checkpoint: HarvestCheckpoint, end: JobEnd | None) -> Job:
        """Write the buffer (one file per day), commit it with ``checkpoint``, show it."""
        written = []
        for n, day in enumerate(sorted(self._buffer)):
            written.append(await self._write(job, job.parts + n, day, self._buffer[day]))
        self._buffer.clear()
        self.records += self._pending
        self._pending = 0
        job = self.store.commit(job, written, checkpoint.to_json(), end)
        show(self.options.out, written)
        self.store.shown(f.path for f in written)
        self.files += [
            ArchiveFile(self.options.out / f.path, date.fromisoformat(f.day), f.records, f.bytes)
            for f in written
        ]
        return job

    async def _write(
        self, job: Job, part: int, day: int, items: list[HarvestRecord[Any]]
    ) -> StoredFile:
        writer, kind = self.options.writer, self.source.kind
        name = file_name(self.store.id, job.id, part, writer.suffix)
        when = day_of(day * DAY_MS)
        relative = f"{partition(kind.name, when)}/{name}"
        final = self.options.out / relative
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(temp_name(name))
        size = await anyio.to_thread.run_sync(writer.write, tmp, kind, items)
        return StoredFile(relative, job.id, when.isoformat(), len(items), size)


def _sync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def show(out: Path, files: Iterable[StoredFile]) -> None:
    """Rename committed files into place (done already for a file with no temporary)."""
    folders = set()
    for stored in files:
        final = out / stored.path
        tmp = final.with_name(temp_name(final.name))
        if tmp.exists():
            os.replace(tmp, final)
            folders.add(final.parent)
        elif not final.exists():
            raise TuyaConfigError(f"{final} is recorded in the archive store but missing")
    for folder in folders:
        _sync_dir(folder)


def recover(store: Store, out: Path, kind: LogKind) -> None:
    """After a stop: show files committed but not renamed, delete files never committed."""
    hidden = store.hidden_files()
    show(out, hidden)
    store.shown(f.path for f in hidden)
    for stray in (out / kind.name).glob(temp_pattern(store.id)):
        stray.unlink()


def _lost(gaps: Iterable[Gap]) -> tuple[LostSpan, ...]:
    return tuple(LostSpan(time_of(g.start_ms), time_of(g.end_ms), g.devices) for g in gaps)


def _retried_gaps(jobs: Sequence[Job], options: Options) -> list[Gap]:
    """Open jobs whose window reaches before the retention: their unfinished devices may
    have lost records from the window's start to the retention's edge."""
    edge = options.now_ms - RETENTION_MS
    gaps = []
    for job in jobs:
        if job.after_ms + 1 < edge:
            cp = HarvestCheckpoint.from_json(job.checkpoint)
            gaps.append(Gap(job.after_ms + 1, edge, cp.devices - cp.devices_done))
    return gaps


async def run_archive(device_ids: Sequence[str], source: Source, options: Options) -> ArchiveResult:
    """Finish what earlier runs left open, then archive every device up to now minus lag."""
    with Store(options.store) as store:
        recover(store, options.out, source.kind)
        run = _Run(store, source, options)
        run_id = store.start_run(source.stream, options.now_ms, options.end_ms)
        earlier = store.open_jobs(source.stream)
        gaps = _retried_gaps(earlier, options)
        for job in earlier:
            await run.resume(job)
        busy = {d for job in store.open_jobs(source.stream) for d in job.device_ids}
        todo = plan(
            (d for d in device_ids if d not in busy),
            store.watermarks(source.stream),
            floor_ms=options.floor_ms,
            end_ms=options.end_ms,
        )
        for group in todo.groups:
            await run.start(group.after_ms, group.device_ids, run_id)
        store.finish_run(run_id, run.records, len(run.files), len(run.failures))
    return ArchiveResult(
        records=run.records,
        files=tuple(run.files),
        devices=len(device_ids),
        end=time_of(options.end_ms),
        jobs=run.jobs,
        resumed=len(earlier),
        lost=_lost([*gaps, *todo.gaps]),
        failures=tuple(run.failures),
    )
