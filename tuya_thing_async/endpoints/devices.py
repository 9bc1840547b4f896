"""Device endpoints: details (one or many), freeze state, attributes, transfer, delete, reset."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .. import _protocol as P
from .. import _validation as v
from ..bulk import BulkMode, BulkResult, DeviceStream, collect
from ..models import Device, DeviceState
from ._base import Resource, expect_true

_ATTR_NAME, _ATTR_ICON, _ATTR_LOCATION = 1, 2, 3


class Devices(Resource):
    """``tuya.devices``: the device-management endpoints of ``/v2.0/cloud/thing``."""

    async def get(self, device_id: str) -> Device:
        """``GET /v2.0/cloud/thing/{device_id}``: one device's details."""
        env = await self._pipeline.call(P.DEVICE_GET, {"device_id": v.device_id(device_id)})
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
        env = await self._pipeline.call(P.DEVICE_STATE, {"device_id": v.device_id(device_id)})
        return self._model(env.result, DeviceState, P.DEVICE_STATE)

    async def _set_frozen(self, device_id: str, state: int) -> None:
        env = await self._pipeline.call(
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
        env = await self._pipeline.call(
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
        env = await self._pipeline.call(
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
        env = await self._pipeline.call(P.DEVICE_DELETE, {"device_id": v.device_id(device_id)})
        expect_true(env, P.DEVICE_DELETE)

    async def reset(self, device_id: str) -> None:
        """``POST /v2.0/cloud/thing/{device_id}/reset``: unbind and restore factory defaults.

        Never retried after an ambiguous failure: ``TuyaOutcomeUnknownError`` says so.
        """
        env = await self._pipeline.call(P.DEVICE_RESET, {"device_id": v.device_id(device_id)})
        expect_true(env, P.DEVICE_RESET)
