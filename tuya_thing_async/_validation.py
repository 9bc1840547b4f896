"""Argument checks that run before any network I/O; each failure says what is wrong."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import datetime

from ._values import to_ms
from .errors import TuyaValidationError

_DEVICE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_DEVICE_ID_LIST = re.compile(r"[A-Za-z0-9_-]{1,64}(?:,[A-Za-z0-9_-]{1,64})*")
#: IDs that pass the pattern but address sibling routes (GET /v2.0/cloud/thing/batch, /device).
_RESERVED_IDS = frozenset({"batch", "device"})
_CODE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
MAX_PAGE_SIZE = 100
MAX_TEXT = 255


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def device_id(value: object, name: str = "device_id") -> str:
    """A device ID: 1-64 of ``A-Z a-z 0-9 _ -``, and not a sibling route name."""
    if not isinstance(value, str):
        raise TuyaValidationError(f"{name} must be a str, got {type(value).__name__}")
    if not value:
        raise TuyaValidationError(f"{name} must not be empty")
    if len(value) > 64:
        raise TuyaValidationError(f"{name} is {len(value)} characters long; at most 64 allowed")
    if not _DEVICE_ID.fullmatch(value):
        raise TuyaValidationError(
            f"{name} {_shown(value)} may contain only letters, digits, '_' and '-' "
            "(no '/', '?', '#', '%', '..', spaces or control characters)"
        )
    if value in _RESERVED_IDS:
        raise TuyaValidationError(f"{name} {value!r} is a reserved route name, not a device ID")
    return value


def device_ids(values: Iterable[str]) -> list[str]:
    """Validate many IDs and drop duplicates, keeping first-appearance order."""
    if isinstance(values, str):
        raise TuyaValidationError("device_ids must be a list of IDs, not one string")
    ids = list(values)
    try:  # the usual case, all at once: one match over the IDs joined by commas
        joined = ",".join(ids)
    except TypeError:  # not all strings
        plain = False
    else:  # and no ID holds a comma of its own
        plain = bool(_DEVICE_ID_LIST.fullmatch(joined)) and joined.count(",") == len(ids) - 1
    if plain and _RESERVED_IDS.isdisjoint(ids):
        return list(dict.fromkeys(ids))
    return list(dict.fromkeys(device_id(value) for value in ids))  # names the first bad one


def channel(value: object) -> str:
    """A firmware channel: a non-negative int (bool refused)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TuyaValidationError(f"channel must be a non-negative int, got {_shown(value)}")
    return str(value)


def page_size(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PAGE_SIZE:
        raise TuyaValidationError(f"size must be an int in 1..{MAX_PAGE_SIZE}, got {_shown(value)}")
    return str(value)


def window(start: datetime, end: datetime) -> tuple[str, str]:
    """Aware ``start`` <= ``end`` as Tuya's millisecond strings."""
    start_ms, end_ms = to_ms(start, "start"), to_ms(end, "end")
    if start_ms > end_ms:
        raise TuyaValidationError(f"start ({start.isoformat()}) is after end ({end.isoformat()})")
    return str(start_ms), str(end_ms)


def codes(values: Iterable[str] | None, *, required: bool) -> str | None:
    """Data-point codes as Tuya's comma-separated list."""
    if values is None:
        if required:
            raise TuyaValidationError("codes is required: give at least one data-point code")
        return None
    if isinstance(values, str):
        values = [values]
    items = list(dict.fromkeys(values))
    if not items:
        raise TuyaValidationError("codes must not be empty")
    for code in items:
        if not isinstance(code, str) or not _CODE.fullmatch(code):
            raise TuyaValidationError(
                f"data-point code {_shown(code)} may contain only letters, digits, '_', '.', '-'"
            )
    return ",".join(items)


def text(value: object, name: str) -> str:
    """A non-empty, printable string of at most 255 characters (name, icon)."""
    if not isinstance(value, str):
        raise TuyaValidationError(f"{name} must be a str, got {type(value).__name__}")
    if not value.strip():
        raise TuyaValidationError(f"{name} must not be empty")
    if len(value) > MAX_TEXT:
        raise TuyaValidationError(f"{name} is {len(value)} characters; at most {MAX_TEXT}")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise TuyaValidationError(f"{name} must not contain control characters")
    return value


def location(lon: object, lat: object) -> str:
    """Tuya's ``"lon:lat"`` with longitude in -180..180 and latitude in -90..90."""
    for name, value, bound in (("lon", lon, 180.0), ("lat", lat, 90.0)):
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            raise TuyaValidationError(f"{name} must be a number, got {_shown(value)}")
        if not -bound <= value <= bound:
            raise TuyaValidationError(f"{name} {value} is outside -{bound:g}..{bound:g}")
    return f"{lon}:{lat}"


def space_id(value: object) -> str:
    """A target space ID: a positive integer or its digits as a string."""
    if isinstance(value, bool):
        raise TuyaValidationError("space_id must be an int or a string of digits")
    text_value = str(value) if isinstance(value, int) else value
    if not isinstance(text_value, str) or not text_value.isascii() or not text_value.isdigit():
        raise TuyaValidationError(f"space_id must be digits, got {_shown(value)}")
    if len(text_value) > 32:
        raise TuyaValidationError("space_id is too long")
    return text_value


def cursor(value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 4096 or not value.isprintable():
        raise TuyaValidationError("cursor must be a printable string from a previous page")
    return value
