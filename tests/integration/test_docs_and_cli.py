"""The README's code runs, the pytest plugin works in a user's project, and the command line
starts an emulator another process can use."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from tuya_thing_async import Credentials, TuyaClient
from tuya_thing_async.emulator import FakeCloud, serve_in_thread
from tuya_thing_async.emulator.seed import fleet_ids

ROOT = Path(__file__).resolve().parents[2]


README = (ROOT / "README.md").read_text()
PYTEST = [
    sys.executable,
    "-m",
    "pytest",
    "-q",
    "-p",
    "no:cacheprovider",
    "-o",
    "asyncio_mode=auto",
    "-o",
    "asyncio_default_fixture_loop_scope=function",
    "-W",
    "error",
]


def test_readme_python_blocks_run(tmp_path: Path) -> None:
    """Each block runs as written; those using ``from_env()`` (the real-cloud Quickstart) get
    ``TUYA_*`` variables pointing at an emulator, as a reader without an account would."""
    blocks = re.findall(r"```python\n(.*?)```", README, re.S)
    assert len(blocks) >= 4
    cloud = FakeCloud.seeded(devices=5, seed=7)
    with serve_in_thread(cloud) as base_url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TUYA_")} | {
            "TUYA_BASE_URL": base_url,
            "TUYA_INSECURE_HTTP": "1",
            "TUYA_ACCESS_ID": cloud.access_id,
            "TUYA_ACCESS_SECRET": cloud.access_secret,
        }
        _run_blocks(blocks, tmp_path, env)
    assert cloud.hits["GET /v2.0/cloud/thing/device"] >= 2  # verify() and the listing ran


def _run_blocks(blocks: list[str], tmp_path: Path, env: dict[str, str]) -> None:
    for block in blocks:
        if "\nasync def test_" in block:
            (tmp_path / "test_readme.py").write_text(block)
            # the plugin in a user's project: no conftest, pytest-asyncio's strict mode
            cmd = [*PYTEST, "-o", "asyncio_mode=strict", str(tmp_path / "test_readme.py")]
        else:
            cmd = [sys.executable, "-W", "error", "-c", block]
        result = subprocess.run(
            cmd, capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env
        )
        assert result.returncode == 0, block[:200] + result.stdout + result.stderr
        assert "failed" not in result.stdout


def test_readme_cli_commands_run(tmp_path: Path) -> None:
    bash = re.findall(r"```bash\n(.*?)```", README, re.S)
    lines = [
        line
        for block in bash
        for line in block.splitlines()
        if (line.startswith("tuya-thing ") and "--emulator" in line)
        or line.startswith("tuya-thing emulator devices")
    ]
    assert len(lines) >= 8
    for line in lines:
        args = shlex.split(line)[1:]
        result = subprocess.run(
            [sys.executable, "-m", "tuya_thing_async", *args],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
        )
        assert result.returncode == 0, line + "\n" + result.stderr


async def test_emulator_serve_command_in_another_process(emulator: dict[str, str]) -> None:
    device_id = fleet_ids(8, seed=7)[0]
    creds = Credentials(emulator["TUYA_ACCESS_ID"], emulator["TUYA_ACCESS_SECRET"])
    async with TuyaClient(creds, base_url=emulator["TUYA_BASE_URL"], insecure_http=True) as tuya:
        device = await tuya.devices.get(device_id)
        assert device.id == device_id
        many = await tuya.devices.get_many([device_id])
        assert [d.id for d in many.devices] == [device.id]


def test_demo_runs_and_writes_jsonl(tmp_path: Path) -> None:
    out = tmp_path / "h.jsonl"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tuya_thing_async",
            "demo",
            "--devices",
            "6",
            "--out",
            str(out),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "transferred to home space" in result.stdout and "succeeded" in result.stdout
    lines = out.read_text().splitlines()
    assert len(lines) > 1000 and str(len(lines)) in result.stdout
