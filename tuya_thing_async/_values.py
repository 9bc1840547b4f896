"""Readers of single values as Tuya sends them, shared by both converters (pure, no models
beyond the enums): numbers that may come as numeric strings, lenient booleans, tolerant enums,
device times (epoch seconds, or milliseconds recognised by size) and camelCase keys.

Each reader raises ``ValueError``/``TypeError`` for a value it cannot read; ``optional`` makes
an unreadable value None in lenient mode.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from .errors import TuyaValidationError
from .models import DPValue, EventSource, LogType, UpgradeStatus

T = TypeVar("T")


# -- time: the single place where times cross to and from Tuya ------------------------------


def to_ms(value: datetime, name: str = "time") -> int:
    """An aware datetime as Tuya's 13-digit epoch milliseconds; naive datetimes are refused."""
    if not isinstance(value, datetime):
        raise TuyaValidationError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise TuyaValidationError(
            f"{name} is a naive datetime; pass a timezone-aware one, e.g. datetime.now(UTC)"
        )
    return int(value.timestamp() * 1000)


#: Epoch seconds stay below this until the year 5138; epoch milliseconds pass it in 1973.
MS_THRESHOLD = 10**11
#: Epoch milliseconds a datetime can hold (years 1 to 9999).
_MS_RANGE = range(-62_135_596_800_000, 253_402_300_800_000)


def device_ms(value: Any) -> int | None:
    """A device time (epoch seconds, or milliseconds, recognised by size: the listing's unit
    is not documented) as epoch milliseconds; 0 is no time."""
    number = read_int(value)
    ms = number if abs(number) >= MS_THRESHOLD else number * 1000
    if ms not in _MS_RANGE:
        raise ValueError(f"not a time: {value!r}")
    return ms or None


# -- scalar hooks ----------------------------------------------------------------------------


_BOOLS = {"true": True, "false": False, "1": True, "0": False, 1: True, 0: False}


def read_bool(strict: bool) -> Callable[[Any, Any], bool]:
    """Real booleans; lenient mode also reads ``"true"``/``"false"``/``"1"``/``"0"``/1/0."""

    def structure(value: Any, _: Any) -> bool:
        if isinstance(value, bool):
            return value
        key = value.strip().lower() if isinstance(value, str) else value
        if strict or isinstance(key, float) or key not in _BOOLS:
            raise ValueError(f"not a boolean: {value!r}")
        return _BOOLS[key]

    return structure


def read_int(value: Any, _: Any = None) -> int:
    """An int, a whole float or a numeric string (never a boolean)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(f"not a whole number: {value!r}")
    return int(value.strip()) if isinstance(value, str) else int(value)


def read_float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"not a number: {value!r}")
    return float(value)


def optional(read: Callable[[Any], T], strict: bool) -> Callable[[Any, Any], T | None]:
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


def device_time(strict: bool) -> Callable[[Any, Any], int | None]:
    """Device times: seconds as the usual case, read at once; anything else as ``device_ms``
    (an unreadable time fails in strict mode, is None otherwise)."""
    read = optional(device_ms, strict)

    def structure(value: Any, _: Any) -> int | None:
        if type(value) is int and 0 < value < MS_THRESHOLD:
            return value * 1000
        return read(value, None)

    return structure


def str_or_empty(value: Any, _: Any) -> str:
    return "" if value is None else str(value)


def opt_str(value: Any, _: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def dp_value(value: Any, _: Any = None) -> DPValue:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def upgrade_status(value: Any, _: Any = None) -> UpgradeStatus:
    try:
        return UpgradeStatus(int(value))
    except (TypeError, ValueError):
        return UpgradeStatus.UNKNOWN


def log_type(value: Any, _: Any = None) -> LogType | None:
    try:
        return LogType(int(value))
    except (TypeError, ValueError):
        return None


def event_source(value: Any, _: Any = None) -> EventSource:
    try:
        return EventSource(str(value))
    except ValueError:
        return EventSource.UNKNOWN


_UPPER = re.compile(r"[A-Z]")


def _snake(key: str) -> str:
    """``isOnline`` -> ``is_online``; snake_case keys are returned unchanged."""
    return _UPPER.sub(lambda m: "_" + m.group(0).lower(), key)


def snake_keys(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """Device keys in snake_case; when a field comes in both casings, the snake_case one wins."""
    joined = "".join(data)
    if joined == joined.lower():  # the usual case: no camelCase key at all
        return data
    renamed = {_snake(k): v for k, v in data.items() if k != k.lower()}
    renamed.update((k, v) for k, v in data.items() if k == k.lower())
    return renamed


def text(value: Any) -> str:
    return "" if value is None else value if type(value) is str else str(value)
