"""Device endpoints: the project's device list, details (one or many), freeze state,
attributes, transfer, delete, reset."""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Mapping, Sequence
from typing import Any

from .. import _protocol as P
from .. import _validation as v
from ..bulk import BulkMode, BulkResult, DeviceStream, collect
from ..errors import TuyaProtocolError, TuyaValidationError
from ..models import Device, DeviceState, Page
from ..pagination import FetchPage, OneShotStream, Paginator
from ._base import Resource, expect_true

_ATTR_NAME, _ATTR_ICON, _ATTR_LOCATION = 1, 2, 3
#: Query Devices in Project: at most 20 devices a page and 5 product IDs a request.
MAX_PROJECT_PAGE = 20
MAX_PRODUCT_IDS = 5
#: Product IDs and category codes: the device-ID alphabet (letters, digits, ``_``, ``-``).
_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
#: Where an answer shaped as an object may hold the page's list (the documented shape is a list).
_LIST_KEYS = ("list", "devices", "data", "records")


def _names(values: Iterable[str] | None, name: str, limit: int | None = None) -> str | None:
    """A filter as Tuya's comma-separated list (duplicates dropped); None: no filter."""
    if values is None:
        return None
    if isinstance(values, str):
        raise TuyaValidationError(f"{name} must be a list, not one string")
    items = list(dict.fromkeys(values))
    if not items:
        raise TuyaValidationError(f"{name} must not be empty; pass None for no filter")
    if limit is not None and len(items) > limit:
        raise TuyaValidationError(f"{name} has {len(items)} entries; at most {limit} allowed")
    for item in items:
        if not isinstance(item, str) or not _NAME.fullmatch(item):
            shown = repr(item) if len(repr(item)) <= 40 else repr(item)[:37] + "..."
            raise TuyaValidationError(
                f"{name} entry {shown} may contain only letters, digits, '_' and '-' (1-64)"
            )
    return ",".join(items)


def _project_query(
    product_ids: Iterable[str] | None, categories: Iterable[str] | None, page_size: object
) -> tuple[tuple[str, str], ...]:
    """The listing's checked query, without the cursor."""
    products = _names(product_ids, "product_ids", MAX_PRODUCT_IDS)
    kinds = _names(categories, "categories")
    if isinstance(page_size, bool) or not isinstance(page_size, int):
        raise TuyaValidationError(f"page_size must be an int, got {type(page_size).__name__}")
    if not 1 <= page_size <= MAX_PROJECT_PAGE:
        raise TuyaValidationError(f"page_size must be in 1..{MAX_PROJECT_PAGE}, got {page_size}")
    query = (("product_ids", products), ("categories", kinds), ("page_size", str(page_size)))
    return tuple((key, value) for key, value in query if value is not None)


def read_project_page(result: Any, page_size: int) -> tuple[list[Any], str | None, bool]:
    """(raw devices, cursor, more follow) from a project-listing answer.

    The documented ``result`` is a list; an object holding the list (under ``list``,
    ``devices``, ``data`` or ``records``, with an optional ``has_more``/``hasMore`` and
    ``last_id``/``lastId``) and ``null`` (no devices) are accepted too. Without a flag, a page
    shorter than ``page_size`` is the last. The cursor is the last device's ``id``.
    """
    items, more, cursor = result, None, None
    if result is None:
        items = []
    elif isinstance(result, Mapping):
        items = next((result[k] for k in _LIST_KEYS if isinstance(result.get(k), list)), None)
        flag = result.get("has_more", result.get("hasMore"))
        more = flag if isinstance(flag, bool) else None
        last = result.get("last_id", result.get("lastId"))
        cursor = last if isinstance(last, str) and last else None
    if not isinstance(items, list):
        raise TuyaProtocolError(
            "expected a list of devices",
            method=P.PROJECT_DEVICES.method,
            path=P.PROJECT_DEVICES.template,
        )
    if cursor is None and items and isinstance(items[-1], Mapping):
        last = items[-1].get("id")
        cursor = last if isinstance(last, str) and last else None
    return items, cursor, len(items) >= page_size if more is None else more


