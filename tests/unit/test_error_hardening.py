"""Errors survive pickle and copy; odd or absurd answers never escape as raw Python errors."""

from __future__ import annotations

import copy
import json
import multiprocessing
import pickle
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tuya_thing_async import _protocol, errors
from tuya_thing_async.errors import TuyaAPIError, TuyaError, TuyaPermissionError

TEMPLATE = "/v2.0/cloud/thing/{device_id}"
JSON_HEADERS = {"Content-Type": "application/json"}

# -- pickle and copy ------------------------------------------------------------------------


def _api(cls: type[TuyaAPIError]) -> TuyaAPIError:
    err = cls(
        1106,
        "permission deny",
        tid="tid-1",
        http_status=503,
        retry_after=2.5,
        method="DELETE",
        path=TEMPLATE,
        attempts=3,
    )
    err.possibly_completed = True
    err.server_time_ms = 1_770_000_000_000
    err.resume_cursor = "cursor-9"
    err.add_note("a note")
    return err


def _context(cls: type[errors._RequestContext]) -> errors._RequestContext:
    return cls("connection reset", method="POST", path=TEMPLATE + "/reset", attempts=2)


def _protocol_error(cls: type[errors.TuyaProtocolError]) -> errors.TuyaProtocolError:
    return cls("body over 8 MiB", http_status=502, method="GET", path=TEMPLATE, attempts=1)


def _plain(cls: type[TuyaError]) -> TuyaError:
    err = cls("plain text")
    err.resume_cursor = "cursor-1"
    return err


def _bulk() -> errors.TuyaBulkError:
    subs = [_api(errors.TuyaServerError), _context(errors.TuyaConnectError)]
    return errors.TuyaBulkError("2 batch(es) failed", subs)


_PLAIN = (
    TuyaError,
    errors.TuyaConfigError,
    errors.TuyaValidationError,
    errors.TuyaClientClosedError,
    errors.TuyaEventLoopError,
    errors.TuyaRetryQuotaExceededError,
)
_CONTEXT = (
    errors._RequestContext,
    errors.TuyaTransportError,
    errors.TuyaConnectError,
    errors.TuyaTLSError,
    errors.TuyaTimeoutError,
    errors.TuyaOutcomeUnknownError,
)
CASES = [
    *(pytest.param(_plain(cls), id=cls.__name__) for cls in _PLAIN),
    *(pytest.param(_context(cls), id=cls.__name__) for cls in _CONTEXT),
    *(
        pytest.param(_protocol_error(cls), id=cls.__name__)
        for cls in (errors.TuyaProtocolError, errors.TuyaResponseTooLargeError)
    ),
    pytest.param(
        errors.TuyaPaginationLoopError("cursor repeated", cursor="c-2"),
        id="TuyaPaginationLoopError",
    ),
    pytest.param(_bulk(), id="TuyaBulkError"),
    *(
        pytest.param(_api(cls), id=cls.__name__)
        for cls in sorted(set(errors.CODE_TO_ERROR.values()), key=lambda cls: cls.__name__)
    ),
    pytest.param(_api(TuyaAPIError), id="TuyaAPIError"),
    pytest.param(errors.error_for_code(99, "too frequent", tid="t"), id="error_for_code"),
]


def _pickled(protocol: int) -> Callable[[Any], Any]:
    return lambda exc: pickle.loads(pickle.dumps(exc, protocol))


ROUND_TRIPS = [
    *(
        pytest.param(_pickled(proto), id=f"pickle-{proto}")
        for proto in range(pickle.HIGHEST_PROTOCOL + 1)
    ),
    pytest.param(copy.copy, id="copy"),
    pytest.param(copy.deepcopy, id="deepcopy"),
]


def _snapshot(exc: BaseException) -> tuple[object, ...]:
    """Everything that identifies an error: class, text, fields, and its parts."""
    if isinstance(exc, BaseExceptionGroup):
        parts: tuple[object, ...] = (exc.message, *map(_snapshot, exc.exceptions))
    else:
        parts = exc.args
    return type(exc), str(exc), vars(exc), parts


def test_the_table_covers_every_exception_class() -> None:
    defined = {
        obj
        for obj in vars(errors).values()
        if isinstance(obj, type)
        and issubclass(obj, BaseException)
        and obj.__module__ == errors.__name__
    }
    assert {type(case.values[0]) for case in CASES} == defined


@pytest.mark.parametrize("round_trip", ROUND_TRIPS)
@pytest.mark.parametrize("exc", CASES)
def test_errors_survive_pickle_and_copy_with_every_field(
    exc: BaseException, round_trip: Callable[[BaseException], BaseException]
) -> None:
    clone = round_trip(exc)
    assert _snapshot(clone) == _snapshot(exc)


