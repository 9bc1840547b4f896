"""The archive's parts on their own: shard hashing, window planning, the SQLite store and
the writers (real SQLite, real pyarrow, real DuckDB)."""

from __future__ import annotations

import json
import sqlite3
import sys
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from tuya_thing_async import (
    DeviceFailure,
    DevicePosition,
    LogType,
    OperationLog,
    ReportLog,
    TuyaConfigError,
    TuyaValidationError,
)
from tuya_thing_async.archive.layout import Gap, Group, ms_of, plan, time_of
from tuya_thing_async.archive.schema import OPERATIONS, REPORTS
from tuya_thing_async.archive.store import JobEnd, Store, StoredFile
from tuya_thing_async.archive.writers import JsonLinesWriter, ParquetWriter, writer_for
from tuya_thing_async.emulator.seed import fleet_ids
from tuya_thing_async.harvest import HarvestRecord
from tuya_thing_async.shard import Shard, parse_shard, select, shard_of

IDS = fleet_ids(400, seed=7)


def test_shards_are_stable_disjoint_and_cover_the_fleet() -> None:
    # the first 8 bytes of sha256, big-endian (not the per-process salted hash())
    assert shard_of("vdevo123", 1_000_003) == 529_033
    assert (
        shard_of("vdevo123", 1_000_003) == int(sha256(b"vdevo123").hexdigest()[:16], 16) % 1_000_003
    )
    parts = [select(IDS, (k, 4)) for k in range(4)]
    assert sorted(d for part in parts for d in part) == sorted(IDS)
    assert all(70 < len(part) < 130 for part in parts)  # roughly even
    assert select(list(reversed(IDS)), (1, 4)) == list(reversed(parts[1]))  # order-free
    assert select(IDS, None) == IDS


@pytest.mark.parametrize("text", ["3/2", "4/4", "-1/4", "a/b", "1", "1/0", ""])
def test_bad_shards_are_refused(text: str) -> None:
    with pytest.raises(TuyaValidationError, match="shard"):
        parse_shard(text)


def test_parse_shard() -> None:
    assert parse_shard(" 2/5 ") == Shard(2, 5)
    with pytest.raises(TuyaValidationError, match="0 <= index < count"):
        select(IDS, (1, 1))
    with pytest.raises(TuyaValidationError):
        select(IDS, (True, 2))  # type: ignore[arg-type]


def test_plan_groups_devices_by_watermark_and_reports_gaps() -> None:
    floor, end = 1_000_000, 5_000_000
    marks = {"chained": 4_000_000, "late": 10, "done": end, "edge": floor - 1}
    got = plan(["new", "chained", "late", "done", "edge"], marks, floor_ms=floor, end_ms=end)
    assert got.groups == (
        Group(floor - 1, ("new", "late", "edge")),
        Group(4_000_000, ("chained",)),
    )
    assert got.gaps == (Gap(11, floor, 1),)


def test_times_are_exact_to_the_millisecond() -> None:
    for ms in (0, 1_795_000_000_123, 1_795_000_000_999, 253_402_300_799_999):
        assert ms_of(time_of(ms)) == ms


def _failure(device_id: str) -> DeviceFailure:
    return DeviceFailure(device_id, "TuyaPermissionError", 1106, "gone", DevicePosition(device_id))


