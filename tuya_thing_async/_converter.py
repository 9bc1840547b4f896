"""The one cattrs converter: how every model is read from Tuya's answers (single values are
read by ``_values``, where times cross to and from Tuya).

Device fields are read in snake_case (details, batch) or camelCase (the project listing:
``isOnline``, ``localKey``...). ``lat``/``lon`` of ``"0"`` (or 0, ``""``, null) is no location.
Numbers may come as numeric strings in both modes. Lenient mode (production) ignores unknown
fields (Tuya adds them), reads booleans sent as ``"true"``/``"false"``/``"1"``/``"0"`` and
treats an unreadable optional number or time as absent; strict mode, used by tests, rejects all
of these so that drift shows up as a failure. Devices and report-log pages, the bulk of what a
client reads, have hand-written lenient readers (same results, checked by property tests).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from operator import itemgetter
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.errors import ClassValidationError
from cattrs.gen import make_dict_structure_fn, override

from ._values import (
    MS_THRESHOLD,
    device_time,
    dp_value,
    event_source,
    log_type,
    opt_str,
    optional,
    read_bool,
    read_float,
    read_int,
    snake_keys,
    str_or_empty,
    text,
    upgrade_status,
)
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


def _no_location(device: Device) -> Device:
    """When neither ``lat`` nor ``lon`` is a non-zero number there is no location."""
    if not device.lat and not device.lon and (device.lat, device.lon) != (None, None):
        return attrs.evolve(device, lat=None, lon=None)
    return device


def _device_hook(conv: cattrs.Converter, strict: bool) -> Callable[[Any, Any], Device]:
    """Devices in either casing, by the generated function (strict mode: every rule checked)."""
    time = device_time(strict)
    generated = make_dict_structure_fn(
        Device,
        conv,
        active_time_ms=override(rename="active_time", struct_hook=time),
        create_time_ms=override(rename="create_time", struct_hook=time),
        update_time_ms=override(rename="update_time", struct_hook=time),
    )

    def structure(data: Any, _: Any) -> Device:
        if isinstance(data, Mapping):
            data = snake_keys(data)
        return _no_location(generated(data, Device))

    return structure


#: The fields of a device in a details or batch answer (snake_case), ``model`` aside (the
#: batch does not send it): the fast path reads them all at once.
_DEVICE_KEYS = (
    "id", "name", "custom_name", "category", "product_id", "product_name", "icon", "ip",
    "uuid", "is_online", "sub", "time_zone", "bind_space_id", "lat", "lon", "local_key",
    "active_time", "create_time", "update_time",
)  # fmt: skip
_device_values = itemgetter(*_DEVICE_KEYS)
_OFF = {"is_online": False, "sub": False}


def _lenient_device_hook() -> Callable[[Any, Any], Device]:
    """The production reading of a device, written out by hand (a batch builds 20 at a time):
    the same result as the generated function in lenient mode, several times faster.
    A test compares the two on generated input."""
    boolean = read_bool(strict=False)
    number = optional(read_float, strict=False)
    ms = device_time(strict=False)
    end = MS_THRESHOLD  # a device time (usually an int) below it is epoch seconds

    def coordinate(value: Any) -> float | None:
        if type(value) is str and value:
            try:
                return float(value)
            except ValueError:
                return None
        return number(value, None)

    # Each field is checked inline (a call per field made reading a device 15% slower): a
    # value of the usual type is taken as it is, any other goes through its reader.
    def structure(data: Any, _: Any) -> Device:
        try:  # the usual case: a details or batch entry with every field
            values = _device_values(data)
        except (KeyError, TypeError):
            values, model = _other_shape(data)
        else:
            model = data.get("model")
        (id_, name, custom, category, product, product_name, icon, ip, uuid, online, sub,
         zone, space, lat, lon, key, active, created, updated) = values  # fmt: skip
        if type(lat) is str and type(lon) is str:  # the usual case: both numeric strings
            try:
                lat, lon = float(lat), float(lon)
            except ValueError:
                lat, lon = coordinate(lat), coordinate(lon)
        else:
            lat, lon = coordinate(lat), coordinate(lon)
        if not lat and not lon:  # no location (see ``_no_location``)
            lat = lon = None
        return Device(
            id_ if type(id_) is str else text(id_),
            name if type(name) is str else text(name),
            custom if type(custom) is str else text(custom),
            category if type(category) is str else text(category),
            product if type(product) is str else text(product),
            product_name if type(product_name) is str else text(product_name),
            model if type(model) is str else text(model),
            icon if type(icon) is str else text(icon),
            ip if type(ip) is str else text(ip),
            uuid if type(uuid) is str else text(uuid),
            online if type(online) is bool else boolean(online, bool),
            sub if type(sub) is bool else boolean(sub, bool),
            zone if type(zone) is str else text(zone),
            space if type(space) is str and space else opt_str(space, None),
            lat,
            lon,
            key if type(key) is str else text(key),
            active * 1000 if type(active) is int and 0 < active < end else ms(active, None),
            created * 1000 if type(created) is int and 0 < created < end else ms(created, None),
            updated * 1000 if type(updated) is int and 0 < updated < end else ms(updated, None),
        )

    return structure


def _other_shape(data: Any) -> tuple[tuple[Any, ...], Any]:
    """A device with fields missing or in camelCase (the project listing): its values in
    ``_DEVICE_KEYS`` order (absent booleans false, other absent fields None), and ``model``."""
    if not isinstance(data, Mapping):
        raise TypeError("a device must be an object")
    fields = snake_keys(data)
    if "id" not in fields:
        raise ClassValidationError("While structuring Device", [KeyError("id")], Device)
    get = fields.get
    return tuple(get(k, _OFF.get(k)) for k in _DEVICE_KEYS), get("model")


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
            value = dp_value(value)
        code = data["code"]
        ms = data["event_time"]
        return ReportLog(
            code if type(code) is str else str(code),
            value,
            ms if type(ms) is int else read_int(ms),
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
                entry = _report_fields(item)
            except (KeyError, TypeError, IndexError):
                append(hook(item, ReportLog))
                continue
            code, value, ms = entry
            if type(code) is str and type(ms) is int and type(value) in _PLAIN:
                append(_new(ReportLog, entry) if type(item) is dict else hook(item, ReportLog))
            else:
                append(hook(item, ReportLog))
        return out

    return read


#: A report entry's fields in ``ReportLog`` order; the tuple becomes the record as it is.
_report_fields = itemgetter("code", "value", "event_time")
_new = tuple.__new__
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
    conv.register_structure_hook(str, str_or_empty)
    conv.register_structure_hook(str | None, opt_str)
    conv.register_structure_hook(int, read_int)
    conv.register_structure_hook(int | None, optional(read_int, strict))
    boolean = read_bool(strict)
    conv.register_structure_hook(bool, boolean)
    conv.register_structure_hook(bool | None, optional(lambda v: boolean(v, bool), strict))
    conv.register_structure_hook(float | None, optional(read_float, strict))
    conv.register_structure_hook(UpgradeStatus, upgrade_status)
    conv.register_structure_hook(EventSource, event_source)
    conv.register_structure_hook(LogType | None, log_type)
    conv.register_structure_hook(DPValue, dp_value)

    fast = hand_written and not strict
    device = _lenient_device_hook() if fast else _device_hook(conv, strict)
    conv.register_structure_hook(Device, device)
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
