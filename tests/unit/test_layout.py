"""The import rules of docs/ARCHITECTURE.md: pure modules do no I/O; only _transport imports
aiohttp's client; the emulator never imports the client side of the wire; the call path is
made of short functions."""

from __future__ import annotations

import ast
from pathlib import Path

import tuya_thing_async

PACKAGE = Path(tuya_thing_async.__file__).parent
PURE = [
    "errors",
    "config",
    "_signing",
    "_protocol",
    "_retry",
    "models",
    "_converter",
    "_values",
    "_validation",
    "_call",
    "_skew",
    "_json",
    "shard",
    "archive/layout",
    "archive/schema",
    "archive/results",
    "events",
]
CLIENT_SIDE = {
    "client",
    "_pipeline",
    "_protocol",
    "_transport",
    "_tokens",
    "_call",
    "_fanout",
    "_guard",
}
#: The modules every call runs through, and the longest function they may have.
CALL_PATH = ["_pipeline", "_transport", "_tokens", "_retry", "_ratelimit", "_skew", "_protocol"]
CALL_PATH += ["_call", "_fanout", "bulk", "harvest", "pagination", "_observe", "_guard"]
MAX_FUNCTION_LINES = 40


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ("." * node.level) + (node.module or "")
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def test_pure_modules_import_no_io() -> None:
    for name in PURE:
        imported = _imports(PACKAGE / f"{name}.py")
        roots = {i.split(".")[0] for i in imported if not i.startswith(".")}
        # config's default Clock.sleep awaits asyncio.sleep; no other pure module may touch it
        allowed_async = {"asyncio"} if name == "config" else set()
        assert not roots & ({"aiohttp", "asyncio", "socket", "ssl", "anyio"} - allowed_async), name


def test_only_transport_imports_the_aiohttp_client() -> None:
    users = {
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if any(i == "aiohttp" or i.startswith("aiohttp.") for i in _imports(p))
        and "emulator" not in p.parts
    }
    # client.py only names the ClientSession type, for borrowing a session
    assert users <= {"_transport.py", "client.py", "pytest_plugin.py"}, users


def test_emulator_never_imports_the_client_side() -> None:
    for path in (PACKAGE / "emulator").rglob("*.py"):
        for name in _imports(path):
            last = name.lstrip(".").split(".")
            assert not CLIENT_SIDE & set(last), f"{path.name} imports {name}"


def test_modules_stay_small() -> None:
    for path in PACKAGE.rglob("*.py"):
        assert len(path.read_text().splitlines()) <= 400, path


def test_public_names_are_sorted_and_importable() -> None:
    assert tuya_thing_async.__all__ == sorted(tuya_thing_async.__all__)
    for name in tuya_thing_async.__all__:
        assert getattr(tuya_thing_async, name) is not None
    assert (PACKAGE / "py.typed").exists()


def test_call_path_functions_fit_on_a_screen() -> None:
    for name in CALL_PATH:
        tree = ast.parse((PACKAGE / f"{name}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                assert length <= MAX_FUNCTION_LINES, f"{name}.{node.name}: {length} lines"
