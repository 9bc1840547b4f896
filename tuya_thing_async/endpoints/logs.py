"""Log endpoints: operation logs and data-point report logs; one page, every page, or a
whole fleet's.

Operation logs come in two editions (Tuya's ``query_type``): the free one (``1``, the last
7 days, paged with ``start_row_key``) and the paid one (``2``, paged with the last entry's
``row`` as ``last_row_key`` plus its ``event_time`` as ``last_event_time``). Both give opaque
cursor strings.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from typing import Any, Generic, Literal, TypeVar

import attrs

from .. import _protocol as P
from .. import _validation as v
from ..checkpoint import HarvestCheckpoint
from ..errors import TuyaProtocolError, TuyaValidationError
from ..harvest import Harvest, HarvestProgress, OnError, check_checkpoint
from ..models import LogType, OperationLog, Page, ReportLog
from ..pagination import Paginator, itself, read_cursor, read_paid_cursor, unpack_paid_cursor
from ..shard import select
from ._base import Resource

T = TypeVar("T")
Query = list[tuple[str, str]]
ReadCursor = Callable[[Mapping[str, Any], str | None], tuple[str | None, bool]]
#: Operation-log edition: ``"free"`` (``query_type=1``, the default) or ``"paid"`` (``2``).
LogEdition = Literal["free", "paid"]
QUERY_TYPES: dict[str, str] = {"free": "1", "paid": "2"}
#: Tuya keeps device logs for 7 days (free edition); the default window.
RETENTION = timedelta(days=7)
ALL_TYPES: tuple[LogType, ...] = tuple(LogType)


@attrs.frozen
class _Job:
    """How a harvest runs: devices at once, where it resumes, what a device's failure does."""

    concurrency: int
    checkpoint: HarvestCheckpoint | None
    on_error: OnError
    progress: Callable[[HarvestProgress], None] | None
    shard: tuple[int, int] | None = None


@attrs.frozen
class _Kind(Generic[T]):
    """What differs between the two log endpoints."""

    route: P.Route
    model: type[T]
    #: The query parameters that ask for the page after ``cursor`` (validates it too).
    cursor_query: Callable[[str], Query]
    #: What identifies a record (a record the cloud repeats is dropped).
    key: Callable[[T], Hashable]
    read: ReadCursor = read_cursor


def _row_key(name: str) -> Callable[[str], Query]:
    def query(cursor: str) -> Query:
        if unpack_paid_cursor(cursor) is not None:
            raise TuyaValidationError("this cursor is from the paid edition; pass edition='paid'")
        return [(name, cursor)]

    return query


def _paid_query(cursor: str) -> Query:
    unpacked = unpack_paid_cursor(cursor)
    if unpacked is None:
        raise TuyaValidationError("not a paid-edition cursor; pass the cursor of a paid page")
    return [("last_row_key", unpacked[0]), ("last_event_time", str(unpacked[1]))]


#: What identifies a record: all its fields (read in C, no Python call per record; a report
#: is a named tuple of its fields, its own key).
_OPERATION_KEY = attrgetter(*(f.name for f in attrs.fields(OperationLog)))


OPERATIONS = _Kind(P.OPERATION_LOGS, OperationLog, _row_key("start_row_key"), _OPERATION_KEY)
PAID_OPERATIONS = _Kind(
    P.OPERATION_LOGS,
    OperationLog,
    _paid_query,
    _OPERATION_KEY,
    lambda result, _: read_paid_cursor(result),
)
REPORTS = _Kind(P.REPORT_LOGS, ReportLog, _row_key("last_row_key"), itself)


def _operations(edition: LogEdition) -> _Kind[OperationLog]:
    if edition not in QUERY_TYPES:
        raise TuyaValidationError(f"edition must be 'free' or 'paid', got {edition!r}")
    return PAID_OPERATIONS if edition == "paid" else OPERATIONS


def _cursor(kind: _Kind[T], cursor: str | None) -> str | None:
    """A caller's cursor, checked before any request (a paid cursor needs the paid edition)."""
    checked = v.cursor(cursor)
    if checked is not None:
        kind.cursor_query(checked)
    return checked


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _types(types: Iterable[LogType | int] | None) -> str:
    chosen = ALL_TYPES if types is None else tuple(types)
    if not chosen:
        raise TuyaValidationError("types must not be empty; omit it for all 10 event types")
    out = []
    for item in chosen:
        try:
            out.append(str(int(LogType(item))))
        except (TypeError, ValueError):
            raise TuyaValidationError(f"unknown log type {item!r}; use LogType") from None
    return ",".join(dict.fromkeys(out))


