"""``tuya-thing archive`` in subprocesses against one emulator whose clock the test moves by
days: nightly runs, one killed with SIGKILL and run again, equal the fleet's records of the
whole span, record for record; a run after a pause warns of the span it lost; 4 shard
processes equal one process, with no device in two shards."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from tests.integration.archive_support import CODES, MovingCloud, jsonl_rows
from tests.integration.test_cli import run
from tests.integration.test_cli_harvest import _cli
from tuya_thing_async.archive.layout import ms_of
from tuya_thing_async.archive.store import Store
from tuya_thing_async.emulator import serve
from tuya_thing_async.shard import select

DAY_MS = 86_400_000


def _args(moving: MovingCloud, ids: Path, out: Path, *extra: str) -> list[str]:
    return [
        "archive",
        "--ids-file",
        str(ids),
        "--codes",
        ",".join(CODES),
        "--out",
        str(out),
        "--now",
        moving.at.isoformat(),
        "--quiet",
        *extra,
    ]


def _visible(out: Path) -> int:
    return len(list(out.glob("reports/date=*/part-*.jsonl")))


async def _finish(proc: asyncio.subprocess.Process) -> tuple[int, str]:
    _, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, err.decode()


async def test_nightly_runs_one_killed_equal_the_whole_span_then_a_pause_warns(
    tmp_path: Path,
) -> None:
    moving = MovingCloud(devices=6, days_ahead=12, latency=0.03)
    ids, out = tmp_path / "ids.txt", tmp_path / "archive"
    ids.write_text("\n".join(moving.cloud.device_ids))
    first_after = ms_of(moving.at) - 7 * DAY_MS + 3_600_000 - 1
    slow = ["--concurrency", "1", "--batch-records", "150"]  # many commits to be killed among
    async with serve(moving.cloud) as url:
        proc = await _cli(url, moving.cloud, *_args(moving, ids, out, *slow))
        give_up = time.monotonic() + 60
        while _visible(out) < 2:
            assert proc.returncode is None and time.monotonic() < give_up
            await asyncio.sleep(0.01)
        proc.kill()
        assert await proc.wait() == -signal.SIGKILL
        partial = jsonl_rows(out)
        whole_first = moving.rows(first_after, ms_of(moving.at) - 600_000)
        assert partial and max(partial.values()) == 1 and not partial - whole_first
        assert sum(partial.values()) < sum(whole_first.values())  # killed mid-run
        code, err = await _finish(await _cli(url, moving.cloud, *_args(moving, ids, out, *slow)))
        assert code == 0 and "1 resumed" in err, err
        for _ in range(2):
            moving.advance(1)
            code, err = await _finish(await _cli(url, moving.cloud, *_args(moving, ids, out)))
            assert code == 0 and "windows: 1)" in err, err
        last_end = ms_of(moving.at) - 600_000
        got = jsonl_rows(out)
        assert got == moving.rows(first_after, last_end) and max(got.values()) == 1

        moving.advance(9)
        code, err = await _finish(await _cli(url, moving.cloud, *_args(moving, ids, out)))
    floor = moving.at - timedelta(days=7) + timedelta(hours=1)
    lost_from = (moving.at - timedelta(days=9, minutes=10) + timedelta(milliseconds=1)).isoformat()
    assert code == 0
    assert f"warning: records from {lost_from} to {floor.isoformat()} of 6 devices" in err, err


async def test_four_shard_processes_equal_one_process_with_no_device_in_two(
    tmp_path: Path,
) -> None:
    moving = MovingCloud(devices=24, days_ahead=0, latency=0.005)
    ids, single, shared = tmp_path / "ids.txt", tmp_path / "single", tmp_path / "shared"
    ids.write_text("\n".join(moving.cloud.device_ids))
    window = ["--margin", "5d"]  # the last 2 days only: fast
    async with serve(moving.cloud) as url:
        alone = await _cli(url, moving.cloud, *_args(moving, ids, single, *window))
        shards = [
            await _cli(url, moving.cloud, *_args(moving, ids, shared, *window, "--shard", f"{k}/4"))
            for k in range(4)
        ]
        results = await asyncio.gather(_finish(alone), *(_finish(p) for p in shards))
    assert all(code == 0 for code, _ in results), results
    want = jsonl_rows(single)
    assert sum(want.values()) > 1000 and jsonl_rows(shared) == want
    owners: Counter[str] = Counter()
    for k in range(4):
        with Store(shared / f"archive-shard-{k}-of-4.sqlite") as store:
            devices = {
                json.loads(line)["device_id"]
                for stored in store.files()
                for line in (shared / stored.path).read_text().splitlines()
            }
        assert devices == set(select(moving.cloud.device_ids, (k, 4)))
        owners.update(devices)
    assert set(owners) == {r.device_id for r in want} and max(owners.values()) == 1


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        pytest.param(["--shard", "3/2"], "K must be 0 to N-1", id="shard"),
        pytest.param(["--shard-count", "4"], "needs JOB_COMPLETION_INDEX", id="no-index"),
        pytest.param(["--lag", "3x"], "is not a duration", id="lag-text"),
        pytest.param(["--lag", "2d"], "lag must be >= 0 and < 24 hours", id="lag-range"),
        pytest.param(["--batch-records", "0"], "--batch-records must be at least 1", id="batch"),
    ],
)
def test_bad_options_fail_in_one_line_before_any_request(
    tmp_path: Path, extra: list[str], message: str
) -> None:
    args = ["archive", "dev1", "--codes", "cur_power", "--out", str(tmp_path / "a"), *extra]
    done = run(*args, env={"TUYA_BASE_URL": "http://127.0.0.1:9", "TUYA_ACCESS_ID": "x"})
    assert done.returncode == 2 and message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and not (tmp_path / "a").exists()
    indexed = run(*args[:6], "--shard-count", "4", env={"JOB_COMPLETION_INDEX": "4"})
    assert indexed.returncode == 2 and "K must be 0 to N-1" in indexed.stderr
