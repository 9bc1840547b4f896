"""Terminal output helpers: progress bars on stderr (rich when available and a terminal),
tables, and JSON lines."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol


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
def progress_bar(description: str, total: float | None, *, quiet: bool = False) -> Iterator[Bar]:
    """A progress bar on stderr, or nothing when quiet, not a terminal, or rich is missing."""
    if not interactive(quiet):
        yield _Silent()
        return
    try:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    except ImportError:
        yield _Silent()
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}% {task.fields[note]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, transient=False, redirect_stdout=False) as progress:
        yield _Rich(progress, progress.add_task(description, total=total, note=""))


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table with aligned columns."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