def test_a_copied_group_holds_copies_of_its_errors() -> None:
    group = _bulk()
    clone = copy.deepcopy(group)
    assert clone.exceptions[0] is not group.exceptions[0]
    assert isinstance(clone.exceptions[0], errors.TuyaServerError)
    assert clone.exceptions[0].code == 1106 and clone.exceptions[0].possibly_completed


def test_an_error_raised_in_a_worker_process_arrives_with_its_fields() -> None:
    body = json.dumps(
        {"success": False, "code": 1106, "msg": "permission deny", "tid": "tid-7", "t": 77}
    ).encode()
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        future = pool.submit(
            _protocol.parse_response, 200, JSON_HEADERS, body, method="DELETE", template=TEMPLATE
        )
        with pytest.raises(TuyaPermissionError) as info:
            future.result(timeout=60)
    err = info.value
    assert (err.code, err.msg, err.tid, err.server_time_ms) == (
        1106,
        "permission deny",
        "tid-7",
        77,
    )
    assert (err.method, err.path, err.http_status) == ("DELETE", TEMPLATE, 200)
    hint = errors.HINTS[1106]
    assert (
        str(err)
        == f"Tuya error 1106: permission deny (tid tid-7) [DELETE {TEMPLATE}]; hint: {hint}"
    )


def test_event_loop_error() -> None:
    cls = errors.TuyaEventLoopError
    assert issubclass(cls, TuyaError) and issubclass(cls, RuntimeError)
    assert " ".join((cls.__doc__ or "").split()) == (
        "The client was used from an event loop other than the one it is bound to "
        "(the first loop that used it); create one client per event loop."
    )
    tree = errors.__doc__ or ""
    assert tree.index("TuyaClientClosedError") < tree.index("TuyaEventLoopError (RuntimeError)")


# -- odd and absurd values in answers ---------------------------------------------------------


def _parse(status: int, body: str | bytes, **headers: str) -> _protocol.Envelope:
    raw = body.encode() if isinstance(body, str) else body
    return _protocol.parse_response(
        status, {**JSON_HEADERS, **headers}, raw, method="GET", template=TEMPLATE
    )


def _api_error(status: int, body: str, **headers: str) -> TuyaAPIError:
    with pytest.raises(TuyaAPIError) as info:
        _parse(status, body, **headers)
    return info.value


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("1770000000000", 1_770_000_000_000, id="ms"),
        pytest.param(str(2**53 - 1), 2**53 - 1, id="largest"),
        pytest.param("0", 0, id="zero"),
        pytest.param(str(2**53), None, id="2**53"),
        pytest.param("1" + "0" * 399, None, id="400-digit"),
        pytest.param("1" * 5000, None, id="5000-digit"),
        pytest.param("-1", None, id="negative"),
        pytest.param("true", None, id="bool"),
        pytest.param("1.77e12", None, id="float"),
        pytest.param("1e999", None, id="infinite"),
        pytest.param("NaN", None, id="nan"),
        pytest.param('"1770000000000"', None, id="string"),
    ],
)
def test_server_time_is_kept_only_when_plausible(raw: str, expected: int | None) -> None:
    assert _parse(200, f'{{"success":true,"result":1,"t":{raw}}}').t == expected
    error = _api_error(200, f'{{"success":false,"code":1106,"t":{raw}}}')
    assert error.server_time_ms == expected


def test_an_integer_over_the_digit_limit_is_read_as_a_float() -> None:
    body = '{"success":true,"result":{"huge":' + "9" * 5000 + ',"big":' + "9" * 700 + "}}"
    assert _parse(200, body).result == {"huge": float("inf"), "big": int("9" * 700)}


@pytest.mark.parametrize(
    ("raw", "status", "expected"),
    [
        pytest.param("1106", 200, 1106, id="int"),
        pytest.param('"1106"', 200, 1106, id="digits"),
        pytest.param('"000000001106"', 200, 1106, id="12-digits"),
        pytest.param(str(2**63 - 1), 200, 2**63 - 1, id="int64-max"),
        pytest.param('"1111111111111"', 200, 0, id="13-digits"),
        pytest.param('"\u00b2"', 200, 0, id="superscript-two"),
        pytest.param('"\u0663"', 200, 0, id="arabic-three"),
        pytest.param('" 1106"', 200, 0, id="space"),
        pytest.param('"-5"', 200, 0, id="negative-string"),
        pytest.param("-5", 200, 0, id="negative"),
        pytest.param(str(2**63), 200, 0, id="2**63"),
        pytest.param("1" + "0" * 399, 200, 0, id="400-digit"),
        pytest.param("1" * 5000, 200, 0, id="5000-digit"),
        pytest.param("1106.0", 200, 0, id="float"),
        pytest.param("true", 200, 0, id="bool"),
        pytest.param("null", 503, 503, id="missing-on-error-status"),
    ],
)
def test_odd_codes_count_as_missing(raw: str, status: int, expected: int) -> None:
    error = _api_error(status, f'{{"success":false,"code":{raw},"msg":"m"}}')
    assert error.code == expected


