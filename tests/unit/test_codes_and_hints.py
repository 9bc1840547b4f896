"""Every code of the reference notes and of the real-answer corpus maps to a class on purpose;
the common ones carry a hint; job-wide errors are told apart from per-device ones."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from tuya_thing_async import errors
from tuya_thing_async.errors import (
    HINTS,
    TuyaAPIError,
    TuyaAuthError,
    TuyaClientClosedError,
    TuyaConfigError,
    TuyaDeviceError,
    TuyaError,
    TuyaInvalidRequestError,
    TuyaPermissionError,
    TuyaQuotaError,
    TuyaRateLimitError,
    TuyaRetryQuotaExceededError,
    TuyaServerError,
    TuyaTimeoutError,
    error_for_code,
    is_job_wide,
)

CORPUS = Path(__file__).parents[1] / "data" / "real"

Auth, Perm, Invalid, Device = (
    TuyaAuthError,
    TuyaPermissionError,
    TuyaInvalidRequestError,
    TuyaDeviceError,
)
#: The deliberate class of each code: the reference notes' table, the codes the corpus adds
#: (1114, 28841106, 40000904, 40000309) and the tuya-home-assistant code 2406 (left generic).
DELIBERATE: dict[int, type[TuyaAPIError]] = {
    500: TuyaServerError,
    1000: Device,
    **dict.fromkeys((1001, 1002, 1003, 1004, 1005, 1010, 1011, 1012, 1013, 1400), Auth),
    **dict.fromkeys((1006, 1007, 1008, 1100, 1101, 1102, 1104, 1105, 1107, 1109, 1113), Invalid),
    1103: Device,
    1106: Perm,
    1108: Invalid,  # kept; its hint says "API not enabled for the project"
    1110: TuyaRateLimitError,  # by code, although once seen live with msg "illegal param"
    1111: TuyaRateLimitError,
    1112: TuyaServerError,
    1114: Perm,
    1199: TuyaRateLimitError,
    **dict.fromkeys((2001, 2002, 2003, 2004, 2005, 2006, 2008, 2009, 2010), Device),
    2007: Auth,  # live: cross-region access on the token request
    2406: TuyaAPIError,
    **dict.fromkeys((28841001, 28841002, 28841101, 28841105, 28841106, 28841107), Perm),
    28841004: TuyaQuotaError,
    40000309: TuyaRateLimitError,  # unknown code; its msg says "too frequent"
    40000904: Invalid,
}


def _corpus_errors() -> list[tuple[str, int, str]]:
    found = []
    for path in sorted(CORPUS.glob("*.json")):
        if path.name.endswith(".expected.json"):
            continue
        answer = json.loads(path.read_text())["answer"]
        if isinstance(answer, dict) and isinstance(answer.get("code"), int):
            found.append((path.stem, answer["code"], answer.get("msg", "")))
    return found


CORPUS_ERRORS = _corpus_errors()
#: Messages as published for the codes seen only in the corpus's notes (no envelope file).
NOTED = {
    40000309: "The log query is too frequent, please try again later!",
    2406: "skill id invalid",
}


@pytest.mark.parametrize(
    ("code", "expected"), [pytest.param(c, cls, id=str(c)) for c, cls in DELIBERATE.items()]
)
def test_every_known_code_maps_to_its_deliberate_class(
    code: int, expected: type[TuyaAPIError]
) -> None:
    msg = errors.CODE_MESSAGES.get(code, NOTED.get(code, ""))
    error = error_for_code(code, msg, tid="t1", method="GET", path="/p/{x}")
    assert type(error) is expected and error.code == code


def test_the_table_holds_exactly_the_decided_codes() -> None:
    unmapped = {2406, 40000309}  # plain TuyaAPIError, or by the "frequen" fallback
    assert set(errors.CODE_TO_ERROR) == set(DELIBERATE) - unmapped


@pytest.mark.parametrize(
    ("code", "msg"), [pytest.param(code, msg, id=name) for name, code, msg in CORPUS_ERRORS]
)
def test_every_corpus_error_is_classified_by_its_code(code: int, msg: str) -> None:
    assert code in DELIBERATE, f"new code {code} in the corpus: decide its class"
    assert type(error_for_code(code, msg)) is DELIBERATE[code]


def test_the_corpus_has_errors() -> None:
    assert len(CORPUS_ERRORS) >= 20


@pytest.mark.parametrize(
    ("code", "words"),
    [
        pytest.param(2007, "Region", id="2007-region"),
        pytest.param(1114, "Region", id="1114-ip"),
        pytest.param(1108, "not enabled for the project", id="1108-not-enabled"),
        pytest.param(28841101, "subscribe", id="28841101-subscribe"),
        pytest.param(28841105, "not authorised", id="28841105-authorise"),
        pytest.param(28841106, "subscribe", id="28841106-subscribe"),
        pytest.param(1106, "not linked", id="1106-device"),
        pytest.param(2010, "unknown device ID", id="2010-device"),
        pytest.param(2001, "offline", id="2001-offline"),
        pytest.param(2003, "does not support", id="2003-function"),
        pytest.param(28841004, "quota", id="28841004-quota"),
        pytest.param(1004, "Access Secret", id="1004-secret"),
        pytest.param(1013, "clock", id="1013-clock"),
        pytest.param(1010, "token", id="1010-token"),
        pytest.param(1011, "token", id="1011-token"),
    ],
)
def test_common_codes_carry_a_hint_in_their_text(code: int, words: str) -> None:
    error = error_for_code(code, "as Tuya said", tid="abc", method="GET", path="/p/{x}")
    assert error.hint is not None and words in error.hint
    assert str(error).endswith(f"; hint: {error.hint}") and "as Tuya said" in str(error)


def test_other_codes_have_no_hint_and_the_hint_survives_pickling() -> None:
    assert error_for_code(1111, "busy").hint is None and "hint" not in str(
        error_for_code(1111, "busy")
    )
    error = error_for_code(1109, "param is illegal")
    error.hint, error.device_id = "the SDK sent: channel=0", "vdevo1"
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.hint, copy.device_id, str(copy)) == (error.hint, "vdevo1", str(error))


def test_hints_name_no_secret_field() -> None:
    text = " ".join(HINTS.values()).lower()
    assert "access_token" not in text and "local_key" not in text


def _api(code: int) -> TuyaAPIError:
    return error_for_code(code, "x")


@pytest.mark.parametrize(
    ("error", "job_wide"),
    [
        pytest.param(_api(1004), True, id="auth-1004"),
        pytest.param(_api(2007), True, id="region-2007"),
        pytest.param(_api(1114), True, id="ip-1114"),
        pytest.param(_api(1108), True, id="api-not-enabled-1108"),
        pytest.param(_api(28841101), True, id="not-subscribed-28841101"),
        pytest.param(_api(28841105), True, id="not-authorised-28841105"),
        pytest.param(_api(28841106), True, id="not-subscribed-28841106"),
        pytest.param(_api(28841107), True, id="data-center-28841107"),
        pytest.param(_api(28841004), True, id="quota-28841004"),
        pytest.param(TuyaConfigError("bad"), True, id="config"),
        pytest.param(TuyaRetryQuotaExceededError("spent"), True, id="retry-budget"),
        pytest.param(TuyaClientClosedError("closed"), True, id="closed"),
        pytest.param(_api(1106), False, id="device-1106"),
        pytest.param(_api(1109), False, id="param-1109"),
        pytest.param(_api(2001), False, id="offline-2001"),
        pytest.param(_api(1199), False, id="throttled-1199"),
        pytest.param(_api(500), False, id="server-500"),
        pytest.param(TuyaTimeoutError("slow"), False, id="timeout"),
    ],
)
def test_is_job_wide(error: TuyaError, job_wide: bool) -> None:
    assert is_job_wide(error) is job_wide
