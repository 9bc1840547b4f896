"""Archive runs against an emulator whose clock moves by days: runs chain with no gap and no
duplicate, a late run reports exactly what it could not archive, failed devices are retried,
and Parquet reads back (pyarrow, DuckDB) equal to a direct harvest."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import fast_settings
from tests.integration.archive_support import CODES, MovingCloud, Row, jsonl_rows
from tuya_thing_async import TuyaClient, TuyaConfigError, TuyaValidationError
from tuya_thing_async.archive import LostSpan, archive_operations, archive_reports
from tuya_thing_async.archive.layout import ms_of, time_of
from tuya_thing_async.emulator import serve
from tuya_thing_async.shard import select

DAY_MS = 86_400_000
LAG = timedelta(minutes=10)


@pytest.fixture
def moving() -> MovingCloud:
    return MovingCloud(devices=6, days_ahead=12)


@pytest.fixture
async def tuya(moving: MovingCloud) -> AsyncIterator[TuyaClient]:
    async with (
        serve(moving.cloud) as url,
        TuyaClient(
            moving.cloud.credentials, base_url=url, insecure_http=True, settings=fast_settings()
        ) as client,
    ):
        yield client


def _listing(path: Path) -> list[Path]:
    return list(path.iterdir())


def parquet_rows(out: Path) -> Counter[Row]:
    table = pq.read_table(out / "reports")  # hive partitions; hidden temporary files skipped
    rows: Counter[Row] = Counter()
    for r in table.to_pylist():
        rows[Row(r["device_id"], r["code"], r["value"], ms_of(r["event_time"]))] += 1
    return rows


async def _run(tuya: TuyaClient, moving: MovingCloud, out: Path, **kw: Any) -> Any:
    ids, now = kw.pop("ids", moving.cloud.device_ids), kw.pop("now", moving.at)
    return await archive_reports(tuya, ids, out=out, codes=CODES, now=now, lag=LAG, **kw)


async def test_three_daily_runs_chain_with_no_gap_and_no_duplicate(
    tuya: TuyaClient, moving: MovingCloud, tmp_path: Path
) -> None:
    first_after = ms_of(moving.at) - 7 * DAY_MS + 3_600_000 - 1  # 1 h inside the retention
    results = []
    for day in range(3):
        results.append(await _run(tuya, moving, tmp_path, format="parquet", batch_records=700))
        if day < 2:
            moving.advance(1)
    last_end = ms_of(moving.at - LAG)
    assert [r.end for r in results] == [moving.at - LAG - timedelta(days=d) for d in (2, 1, 0)]
    assert all(not r.lost and not r.failures and r.jobs == 1 for r in results)
    got = parquet_rows(tmp_path)
    want = moving.rows(first_after, last_end)
    assert max(got.values()) == 1 and got == want
    assert sum(r.records for r in results) == sum(want.values())
    assert sum(f.records for r in results for f in r.files) == sum(want.values())
    again = await _run(tuya, moving, tmp_path, format="parquet")  # nothing new yet
    assert again.records == 0 and again.jobs == 0


async def test_a_run_after_a_nine_day_pause_reports_the_lost_span_exactly(
    tuya: TuyaClient, moving: MovingCloud, tmp_path: Path
) -> None:
    first = await _run(tuya, moving, tmp_path)
    moving.advance(9)
    late = await _run(tuya, moving, tmp_path)
    floor = moving.at - timedelta(days=7) + timedelta(hours=1)
    assert late.lost == (LostSpan(first.end + timedelta(milliseconds=1), floor, 6),)
    got = jsonl_rows(tmp_path)
    want = moving.rows(ms_of(first.end) - 7 * DAY_MS + 3_600_000 + 600_000 - 1, ms_of(first.end))
    want += moving.rows(ms_of(floor) - 1, ms_of(late.end))
    assert got == want and max(got.values()) == 1
    lost = moving.rows(ms_of(first.end), ms_of(floor) - 1)
    assert sum(lost.values()) > 0 and not set(lost) & set(got)


async def test_a_failed_device_is_retried_by_the_next_run(
    tuya: TuyaClient, moving: MovingCloud, tmp_path: Path
) -> None:
    ids = moving.cloud.device_ids
    victim = ids[2]
    record = moving.cloud.devices[victim]
    del moving.cloud.devices[victim]  # 1106 while it is gone
    first = await _run(tuya, moving, tmp_path, ids=ids)
    assert [(f.device_id, f.code) for f in first.failures] == [(victim, 1106)]
    moving.cloud.devices[victim] = record
    moving.advance(1)
    second = await _run(tuya, moving, tmp_path, ids=ids)
    assert not second.failures and second.resumed == 1 and second.jobs == 2
    after = ms_of(first.end) - 7 * DAY_MS + 3_600_000 + 600_000 - 1
    edge = moving.at - timedelta(days=7)  # the victim's oldest records expired meanwhile
    assert second.lost == (LostSpan(time_of(after + 1), edge, 1),)
    got = jsonl_rows(tmp_path)
    want = moving.rows(after, ms_of(second.end)) - moving.rows(after, ms_of(edge) - 1, [victim])
    assert got == want and max(got.values()) == 1


async def test_parquet_reads_back_with_pyarrow_and_duckdb_equal_to_a_direct_harvest(
    tuya: TuyaClient, moving: MovingCloud, tmp_path: Path
) -> None:
    result = await _run(tuya, moving, tmp_path, format="parquet", batch_records=1000)
    start = moving.at - timedelta(days=7) + timedelta(hours=1)
    harvest = tuya.logs.harvest_reports(
        moving.cloud.device_ids, codes=CODES, start=start, end=result.end
    )
    async with harvest:
        direct = Counter(
            [
                Row(i.device_id, i.record.code, str(i.record.value), ms_of(i.record.event_time))
                async for i in harvest
            ]
        )
    assert sum(direct.values()) == result.records > 1000
    assert parquet_rows(tmp_path) == direct
    schema = pq.read_schema(result.files[0].path)
    assert schema.field("event_time").type == pa.timestamp("ms", "UTC")
    assert schema.field("value").type == pa.string()
    glob = f"{tmp_path}/reports/*/*.parquet"
    query = f"SELECT device_id, code, value, epoch_ms(event_time), date FROM read_parquet('{glob}')"
    rows = duckdb.sql(query).fetchall()
    assert Counter(Row(*r[:4]) for r in rows) == direct
    assert all(str(r[4]) == time_of(r[3]).date().isoformat() for r in rows)  # hive partition
    per_code = dict(duckdb.sql(f"SELECT code, count(*) FROM '{glob}' GROUP BY code").fetchall())
    assert per_code == dict(Counter(r.code for r in direct.elements()))


@pytest.mark.parametrize(
    ("settings", "error", "text"),
    [
        pytest.param({"shard": (3, 2)}, TuyaValidationError, "0 <= index < count", id="shard"),
        pytest.param({"lag": timedelta(-1)}, TuyaValidationError, "lag must be", id="lag"),
        pytest.param({"margin": timedelta(days=7)}, TuyaValidationError, "margin", id="margin"),
        pytest.param({"format": "csv"}, TuyaConfigError, "'jsonl' or 'parquet'", id="format"),
        pytest.param({"batch_records": 0}, TuyaValidationError, "batch_records", id="batch"),
        pytest.param({"codes": []}, TuyaValidationError, "codes", id="codes"),
        pytest.param({"now": datetime(2026, 1, 1)}, TuyaValidationError, "aware", id="naive"),
    ],
)
async def test_bad_settings_are_refused_before_any_request(
    tuya: TuyaClient,
    moving: MovingCloud,
    tmp_path: Path,
    settings: dict[str, Any],
    error: type[Exception],
    text: str,
) -> None:
    options: dict[str, Any] = {"out": tmp_path, "codes": CODES, **settings}
    with pytest.raises(error, match=text) as caught:
        await archive_reports(tuya, moving.cloud.device_ids, **options)
    assert len(str(caught.value).splitlines()) == 1
    assert sum(moving.cloud.hits.values()) == 0 and not _listing(tmp_path)


async def test_a_sharded_harvest_walks_only_its_devices(
    tuya: TuyaClient, moving: MovingCloud
) -> None:
    ids = moving.cloud.device_ids
    with pytest.raises(TuyaValidationError, match="shard"):
        tuya.logs.harvest_reports(ids, codes=CODES, shard=(4, 4))
    assert sum(moving.cloud.hits.values()) == 0
    seen: set[str] = set()
    for k in range(3):
        harvest = tuya.logs.harvest_reports(ids, codes=CODES, start=moving.at - LAG, shard=(k, 3))
        async with harvest:
            devices = {page.device_id async for page in harvest.iter_pages()}
        assert devices == set(select(ids, (k, 3))) and not devices & seen
        seen |= devices
    assert seen == set(ids)


async def test_files_committed_but_not_renamed_are_shown_and_strays_dropped(
    tuya: TuyaClient, moving: MovingCloud, tmp_path: Path
) -> None:
    """A kill between the commit and the rename, and one before the commit: the next run
    renames the committed file into place and deletes the uncommitted one."""
    first = await _run(tuya, moving, tmp_path, batch_records=500)
    committed = first.files[-1].path
    hidden = committed.with_name(f".{committed.name}.tmp")
    committed.rename(hidden)
    with sqlite3.connect(tmp_path / "archive.sqlite") as db:
        db.execute("UPDATE files SET visible = 0 WHERE path LIKE ?", (f"%{committed.name}",))
    stray = hidden.with_name(hidden.name.replace("-00", "-99", 1))
    stray.write_text('{"device_id": "never committed"}\n')
    moving.advance(1)
    second = await _run(tuya, moving, tmp_path)
    assert committed.exists() and not hidden.exists() and not stray.exists()
    after = ms_of(first.end) - 7 * DAY_MS + 3_600_000 + 600_000 - 1
    assert jsonl_rows(tmp_path) == moving.rows(after, ms_of(second.end))


async def test_operation_logs_archive_equal_a_direct_harvest(
    tuya: TuyaClient, moving: MovingCloud, tmp_path: Path
) -> None:
    ids = moving.cloud.device_ids
    result = await archive_operations(tuya, ids, out=tmp_path, now=moving.at, format="parquet")
    start = moving.at - timedelta(days=7) + timedelta(hours=1)
    harvest = tuya.logs.harvest_operations(ids, start=start, end=result.end)
    async with harvest:
        direct = Counter(
            [(i.device_id, i.record.event_id, ms_of(i.record.event_time)) async for i in harvest]
        )
    rows = pq.read_table(tmp_path / "operations").to_pylist()
    got = Counter((r["device_id"], r["event_id"], ms_of(r["event_time"])) for r in rows)
    assert got == direct and sum(direct.values()) == result.records > 100
    assert {r["event_type"] for r in rows} >= {"online", "offline", "dp_report"}


async def test_windows_that_end_exactly_on_a_record_chain_without_repeating_it(
    tuya: TuyaClient, moving: MovingCloud, tmp_path: Path
) -> None:
    """The cloud's window bounds are both inclusive (as the emulator's): a run ending on a
    record's millisecond keeps it, the next one, asked from that millisecond, drops it."""
    device = moving.cloud.device_ids[0]
    reports = moving.cloud.devices.peek(device).reports
    times = sorted(t for t, _, code, _ in reports if code in CODES and t < ms_of(moving.at))
    on_a, after_b = times[-40], times[-20] - 1  # end on record A; end just before record B
    ends = []
    for end_ms in (on_a, after_b, None):
        now = moving.at if end_ms is None else time_of(end_ms) + LAG
        ends.append((await _run(tuya, moving, tmp_path, ids=[device], now=now)).end)
    assert ends[:2] == [time_of(on_a), time_of(after_b)]
    got = jsonl_rows(tmp_path)
    first_after = on_a + 600_000 - 7 * DAY_MS + 3_600_000 - 1
    assert got == moving.rows(first_after, ms_of(ends[2]), [device]) and max(got.values()) == 1
