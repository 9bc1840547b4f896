"""Lenient values (production) versus strict mode (tests): string booleans and numbers, "no
location", firmware info shapes and channel keys, the idle firmware progress."""

from __future__ import annotations

from typing import Any

import pytest

from tuya_thing_async import _converter
from tuya_thing_async.models import Device, FirmwareProgress, FirmwareUpdate, UpgradeStatus

LENIENT, STRICT = _converter.converter(False), _converter.converter(True)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        pytest.param("true", True, id="true"),
        pytest.param("false", False, id="false"),
        pytest.param("1", True, id="one"),
        pytest.param("0", False, id="zero"),
        pytest.param(" TRUE ", True, id="upper-spaced"),
        pytest.param(1, True, id="int-1"),
        pytest.param(0, False, id="int-0"),
    ],
)
def test_lenient_reads_string_booleans_and_strict_refuses_them(raw: object, value: bool) -> None:
    device = LENIENT.structure({"id": "d1", "is_online": raw, "sub": raw}, Device)
    assert (device.is_online, device.sub) == (value, value)
    with pytest.raises(Exception):  # noqa: B017 - cattrs wraps the ValueError
        STRICT.structure({"id": "d1", "is_online": raw}, Device)


@pytest.mark.parametrize("raw", [pytest.param("yes", id="yes"), pytest.param(0.5, id="float")])
def test_an_unreadable_boolean_fails_in_both_modes(raw: object) -> None:
    for conv in (LENIENT, STRICT):
        with pytest.raises(Exception):  # noqa: B017
            conv.structure({"id": "d1", "is_online": raw}, Device)


def test_real_booleans_pass_both_modes() -> None:
    for conv in (LENIENT, STRICT):
        device = conv.structure({"id": "d1", "is_online": True, "sub": False}, Device)
        assert (device.is_online, device.sub) == (True, False)


@pytest.mark.parametrize(
    ("lat", "lon", "expected"),
    [
        pytest.param("0", "0", (None, None), id="string-zeros"),
        pytest.param(0, 0, (None, None), id="number-zeros"),
        pytest.param("", "", (None, None), id="empty"),
        pytest.param(None, None, (None, None), id="null"),
        pytest.param("0", "", (None, None), id="zero-and-empty"),
        pytest.param("-15.72", "0", (-15.72, 0.0), id="on-the-meridian"),
        pytest.param("30.5", "-90.25", (30.5, -90.25), id="real-location"),
        pytest.param("-15.72", "", (-15.72, None), id="half-kept"),
    ],
)
def test_no_location(lat: object, lon: object, expected: tuple[float | None, ...]) -> None:
    for conv in (LENIENT, STRICT):
        device = conv.structure({"id": "d1", "lat": lat, "lon": lon}, Device)
        assert (device.lat, device.lon) == expected


def test_camel_case_listing_zeros_are_no_location() -> None:
    device = LENIENT.structure({"id": "d1", "lat": "0", "lon": "0", "isOnline": "true"}, Device)
    assert (device.lat, device.lon, device.is_online) == (None, None, True)


def test_numbers_as_strings() -> None:
    raw = {"type": "9", "upgrade_status": "1", "timeout": "300", "last_upgrade_time": "0"}
    for conv in (LENIENT, STRICT):
        update = conv.structure(raw, FirmwareUpdate)
        assert (update.channel, update.upgrade_status, update.timeout) == (
            9,
            UpgradeStatus.AVAILABLE,
            300,
        )
        progress = conv.structure({"upgrade_status": "2", "progress": "30"}, FirmwareProgress)
        assert (progress.upgrade_status, progress.progress) == (UpgradeStatus.IN_PROGRESS, 30)


@pytest.mark.parametrize(
    "raw",
    [pytest.param("abc", id="word"), pytest.param(True, id="bool"), pytest.param([], id="list")],
)
def test_an_unreadable_optional_number_is_absent_in_lenient_mode_only(raw: object) -> None:
    data = {"type": 0, "timeout": raw}
    assert LENIENT.structure(data, FirmwareUpdate).timeout is None
    with pytest.raises(Exception):  # noqa: B017
        STRICT.structure(data, FirmwareUpdate)


def test_can_upgrade_as_a_string_is_read_not_truth_tested() -> None:
    update = LENIENT.structure({"type": 0, "can_upgrade": "false"}, FirmwareUpdate)
    assert update.can_upgrade is False


ENTRY = {"upgrade_status": 0, "current_version": "1.0.0"}


@pytest.mark.parametrize(
    ("result", "channels"),
    [
        pytest.param([{**ENTRY, "type": 0}, {**ENTRY, "type": 9}], [0, 9], id="list-type"),
        pytest.param({**ENTRY, "channel": 4}, [4], id="single-object-channel"),
        pytest.param({"list": [{**ENTRY, "module_type": 9}]}, [9], id="wrapped-list"),
        pytest.param({"firmware": [{**ENTRY, "type": 1}]}, [1], id="wrapped-firmware"),
        pytest.param({"result": {**ENTRY, "type": 2}}, [2], id="wrapped-result-object"),
        pytest.param(None, [], id="null"),
        pytest.param([], [], id="empty"),
    ],
)
def test_firmware_info_shapes(result: Any, channels: list[int]) -> None:
    for conv in (LENIENT, STRICT):
        entries = _converter.firmware_entries(result)
        assert [conv.structure(e, FirmwareUpdate).channel for e in entries] == channels


def test_firmware_entry_without_a_channel_fails() -> None:
    with pytest.raises(Exception):  # noqa: B017
        LENIENT.structure(ENTRY, FirmwareUpdate)


@pytest.mark.parametrize(
    ("status", "idle", "done"),
    [
        pytest.param(0, True, False, id="none-idle"),
        pytest.param(2, False, False, id="running"),
        pytest.param(3, False, True, id="succeeded"),
        pytest.param(4, False, True, id="failed"),
        pytest.param(99, False, False, id="unknown"),
    ],
)
def test_progress_idle_state(status: int, idle: bool, done: bool) -> None:
    progress = LENIENT.structure({"upgrade_status": status, "progress": 0}, FirmwareProgress)
    assert (progress.idle, progress.done) == (idle, done)
