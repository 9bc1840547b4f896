"""``FakeCloud``: the emulator's in-memory project (devices, spaces, logs, tokens) and knobs.

Where Tuya's documentation is silent, its business rules are this project's own decisions.
Methods raise ``CloudError(code)``; the web layer turns it into an envelope.

Tokens follow Tuya's rule of **one token per project**: a grant while the project's token is
valid returns that same pair with its remaining life (``expire_time`` rounded up to whole
seconds); a grant after it expired or was refreshed issues a new pair. A refresh (single-use
refresh token) replaces the pair for every holder: the others get 1010 and must renew.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import heapq
import itertools
import math
import secrets
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from typing import Any

import attrs

from ..config import Credentials
from ..errors import CODE_MESSAGES
from .faults import FaultQueue
from .fleet import Fleet
from .records import DEFAULT_LOG_CACHE, DeviceRecord, ReportRow
from .seed import RETENTION_MS, make_spaces
from .throttle import QPS, Throttle

DEFAULT_ACCESS_ID = "emu0access0id0000000"


class CloudError(Exception):
    """A Tuya error answer: ``code`` and its documented message."""

    def __init__(self, code: int, msg: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.msg = msg or CODE_MESSAGES.get(code, "error")


@attrs.define
class _Grant:
    refresh_token: str
    expires_ms: int
    valid: bool = True


class FakeCloud:
    """An emulated Tuya cloud project. Every knob can be changed while it serves."""

    def __init__(
        self,
        *,
        access_id: str = DEFAULT_ACCESS_ID,
        access_secret: str | None = None,
        clock: Callable[[], float] = time.time,
        token_ttl: int = 7200,
        latency: float = 0.0,
        latency_jitter: float = 0.0,
        qps: QPS = None,
        qps_clock: Callable[[], float] = time.monotonic,
        quota: int | None = None,
        firmware_duration: float = 60.0,
        time_window: float = 300.0,
    ) -> None:
        self.access_id = access_id
        self.access_secret = access_secret or secrets.token_hex(16)
        self.clock = clock
        self.token_ttl = token_ttl
        self.latency = latency
        self.latency_jitter = latency_jitter
        self.qps = qps
        self.quota = quota
        self.firmware_duration = firmware_duration
        self.time_window = time_window
        self.uid = "eu" + access_id[:10].lower() + "emu"
        #: Devices by ID (a mutable mapping; seeded devices are built on first access).
        self.devices: Fleet = Fleet()
        self.site_space_ids: list[str] = []
        self.home_space_ids: list[str] = []
        self.faults = FaultQueue()
        #: Requests that reached each route (``"GET /v2.0/cloud/thing/{device_id}"``).
        self.hits: Counter[str] = Counter()
        #: The last requests received, oldest first: (method, raw path and query, headers).
        self.requests: deque[tuple[str, str, dict[str, str]]] = deque(maxlen=10_000)
        self.in_flight: Counter[str] = Counter()
        self.peak_in_flight: Counter[str] = Counter()
        #: Error codes answered, by code.
        self.errors: Counter[int] = Counter()
        self.business_calls = 0
        self._offset = 0.0
        #: Every pair ever issued, by access token (the project's current one is ``_current``).
        self._grants: dict[str, _Grant] = {}
        self._refresh: dict[str, str] = {}
        self._current: str | None = None
        #: The clock of the QPS windows: real time, whatever ``clock`` says (tests inject one).
        self.qps_clock = qps_clock
        self._throttle = Throttle()
        self._seq = itertools.count(10**9)  # sequence numbers of events added at run time

    @classmethod
    def seeded(
        cls,
        devices: int = 50,
        seed: int = 7,
        *,
        log_cache: int = DEFAULT_LOG_CACHE,
        days_ahead: float = 0.0,
        **knobs: Any,
    ) -> FakeCloud:
        """A deterministic photovoltaic fleet of ``devices`` with 7 days of logs.

        Devices are built on first access and logs generated when read (identical every time
        for the same seed, device and seeding time); ``log_cache`` devices' logs are kept.
        With ``days_ahead``, the fleet keeps reporting for that many days after seeding: each
        record shows up once the emulator clock (``advance``) reaches its time.
        """
        cloud = cls(**knobs)
        cloud.site_space_ids, cloud.home_space_ids = make_spaces(devices, seed)
        cloud.devices = Fleet(
            seed=seed,
            now_ms=cloud.now_ms(),
            devices=devices,
            sites=tuple(cloud.site_space_ids),
            log_cache=log_cache,
            ahead_ms=int(days_ahead * 86_400_000),
        )
        return cloud

    # -- clock and identity ------------------------------------------------------------------

    def now(self) -> float:
        return self.clock() + self._offset

    def now_ms(self) -> int:
        return int(self.now() * 1000)

    def advance(self, seconds: float) -> None:
        """Move emulator time forward (token expiry, firmware progress, retention)."""
        self._offset += seconds

    @property
    def credentials(self) -> Credentials:
        return Credentials(self.access_id, self.access_secret)

    @property
    def device_ids(self) -> list[str]:
        return list(self.devices)

    # -- tokens -----------------------------------------------------------------------------

    def grant(self) -> dict[str, Any]:
        """``GET /v1.0/token?grant_type=1``: the project's token while it is valid (with its
        remaining life), else a new pair that replaces it."""
        current = self._grants.get(self._current or "")
        if current is None or not current.valid or self.now_ms() >= current.expires_ms:
            return self._issue()
        assert self._current is not None
        return self._answer(self._current, current)

    def _issue(self) -> dict[str, Any]:
        old = self._grants.get(self._current or "")
        if old is not None:  # one pair per project: the old one stops working
            old.valid = False
            self._refresh.pop(old.refresh_token, None)
        access, refresh = secrets.token_hex(16), secrets.token_hex(16)
        self._grants[access] = _Grant(refresh, self.now_ms() + self.token_ttl * 1000)
        self._refresh[refresh] = access
        self._current = access
        return self._answer(access, self._grants[access])

    def _answer(self, access: str, grant: _Grant) -> dict[str, Any]:
        remaining = math.ceil((grant.expires_ms - self.now_ms()) / 1000)
        return {
            "access_token": access,
            "refresh_token": grant.refresh_token,
            "expire_time": max(1, remaining),
            "uid": self.uid,
        }

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        """``GET /v1.0/token/{refresh_token}``: single use; a new pair replaces the project's
        token for every holder. Unknown, spent or superseded refresh tokens get 1010."""
        if refresh_token not in self._refresh:
            raise CloudError(1010, "token invalid")
        return self._issue()

    def check_token(self, access_token: str) -> None:
        grant = self._grants.get(access_token)
        if grant is None or not grant.valid:
            raise CloudError(1010, "token invalid")
        if self.now_ms() >= grant.expires_ms:
            raise CloudError(1010, "token is expired")

    def expire_tokens(self) -> None:
        """Make every issued access token expired (refresh tokens stay usable)."""
        for grant in self._grants.values():
            grant.expires_ms = min(grant.expires_ms, self.now_ms())

    def admit(self, route: str) -> None:
        """Per-API rate limit (1199) and trial quota (28841004) for business calls.

        ``qps`` is a number for every API or a mapping from route (``"GET
        /v2.0/cloud/thing/{device_id}/report-logs"``, ``"*"`` for the rest) to requests per
        second; each API has its own one-second windows, as Tuya's frequency control does."""
        if not self._throttle.admit(self.qps, route, self.qps_clock()):
            raise CloudError(1199)
        if self.quota is not None and self.business_calls >= self.quota:
            raise CloudError(28841004)
        self.business_calls += 1

    # -- devices ----------------------------------------------------------------------------

    def device(self, device_id: str) -> DeviceRecord:
        """The device, to change it (1106 if unknown)."""
        if device_id not in self.devices:
            raise CloudError(1106)
        record = self.devices[device_id]
        self._settle(record)
        return record

    def view(self, device_id: str) -> DeviceRecord:
        """The device, to read it (1106 if unknown); a device never changed is not kept."""
        if device_id not in self.devices:
            raise CloudError(1106)
        record = self.devices.peek(device_id)
        self._settle(record)
        return record

    def batch(self, ids: Iterable[str]) -> list[DeviceRecord]:
        return [self.view(i) for i in dict.fromkeys(ids) if i in self.devices]

    def project_devices(
        self,
        last_id: str,
        size: int,
        product_ids: frozenset[str] | None,
        categories: frozenset[str] | None,
    ) -> list[DeviceRecord]:
        """A page of the project's devices, ascending by ID, after ``last_id``, filtered."""
        page = self.devices.listing(last_id, size, product_ids, categories)
        for record in page:
            self._settle(record)
        return page

    def set_attribute(self, device_id: str, kind: int, data: str) -> None:
        record = self.device(device_id)
        if kind == 1:
            record.custom_name = data
        elif kind == 2:
            record.icon = data
        elif kind == 3:
            lon, sep, lat = data.partition(":")
            try:
                lon_f, lat_f = float(lon), float(lat)
            except ValueError:
                raise CloudError(1109) from None
            if not sep or not (-180 <= lon_f <= 180 and -90 <= lat_f <= 90):
                raise CloudError(1109)
            record.lon, record.lat = lon, lat
        else:
            raise CloudError(1109)
        record.update_time = int(self.now())

    def remove(self, device_id: str, *, clear_logs: bool) -> None:
        record = self.device(device_id)
        del self.devices[device_id]
        if clear_logs:
            record.clear_logs()

    # -- logs -------------------------------------------------------------------------------

    def cursor_for(self, device_id: str, key: tuple[int, int]) -> str:
        raw = f"{device_id}|{key[0]}|{key[1]}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode_cursor(self, device_id: str, cursor: str) -> tuple[int, int] | None:
        """``(event_time, seq)`` of a row key or cursor of this device; None for ""; else 1109."""
        if not cursor:
            return None
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            owner, t, seq = raw.split("|")
            if owner == device_id:
                return int(t), int(seq)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            pass
        raise CloudError(1109)

    def page(
        self,
        device_id: str,
        sources: list[list[Any]],
        start_ms: int,
        end_ms: int,
        size: int,
        cursor: str,
        keep: Callable[[Any], bool] | None = None,
        retention: bool = True,
    ) -> tuple[list[Any], str, bool, int]:
        """Newest-first page over ``sources`` (each ascending by ``(time, seq)``, merged) within
        the window, up to now, and (with ``retention``) the last 7 days, after ``cursor``;
        ``keep`` filters rows further.

        Returns (rows, next cursor or "", more follow, total matching in the window).
        """
        low = (max(start_ms, self.now_ms() - RETENTION_MS) if retention else start_ms,)
        top = (min(end_ms, self.now_ms()), 1 << 62)  # nothing reported after now
        after = self.decode_cursor(device_id, cursor)
        upper = top if after is None else min(after, top)
        total = 0
        candidates = []
        for rows in sources:
            first = bisect.bisect_left(rows, low)
            total += bisect.bisect_right(rows, top) - first
            newest_first = reversed(rows[first : bisect.bisect_left(rows, upper)])
            candidates.append(newest_first if keep is None else filter(keep, newest_first))
        merged = heapq.merge(*candidates, key=lambda r: (r[0], r[1]), reverse=True)
        out = list(itertools.islice(merged, size + 1))
        more = len(out) > size
        del out[size:]
        if keep is not None:  # only filtered sources need a scan to count
            total = sum(1 for rows in sources for row in rows if low <= row <= top and keep(row))
        next_cursor = self.cursor_for(device_id, (out[-1][0], out[-1][1])) if more else ""
        return out, next_cursor, more, total

    def reports_by_code(self, record: DeviceRecord, codes: frozenset[str]) -> list[list[ReportRow]]:
        """The device's report rows of ``codes``, one ascending list per code."""
        return record.reports_by_code(codes)

    def add_operation(
        self, record: DeviceRecord, at_ms: int, event: int, code: str, value: str
    ) -> None:
        record.add_operation((at_ms, next(self._seq), event, code, value, "4", "1"))

    # -- firmware ---------------------------------------------------------------------------

    def start_update(self, device_id: str, channel: int) -> None:
        record = self.device(device_id)
        if record.frozen:
            raise CloudError(2003)
        fw = record.channels.get(channel)
        if fw is None or fw.status != 1:
            raise CloudError(1109)
        fw.status, fw.started_ms = 2, self.now_ms()

    def fail_next_update(self, device_id: str, channel: int, status: int = 4) -> None:
        """Make the next update of this channel end with 4 (failed) or 7 (timed out)."""
        if status not in (4, 7):
            raise ValueError("status must be 4 (failed) or 7 (timed out)")
        self.devices[device_id].channels[channel].outcome = status

    def progress(self, record: DeviceRecord, channel: int) -> tuple[int, int]:
        fw = record.channels.get(channel)
        if fw is None:
            raise CloudError(1109)
        if fw.status == 2 and fw.started_ms is not None:
            done = (self.now_ms() - fw.started_ms) / (self.firmware_duration * 1000)
            return 2, min(99, int(done * 100))
        if fw.status in (3, 4, 7):
            return fw.status, 100 if fw.status == 3 else 0
        return 0, 0

    def _settle(self, record: DeviceRecord) -> None:
        """Finish updates whose duration has passed and log them (events 6 and 9)."""
        for fw in record.channels.values():
            if fw.status != 2 or fw.started_ms is None:
                continue
            finished = fw.started_ms + int(self.firmware_duration * 1000)
            if self.now_ms() < finished:
                continue
            fw.status, fw.last_upgrade_ms = fw.outcome, finished
            if fw.outcome == 3:
                fw.current_version = fw.version
                self.add_operation(record, finished, 6, "firmware", fw.version)
                self.add_operation(record, finished, 9, "", "restart")
            else:
                self.add_operation(record, finished, 6, "firmware", f"failed:{fw.outcome}")
            fw.outcome = 3
