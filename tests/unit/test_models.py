"""The converter: device fields, time units, tolerant enums, lenient vs strict."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import attrs
import pytest
from cattrs.errors import ClassValidationError

from tuya_thing_async import _converter, _values
from tuya_thing_async.errors import TuyaValidationError
from tuya_thing_async.models import (
    Device,
    DeviceState,
    EventSource,
    FirmwareProgress,
    FirmwareUpdate,
    LogType,
    OperationLog,
    ReportLog,
    UpgradeStatus,
)

DETAIL = {
    "active_time": 1677052800,
    "bind_space_id": "1234",
    "category": "nbq",
    "create_time": 1677052700,
    "custom_name": "Garage",
    "icon": "smart/icon/a.png",
    "id": "vdevo1",
    "ip": "1.2.3.4",
    "is_online": True,
    "lat": "-15.72",
    "local_key": "secretkey",
    "lon": "",
    "model": "M1",
    "name": "Inverter",
    "product_id": "p1",
    "product_name": "Inv",
    "sub": False,
    "time_zone": "-03:00",
    "update_time": 1677052900,
    "uuid": "u1",
}


@pytest.mark.parametrize("strict", [False, True])
def test_device_detail_all_fields(strict: bool) -> None:
    dev = _converter.converter(strict).structure(DETAIL, Device)
    assert dev.active_time == datetime(2023, 2, 22, 8, 0, tzinfo=UTC)
    assert dev.lat == -15.72 and dev.lon is None
    assert dev.display_name == "Garage" and dev.bind_space_id == "1234"
    assert "secretkey" not in repr(dev)


def test_lenient_ignores_new_fields_strict_rejects_them() -> None:
    data = {**DETAIL, "brand_new_field": 1}
    assert _converter.LENIENT.structure(data, Device).id == "vdevo1"
    with pytest.raises(ClassValidationError):
        _converter.STRICT.structure(data, Device)


#: The project listing's casing (``GET /v2.0/cloud/thing/device``).
LISTED = {
    "id": "vdevo1",
    "name": "Inverter",
    "customName": "Garage",
    "productId": "p1",
    "productName": "Inv",
    "category": "nbq",
    "isOnline": True,
    "activeTime": 1677052800,
    "createTime": 1677052700,
    "updateTime": 1677052900,
    "timeZone": "-03:00",
    "lat": "-15.72",
    "lon": "",
    "ip": "1.2.3.4",
    "icon": "smart/icon/a.png",
    "uuid": "u1",
    "localKey": "secretkey",
    "sub": False,
}


@pytest.mark.parametrize(
    "strict", [pytest.param(False, id="lenient"), pytest.param(True, id="strict")]
)
def test_camel_case_listing_maps_onto_the_same_device(strict: bool) -> None:
    listed = _converter.converter(strict).structure(LISTED, Device)
    detail = _converter.converter(strict).structure(DETAIL, Device)
    assert listed == attrs.evolve(detail, model="", bind_space_id=None)
    assert listed.local_key == "secretkey" and "secretkey" not in repr(listed)


def test_device_times_are_milliseconds_read_as_datetimes() -> None:
    device = _converter.LENIENT.structure(DETAIL, Device)
    assert device.active_time_ms == 1677052800000
    assert device.active_time == datetime(2023, 2, 22, 8, 0, tzinfo=UTC)
    assert Device("d1").active_time is None and Device("d1").update_time is None


@pytest.mark.parametrize("value", [0, "0", "", None, "soon", 10**17, -(10**17), True, 1.5])
def test_a_device_time_that_is_not_a_time_is_absent_leniently_refused_strictly(
    value: object,
) -> None:
    data = {**DETAIL, "active_time": value}
    assert _converter.LENIENT.structure(data, Device).active_time is None
    if value not in (0, "0", "", None):
        with pytest.raises(ClassValidationError):
            _converter.STRICT.structure(data, Device)


@pytest.mark.parametrize(
    ("data", "check"),
    [
        pytest.param(
            {**LISTED, "is_online": False}, lambda d: d.is_online is False, id="snake-case-wins"
        ),
        pytest.param(
            {**LISTED, "activeTime": 1677052800123},
            lambda d: d.active_time == datetime(2023, 2, 22, 8, 0, 0, 123000, tzinfo=UTC),
            id="milliseconds-accepted",
        ),
        pytest.param(
            {**LISTED, "bindSpaceId": "42"}, lambda d: d.bind_space_id == "42", id="any-camel-field"
        ),
    ],
)
def test_camel_case_leniency(data: dict[str, object], check: Callable[[Device], bool]) -> None:
    assert check(_converter.STRICT.structure(data, Device))


def test_unknown_camel_case_fields_follow_the_mode() -> None:
    data = {**LISTED, "gatewayId": "g1"}
    assert _converter.LENIENT.structure(data, Device).id == "vdevo1"
    with pytest.raises(ClassValidationError):
        _converter.STRICT.structure(data, Device)


def test_missing_id_is_an_error_in_both_modes() -> None:
    for conv in (_converter.LENIENT, _converter.STRICT):
        with pytest.raises(ClassValidationError):
            conv.structure({"name": "x"}, Device)


def test_logs_use_milliseconds_and_tolerant_enums() -> None:
    op = _converter.STRICT.structure(
        {
            "event_time": 1677141419268,
            "event_id": 9,
            "code": "",
            "value": "restart",
            "event_from": "4",
            "status": "success",
        },
        OperationLog,
    )
    assert op.event_time == datetime(2023, 2, 23, 8, 36, 59, 268000, tzinfo=UTC)
    assert op.event_type is LogType.RESTART and op.event_from is EventSource.CLOUD
    odd = _converter.LENIENT.structure(
        {"event_time": 1, "event_id": 77, "event_from": "9"}, OperationLog
    )
    assert odd.event_type is None and odd.event_id == 77 and odd.event_from is EventSource.UNKNOWN
    rep = _converter.STRICT.structure(
        {"code": "c", "value": {"a": 1}, "event_time": 1000}, ReportLog
    )
    assert rep.value == '{"a":1}'


def test_firmware_accepts_type_or_channel() -> None:
    a = _converter.STRICT.structure(
        {"type": 9, "upgrade_status": 1, "version": "2"}, FirmwareUpdate
    )
    b = _converter.STRICT.structure({"channel": 0, "upgrade_status": 42}, FirmwareUpdate)
    assert (a.channel, a.available) == (9, True)
    assert (b.channel, b.upgrade_status) == (0, UpgradeStatus.UNKNOWN)


def test_state_and_progress() -> None:
    assert _converter.STRICT.structure({"state": 1}, DeviceState) == DeviceState(frozen=True)
    prog = _converter.STRICT.structure({"upgrade_status": 3, "progress": 100}, FirmwareProgress)
    assert prog.done and not FirmwareProgress(UpgradeStatus.IN_PROGRESS, 40).done


def test_time_conversion_refuses_naive_datetimes() -> None:
    aware = datetime(2023, 1, 1, 8, tzinfo=timezone(timedelta(hours=8)))
    assert _values.to_ms(aware) == 1672531200000
    with pytest.raises(TuyaValidationError, match="naive"):
        _values.to_ms(datetime(2023, 1, 1))


def test_report_log_hook_rules() -> None:
    data = {"code": "cur_power", "value": 1520, "event_time": "1677141419268", "extra": 1}
    rec = _converter.LENIENT.structure(data, ReportLog)
    assert rec == ReportLog("cur_power", 1520, 1677141419268)
    assert rec.event_time == datetime(2023, 2, 23, 8, 36, 59, 268000, UTC)
    assert rec.event_time.tzinfo is UTC
    with pytest.raises(ValueError, match="extra"):
        _converter.STRICT.structure(data, ReportLog)
    with pytest.raises(KeyError):
        _converter.LENIENT.structure({"value": "1", "event_time": 1}, ReportLog)
    assert _converter.LENIENT.structure({"code": 7, "event_time": 1}, ReportLog).code == "7"
