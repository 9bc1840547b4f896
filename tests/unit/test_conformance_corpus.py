"""Conformance against the corpus of real Tuya answers (``tests/data/real``).

Each in-scope answer (device details, batch, project listing, state, firmware info/progress,
token, error envelopes) goes through ``parse_response`` and the converter the endpoints use, in
lenient and strict mode, and is compared with the decided result next to it
(``<name>.expected.json``).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tuya_thing_async import _converter, errors
from tuya_thing_async._protocol import parse_response
from tuya_thing_async.endpoints.devices import MAX_PROJECT_PAGE, read_project_page
from tuya_thing_async.models import Device, DeviceState, FirmwareProgress, FirmwareUpdate

CORPUS = Path(__file__).parents[1] / "data" / "real"
JSON = {"Content-Type": "application/json"}
Read = Callable[[Any, bool], list[Any]]


def _each(cls: type[Any]) -> Read:
    return lambda result, strict: [_converter.converter(strict).structure(x, cls) for x in result]


def _one(cls: type[Any]) -> Read:
    return lambda result, strict: _each(cls)([result], strict)


def _listing(result: Any, strict: bool) -> list[Any]:
    return _each(Device)(read_project_page(result, MAX_PROJECT_PAGE)[0], strict)


def _firmware(result: Any, strict: bool) -> list[Any]:
    return _each(FirmwareUpdate)(_converter.firmware_entries(result), strict)


#: File-name prefix (the endpoint slug) -> how the endpoint reads its ``result``.
READERS: dict[str, Read | None] = {
    "device-details": _one(Device),
    "device-batch": _each(Device),
    "device-list": _listing,
    "device-state": _one(DeviceState),
    "firmware-info": _firmware,
    "firmware-progress": _one(FirmwareProgress),
    "token": None,  # errors only: a token success is read by the token manager
    "error": None,
}


def _slug(path: Path) -> str:
    return path.name.split("__")[0]


def _in_scope(path: Path) -> bool:
    slug = _slug(path)
    return not path.name.endswith(".expected.json") and any(
        slug == key or slug.startswith(f"{key}-") for key in READERS
    )


ANSWERS = sorted(p for p in CORPUS.glob("*.json") if _in_scope(p))


def test_the_corpus_is_not_empty() -> None:
    print(f"conformance corpus: {len(ANSWERS)} answers")
    assert ANSWERS, "no in-scope answer in tests/data/real"


def _reader(path: Path) -> Read | None:
    slug = _slug(path)
    return next(r for key, r in READERS.items() if slug == key or slug.startswith(f"{key}-"))


def _shown(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value.name if isinstance(value, enum.Enum) else value


def _check_error(answer: Any, expected: dict[str, Any]) -> None:
    with pytest.raises(errors.TuyaAPIError) as info:
        parse_response(200, JSON, json.dumps(answer).encode(), method="GET", template="/t")
    error = info.value
    assert (type(error).__name__, error.code) == (expected["error"], expected["code"])
    assert error.msg == answer["msg"]  # localised or odd, kept as sent
    assert error.hint == errors.HINTS.get(error.code)


def _check_model(answer: Any, expected: dict[str, Any], read: Read) -> None:
    env = parse_response(200, JSON, json.dumps(answer).encode(), method="GET", template="/t")
    models = read(env.result, False)
    lenient = expected["lenient"]
    assert (type(models[0]).__name__, len(models)) == (lenient["class"], lenient["count"])
    assert {k: _shown(getattr(models[0], k)) for k in lenient["fields"]} == lenient["fields"]
    if expected["strict"] == "ok":
        assert read(env.result, True) == models
    else:
        with pytest.raises(Exception):  # noqa: B017 - cattrs wraps the cause
            read(env.result, True)


@pytest.mark.parametrize("path", [pytest.param(p, id=p.stem) for p in ANSWERS])
def test_answer_conforms(path: Path) -> None:
    expected_file = path.with_name(f"{path.stem}.expected.json")
    assert expected_file.exists(), f"decide what the SDK should make of {path.name}"
    expected = json.loads(expected_file.read_text())
    if "skip" in expected:
        pytest.skip(expected["skip"])
    answer = json.loads(path.read_text())["answer"]
    read = _reader(path)
    if "error" in expected:
        _check_error(answer, expected)
    else:
        assert read is not None, f"{path.name}: no reader for a success of this endpoint"
        _check_model(answer, expected, read)
