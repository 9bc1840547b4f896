"""What an archive run returns."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import attrs

from ..checkpoint import DeviceFailure


@attrs.frozen
class ArchiveFile:
    """A data file this run wrote (and committed)."""

    path: Path
    day: date
    records: int
    bytes: int


@attrs.frozen
class LostSpan:
    """Records of ``devices`` devices with ``start <= event_time < end`` may be missing from
    the archive: the previous run ended at ``start`` and this one came too late (Tuya had
    dropped them, or would while this run walked them: the margin)."""

    start: datetime
    end: datetime
    devices: int


@attrs.frozen
class ArchiveResult:
    """One archive run: records and files written, how far it got, what may be lost."""

    #: Records written by this run.
    records: int
    files: tuple[ArchiveFile, ...]
    #: Devices of the list (of this shard) the run was given.
    devices: int
    #: The devices that did not fail are archived up to ``end`` (included).
    end: datetime
    #: Windows harvested (new ones, and interrupted or failed ones taken up again).
    jobs: int
    #: Of those, jobs an earlier run left unfinished (stopped, or with failed devices).
    resumed: int
    lost: tuple[LostSpan, ...]
    #: Devices that failed for a reason of their own; the next run retries them.
    failures: tuple[DeviceFailure, ...]
