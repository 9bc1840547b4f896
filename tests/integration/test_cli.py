"""The ``tuya-thing`` commands in a subprocess: output, exit codes and crash-safe harvest."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from tuya_thing_async.emulator import FakeCloud
from tuya_thing_async.emulator.seed import fleet_ids

CLI = [sys.executable, "-m", "tuya_thing_async"]
FLEET = FakeCloud.seeded(devices=50, seed=7)  # the --emulator fleet (deterministic IDs)
DEV = FLEET.device_ids[1]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TUYA_")}
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**clean, **(env or {})},
        stdin=subprocess.DEVNULL,
    )


def test_device_commands_print_json() -> None:
    got = run("devices", "get", DEV, "--emulator")
    assert got.returncode == 0, got.stderr
    assert json.loads(got.stdout)["id"] == DEV and "local_key" not in got.stdout
    state = run("devices", "state", DEV, "--emulator")
    assert json.loads(state.stdout) == {"device_id": DEV, "frozen": False}
    renamed = run("devices", "rename", DEV, "Shed battery", "--emulator")
    assert json.loads(renamed.stdout) == {"device_id": DEV, "action": "rename", "ok": True}
    many = run("devices", "many", *FLEET.device_ids[:25], "vdevonotthere", "--emulator")
    assert many.returncode == 0 and len(json.loads(many.stdout)) == 25
    assert "missing: vdevonotthere" in many.stderr
    table = run("devices", "get", DEV, "--emulator", "--format", "table")
    assert re.search(rf"^id\s+{DEV}$", table.stdout, re.M)


def test_errors_are_one_line_with_stable_exit_codes() -> None:
    unknown = run("devices", "get", "vdevounknown", "--emulator")
    assert unknown.returncode == 1
    assert re.fullmatch(
        r"error: Tuya code 1106: permission deny \(device vdevounknown\); hint: [^\n]+"
        r" \(request id [0-9a-f]{32}\)\n",
        unknown.stderr,
    )
    bad_time = run(
        "logs", "reports", DEV, "--codes", "cur_power", "--start", "yesterday", "--emulator"
    )
    assert bad_time.returncode == 2 and "is not a time" in bad_time.stderr
    bad_id = run("devices", "get", "../token", "--emulator")
    assert bad_id.returncode == 2 and "Traceback" not in bad_id.stderr
    no_creds = run("devices", "get", DEV)
    assert no_creds.returncode == 2 and "no credentials" in no_creds.stderr
    unconfirmed = run("devices", "reset", DEV, "--emulator")
    assert unconfirmed.returncode == 2 and "--yes" in unconfirmed.stderr
    confirmed = run("devices", "reset", DEV, "--emulator", "--yes")
    assert confirmed.returncode == 0
    missing_file = run("devices", "many", "--ids-file", "/nonexistent/ids.txt", "--emulator")
    assert missing_file.returncode == 2
    assert missing_file.stderr == "error: No such file or directory: /nonexistent/ids.txt\n"


def test_logs_and_firmware_commands(tmp_path: Path) -> None:
    out = tmp_path / "ops.jsonl"
    ops = run(
        "logs", "operations", DEV, "--types", "online,offline", "--emulator", "--out", str(out)
    )
    assert ops.returncode == 0, ops.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines and {line["event_type"] for line in lines} == {"online", "offline"}
    reports = run(
        "logs",
        "reports",
        DEV,
        "--codes",
        "cur_power",
        "--start",
        "-24h",
        "--max",
        "5",
        "--emulator",
    )
    assert len(reports.stdout.splitlines()) == 5
    check = run("firmware", "check", DEV, "--emulator")
    channel = next(
        u["channel"] for u in json.loads(check.stdout) if u["upgrade_status"] == "available"
    )
    watched = run(
        "firmware",
        "start",
        DEV,
        "--channel",
        str(channel),
        "--yes",
        "--watch",
        "--interval",
        "0.5",
        "--emulator",
    )
    assert watched.returncode == 0, watched.stderr
    assert json.loads(watched.stdout)["upgrade_status"] == "succeeded"


def test_interrupted_harvest_resumes_without_loss_or_duplicates(
    emulator: dict[str, str], tmp_path: Path
) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(fleet_ids(8, seed=7)) + "\n")
    args = [
        "harvest",
        "--ids-file",
        str(ids),
        "--codes",
        "cur_power,battery_percentage",
        "--start",
        "-8d",
        "--end",
        "-1h",
        "--concurrency",
        "2",
        "--rate",
        "40",
    ]
    full = run(*args, "--out", str(tmp_path / "full.jsonl"), env=emulator)
    assert full.returncode == 0, full.stderr
    expected = (tmp_path / "full.jsonl").read_text().splitlines()
    out, checkpoint = tmp_path / "part.jsonl", tmp_path / "part.checkpoint"
    resumable = [*args, "--out", str(out), "--checkpoint", str(checkpoint)]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TUYA_")}
    proc = subprocess.Popen(
        [*CLI, *resumable, "--rate", "10"],  # the last --rate wins: slow, so it is still running
        env={**clean, **emulator},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not checkpoint.exists() or out.stat().st_size < 50_000:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.02)
    assert proc.poll() is None, "the harvest ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "interrupted" in err
    assert checkpoint.exists()
    partial = len(out.read_text().splitlines())
    assert 0 < partial < len(expected)
    resumed = run(*resumable, env=emulator)
    assert resumed.returncode == 0, resumed.stderr
    got = out.read_text().splitlines()
    assert sorted(got) == sorted(expected) and len(set(got)) == len(got)
    assert not checkpoint.exists()
