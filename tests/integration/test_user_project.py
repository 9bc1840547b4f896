"""A user's project outside this repository (an aiohttp service building its client with
``TuyaClient.from_env()``, plus its tests) against the SDK installed as the README says:
``mypy --strict`` finds the package, and the tests reach the emulator through the plugin
(registered by its entry point) in pytest-asyncio's default strict mode, in auto mode, and
with an anyio-marked test."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).parent.parent / "data" / "user_project"


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TUYA_", "PYTHONPATH"))}
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


def _copy_project(tmp_path: Path) -> Path:
    for source in PROJECT.iterdir():
        if source.suffix in (".py", ".in"):
            shutil.copy(source, tmp_path / source.name.removesuffix(".in"))
    return tmp_path


def test_the_users_module_type_checks(tmp_path: Path) -> None:
    project = _copy_project(tmp_path)
    result = _run("mypy", "--strict", "--cache-dir", str(tmp_path / ".mypy"), ".", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success" in result.stdout


@pytest.mark.parametrize("mode", ["strict", "auto"])
def test_the_users_tests_run_against_the_emulator(tmp_path: Path, mode: str) -> None:
    """Strict mode is the project's own setting (pytest-asyncio's default); with auto mode,
    pytest-asyncio runs the anyio-marked test itself, and the client follows it there."""
    project = _copy_project(tmp_path)
    options = ["-o", "asyncio_mode=auto"] if mode == "auto" else []
    result = _run("pytest", "-q", "-p", "no:cacheprovider", "-rA", *options, cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout
    assert "test_anyio_style" in result.stdout
    # strict mode (no asyncio_mode setting) and no pytest_plugins line anywhere
    assert "asyncio_mode =" not in (project / "pyproject.toml").read_text()
    assert not any("pytest_plugins" in p.read_text() for p in project.glob("*.py"))
