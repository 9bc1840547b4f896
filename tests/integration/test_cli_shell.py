"""The command line as the shell sees it: --version, defaults in every help, --yes only where
something is destroyed, --format honoured or refused, export lines and --env-file, IDs that
feed --ids-file, one-line errors for bad values, and JSON that is always valid."""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tuya_thing_async import TuyaClient
from tuya_thing_async.cli import _subparsers, build_parser, main
from tuya_thing_async.cli._common import dumps, json_line, jsonable

SKIP_HELP = (argparse._HelpAction, argparse._VersionAction, argparse._SubParsersAction)


def _leaves() -> dict[str, argparse.ArgumentParser]:
    parsers = _subparsers(build_parser())
    return {p.prog: p for p in parsers if not any(
        isinstance(a, argparse._SubParsersAction) for a in p._actions
    )}  # fmt: skip


def _options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {s: a for a in parser._actions for s in a.option_strings}


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == "tuya-thing 0.1.0"


def test_every_help_shows_every_default() -> None:
    for prog, parser in _leaves().items():
        formatter = parser._get_formatter()
        for action in parser._actions:
            if isinstance(action, SKIP_HELP) or action.default in (None, False, []):
                continue
            text = formatter._get_help_string(action) or ""  # type: ignore[attr-defined]
            assert "default" in text, (prog, action.dest, text)


def test_yes_only_where_something_is_destroyed() -> None:
    with_yes = {prog for prog, p in _leaves().items() if "--yes" in _options(p)}
    assert with_yes == {
        "tuya-thing devices delete",
        "tuya-thing devices reset",
        "tuya-thing firmware start",
    }
    with pytest.raises(SystemExit) as info:
        main(["devices", "rename", "x", "y", "--yes", "--emulator"])
    assert info.value.code == 2


def test_format_is_offered_only_as_the_command_can_write_it() -> None:
    for prog, parser in _leaves().items():
        option = _options(parser).get("--format")
        if option is None:
            continue
        own = {"tuya-thing harvest": ["jsonl"], "tuya-thing archive": ["jsonl", "parquet"]}
        expected = own.get(prog, ["table", "json", "jsonl"])
        assert list(option.choices or ()) == expected, prog


@pytest.mark.parametrize("fmt", ["table", "json", "jsonl"])
def test_logs_honour_the_format(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    device = "vdevo89328647946400000"
    args = ["logs", "reports", device, "--codes", "cur_power", "--max", "3", "--emulator"]
    assert main([*args, "--format", fmt]) == 0
    out = capsys.readouterr().out
    if fmt == "json":
        assert len(json.loads(out)) == 3
    elif fmt == "jsonl":
        assert [json.loads(line)["device_id"] for line in out.splitlines()] == [device] * 3
    else:
        header, rule, *rows = out.splitlines()
        assert header.startswith("device_id") and set(rule) <= {"-", " "} and len(rows) == 3


def test_emulator_device_ids_feed_ids_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for verbose in ([], ["--verbose"]):
        assert main(["emulator", "devices", "--devices", "3", *verbose]) == 0
        ids_file = tmp_path / "ids.txt"
        ids_file.write_text(capsys.readouterr().out)
        assert main(["devices", "many", "--ids-file", str(ids_file), "--emulator"]) == 0
        assert len(json.loads(capsys.readouterr().out)) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["emulator", "serve", "--port", "99999"], "--port: '99999' is not an integer 0..65535"),
        (["emulator", "serve", "--devices", "-1"], "--devices: '-1' is not an integer >= 0"),
        (["emulator", "serve", "--token-ttl", "0"], "--token-ttl: '0' is not an integer >= 1"),
        (["devices", "get", "x", "--rate", "0"], "--rate: '0' is not a rate"),
        (["devices", "get", "x", "--rate", "fast"], "--rate: 'fast' is not a rate"),
    ],
)
def test_bad_values_are_one_line_errors(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert message in last and "Traceback" not in last


def test_rate_none_means_no_cap(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["devices", "state", "vdevo89328647946400000", "--rate", "none", "--emulator"]) == 0
    assert json.loads(capsys.readouterr().out)["frozen"] is False


def test_json_is_always_valid_nan_and_infinity_become_null() -> None:
    odd: dict[str, Any] = {"nan": math.nan, "inf": math.inf, "list": [-math.inf, 1.5]}
    strict = {"parse_constant": lambda name: pytest.fail(f"{name} is not JSON")}
    assert json.loads(dumps(jsonable(odd)), **strict) == {
        "nan": None, "inf": None, "list": [None, 1.5],
    }  # fmt: skip
    assert json.loads(json_line("d", odd), **strict)["device_id"] == "d"


def test_serve_prints_export_lines_and_writes_an_env_file(
    emulator: dict[str, str], tmp_path: Path
) -> None:
    # the ``emulator`` fixture read the pasted ``export`` lines: they configure from_env()
    assert emulator["TUYA_INSECURE_HTTP"] == "1"
    assert TuyaClient.from_env(environ=emulator).base_url == emulator["TUYA_BASE_URL"]
    env_file = tmp_path / "tuya.env"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tuya_thing_async", "emulator", "serve", "--port", "0",
         "--devices", "2", "--env-file", str(env_file)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(6)]
        assert [line.split("=")[0] for line in lines[2:6]] == [
            "export TUYA_BASE_URL", "export TUYA_ACCESS_ID",
            "export TUYA_ACCESS_SECRET", "export TUYA_INSECURE_HTTP",
        ]  # fmt: skip
        written = dict(line.split("=", 1) for line in env_file.read_text().splitlines())
        assert set(written) == {"TUYA_BASE_URL", "TUYA_ACCESS_ID", "TUYA_ACCESS_SECRET"} | {
            "TUYA_INSECURE_HTTP"
        }
        assert os.stat(env_file).st_mode & 0o777 == 0o600
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