def _operation_filter(
    types: Iterable[LogType | int] | None, codes: Iterable[str] | None, edition: LogEdition
) -> Query:
    query = [("type", _types(types)), ("query_type", QUERY_TYPES[edition])]
    joined = v.codes(codes, required=False)
    return query if joined is None else [*query, ("codes", joined)]


def _report_filter(codes: Iterable[str]) -> Query:
    return [("codes", v.codes(codes, required=True) or "")]


def _max_items(value: int | None) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise TuyaValidationError(f"max_items must be a non-negative int, got {value!r}")
    return value


class Logs(Resource):
    """``tuya.logs``: ``/v2.0/cloud/thing/{device_id}/logs`` and ``/report-logs``."""

    def _query(
        self,
        filter_: Query,
        start: datetime | None,
        end: datetime | None,
        size: int,
        checkpoint: HarvestCheckpoint | None = None,
    ) -> Query:
        """Filter, window (default: the last 7 days) and page size as Tuya's query."""
        if checkpoint is not None and start is None and end is None:
            start_ms, end_ms = str(checkpoint.start_ms), str(checkpoint.end_ms)
        else:
            end = end or datetime.fromtimestamp(self._pipeline.settings.clock.time(), UTC)
            start_ms, end_ms = v.window(start or end - RETENTION, end)
        return [
            *filter_,
            ("start_time", start_ms),
            ("end_time", end_ms),
            ("size", v.page_size(size)),
        ]

    async def _page(
        self, kind: _Kind[T], device_id: str, query: Query, cursor: str | None
    ) -> Page[T]:
        route = kind.route
        full = [*query, *kind.cursor_query(cursor)] if cursor else query
        env = await self._pipeline.call(route, {"device_id": device_id}, full)
        result: Any = env.result
        if not isinstance(result, dict):
            raise TuyaProtocolError(
                "expected a log page object", method=route.method, path=route.template
            )
        items = self._models(result.get("logs") or [], kind.model, route)
        next_cursor, has_more = kind.read(result, cursor)
        total, count = _int_or_none(result.get("total")), _int_or_none(result.get("count"))
        return Page(tuple(items), next_cursor, has_more, total, count)

    def _paginator(
        self,
        kind: _Kind[T],
        device_id: str,
        query: Query,
        start_cursor: str | None,
        max_items: int | None,
    ) -> Paginator[T]:
        device_id = v.device_id(device_id)
        return Paginator(
            lambda c: self._page(kind, device_id, query, c),
            start_cursor=_cursor(kind, start_cursor),
            max_items=_max_items(max_items),
            key=kind.key,
        )

    async def list_operations(
        self,
        device_id: str,
        *,
        types: Iterable[LogType | int] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        codes: Iterable[str] | None = None,
        size: int = 100,
        cursor: str | None = None,
        edition: LogEdition = "free",
    ) -> Page[OperationLog]:
        """``GET /v2.0/cloud/thing/{device_id}/logs``: one page of operation logs, newest first.

        ``types`` filters event types (all 10 by default); the window defaults to the last
        7 days; ``cursor`` is a previous page's ``cursor`` of the same ``edition``
        (``"free"``: ``query_type=1``; ``"paid"``: ``query_type=2``).
        """
        kind = _operations(edition)
        query = self._query(_operation_filter(types, codes, edition), start, end, size)
        return await self._page(kind, v.device_id(device_id), query, _cursor(kind, cursor))

    def iter_operations(
        self,
        device_id: str,
        *,
        types: Iterable[LogType | int] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        codes: Iterable[str] | None = None,
        size: int = 100,
        start_cursor: str | None = None,
        max_items: int | None = None,
        edition: LogEdition = "free",
    ) -> Paginator[OperationLog]:
        """Every operation log of the window, page by page (``GET …/logs``), newest first;
        ``edition`` as in ``list_operations``."""
        kind = _operations(edition)
        query = self._query(_operation_filter(types, codes, edition), start, end, size)
        return self._paginator(kind, device_id, query, start_cursor, max_items)

    async def list_reports(
        self,
        device_id: str,
        *,
        codes: Iterable[str],
        start: datetime | None = None,
        end: datetime | None = None,
        size: int = 100,
        cursor: str | None = None,
    ) -> Page[ReportLog]:
        """``GET /v2.0/cloud/thing/{device_id}/report-logs``: one page of data-point reports
        for ``codes``, newest first; the window defaults to the last 7 days."""
        query = self._query(_report_filter(codes), start, end, size)
        return await self._page(REPORTS, v.device_id(device_id), query, v.cursor(cursor))

    def iter_reports(
        self,
        device_id: str,
        *,
        codes: Iterable[str],
        start: datetime | None = None,
        end: datetime | None = None,
        size: int = 100,
        start_cursor: str | None = None,
        max_items: int | None = None,
    ) -> Paginator[ReportLog]:
        """Every data-point report of the window, page by page (``GET …/report-logs``)."""
        query = self._query(_report_filter(codes), start, end, size)
        return self._paginator(REPORTS, device_id, query, start_cursor, max_items)

    def harvest_reports(
        self,
        device_ids: Iterable[str],
        *,
        codes: Iterable[str],
        start: datetime | None = None,
        end: datetime | None = None,
        size: int = 100,
        concurrency: int = 16,
        checkpoint: HarvestCheckpoint | None = None,
        on_error: OnError = "raise",
        progress: Callable[[HarvestProgress], None] | None = None,
        shard: tuple[int, int] | None = None,
    ) -> Harvest[ReportLog]:
        """Every data-point report of many devices (``GET …/report-logs``), ``concurrency``
        devices at a time, paced by the client's rate control; yields
        ``HarvestRecord(device_id, record)``, newest first per device. Pass ``checkpoint=``
        (see ``Harvest.checkpoint``) to resume a stopped job; without ``start``/``end`` the
        checkpoint's window is reused. ``on_error="skip"`` sets a device that fails for a
        reason of its own aside (``Harvest.failures``) and goes on. ``shard=(k, n)`` keeps
        only the devices of shard ``k`` of ``n`` (``tuya_thing_async.shard``), so ``n``
        workers given the same list harvest disjoint parts of it."""
        query = self._query(_report_filter(codes), start, end, size, checkpoint)
        job = _Job(concurrency, checkpoint, on_error, progress, shard)
        return self._harvest(REPORTS, device_ids, query, job)

    def harvest_operations(
        self,
        device_ids: Iterable[str],
        *,
        types: Iterable[LogType | int] | None = None,
        codes: Iterable[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        size: int = 100,
        concurrency: int = 16,
        checkpoint: HarvestCheckpoint | None = None,
        on_error: OnError = "raise",
        progress: Callable[[HarvestProgress], None] | None = None,
        edition: LogEdition = "free",
        shard: tuple[int, int] | None = None,
    ) -> Harvest[OperationLog]:
        """Every operation log of many devices (``GET …/logs``); see ``harvest_reports``;
        ``edition`` as in ``list_operations``."""
        kind = _operations(edition)
        filter_ = _operation_filter(types, codes, edition)
        query = self._query(filter_, start, end, size, checkpoint)
        job = _Job(concurrency, checkpoint, on_error, progress, shard)
        return self._harvest(kind, device_ids, query, job)

    def _harvest(
        self, kind: _Kind[T], device_ids: Iterable[str], query: Query, job: _Job
    ) -> Harvest[T]:
        ids = select(v.device_ids(device_ids), job.shard)
        concurrency = job.concurrency
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise TuyaValidationError(f"concurrency must be an int >= 1, got {concurrency!r}")
        if job.on_error not in ("raise", "skip"):
            raise TuyaValidationError(f"on_error must be 'raise' or 'skip', got {job.on_error!r}")
        params = dict(query)
        filter_ = ";".join(f"{k}={params[k]}" for k in ("type", "codes") if k in params)
        if params.get("query_type") == QUERY_TYPES["paid"]:  # free checkpoints stay valid
            filter_ += ";query_type=2"
        start_ms, end_ms = int(params["start_time"]), int(params["end_time"])
        cp = check_checkpoint(job.checkpoint, ids, start_ms, end_ms, filter_)
        self._pipeline.check_open()
        return Harvest(
            ids,
            lambda dev, c: self._page(kind, dev, query, c),
            cp,
            concurrency=concurrency,
            on_error=job.on_error,
            progress=job.progress,
            stats=lambda: self._pipeline.stats,
            route=kind.route.key,
            key=kind.key,
        )