@pytest.mark.parametrize(
    ("msg", "tid", "expected"),
    [
        pytest.param('"m"', '"' + "a" * 128 + '"', ("m", "a" * 128), id="longest-tid"),
        pytest.param("5", '"' + "a" * 129 + '"', ("", None), id="long-tid"),
        pytest.param('["m"]', "5", ("", None), id="list-msg-int-tid"),
        pytest.param('{"a":1}', "null", ("", None), id="object-msg"),
    ],
)
def test_odd_msg_and_tid(msg: str, tid: str, expected: tuple[str, str | None]) -> None:
    error = _api_error(200, f'{{"success":false,"code":1106,"msg":{msg},"tid":{tid}}}')
    assert (error.msg, error.tid) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("4", 4.0, id="seconds"),
        pytest.param("2.5", 2.5, id="fraction"),
        pytest.param("0", 0.0, id="zero"),
        pytest.param("3600", 3600.0, id="an-hour"),
        pytest.param("3601", None, id="over-an-hour"),
        pytest.param("-1", None, id="negative"),
        pytest.param("nan", None, id="nan"),
        pytest.param("inf", None, id="inf"),
        pytest.param("1e999", None, id="overflow"),
        pytest.param("Wed, 21 Oct 2015 07:28:00 GMT", None, id="http-date"),
        pytest.param("", None, id="empty"),
    ],
)
def test_retry_after_is_honoured_only_within_an_hour(value: str, expected: float | None) -> None:
    error = _api_error(503, "", **{"Content-Type": "text/html", "Retry-After": value})
    assert error.retry_after == expected


_ODD_NUMBERS = [
    "1" * 5000,
    "-" + "9" * 5000,
    "9" * 700,
    "1" + "0" * 399,
    "1e999",
    "-1e999",
    "NaN",
    "Infinity",
    "-0",
    str(2**63),
    str(2**53),
    "-5",
    "1.5",
]
_ODD_TEXT = ["\u00b2", "\u0663", "1106", " 1106", "1" * 13, "nan", "inf", "", "x" * 200, "\ud800"]
_ODD = st.sampled_from(_ODD_NUMBERS + [json.dumps(text) for text in _ODD_TEXT])
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(-(10**400), 10**400)
    | st.floats()
    | st.text(max_size=20)
)
_JSON = st.recursive(
    _SCALARS,
    lambda kids: (
        st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=4), kids, max_size=3)
    ),
    max_leaves=8,
).map(json.dumps)
_FIELD = _ODD | _JSON
_ENVELOPES = st.fixed_dictionaries(
    {"success": st.sampled_from(["true", "false"]) | _FIELD},
    optional={key: _FIELD for key in ("t", "code", "msg", "tid", "result")},
).map(lambda fields: "{" + ",".join(f'"{k}":{v}' for k, v in fields.items()) + "}")
_BODIES = _ENVELOPES.map(str.encode) | _FIELD.map(str.encode) | st.binary(max_size=40)
_HEADERS = st.fixed_dictionaries(
    {"Content-Type": st.sampled_from(["application/json", "text/html", ""]) | st.text(max_size=20)},
    optional={
        "Retry-After": st.sampled_from(["4", "nan", "-inf", "1e999", "1" * 5000, "Wed, 21 Oct"])
        | st.text(max_size=10),
    },
)
_STATUSES = st.sampled_from([200, 204, 400, 401, 404, 429, 500, 503]) | st.integers(100, 599)


def _check_error(exc: TuyaError) -> None:
    assert str(exc) == str(pickle.loads(pickle.dumps(exc)))
    if isinstance(exc, TuyaAPIError):
        assert 0 <= exc.code < 2**63 and isinstance(exc.msg, str)
        assert exc.retry_after is None or 0 <= exc.retry_after <= 3600
        assert exc.server_time_ms is None or 0 <= exc.server_time_ms < 2**53
        assert exc.tid is None or len(exc.tid) <= 128


@settings(max_examples=300, deadline=None)
@given(status=_STATUSES, headers=_HEADERS, body=_BODIES)
def test_any_answer_gives_an_envelope_or_a_tuya_error(
    status: int, headers: dict[str, str], body: bytes
) -> None:
    try:
        env = _protocol.parse_response(status, headers, body, method="GET", template=TEMPLATE)
    except TuyaError as exc:
        _check_error(exc)
    else:
        assert isinstance(env, _protocol.Envelope)
        assert env.t is None or 0 <= env.t < 2**53
        assert env.tid is None or len(env.tid) <= 128
