"""orjson (the ``[speed]`` extra) and the standard library read every answer identically."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from tuya_thing_async import _json
from tuya_thing_async._protocol import parse_response

CORPUS = Path(__file__).parents[1] / "data" / "real"
FAST = _json.FAST

#: Bodies where the two decoders differ unless the fallback does its job.
TRICKY = [
    b'{"result": {"value": NaN, "other": Infinity, "neg": -Infinity}}',
    b'{"result": {"id": 123456789012345678901234567890}}',
    b"[9223372036854775807, 18446744073709551615, 18446744073709551616, -9223372036854775809]",
    b'{"result": {"v": 1' + b"0" * 18 + b'}, "id": "bf12345678901234567890"}',
    b'{"result": {"text": "\\ud800 lone"}}',
    b'{"a": 1, "a": 2}',
    b'{"result": {"t": 1.5e300, "small": 5e-324, "x": -0.0}}',
    b'{"result": {"n": "' + "é€😀".encode() + b'"}}',
    b'{"result": [' + b"9" * 5000 + b"]}",
    b"[" * 2000 + b"]" * 2000,
]
BROKEN = [b"", b"{", b'{"a": 1,}', b"\xff\xfe{}", b'{"a": tru}', b"nul"]


def _same(a: Any, b: Any) -> bool:
    """Equal, with NaN equal to NaN and -0.0 told from 0.0."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (
            a == b and math.copysign(1, a) == math.copysign(1, b)
        )
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _outcome(loads: Any, body: bytes) -> Any:
    try:
        return loads(body)
    except RecursionError:
        return "RecursionError"
    except ValueError as exc:  # UnicodeDecodeError is a ValueError too
        return type(exc).__name__


def test_the_fast_decoder_is_installed_for_the_tests() -> None:
    assert FAST is not None, "orjson (the [speed] extra) is part of the test install"
    assert _json.loads is FAST


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.json")), ids=lambda p: p.name)
def test_corpus_reads_the_same_with_both_decoders(path: Path) -> None:
    assert FAST is not None
    body = path.read_bytes()
    assert _same(FAST(body), _json.loads_standard(body))


@pytest.mark.parametrize("body", TRICKY + BROKEN)
def test_tricky_and_broken_bodies_read_the_same(body: bytes) -> None:
    assert FAST is not None
    fast, standard = _outcome(FAST, body), _outcome(_json.loads_standard, body)
    assert _same(fast, standard) or fast == standard


def test_parse_response_gives_the_same_envelope() -> None:
    body = json.dumps({"success": True, "result": {"logs": [{"v": 1.25}]}, "t": 1, "tid": "x"})
    headers = {"Content-Type": "application/json"}
    env = parse_response(200, headers, body.encode(), method="GET", template="/x")
    assert env.result == {"logs": [{"v": 1.25}]} and env.tid == "x"
