"""The exception tree, the code table, and envelope parsing."""

from __future__ import annotations

import inspect
import json
from types import ModuleType

import pytest

from tuya_thing_async import _protocol, config, emulator, errors
from tuya_thing_async.emulator import app, state
from tuya_thing_async.errors import (
    CODE_MESSAGES,
    CODE_TO_ERROR,
    TuyaAPIError,
    TuyaAuthError,
    TuyaBulkError,
    TuyaDeviceError,
    TuyaError,
    TuyaInvalidRequestError,
    TuyaPermissionError,
    TuyaProtocolError,
    TuyaQuotaError,
    TuyaRateLimitError,
    TuyaServerError,
    TuyaTimeoutError,
)

EXPECTED = {
    TuyaAuthError: {1001, 1002, 1003, 1004, 1005, 1010, 1011, 1012, 1013, 1400, 2007},
    TuyaInvalidRequestError: {
        1006,
        1007,
        1008,
        1100,
        1101,
        1102,
        1104,
        1105,
        1107,
        1108,
        1109,
        1113,
        40000904,
    },
    TuyaRateLimitError: {1110, 1111, 1199},
    TuyaServerError: {500, 1112},
    TuyaDeviceError: {1000, 1103, *range(2001, 2011)} - {2007},
    TuyaPermissionError: {1106, 1114, 28841001, 28841002, 28841101, 28841105, 28841106, 28841107},
    TuyaQuotaError: {28841004},
}


@pytest.mark.parametrize("code", sorted(CODE_MESSAGES))
def test_every_documented_code_maps_to_its_class(code: int) -> None:
    expected = next(cls for cls, codes in EXPECTED.items() if code in codes)
    assert CODE_TO_ERROR[code] is expected
    err = errors.error_for_code(code, CODE_MESSAGES[code], tid="abc", method="GET", path="/p/{x}")
    assert type(err) is expected and isinstance(err, TuyaAPIError)
    assert (err.code, err.tid, err.method, err.path) == (code, "abc", "GET", "/p/{x}")
    assert str(code) in str(err) and "/p/{x}" in str(err)


def test_table_and_messages_cover_the_same_codes() -> None:
    assert set(CODE_TO_ERROR) == set(CODE_MESSAGES)
    assert set().union(*EXPECTED.values()) == set(CODE_TO_ERROR)


def test_unknown_code_is_a_plain_api_error_unless_it_says_frequent() -> None:
    assert type(errors.error_for_code(40000309, "x")) is TuyaAPIError
    assert type(errors.error_for_code(99, "Requests too Frequent")) is TuyaRateLimitError


def test_special_bases() -> None:
    assert issubclass(TuyaTimeoutError, TimeoutError)
    group = TuyaBulkError("two failed", [TuyaServerError(500, "x"), TuyaServerError(500, "y")])
    assert isinstance(group, ExceptionGroup) and isinstance(group, TuyaError)
    sub = group.subgroup(lambda e: getattr(e, "msg", None) == "x")
    assert isinstance(sub, TuyaBulkError) and len(sub.exceptions) == 1
    with pytest.raises(TuyaBulkError):
        raise group


def _parse(
    status: int, body: bytes, ctype: str = "application/json", **headers: str
) -> _protocol.Envelope:
    return _protocol.parse_response(
        status,
        {"Content-Type": ctype, **headers},
        body,
        method="GET",
        template="/v2.0/cloud/thing/{device_id}",
    )


def test_success_envelope_with_and_without_t_and_tid() -> None:
    env = _parse(200, b'{"success":true,"result":{"a":1},"t":5,"tid":"ab"}')
    assert (env.result, env.t, env.tid) == ({"a": 1}, 5, "ab")
    assert _parse(200, b'{"result":true,"success":true}').result is True


def test_error_envelope_raises_mapped_error_with_server_time() -> None:
    body = json.dumps(
        {"code": 1106, "msg": "permission deny", "success": False, "t": 77, "tid": "tid1"}
    ).encode()
    with pytest.raises(TuyaPermissionError) as info:
        _parse(200, body)
    assert (info.value.code, info.value.tid, info.value.server_time_ms) == (1106, "tid1", 77)
    assert info.value.path == "/v2.0/cloud/thing/{device_id}"


@pytest.mark.parametrize(
    ("status", "body", "ctype", "cls"),
    [
        (502, b"<html>bad gateway</html>", "text/html", TuyaServerError),
        (429, b"slow down", "text/plain", TuyaRateLimitError),
        (200, b"", "application/json", TuyaProtocolError),
        (200, b'{"success":true,"res', "application/json", TuyaProtocolError),
        (200, b'{"success":true}', "text/plain", TuyaProtocolError),
        (200, b'{"r":"\xff\xfe"}', "application/json", TuyaProtocolError),
        (200, b"[" * 100_000 + b"]" * 100_000, "application/json", TuyaProtocolError),
        (200, b"[1,2]", "application/json", TuyaProtocolError),
        (404, b"not here", "text/plain", TuyaProtocolError),
    ],
)
def test_malformed_answers_become_typed_errors(
    status: int, body: bytes, ctype: str, cls: type[Exception]
) -> None:
    with pytest.raises(cls) as info:
        _parse(status, body, ctype)
    assert info.value.__cause__ is None


def test_retry_after_is_read_from_headers() -> None:
    with pytest.raises(TuyaServerError) as info:
        _parse(503, b"", "text/html", **{"Retry-After": "4"})
    assert info.value.retry_after == 4.0 and info.value.http_status == 503


def test_fill_path_percent_encodes_parameters() -> None:
    assert _protocol.fill_path("/a/{x}/b", {"x": "a/b?c"}) == "/a/a%2Fb%3Fc/b"


@pytest.mark.parametrize(
    "module",
    [pytest.param(module, id=module.__name__) for module in (errors, config, emulator, state, app)],
)
def test_docstrings_cite_no_outside_section_numbers(module: ModuleType) -> None:
    assert "\u00a7" not in inspect.getsource(module)