def test_store_commits_files_and_watermarks_together(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "archive.sqlite"
    with Store(path) as store:
        store_id = store.id
        run = store.start_run("s", 10_000, 9_000)
        job = store.create_job(run, "s", 99, 9_000, ["a", "b", "c"], "{}")
        one = StoredFile("reports/date=1970-01-01/part-1.jsonl", job.id, "1970-01-01", 5, 50)
        job = store.commit(job, [one], '{"n":1}', None)
        assert store.watermarks("s") == {} and store.hidden_files() == [one]
        with pytest.raises(TuyaConfigError, match="another archive run"):
            Store(path)  # one run per store at a time
        two = StoredFile("reports/date=1970-01-01/part-2.jsonl", job.id, "1970-01-01", 3, 30)
        job = store.commit(job, [two], '{"n":2}', JobEnd((_failure("b"),)))
        store.shown([one.path])
        assert store.hidden_files() == [two]
        assert (job.records, job.parts, job.checkpoint) == (8, 2, '{"n":2}')
        assert store.watermarks("s") == {"a": 9_000, "c": 9_000}
        assert [j.device_ids for j in store.open_jobs("s")] == [("a", "b", "c")]  # b failed
        with pytest.raises(sqlite3.IntegrityError):  # a file is recorded once
            store.commit(job, [one], "{}", None)
        assert store.open_jobs("s")[0].checkpoint == '{"n":2}'  # rolled back as a whole
    with Store(path) as again:
        assert again.id == store_id and [f.path for f in again.files()] == [one.path, two.path]
        rows = sqlite3.connect(path).execute("SELECT device_id, code FROM failures").fetchall()
        assert rows == [("b", 1106)]
        assert again.watermarks("other") == {} and again.open_jobs("other") == []


def test_a_damaged_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "archive.sqlite"
    path.write_bytes(b"not a database" * 100)
    with pytest.raises(TuyaConfigError, match="not a usable archive store"):
        Store(path)


REPORT_ITEMS = [
    HarvestRecord("dev1", ReportLog("cur_power", 1200, 1_795_000_000_123)),
    HarvestRecord("dev1", ReportLog("switch", True, 1_795_000_060_000)),
    HarvestRecord("dev2", ReportLog("note", "ünï", 1_795_000_000_001)),
    HarvestRecord("dev2", ReportLog("empty", None, 1_795_000_000_002)),
]
OPERATION = OperationLog(1_795_000_000_500, 1, LogType.ONLINE, value="online")


def test_writers_write_the_same_typed_rows(tmp_path: Path) -> None:
    (tmp_path / "date=2026-11-18").mkdir()
    jsonl = tmp_path / "date=2026-11-18" / "a.jsonl"
    parquet = tmp_path / "date=2026-11-18" / "a.parquet"
    assert JsonLinesWriter().write(jsonl, REPORTS, REPORT_ITEMS) == jsonl.stat().st_size
    assert ParquetWriter().write(parquet, REPORTS, REPORT_ITEMS) == parquet.stat().st_size
    lines = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert lines[0] == {
        "device_id": "dev1",
        "code": "cur_power",
        "value": "1200",
        "event_time": "2026-11-18T11:06:40.123+00:00",
    }
    table = pq.read_table(parquet).to_pylist()
    assert [r["value"] for r in table] == ["1200", "true", "ünï", None]
    assert table[0]["event_time"] == datetime(2026, 11, 18, 11, 6, 40, 123000, tzinfo=UTC)
    from_json = duckdb.sql(f"SELECT * FROM read_json_auto('{jsonl}') ORDER BY all").fetchall()
    from_parquet = duckdb.sql(f"SELECT * FROM '{parquet}' ORDER BY all").fetchall()
    assert from_json == from_parquet and len(from_parquet) == 4


def test_operation_logs_have_their_own_schema(tmp_path: Path) -> None:
    path = tmp_path / "ops.parquet"
    ParquetWriter().write(path, OPERATIONS, [HarvestRecord("dev1", OPERATION)])
    row = pq.read_table(path).to_pylist()[0]
    assert row["event_type"] == "online" and row["event_id"] == 1
    assert row["event_from"] == "unknown" and row["value"] == "online"
    assert str(pq.read_schema(path).field("event_id").type) == "int32"


def test_parquet_without_pyarrow_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if not installed
    with pytest.raises(TuyaConfigError, match=r'pip install -e "\.\[parquet\]"') as caught:
        writer_for("parquet")
    assert len(str(caught.value).splitlines()) == 1
    assert isinstance(writer_for("jsonl"), JsonLinesWriter)
