"""The archive's SQLite store (stdlib ``sqlite3``, WAL): per-device watermarks, jobs with their
harvest checkpoints, the data files they committed, failures and runs, in one file.

A *stream* is a log kind and its filter (``reports codes=cur_power``); each has its own
watermarks. A *job* harvests one window for a list of devices; its checkpoint, the files it
wrote and (at its end) the watermarks it reached are committed in one transaction, so what the
store says was archived is exactly what the files hold. No secret is ever stored.
"""

from __future__ import annotations

import fcntl
import secrets
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import attrs

from ..checkpoint import DeviceFailure
from ..errors import TuyaConfigError

SCHEMA_VERSION = "1"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS watermarks (
    stream TEXT NOT NULL, device_id TEXT NOT NULL, end_ms INTEGER NOT NULL,
    PRIMARY KEY (stream, device_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, stream TEXT NOT NULL,
    after_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL, devices TEXT NOT NULL,
    checkpoint TEXT NOT NULL, parts INTEGER NOT NULL DEFAULT 0,
    records INTEGER NOT NULL DEFAULT 0, open INTEGER NOT NULL DEFAULT 1);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, job_id INTEGER NOT NULL, day TEXT NOT NULL,
    records INTEGER NOT NULL, bytes INTEGER NOT NULL, visible INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS files_hidden ON files (visible) WHERE visible = 0;
CREATE TABLE IF NOT EXISTS failures (
    stream TEXT NOT NULL, device_id TEXT NOT NULL, job_id INTEGER NOT NULL,
    error TEXT NOT NULL, code INTEGER, message TEXT NOT NULL,
    PRIMARY KEY (stream, device_id));
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, stream TEXT NOT NULL, now_ms INTEGER NOT NULL,
    end_ms INTEGER NOT NULL, records INTEGER, files INTEGER, failed INTEGER,
    finished INTEGER NOT NULL DEFAULT 0);