class ProjectDeviceStream(OneShotStream):
    """``devices.iter_project``: every device of the project, each once; an async context
    manager. A cursor the cloud repeats raises ``TuyaPaginationLoopError``; a failed request's
    error carries ``resume_cursor``, the ``last_id`` it was sent with."""

    def __init__(self, fetch: FetchPage[Device]) -> None:
        self._pages: Paginator[Device] = Paginator(fetch)
        #: Devices dropped because an earlier page had already listed them.
        self.duplicates = 0

    def __aiter__(self) -> AsyncIterator[Device]:
        return self._start(self._devices())

    async def _devices(self) -> AsyncGenerator[Device, None]:
        seen: set[str] = set()
        async with self._pages as pages:
            async for device in pages:
                if device.id in seen:
                    self.duplicates += 1
                    continue
                seen.add(device.id)
                yield device


class Devices(Resource):
    """``tuya.devices``: the device-management endpoints of ``/v2.0/cloud/thing``."""

    def iter_project(
        self,
        product_ids: Iterable[str] | None = None,
        categories: Iterable[str] | None = None,
        *,
        page_size: int = MAX_PROJECT_PAGE,
    ) -> ProjectDeviceStream:
        """``GET /v2.0/cloud/thing/device``: every device in the project, page by page (cursor
        ``last_id``), optionally only those of up to 5 ``product_ids`` and/or of ``categories``;
        use it as ``async with tuya.devices.iter_project() as fleet: async for device in fleet``.

        Each device is yielded once even if the cloud repeats it; arguments are checked before
        any request. ``local_key`` is a secret: it is kept out of reprs and CLI output.
        """
        query = _project_query(product_ids, categories, page_size)
        self._pipeline.check_open()

        async def fetch(cursor: str | None) -> Page[Device]:
            params = (*query, ("last_id", cursor)) if cursor else query
            env = await self._pipeline.call(P.PROJECT_DEVICES, params=params)
            raw, next_cursor, more = read_project_page(env.result, page_size)
            devices = self._models(raw, Device, P.PROJECT_DEVICES)
            return Page(tuple(devices), next_cursor if more else None, more)

        return ProjectDeviceStream(fetch)

    async def get(self, device_id: str) -> Device:
        """``GET /v2.0/cloud/thing/{device_id}``: one device's details."""
        env = await self._call(P.DEVICE_GET, {"device_id": v.device_id(device_id)})
        return self._model(env.result, Device, P.DEVICE_GET)

    async def _batch(self, ids: Sequence[str]) -> list[Device]:
        """``GET /v2.0/cloud/thing/batch?device_ids=a,b``: up to 20 devices; unknown omitted."""
        env = await self._pipeline.call(P.DEVICE_BATCH, params=(("device_ids", ",".join(ids)),))
        return self._models(env.result or [], Device, P.DEVICE_BATCH)

    async def get_many(
        self, device_ids: Iterable[str], *, mode: BulkMode | str = BulkMode.FAIL_FAST
    ) -> BulkResult:
        """Details of any number of devices via ``GET /v2.0/cloud/thing/batch``.

        Duplicates are dropped, IDs go 20 per request with a bounded number of requests in
        flight, and the result is per ID: ``devices`` (input order), ``missing``, ``errors``.
        ``mode="fail_fast"`` raises ``TuyaBulkError`` on the first failed batch and cancels the
        rest; ``mode="partial"`` finishes every batch and records failures in ``errors``.
        """
        ids, bulk_mode = v.device_ids(device_ids), BulkMode(mode)
        self._pipeline.check_open()
        return await collect(ids, self._batch, concurrency=self._fan_out, mode=bulk_mode)

    def iter_many(
        self, device_ids: Iterable[str], *, mode: BulkMode | str = BulkMode.FAIL_FAST
    ) -> DeviceStream:
        """Devices as their batches complete (``GET /v2.0/cloud/thing/batch``); use it as
        ``async with tuya.devices.iter_many(ids) as devices: async for device in devices``.

        In partial mode, failed batches are raised together as ``TuyaBulkError`` after every
        successful device has been yielded.
        """
        ids, bulk_mode = v.device_ids(device_ids), BulkMode(mode)
        self._pipeline.check_open()
        return DeviceStream(ids, self._batch, concurrency=self._fan_out, mode=bulk_mode)

    @property
    def _fan_out(self) -> int:
        return self._pipeline.settings.bulk_concurrency

    async def get_state(self, device_id: str) -> DeviceState:
        """``GET /v2.0/cloud/thing/{device_id}/state``: whether the device is frozen."""
        env = await self._call(P.DEVICE_STATE, {"device_id": v.device_id(device_id)})
        return self._model(env.result, DeviceState, P.DEVICE_STATE)

    async def _set_frozen(self, device_id: str, state: int) -> None:
        env = await self._call(
            P.DEVICE_FREEZE, {"device_id": v.device_id(device_id)}, body={"state": state}
        )
        expect_true(env, P.DEVICE_FREEZE)

    async def freeze(self, device_id: str) -> None:
        """``POST /v2.0/cloud/thing/{device_id}/freeze`` with ``state=1``: freeze the device."""
        await self._set_frozen(device_id, 1)

    async def unfreeze(self, device_id: str) -> None:
        """``POST /v2.0/cloud/thing/{device_id}/freeze`` with ``state=0``: unfreeze it."""
        await self._set_frozen(device_id, 0)

    async def _set_attribute(self, device_id: str, kind: int, data: str) -> None:
        env = await self._call(
            P.DEVICE_ATTRIBUTE, {"device_id": device_id}, body={"type": kind, "data": data}
        )
        expect_true(env, P.DEVICE_ATTRIBUTE)

    async def rename(self, device_id: str, name: str) -> None:
        """``POST /v2.0/cloud/thing/{device_id}/attribute`` type 1: set the device's name."""
        await self._set_attribute(v.device_id(device_id), _ATTR_NAME, v.text(name, "name"))

    async def set_icon(self, device_id: str, icon: str) -> None:
        """``POST /v2.0/cloud/thing/{device_id}/attribute`` type 2: set the icon path or URL."""
        await self._set_attribute(v.device_id(device_id), _ATTR_ICON, v.text(icon, "icon"))

    async def set_location(self, device_id: str, *, lon: float, lat: float) -> None:
        """``POST /v2.0/cloud/thing/{device_id}/attribute`` type 3: set ``lon:lat``."""
        await self._set_attribute(v.device_id(device_id), _ATTR_LOCATION, v.location(lon, lat))

    async def transfer(self, device_id: str, *, space_id: str | int) -> None:
        """``POST /v2.0/cloud/thing/{device_id}/transfer``: move the device to another space."""
        env = await self._call(
            P.DEVICE_TRANSFER,
            {"device_id": v.device_id(device_id)},
            body={"space_id": v.space_id(space_id)},
        )
        expect_true(env, P.DEVICE_TRANSFER)

    async def delete(self, device_id: str) -> None:
        """``DELETE /v2.0/cloud/thing/{device_id}``: remove the device from the project.

        A retried delete can be answered "not found" (1106 on most projects) after the first
        attempt already deleted it; the error then has ``possibly_completed=True``. Either way
        the device is no longer in the project.
        """
        env = await self._call(P.DEVICE_DELETE, {"device_id": v.device_id(device_id)})
        expect_true(env, P.DEVICE_DELETE)

    async def reset(self, device_id: str) -> None:
        """``POST /v2.0/cloud/thing/{device_id}/reset``: unbind and restore factory defaults.

        Never retried after an ambiguous failure: ``TuyaOutcomeUnknownError`` says so.
        """
        env = await self._call(P.DEVICE_RESET, {"device_id": v.device_id(device_id)})
        expect_true(env, P.DEVICE_RESET)
