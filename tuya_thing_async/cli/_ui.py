"""Terminal output helpers: progress bars on stderr (rich when available and a terminal),
tables, and JSON lines."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from ..harvest import HarvestProgress


class Bar(Protocol):
    def update(self, completed: float, total: float | None = None, note: str = "") -> None: ...


class _Silent:
    def update(self, completed: float, total: float | None = None, note: str = "") -> None:
        return None


class _Rich:
    def __init__(self, progress: Any, task: Any) -> None:
        self._progress, self._task = progress, task

    def update(self, completed: float, total: float | None = None, note: str = "") -> None:
        self._progress.update(self._task, completed=completed, total=total, note=note)


def interactive(quiet: bool = False) -> bool:
    return not quiet and sys.stderr.isatty()


@contextmanager
def progress_bar(
    description: str, total: float | None, *, quiet: bool = False, eta: bool = False
) -> Iterator[Bar]:
    """A progress bar on stderr, or nothing when quiet, not a terminal, or rich is missing."""
    if not interactive(quiet):
        yield _Silent()
        return
    try:
        from rich.progress import (
            BarColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
    except ImportError:
        yield _Silent()
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}% {task.fields[note]}"),
        TimeElapsedColumn(),
        *((TextColumn("ETA"), TimeRemainingColumn()) if eta else ()),
    )
    with Progress(*columns, transient=False, redirect_stdout=False) as progress:
        yield _Rich(progress, progress.add_task(description, total=total, note=""))


#: Seconds between progress lines when stderr is not a terminal.
PROGRESS_EVERY = 5.0


@contextmanager
def harvest_progress(
    devices: int, *, quiet: bool = False
) -> Iterator[Callable[[HarvestProgress], None]]:
    """A harvest's progress on stderr: a bar with rate and ETA on a terminal, else one JSON
    line every few seconds (and a last one), nothing when quiet."""
    if quiet:
        yield lambda progress: None
        return
    if interactive():
        with progress_bar("harvest", devices, eta=True) as bar:
            yield lambda p: bar.update(p.devices_done + p.devices_failed, note=_note(p))
        return
    began, last = time.monotonic(), [-PROGRESS_EVERY]
    latest: list[HarvestProgress] = []

    def report(progress: HarvestProgress) -> None:
        latest[:] = [progress]
        if time.monotonic() - last[0] >= PROGRESS_EVERY:
            last[0] = time.monotonic()
            _json_progress(progress, last[0] - began)

    yield report
    if latest:
        _json_progress(latest[0], time.monotonic() - began)


def _note(p: HarvestProgress) -> str:
    rate = "uncapped" if p.rate is None else f"{p.rate:.1f}/s"
    failed = f", {p.devices_failed} failed" if p.devices_failed else ""
    return f"{p.records:,} records{failed}, {p.retries} retries, rate {rate}"


def _json_progress(p: HarvestProgress, elapsed: float) -> None:
    finished = p.devices_done + p.devices_failed
    eta = (p.devices_total - finished) * elapsed / finished if finished else None
    line = {
        "event": "progress",
        "devices_done": p.devices_done,
        "devices_failed": p.devices_failed,
        "devices_total": p.devices_total,
        "records": p.records,
        "records_per_s": round(p.records / elapsed, 1) if elapsed > 0 else None,
        "rate_limit": None if p.rate is None else round(p.rate, 2),
        "eta_s": None if eta is None else round(eta, 1),
    }
    print(json.dumps(line), file=sys.stderr, flush=True)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table with aligned columns."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
