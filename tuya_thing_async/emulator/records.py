"""The emulator's device records, and logs that are generated on demand.

A seeded device's 7 days of logs are a pure function of the seed, its index and the clock at
seeding, so they are not stored: ``LogStore`` generates them when first read and keeps a bounded
number of devices' logs (least recently used first out). What happens at run time lives on the
record itself and survives eviction: operations added by the emulator (firmware updates), and
``logs_cleared`` after a factory reset.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict
from collections.abc import Callable, Iterable

import attrs

#: (event_time_ms, seq, event_id, code, value, event_from, status), ascending.
OpRow = tuple[int, int, int, str, str, str, str]
#: (event_time_ms, seq, code, value), ascending.
ReportRow = tuple[int, int, str, str]
#: Seeded logs of the device with this index: (operations, reports), both ascending.
GenerateLogs = Callable[[int], tuple[list[OpRow], list[ReportRow]]]

#: Devices whose generated logs are kept (about 0.5 MB each).
DEFAULT_LOG_CACHE = 128


@attrs.define
class FirmwareChannel:
    channel: int
    type_desc: str
    current_version: str
    version: str
    status: int  # 0 none, 1 available, 2 in progress, 3 done, 4 failed, 7 timed out
    started_ms: int | None = None
    outcome: int = 3  # how an update started on this channel ends (3, or 4/7 when injected)
    last_upgrade_ms: int = 0


@attrs.define(eq=False)
class Logs:
    """One device's logs while cached; ``by_code`` is the report index, built when needed."""

    operations: list[OpRow]
    reports: list[ReportRow]
    by_code: dict[str, list[ReportRow]] | None = None

    def reports_of(self, codes: Iterable[str]) -> list[list[ReportRow]]:
        if self.by_code is None:
            self.by_code = {}
            for row in self.reports:
                self.by_code.setdefault(row[2], []).append(row)
        return [self.by_code[code] for code in sorted(codes) if code in self.by_code]


class LogStore:
    """Generates seeded devices' logs on demand; keeps the last ``capacity`` devices' logs."""

    def __init__(self, generate: GenerateLogs | None, capacity: int = DEFAULT_LOG_CACHE) -> None:
        if capacity < 1:
            raise ValueError("the log cache must hold at least one device")
        self._generate = generate
        self.capacity = capacity
        self._cache: OrderedDict[str, Logs] = OrderedDict()
        #: How many times a device's logs were generated (a cache miss).
        self.generated = 0

    def logs(self, record: DeviceRecord) -> Logs:
        cached = self._cache.get(record.id)
        if cached is not None:
            self._cache.move_to_end(record.id)
            return cached
        ops: list[OpRow] = []
        reports: list[ReportRow] = []
        if self._generate is not None and record.index >= 0 and not record.logs_cleared:
            ops, reports = self._generate(record.index)
            self.generated += 1
        if record.added_operations:
            ops = sorted(ops + record.added_operations)
        logs = self._cache[record.id] = Logs(ops, reports)
        while len(self._cache) > self.capacity:
            self._cache.popitem(last=False)
        return logs

    def cached(self, device_id: str) -> Logs | None:
        return self._cache.get(device_id)

    def forget(self, device_id: str) -> None:
        self._cache.pop(device_id, None)


@attrs.define
class DeviceRecord:
    """One device of the emulated project. ``operations`` and ``reports`` are read-only views
    (change them with ``add_operation`` and ``clear_logs``); a record built by hand has no
    seeded logs."""

    id: str
    kind: str
    name: str
    custom_name: str
    category: str
    product_id: str
    product_name: str
    model: str
    icon: str
    ip: str
    uuid: str
    local_key: str = attrs.field(repr=False)
    time_zone: str = "+00:00"
    lat: str = ""
    lon: str = ""
    bind_space_id: str = ""
    active_time: int = 0
    create_time: int = 0
    update_time: int = 0
    is_online: bool = True
    sub: bool = False
    frozen: bool = False
    channels: dict[int, FirmwareChannel] = attrs.Factory(dict)
    #: Position in the seeded fleet (its logs derive from it); -1 for a device built by hand.
    index: int = -1
    log_store: LogStore | None = attrs.field(default=None, repr=False, eq=False)
    logs_cleared: bool = False
    #: Operations the emulator added at run time, ascending (kept across cache evictions).
    added_operations: list[OpRow] = attrs.Factory(list)

    def _logs(self) -> Logs:
        if self.log_store is None:
            return Logs(self.added_operations, [])
        return self.log_store.logs(self)

    @property
    def operations(self) -> list[OpRow]:
        return self._logs().operations

    @property
    def reports(self) -> list[ReportRow]:
        return self._logs().reports

    def reports_by_code(self, codes: Iterable[str]) -> list[list[ReportRow]]:
        """The report rows of ``codes`` (sorted), one ascending list per code present."""
        return self._logs().reports_of(codes)

    def add_operation(self, row: OpRow) -> None:
        bisect.insort(self.added_operations, row)
        cached = self.log_store.cached(self.id) if self.log_store is not None else None
        if cached is not None:
            bisect.insort(cached.operations, row)

    def clear_logs(self) -> None:
        """Forget every log entry (a factory reset)."""
        self.logs_cleared = True
        self.added_operations.clear()
        if self.log_store is not None:
            self.log_store.forget(self.id)