"""


@attrs.frozen
class Job:
    """One window of one stream for a list of devices: records with
    ``after_ms < time <= end_ms``; ``parts`` files written so far."""

    id: int
    stream: str
    after_ms: int
    end_ms: int
    device_ids: tuple[str, ...]
    checkpoint: str
    parts: int
    records: int


@attrs.frozen
class StoredFile:
    """A data file the store recorded (``path`` relative to the output directory)."""

    path: str
    job_id: int
    day: str
    records: int
    bytes: int


@attrs.frozen
class JobEnd:
    """How a job ended: devices that failed (the others reached the job's end)."""

    failures: tuple[DeviceFailure, ...]


def _lock(path: Path) -> IO[bytes]:
    """An exclusive lock on ``path`` for this process: two runs never share a store."""
    handle = path.open("a+b")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise TuyaConfigError(
            f"another archive run holds {path}; wait for it (one run per store at a time)"
        ) from None
    return handle


class Store:
    """An open store; use as a context manager (or ``close()``)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = _lock(path.with_name(path.name + ".lock"))
        self._db = sqlite3.connect(path, isolation_level=None)
        try:
            self.id = self._setup()
        except sqlite3.DatabaseError as exc:
            self.close()
            raise TuyaConfigError(f"{path} is not a usable archive store: {exc}") from None
        except BaseException:
            self.close()
            raise

    def _setup(self) -> str:
        """Create the tables (if new); the store's ID. Checks the schema version."""
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        with self._transaction():
            for statement in filter(str.strip, SCHEMA.split(";")):
                self._db.execute(statement)
            store_id = self._meta("store_id", secrets.token_hex(4))
            version = self._meta("schema", SCHEMA_VERSION)
        if version != SCHEMA_VERSION:
            raise TuyaConfigError(f"the archive store's schema {version} is not supported")
        return store_id

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()
        self._lock.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _meta(self, key: str, default: str) -> str:
        self._db.execute("INSERT OR IGNORE INTO meta VALUES (?, ?)", (key, default))
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0])

    def watermarks(self, stream: str) -> dict[str, int]:
        """Each device's archived end (ms, included) in ``stream``."""
        rows = self._db.execute(
            "SELECT device_id, end_ms FROM watermarks WHERE stream = ?", (stream,)
        )
        return dict(rows.fetchall())

    def open_jobs(self, stream: str) -> list[Job]:
        """Jobs interrupted, or ended with failed devices, oldest first."""
        rows = self._db.execute(
            "SELECT id, stream, after_ms, end_ms, devices, checkpoint, parts, records FROM jobs"
            " WHERE stream = ? AND open = 1 ORDER BY id",
            (stream,),
        )
        return [Job(r[0], r[1], r[2], r[3], tuple(r[4].split()), *r[5:]) for r in rows]

    def start_run(self, stream: str, now_ms: int, end_ms: int) -> int:
        with self._transaction():
            cursor = self._db.execute(
                "INSERT INTO runs (stream, now_ms, end_ms) VALUES (?, ?, ?)",
                (stream, now_ms, end_ms),
            )
        return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, records: int, files: int, failed: int) -> None:
        with self._transaction():
            self._db.execute(
                "UPDATE runs SET records = ?, files = ?, failed = ?, finished = 1 WHERE id = ?",
                (records, files, failed, run_id),
            )

    def create_job(
        self, run_id: int, stream: str, after_ms: int, end_ms: int, ids: Sequence[str], cp: str
    ) -> Job:
        with self._transaction():
            cursor = self._db.execute(
                "INSERT INTO jobs (run_id, stream, after_ms, end_ms, devices, checkpoint)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (run_id, stream, after_ms, end_ms, "\n".join(ids), cp),
            )
        return Job(int(cursor.lastrowid or 0), stream, after_ms, end_ms, tuple(ids), cp, 0, 0)

    def commit(
        self, job: Job, files: Sequence[StoredFile], checkpoint: str, end: JobEnd | None
    ) -> Job:
        """Record ``files`` and the checkpoint after them; with ``end``, also close the job
        (or keep it open for its failed devices) and advance the others' watermarks."""
        records = job.records + sum(f.records for f in files)
        parts = job.parts + len(files)
        with self._transaction():
            self._db.executemany(
                "INSERT INTO files (path, job_id, day, records, bytes) VALUES (?, ?, ?, ?, ?)",
                [(f.path, f.job_id, f.day, f.records, f.bytes) for f in files],
            )
            self._db.execute(
                "UPDATE jobs SET checkpoint = ?, parts = ?, records = ? WHERE id = ?",
                (checkpoint, parts, records, job.id),
            )
            if end is not None:
                self._end_job(job, end)
        return attrs.evolve(job, checkpoint=checkpoint, parts=parts, records=records)

    def _end_job(self, job: Job, end: JobEnd) -> None:
        failed = {f.device_id for f in end.failures}
        self._db.executemany(
            "INSERT INTO watermarks VALUES (?, ?, ?) ON CONFLICT (stream, device_id)"
            " DO UPDATE SET end_ms = max(end_ms, excluded.end_ms)",
            [(job.stream, d, job.end_ms) for d in job.device_ids if d not in failed],
        )
        self._db.executemany(
            "DELETE FROM failures WHERE stream = ? AND device_id = ?",
            [(job.stream, d) for d in job.device_ids if d not in failed],
        )
        self._db.executemany(
            "INSERT OR REPLACE INTO failures VALUES (?, ?, ?, ?, ?, ?)",
            [(job.stream, f.device_id, job.id, f.error, f.code, f.message) for f in end.failures],
        )
        if failed:  # kept open: the next run retries the failed devices from the checkpoint
            return
        self._db.execute(  # a closed job keeps its window and counts, not its device list
            "UPDATE jobs SET open = 0, devices = '', checkpoint = '' WHERE id = ?", (job.id,)
        )

    def hidden_files(self) -> list[StoredFile]:
        """Files recorded but not yet renamed into place (a run stopped in between)."""
        rows = self._db.execute(
            "SELECT path, job_id, day, records, bytes FROM files WHERE visible = 0"
        )
        return [StoredFile(*r) for r in rows]

    def shown(self, paths: Iterable[str]) -> None:
        """Mark files as renamed into place."""
        with self._transaction():
            self._db.executemany(
                "UPDATE files SET visible = 1 WHERE path = ?", [(p,) for p in paths]
            )

    def files(self) -> list[StoredFile]:
        """Every data file recorded, oldest first."""
        rows = self._db.execute(
            "SELECT path, job_id, day, records, bytes FROM files ORDER BY rowid"
        )
        return [StoredFile(*r) for r in rows]
