"""One typed schema per log kind: the columns every output format writes (pure).

Report logs: ``device_id``, ``code``, ``value`` (as text: Tuya's values are strings, numbers
or booleans), ``event_time`` (UTC, milliseconds). Operation logs add ``event_id``,
``event_type``, ``event_from``, ``status`` and ``row``. Types are named here and mapped to
Arrow types by the Parquet writer: ``string``, ``int32`` and ``timestamp`` (ms, UTC).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal

import attrs

from ..models import DPValue, OperationLog, ReportLog

ColumnType = Literal["string", "int32", "timestamp"]


def text(value: DPValue) -> str | None:
    """A data-point value as text: numbers and strings as they are, booleans as JSON."""
    if value is None:
        return None
    return json.dumps(value) if isinstance(value, bool) else str(value)


@attrs.frozen
class Column:
    name: str
    type: ColumnType
    #: The value of this column for one record of one device (timestamps as epoch ms).
    get: Callable[[str, Any], Any]
    nullable: bool = False


@attrs.frozen
class LogKind:
    """A log kind: its directory name and its columns."""

    name: Literal["reports", "operations"]
    columns: tuple[Column, ...]


def _device(device_id: str, _: Any) -> str:
    return device_id


def _time(_: str, record: ReportLog | OperationLog) -> int:
    return record.event_time_ms


REPORTS = LogKind(
    "reports",
    (
        Column("device_id", "string", _device),
        Column("code", "string", lambda _, r: r.code),
        Column("value", "string", lambda _, r: text(r.value), nullable=True),
        Column("event_time", "timestamp", _time),
    ),
)

OPERATIONS = LogKind(
    "operations",
    (
        Column("device_id", "string", _device),
        Column("event_time", "timestamp", _time),
        Column("event_id", "int32", lambda _, r: r.event_id),
        Column(
            "event_type",
            "string",
            lambda _, r: r.event_type.name.lower() if r.event_type else None,
            nullable=True,
        ),
        Column("code", "string", lambda _, r: r.code),
        Column("value", "string", lambda _, r: text(r.value), nullable=True),
        Column("event_from", "string", lambda _, r: r.event_from.name.lower()),
        Column("status", "string", lambda _, r: r.status),
        Column("row", "string", lambda _, r: r.row),
    ),
)
