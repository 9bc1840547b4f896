"""Log endpoints: operation logs and data-point report logs, one page or every page."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from .. import _protocol as P
from .. import _validation as v
from .._converter import from_ms
from ..errors import TuyaProtocolError, TuyaValidationError
from ..harvest import Harvest, HarvestCheckpoint, HarvestProgress, check_checkpoint
from ..models import LogType, OperationLog, Page, ReportLog
from ..pagination import Paginator, read_cursor
from ._base import Resource

T = TypeVar("T")
#: Tuya keeps device logs for 7 days (free edition); the default window.
RETENTION = timedelta(days=7)
ALL_TYPES: tuple[LogType, ...] = tuple(LogType)


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


class Logs(Resource):
    """``tuya.logs``: ``/v2.0/cloud/thing/{device_id}/logs`` and ``/report-logs``."""

    def _window(self, start: datetime | None, end: datetime | None) -> tuple[str, str]:
        if end is None:
            end = from_ms(self._session.settings.clock.time() * 1000)
        if start is None:
            start = end - RETENTION
        return v.window(start, end)

    def _operation_params(
        self,
        device_id: str,
        types: Iterable[LogType | int] | None,
        start: datetime | None,
        end: datetime | None,
        codes: Iterable[str] | None,
        size: int,
    ) -> tuple[dict[str, str], list[tuple[str, str]]]:
        start_ms, end_ms = self._window(start, end)
        params = [
            ("type", _types(types)),
            ("start_time", start_ms),
            ("end_time", end_ms),
            ("size", v.page_size(size)),
        ]
        joined = v.codes(codes, required=False)
        if joined is not None:
            params.append(("codes", joined))
        return {"device_id": v.device_id(device_id)}, params

    def _report_params(
        self,
        device_id: str,
        codes: Iterable[str],
        start: datetime | None,
        end: datetime | None,
        size: int,
    ) -> tuple[dict[str, str], list[tuple[str, str]]]:
        start_ms, end_ms = self._window(start, end)
        joined = v.codes(codes, required=True)
        assert joined is not None
        params = [
            ("codes", joined),
            ("start_time", start_ms),
            ("end_time", end_ms),
            ("size", v.page_size(size)),
        ]
        return {"device_id": v.device_id(device_id)}, params

    async def _page(
        self,
        route: P.Route,
        path: dict[str, str],
        params: list[tuple[str, str]],
        cursor_param: str,
        cursor: str | None,
        cls: type[T],
    ) -> Page[T]:
        query = [*params, (cursor_param, cursor)] if cursor else params
        env = await self._session.call(route, path, query)
        result: Any = env.result
        if not isinstance(result, dict):
            raise TuyaProtocolError(
                "expected a log page object", method=route.method, path=route.template
            )
        items = self._models(result.get("logs") or [], cls, route)
        next_cursor, has_more = read_cursor(result, cursor)
        total = result.get("total")
        return Page(
            tuple(items),
            next_cursor,
            has_more,
            total if isinstance(total, int) and not isinstance(total, bool) else None,
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
    ) -> Page[OperationLog]:
        """``GET /v2.0/cloud/thing/{device_id}/logs``: one page of operation logs, newest first.

        ``types`` filters event types (all 10 by default); the window defaults to the last
        7 days; ``cursor`` is a previous page's ``cursor``.
        """
        path, params = self._operation_params(device_id, types, start, end, codes, size)
        return await self._page(
            P.OPERATION_LOGS, path, params, "start_row_key", v.cursor(cursor), OperationLog
        )

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
    ) -> Paginator[OperationLog]:
        """Every operation log of the window, page by page (``GET …/logs``), newest first."""
        path, params = self._operation_params(device_id, types, start, end, codes, size)
        return Paginator(
            lambda c: self._page(P.OPERATION_LOGS, path, params, "start_row_key", c, OperationLog),
            start_cursor=v.cursor(start_cursor),
            max_items=_max_items(max_items),
        )

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
        path, params = self._report_params(device_id, codes, start, end, size)
        return await self._page(
            P.REPORT_LOGS, path, params, "last_row_key", v.cursor(cursor), ReportLog
        )

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
        path, params = self._report_params(device_id, codes, start, end, size)
        return Paginator(
            lambda c: self._page(P.REPORT_LOGS, path, params, "last_row_key", c, ReportLog),
            start_cursor=v.cursor(start_cursor),
            max_items=_max_items(max_items),
        )

    def harvest_reports(
        self,
        device_ids: Iterable[str],
        *,
        codes: Iterable[str],
        start: datetime | None = None,
        end: datetime | None = None,
        size: int = 100,
        concurrency: int = 4,
        checkpoint: HarvestCheckpoint | None = None,
        progress: Callable[[HarvestProgress], None] | None = None,
    ) -> Harvest[ReportLog]:
        """Every data-point report of many devices (``GET …/report-logs``), ``concurrency``
        devices at a time; yields ``HarvestRecord(device_id, record)``, newest first per
        device. Pass ``checkpoint=`` (see ``Harvest.checkpoint``) to resume a stopped job."""
        ids = v.device_ids(device_ids)
        joined = v.codes(codes, required=True)
        assert joined is not None
        start_ms, end_ms = self._resumed_window(start, end, checkpoint)
        params = [
            ("codes", joined),
            ("start_time", start_ms),
            ("end_time", end_ms),
            ("size", v.page_size(size)),
        ]
        cp = check_checkpoint(checkpoint, int(start_ms), int(end_ms), f"codes={joined}")
        return self._harvest(
            ids, P.REPORT_LOGS, params, "last_row_key", ReportLog, cp, concurrency, progress
        )

    def harvest_operations(
        self,
        device_ids: Iterable[str],
        *,
        types: Iterable[LogType | int] | None = None,
        codes: Iterable[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        size: int = 100,
        concurrency: int = 4,
        checkpoint: HarvestCheckpoint | None = None,
        progress: Callable[[HarvestProgress], None] | None = None,
    ) -> Harvest[OperationLog]:
        """Every operation log of many devices (``GET …/logs``); see ``harvest_reports``."""
        ids = v.device_ids(device_ids)
        start_ms, end_ms = self._resumed_window(start, end, checkpoint)
        params = [
            ("type", _types(types)),
            ("start_time", start_ms),
            ("end_time", end_ms),
            ("size", v.page_size(size)),
        ]
        joined = v.codes(codes, required=False)
        if joined is not None:
            params.append(("codes", joined))
        filter_ = f"type={params[0][1]};codes={joined or ''}"
        cp = check_checkpoint(checkpoint, int(start_ms), int(end_ms), filter_)
        return self._harvest(
            ids, P.OPERATION_LOGS, params, "start_row_key", OperationLog, cp, concurrency, progress
        )

    def _resumed_window(
        self, start: datetime | None, end: datetime | None, checkpoint: HarvestCheckpoint | None
    ) -> tuple[str, str]:
        if checkpoint is not None and start is None and end is None:
            return str(checkpoint.start_ms), str(checkpoint.end_ms)
        return self._window(start, end)

    def _harvest(
        self,
        ids: list[str],
        route: P.Route,
        params: list[tuple[str, str]],
        cursor_param: str,
        cls: type[T],
        checkpoint: HarvestCheckpoint,
        concurrency: int,
        progress: Callable[[HarvestProgress], None] | None,
    ) -> Harvest[T]:
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise TuyaValidationError(f"concurrency must be an int >= 1, got {concurrency!r}")
        self._session.check_open()

        def stats() -> tuple[int, int]:
            return self._session.stats.requests, self._session.stats.retries

        return Harvest(
            ids,
            lambda dev, c: self._page(route, {"device_id": dev}, params, cursor_param, c, cls),
            checkpoint,
            concurrency=concurrency,
            progress=progress,
            stats=stats,
        )


def _max_items(value: int | None) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise TuyaValidationError(f"max_items must be a non-negative int, got {value!r}")
    return value
