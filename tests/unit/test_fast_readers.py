"""The hand-written lenient readers (devices, report-log pages) match the generic ones."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tuya_thing_async import _converter
from tuya_thing_async.models import Device, ReportLog

FAST = _converter.LENIENT.get_structure_hook(Device)
GENERATED = _converter.make_converter(hand_written=False).get_structure_hook(Device)

KEYS = [
    "id", "name", "custom_name", "customName", "category", "product_id", "productId",
    "product_name", "model", "icon", "ip", "uuid", "is_online", "isOnline", "sub", "time_zone",
    "timeZone", "bind_space_id", "lat", "lon", "local_key", "localKey", "active_time",
    "activeTime", "create_time", "update_time", "updateTime", "unknown_field", "extraField",
]  # fmt: skip
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**14), max_value=10**14),
    st.floats(allow_nan=False),
    st.sampled_from(["", "0", "1", "true", "false", "True", " 1 ", "52.5", "abc", "0.0"]),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
)


def _outcome(hook: Any, data: Any) -> Any:
    try:
        return hook(data, Device)
    except Exception:  # any failure is a protocol error for the endpoint
        return "error"


@settings(max_examples=600, deadline=None)
@given(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=14), st.booleans())
def test_hand_written_device_reading_matches_the_generated_one(
    data: dict[str, Any], with_id: bool
) -> None:
    if with_id:
        data.setdefault("id", "vdevo1")
    assert _outcome(FAST, data) == _outcome(GENERATED, data)


FULL_SHAPE = [k for k in KEYS if k == k.lower() and k not in ("model", "unknown_field")]


@settings(max_examples=600, deadline=None)
@given(
    st.fixed_dictionaries({k: VALUES for k in FULL_SHAPE}),
    st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6),
)
def test_a_device_with_every_field_reads_the_same_by_both(
    full: dict[str, Any], more: dict[str, Any]
) -> None:
    data = {**more, **full}  # every snake_case field, plus camelCase twins, model, unknowns
    assert _outcome(FAST, data) == _outcome(GENERATED, data)


def test_a_real_shaped_device_reads_the_same() -> None:
    data = {
        "id": "bf1", "name": "Plug", "is_online": "false", "lat": "0", "lon": "0",
        "active_time": 1700000000, "update_time": 1700000000123, "sub": True, "model": "M1",
        "isOnline": True, "bind_space_id": "", "local_key": "k", "ip": None,
    }  # fmt: skip
    device = FAST(data, Device)
    assert device == GENERATED(data, Device)
    assert (device.is_online, device.lat, device.lon, device.bind_space_id) == (
        False,
        None,
        None,
        None,
    )


REPORT = _converter.LENIENT.get_structure_hook(ReportLog)
READ_PAGE = _converter.list_reader(_converter.LENIENT, ReportLog)
ENTRY = st.dictionaries(
    st.sampled_from(["code", "value", "event_time", "extra"]),
    st.one_of(
        VALUES,
        st.integers(min_value=0, max_value=2**62),
        st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    ),
    max_size=4,
)


def _each(items: list[Any]) -> Any:
    out = []
    for item in items:
        try:
            out.append(REPORT(item, ReportLog))
        except Exception:
            return "error"
    return out


def _page(items: list[Any]) -> Any:
    try:
        return READ_PAGE(items)
    except Exception:
        return "error"


@settings(max_examples=600, deadline=None)
@given(
    st.lists(
        st.one_of(
            ENTRY,
            st.builds(dict, code=st.just("p"), value=VALUES, event_time=st.integers(0, 2**50)),
        ),
        max_size=6,
    )
)
def test_the_report_page_reader_matches_the_hook_entry_by_entry(items: list[Any]) -> None:
    assert _page(items) == _each(items)


def test_report_logs_identify_by_key() -> None:
    (log,) = READ_PAGE([{"code": "cur_power", "value": "5", "event_time": 1700000000000}])
    assert log.key == ("cur_power", "5", 1700000000000)
    assert log == ReportLog("cur_power", "5", 1700000000000)
