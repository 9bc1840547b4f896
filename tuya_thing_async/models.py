"""Dumb, frozen data classes for what the Tuya cloud returns. All parsing lives in
``_converter``. Device and log times are kept as integer epoch milliseconds (``*_ms`` fields:
a harvest reads millions of records, a batch 20 devices) and read as timezone-aware UTC
datetimes through the property of the same name without ``_ms``, computed on access (the
command line writes that one)."""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta
from typing import Generic, NamedTuple, TypeVar

import attrs

T = TypeVar("T")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def ms_datetime(ms: int) -> datetime:
    """Epoch milliseconds as an aware UTC datetime (exact: no float rounding)."""
    return _EPOCH + timedelta(milliseconds=ms)


def _optional_datetime(ms: int | None) -> datetime | None:
    return None if ms is None else ms_datetime(ms)


#: A data-point value as Tuya reports it (usually a string such as ``"true"`` or ``"1520"``).
DPValue = str | int | float | bool | None


class LogType(enum.IntEnum):
    """Operation-log event types (the ``type`` filter and each entry's ``event_id``)."""

    ONLINE = 1
    OFFLINE = 2
    ACTIVATION = 3
    RESET = 4
    COMMAND = 5
    FIRMWARE_UPDATE = 6
    DP_REPORT = 7
    SIGNAL = 8
    RESTART = 9
    TIMER = 10


class EventSource(enum.Enum):
    """Who caused an operation-log event (``event_from``)."""

    DEVICE = "1"
    CLIENT = "2"
    THIRD_PARTY = "3"
    CLOUD = "4"
    UNKNOWN = "-1"


class UpgradeStatus(enum.IntEnum):
    """Firmware channel / update status (``upgrade_status``); unknown values map to UNKNOWN.
    On a progress reading, NONE means idle: nothing is running on the channel."""

    UNKNOWN = -1
    NONE = 0
    AVAILABLE = 1
    IN_PROGRESS = 2
    SUCCEEDED = 3
    FAILED = 4
    TIMED_OUT = 7


@attrs.frozen(slots=False)  # a frozen slotted class costs twice as much to build
class Device:
    """A device as returned by ``GET /v2.0/cloud/thing/{device_id}``, the batch query and the
    project listing (``GET /v2.0/cloud/thing/device``, which has no ``model`` or
    ``bind_space_id``).

    ``local_key`` is the device's local-network encryption key, a secret: it is kept (local
    control needs it) but left out of ``repr`` and of the command line's output. ``lat`` and
    ``lon`` are None together when the device has no location (Tuya sends ``"0"``/``"0"``).
    Times are epoch milliseconds (``active_time_ms``...), None when Tuya sends none; the
    properties ``active_time``, ``create_time`` and ``update_time`` read them as datetimes.
    """

    id: str
    name: str = ""
    custom_name: str = ""
    category: str = ""
    product_id: str = ""
    product_name: str = ""
    model: str = ""
    icon: str = ""
    ip: str = ""
    uuid: str = ""
    is_online: bool = False
    sub: bool = False
    time_zone: str = ""
    bind_space_id: str | None = None
    lat: float | None = None
    lon: float | None = None
    local_key: str = attrs.field(default="", repr=False)
    active_time_ms: int | None = None
    create_time_ms: int | None = None
    update_time_ms: int | None = None

    @property
    def active_time(self) -> datetime | None:
        """When the device was activated (aware UTC)."""
        return _optional_datetime(self.active_time_ms)

    @property
    def create_time(self) -> datetime | None:
        """When the device was first registered (aware UTC)."""
        return _optional_datetime(self.create_time_ms)

    @property
    def update_time(self) -> datetime | None:
        """When the device's record last changed (aware UTC)."""
        return _optional_datetime(self.update_time_ms)

    @property
    def display_name(self) -> str:
        """The user's name for the device, else its factory name."""
        return self.custom_name or self.name


@attrs.frozen
class DeviceState:
    """Freeze state (``GET /v2.0/cloud/thing/{device_id}/state``)."""

    frozen: bool


@attrs.frozen
class OperationLog:
    """One entry of ``GET /v2.0/cloud/thing/{device_id}/logs``.

    ``event_type`` is None for an event id this SDK does not know; ``event_id`` keeps it.
    ``status`` is Tuya's string (``"1"`` in real answers); ``row`` is the entry's row key, sent
    by the paid edition (``query_type=2``), ``""`` otherwise.
    """

    event_time_ms: int
    event_id: int
    event_type: LogType | None = None
    code: str = ""
    value: DPValue = None
    event_from: EventSource = EventSource.UNKNOWN
    status: str = ""
    row: str = ""

    @property
    def event_time(self) -> datetime:
        """When it happened (aware UTC)."""
        return ms_datetime(self.event_time_ms)


class ReportLog(NamedTuple):
    """One data-point report of ``GET /v2.0/cloud/thing/{device_id}/report-logs``.

    A named tuple, the one model that is not an attrs class: a harvest builds millions of
    them, and a tuple is the cheapest immutable record Python builds and hashes. Being a
    tuple, a report compares equal to the plain tuple ``(code, value, event_time_ms)``.
    """

    code: str
    value: DPValue
    event_time_ms: int

    @property
    def event_time(self) -> datetime:
        """When it was reported (aware UTC)."""
        return ms_datetime(self.event_time_ms)

    @property
    def key(self) -> tuple[str, DPValue, int]:
        """What identifies the report: code, value and time (hashable)."""
        return (self.code, self.value, self.event_time_ms)


@attrs.frozen
class Page(Generic[T]):
    """One page of a cursor-paged list.

    ``cursor`` resumes after this page (pass it back as ``cursor=``); it is None when the
    listing is complete. ``total`` is Tuya's count of matching entries when it sends one;
    ``count`` is the ``count`` of a paid-edition operation-log page, when sent.
    """

    items: tuple[T, ...]
    cursor: str | None
    has_more: bool
    total: int | None = None
    count: int | None = None


@attrs.frozen
class FirmwareUpdate:
    """One firmware channel of ``GET /v2.0/cloud/thing/{device_id}/firmware``."""

    channel: int
    upgrade_status: UpgradeStatus = UpgradeStatus.NONE
    current_version: str = ""
    version: str = ""
    type_desc: str = ""
    desc: str = ""
    upgrading_desc: str = ""
    downloading_desc: str = ""
    waiting_desc: str = ""
    upgrade_type: int | None = None
    dev_type: int | None = None
    timeout: int | None = None
    control_type: int | None = None
    can_upgrade: bool | None = None
    remind: str = ""
    url: str = ""
    md5: str = ""
    sign: str = ""
    file_size: str = ""
    last_upgrade_time: int | None = None
    firmware_deploy_time: int | None = None

    @property
    def available(self) -> bool:
        """True when a newer version can be installed on this channel."""
        return self.upgrade_status is UpgradeStatus.AVAILABLE


@attrs.frozen
class FirmwareProgress:
    """``GET /v2.0/cloud/thing/{device_id}/firmware/{channel}/progress``.

    A channel with nothing running reads ``upgrade_status`` NONE: ``idle`` is then true.
    """

    upgrade_status: UpgradeStatus
    progress: int = 0

    @property
    def idle(self) -> bool:
        """True when no update is running (or has run) on the channel."""
        return self.upgrade_status is UpgradeStatus.NONE

    @property
    def done(self) -> bool:
        """True once the update succeeded, failed or timed out."""
        return self.upgrade_status in (
            UpgradeStatus.SUCCEEDED,
            UpgradeStatus.FAILED,
            UpgradeStatus.TIMED_OUT,
        )
