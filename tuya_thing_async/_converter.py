"""The one cattrs converter, and the one place where times cross to and from Tuya.

Device times are epoch **seconds** (a device time in milliseconds is recognised by its size);
log times are epoch **milliseconds**. Enums are tolerant (unknown values map to UNKNOWN or None).
Device fields are read in snake_case (details, batch) or camelCase (the project listing:
``isOnline``, ``localKey``...). ``lat``/``lon`` of ``"0"`` (or 0, ``""``, null) is no location.
Numbers may come as numeric strings in both modes. Lenient mode (production) ignores unknown
fields (Tuya adds them), reads booleans sent as ``"true"``/``"false"``/``"1"``/``"0"`` and
treats an unreadable optional number as absent; strict mode, used by tests, rejects all three so
that drift shows up as a failure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.errors import ClassValidationError
from cattrs.gen import make_dict_structure_fn, override

from .errors import TuyaValidationError
from .models import (
    Device,
    DeviceState,
    DPValue,
    EventSource,
    FirmwareProgress,
    FirmwareUpdate,
    LogType,
    OperationLog,
    ReportLog,
    UpgradeStatus,
)

T = TypeVar("T")


# -- time: the single conversion point -------------------------------------------------------


def to_ms(value: datetime, name: str = "time") -> int:
    """An aware datetime as Tuya's 13-digit epoch milliseconds; naive datetimes are refused."""
    if not isinstance(value, datetime):
        raise TuyaValidationError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise TuyaValidationError(
            f"{name} is a naive datetime; pass a timezone-aware one, e.g. datetime.now(UTC)"
        )
    return int(value.timestamp() * 1000)


def from_ms(ms: int | float | str) -> datetime:
    return datetime.fromtimestamp(int(ms) / 1000, UTC)


#: Epoch seconds stay below this until the year 5138; epoch milliseconds pass it in 1973.
_MS_THRESHOLD = 10**11


def _from_seconds(value: Any, _: Any = None) -> datetime | None:
    if value in (None, "", 0):
        return None
    number = int(value)
    if abs(number) >= _MS_THRESHOLD:  # the listing's time unit is not documented: accept ms
        return from_ms(number)
    return datetime.fromtimestamp(number, UTC)


# -- scalar hooks ----------------------------------------------------------------------------


_BOOLS = {"true": True, "false": False, "1": True, "0": False, 1: True, 0: False}


def _bool(strict: bool) -> Callable[[Any, Any], bool]:
    """Real booleans; lenient mode also reads ``"true"``/``"false"``/``"1"``/``"0"``/1/0."""

    def structure(value: Any, _: Any) -> bool:
        if isinstance(value, bool):
            return value
        key = value.strip().lower() if isinstance(value, str) else value
        if strict or isinstance(key, float) or key not in _BOOLS:
            raise ValueError(f"not a boolean: {value!r}")
        return _BOOLS[key]

    return structure


