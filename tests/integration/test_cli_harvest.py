"""``tuya-thing harvest`` in a subprocess against an emulator process: failed devices are
skipped and listed, resume files cannot be applied to the wrong output, progress on a pipe."""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import shutil
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.integration.test_cli import CLI, run
from tuya_thing_async.emulator import FakeCloud, serve
from tuya_thing_async.emulator.seed import fleet_ids

MISSING = "vdevomissing000000001"


def _harvest(
    tmp_path: Path, out: Path, emulator: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join([*fleet_ids(8, seed=7)[:3], MISSING, fleet_ids(8, seed=7)[0]]))
    args = ["harvest", "--ids-file", str(ids), "--codes", "cur_power", "--start", "-2d"]
    args += ["--end", "-1h", "--out", str(out), "--checkpoint", str(tmp_path / "run.ckpt")]
    return run(*args, env=emulator)


def test_a_failed_device_is_listed_and_the_resume_file_guards_its_output(
    tmp_path: Path, emulator: dict[str, str]
) -> None:
    out = tmp_path / "power.jsonl"
    first = _harvest(tmp_path, out, emulator)
    assert first.returncode == 1, first.stderr
    assert f"failed: device {MISSING}: TuyaPermissionError: code 1106" in first.stderr
    assert "records from 3 of 4 devices; 1 failed" in first.stderr  # the duplicate counted once
    progress = [json.loads(line) for line in first.stderr.splitlines() if line.startswith("{")]
    assert progress and progress[-1]["event"] == "progress"
    assert progress[-1]["devices_done"] == 3 and progress[-1]["devices_failed"] == 1
    lines = out.read_text().splitlines()
    assert lines and {json.loads(line)["device_id"] for line in lines} == set(
        fleet_ids(8, seed=7)[:3]
    )
    checkpoint = tmp_path / "run.ckpt"
    assert checkpoint.exists()  # kept: a resumed run retries the failed device

    other = _harvest(tmp_path, tmp_path / "other.jsonl", emulator)
    assert other.returncode == 2 and "the checkpoint belongs to" in other.stderr
    assert len(other.stderr.strip().splitlines()) == 1

    moved = tmp_path / "moved.jsonl"
    shutil.move(out, moved)
    gone = _harvest(tmp_path, out, emulator)
    assert gone.returncode == 2 and "missing or shorter" in gone.stderr
    assert not out.exists() or out.stat().st_size == 0

    data = moved.read_bytes()
    out.write_bytes(data[:-100] + b"X" + data[-99:])  # another file of the same size
    changed = _harvest(tmp_path, out, emulator)
    assert changed.returncode == 2 and "is not the file the checkpoint was written for" in (
        changed.stderr
    )

    out.write_bytes(data)
    saved = checkpoint.read_text()
    checkpoint.write_text(saved[: len(saved) // 2])
    damaged = _harvest(tmp_path, out, emulator)
    assert damaged.returncode == 2 and "not a harvest resume file" in damaged.stderr

    checkpoint.write_text(saved)
    resumed = _harvest(tmp_path, out, emulator)
    assert resumed.returncode == 1 and "resuming: 3 of 4 devices already done" in resumed.stderr
    assert out.read_bytes() == data  # nothing lost, nothing repeated


class Chaos(NamedTuple):
    devices: float
    deleted: float
    kills: float
    days: float
    concurrency: float
    latency_ms: float


async def _cli(url: str, cloud: FakeCloud, *args: str) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUYA_")}
    env |= {
        "TUYA_BASE_URL": url,
        "TUYA_ACCESS_ID": cloud.access_id,
        "TUYA_ACCESS_SECRET": cloud.access_secret,
    }
    return await asyncio.create_subprocess_exec(
        *CLI, *args, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )


async def test_deleted_devices_and_kill_9_resumes_lose_and_repeat_nothing(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The production harvest in small (``--chaos`` scales it: by default 120 devices, 6
    deleted while it runs, 3 SIGKILLs at random moments, resumed each time, 1 day, 4 at once,
    40 ms latency); compared with a clean run, record for record."""
    size = Chaos(*(float(x) for x in request.config.getoption("--chaos").split(",")))
    rng = random.Random(5)
    cloud = FakeCloud.seeded(devices=int(size.devices), seed=11, latency=size.latency_ms / 1000)
    ids = cloud.device_ids
    (tmp_path / "ids.txt").write_text("\n".join(ids))
    now = datetime.now(UTC).replace(microsecond=0)
    # an hour inside the 7-day retention, so no record expires while the job runs
    start = (now - timedelta(days=size.days) + timedelta(hours=1)).isoformat()
    common = ["harvest", "--ids-file", str(tmp_path / "ids.txt"), "--quiet", "--start", start]
    common += ["--end", now.isoformat(), "--codes", "cur_power,battery_percentage"]
    common += ["--concurrency", str(int(size.concurrency))]
    out, ckpt = tmp_path / "chaos.jsonl", tmp_path / "chaos.ckpt"
    resumable = [*common, "--out", str(out), "--checkpoint", str(ckpt)]
    async with serve(cloud) as url:
        clean = await _cli(url, cloud, *common, "--out", str(tmp_path / "clean.jsonl"))
        assert await clean.wait() == 0
        total = (tmp_path / "clean.jsonl").stat().st_size
        deleted = ids[-int(size.deleted) :]  # taken last: deleted before their turn
        kills = int(size.kills)
        for kill in range(kills):
            proc = await _cli(url, cloud, *resumable)
            target = total * (kill + rng.random()) / (kills + 1)
            give_up = time.monotonic() + 600
            while not out.exists() or out.stat().st_size < target:
                assert proc.returncode is None and time.monotonic() < give_up
                await asyncio.sleep(0.01)
            if kill == kills // 2:
                for device_id in deleted:
                    del cloud.devices[device_id]
            proc.kill()
            assert await proc.wait() == -signal.SIGKILL
        final = await _cli(url, cloud, *resumable)
        _, stderr = await asyncio.wait_for(final.communicate(), 3600)
    assert final.returncode == 1
    named = re.findall(r"failed: device (\S+): TuyaPermissionError: code 1106", stderr.decode())
    assert sorted(named) == sorted(deleted)
    want = [
        line
        for line in (tmp_path / "clean.jsonl").read_text().splitlines()
        if json.loads(line)["device_id"] not in deleted
    ]
    got = out.read_text().splitlines()
    assert len(got) == len(set(got)) and sorted(got) == sorted(want)


def test_harvest_all_walks_every_device_of_the_project(
    tmp_path: Path, emulator: dict[str, str]
) -> None:
    out = tmp_path / "all.jsonl"
    args = ["harvest", "--all", "--codes", "cur_power", "--start", "-1d", "--end", "-1h"]
    done = run(*args, "--out", str(out), "--checkpoint", str(tmp_path / "all.ckpt"), env=emulator)
    assert done.returncode == 0, done.stderr
    assert {json.loads(line)["device_id"] for line in out.read_text().splitlines()} == set(
        fleet_ids(8, seed=7)
    )
    assert not (tmp_path / "all.ckpt").exists() and not (tmp_path / "all.ckpt.ids").exists()
    both = run(*args, fleet_ids(8, seed=7)[0], env=emulator)
    assert both.returncode == 2 and "not both" in both.stderr