def _int(value: Any, _: Any = None) -> int:
    """An int, a whole float or a numeric string (never a boolean)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(f"not a whole number: {value!r}")
    return int(value.strip()) if isinstance(value, str) else int(value)


def _float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"not a number: {value!r}")
    return float(value)


def _optional(read: Callable[[Any], T], strict: bool) -> Callable[[Any, Any], T | None]:
    """None for null or ``""``; an unreadable value fails in strict mode, is None otherwise."""

    def structure(value: Any, _: Any) -> T | None:
        if value is None or value == "":
            return None
        try:
            return read(value)
        except (TypeError, ValueError):
            if strict:
                raise
            return None

    return structure


def _str_or_empty(value: Any, _: Any) -> str:
    return "" if value is None else str(value)


def _opt_str(value: Any, _: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _dp_value(value: Any, _: Any = None) -> DPValue:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _upgrade_status(value: Any, _: Any = None) -> UpgradeStatus:
    try:
        return UpgradeStatus(int(value))
    except (TypeError, ValueError):
        return UpgradeStatus.UNKNOWN


def _log_type(value: Any, _: Any = None) -> LogType | None:
    try:
        return LogType(int(value))
    except (TypeError, ValueError):
        return None


def _event_source(value: Any, _: Any = None) -> EventSource:
    try:
        return EventSource(str(value))
    except ValueError:
        return EventSource.UNKNOWN


_UPPER = re.compile(r"[A-Z]")


def _snake(key: str) -> str:
    """``isOnline`` -> ``is_online``; snake_case keys are returned unchanged."""
    return _UPPER.sub(lambda m: "_" + m.group(0).lower(), key)


def _snake_keys(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """Device keys in snake_case; when a field comes in both casings, the snake_case one wins."""
    joined = "".join(data)
    if joined == joined.lower():  # the usual case: no camelCase key at all
        return data
    renamed = {_snake(k): v for k, v in data.items() if k != k.lower()}
    renamed.update((k, v) for k, v in data.items() if k == k.lower())
    return renamed


def _no_location(device: Device) -> Device:
    """When neither ``lat`` nor ``lon`` is a non-zero number there is no location."""
    if not device.lat and not device.lon and (device.lat, device.lon) != (None, None):
        return attrs.evolve(device, lat=None, lon=None)
    return device


def _device_hook(conv: cattrs.Converter) -> Callable[[Any, Any], Device]:
    """Devices in either casing, by the generated function (strict mode: every rule checked)."""
    generated = make_dict_structure_fn(Device, conv)

    def structure(data: Any, _: Any) -> Device:
        if isinstance(data, Mapping):
            data = _snake_keys(data)
        return _no_location(generated(data, Device))

    return structure


def _text(value: Any) -> str:
    return "" if value is None else value if type(value) is str else str(value)


def _lenient_device_hook() -> Callable[[Any, Any], Device]:
    """The production reading of a device, written out by hand (a batch builds 20 at a time):
    the same result as the generated function in lenient mode, about three times faster.
    A test compares the two on generated input."""
    read_bool = _bool(strict=False)
    read_float = _optional(_float, strict=False)

    def structure(data: Any, _: Any) -> Device:
        if not isinstance(data, Mapping):
            raise TypeError("a device must be an object")
        fields = _snake_keys(data)
        if "id" not in fields:
            raise ClassValidationError("While structuring Device", [KeyError("id")], Device)
        get = fields.get
        return _no_location(
            Device(
                _text(fields["id"]),
                _text(get("name")),
                _text(get("custom_name")),
                _text(get("category")),
                _text(get("product_id")),
                _text(get("product_name")),
                _text(get("model")),
                _text(get("icon")),
                _text(get("ip")),
                _text(get("uuid")),
                read_bool(fields["is_online"], bool) if "is_online" in fields else False,
                read_bool(fields["sub"], bool) if "sub" in fields else False,
                _text(get("time_zone")),
                _opt_str(get("bind_space_id"), None),
                read_float(get("lat"), None),
                read_float(get("lon"), None),
                _text(get("local_key")),
                _from_seconds(get("active_time")),
                _from_seconds(get("create_time")),
                _from_seconds(get("update_time")),
            )
        )

    return structure


#: Where an object holding the firmware list keeps it.
_FIRMWARE_LIST_KEYS = ("list", "firmware", "firmwares", "result")
#: Where a firmware entry names its channel, last one present wins.
_CHANNEL_KEYS = ("module_type", "type", "channel")


def firmware_entries(result: Any) -> list[Any]:
    """The raw channel entries of a firmware-info answer: a list, one object, or an object
    holding the list under ``list``, ``firmware``, ``firmwares`` or ``result``; null is none."""
    if result is None:
        return []
    if isinstance(result, list):
        return result
    if isinstance(result, Mapping):
        for key in _FIRMWARE_LIST_KEYS:
            inner = result.get(key)
            if isinstance(inner, list | Mapping):
                return firmware_entries(inner)
    return [result]


_REPORT_KEYS = frozenset({"code", "value", "event_time"})
_SCALARS = (str, int, float, bool)


def _report_log_hook(strict: bool) -> Callable[[Mapping[str, Any], Any], ReportLog]:
    """Report logs are the bulk of every harvest (a million records is a normal job), so their
    hook is written by hand: several times faster than the generated one, same rules. The
    time stays the integer Tuya sends; only a non-int time takes the slow path."""

    def structure(data: Mapping[str, Any], _: Any) -> ReportLog:
        if strict and not _REPORT_KEYS.issuperset(data):
            raise ValueError(f"unknown ReportLog fields: {sorted(set(data) - _REPORT_KEYS)}")
        value = data.get("value")
        if value is not None and type(value) not in _SCALARS:
            value = _dp_value(value)
        code = data["code"]
        ms = data["event_time"]
        return ReportLog(
            code if type(code) is str else str(code),
            value,
            ms if type(ms) is int else _int(ms),
        )

    return structure


def _read_report_logs(hook: Callable[[Mapping[str, Any], Any], ReportLog]) -> ListReader:
    """A page of report logs in one loop: entries of the usual types are built directly, any
    other goes through the hook (same result, conversions and errors included)."""

    def read(items: list[Any]) -> list[Any]:
        out: list[ReportLog] = []
        append = out.append
        for item in items:
            try:
                code, value, ms = item["code"], item["value"], item["event_time"]
            except (KeyError, TypeError, IndexError):
                append(hook(item, ReportLog))
                continue
            if type(code) is str and type(ms) is int and type(value) in _PLAIN:
                append(ReportLog(code, value, ms) if type(item) is dict else hook(item, ReportLog))
            else:
                append(hook(item, ReportLog))
        return out

    return read


_PLAIN = frozenset({str, int, float, bool, type(None)})
ListReader = Callable[[list[Any]], list[Any]]


def list_reader(conv: cattrs.Converter, cls: type[Any]) -> ListReader:
    """Structure a list of ``cls`` (one page); report logs have a faster lenient reader."""
    hook = conv.get_structure_hook(cls)
    if cls is ReportLog and conv is LENIENT:
        return _read_report_logs(hook)
    return lambda items: [hook(item, cls) for item in items]


def make_converter(*, strict: bool = False, hand_written: bool = True) -> cattrs.Converter:
    """Build the converter. ``strict`` rejects unknown fields; lenient mode reads devices with
    the hand-written hook unless ``hand_written`` is false (tests compare the two)."""
    conv = cattrs.Converter(forbid_extra_keys=strict)
    conv.register_structure_hook(str, _str_or_empty)
    conv.register_structure_hook(str | None, _opt_str)
    conv.register_structure_hook(int, _int)
    conv.register_structure_hook(int | None, _optional(_int, strict))
    read_bool = _bool(strict)
    conv.register_structure_hook(bool, read_bool)
    conv.register_structure_hook(bool | None, _optional(lambda v: read_bool(v, bool), strict))
    conv.register_structure_hook(float | None, _optional(_float, strict))
    conv.register_structure_hook(datetime | None, _from_seconds)
    conv.register_structure_hook(UpgradeStatus, _upgrade_status)
    conv.register_structure_hook(EventSource, _event_source)
    conv.register_structure_hook(LogType | None, _log_type)
    conv.register_structure_hook(DPValue, _dp_value)

    fast = hand_written and not strict
    conv.register_structure_hook(Device, _lenient_device_hook() if fast else _device_hook(conv))
    conv.register_structure_hook(
        DeviceState, lambda d, _: DeviceState(frozen=int(_field(d, "state")) == 1)
    )
    conv.register_structure_hook(ReportLog, _report_log_hook(strict))
    op_log = make_dict_structure_fn(OperationLog, conv, event_time_ms=override(rename="event_time"))

    def structure_op_log(data: Mapping[str, Any], _: Any) -> OperationLog:
        data = dict(data)
        data.setdefault("event_type", data.get("event_id"))
        return op_log(data, OperationLog)

    conv.register_structure_hook(OperationLog, structure_op_log)
    firmware = make_dict_structure_fn(FirmwareUpdate, conv)

    def structure_firmware(data: Mapping[str, Any], _: Any) -> FirmwareUpdate:
        data = dict(data)
        channel = None
        for key in _CHANNEL_KEYS:
            channel = data.pop(key, channel)
        data["channel"] = _field({"channel": channel}, "channel")
        return firmware(data, FirmwareUpdate)

    conv.register_structure_hook(FirmwareUpdate, structure_firmware)
    conv.register_structure_hook(FirmwareProgress, make_dict_structure_fn(FirmwareProgress, conv))
    return conv


def _field(data: Any, name: str) -> Any:
    if not isinstance(data, Mapping) or data.get(name) is None:
        raise KeyError(name)
    return data[name]


LENIENT = make_converter(strict=False)
STRICT = make_converter(strict=True)


def converter(strict: bool) -> cattrs.Converter:
    """The strict (tests) or the lenient (production) converter."""
    return STRICT if strict else LENIENT
