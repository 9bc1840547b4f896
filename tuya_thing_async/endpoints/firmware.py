"""Firmware (OTA) endpoints: available updates per channel, start an update, its progress."""

from __future__ import annotations

from collections.abc import AsyncIterator

from .. import _protocol as P
from .. import _validation as v
from .._converter import firmware_entries
from ..errors import TuyaTimeoutError, TuyaValidationError
from ..models import FirmwareProgress, FirmwareUpdate
from ._base import Resource, expect_true


class Firmware(Resource):
    """``tuya.firmware``: ``/v2.0/cloud/thing/{device_id}/firmware`` and its channels."""

    async def get_updates(self, device_id: str) -> list[FirmwareUpdate]:
        """``GET /v2.0/cloud/thing/{device_id}/firmware``: one entry per firmware channel.

        The answer may be a list, one object, or an object holding the list; the channel may
        come as ``type``, ``channel`` or ``module_type``.
        """
        env = await self._call(P.FIRMWARE_INFO, {"device_id": v.device_id(device_id)})
        return self._models(firmware_entries(env.result), FirmwareUpdate, P.FIRMWARE_INFO)

    async def start_update(self, device_id: str, *, channel: int) -> None:
        """``POST /v2.0/cloud/thing/{device_id}/firmware/{channel}``: confirm the update start.

        Never retried after an ambiguous failure (``TuyaOutcomeUnknownError``): check
        ``get_progress`` before starting again.
        """
        path = {"device_id": v.device_id(device_id), "channel": v.channel(channel)}
        env = await self._call(P.FIRMWARE_START, path)
        expect_true(env, P.FIRMWARE_START)

    async def get_progress(self, device_id: str, *, channel: int) -> FirmwareProgress:
        """``GET /v2.0/cloud/thing/{device_id}/firmware/{channel}/progress``; ``idle`` when
        nothing is running on the channel."""
        path = {"device_id": v.device_id(device_id), "channel": v.channel(channel)}
        env = await self._call(P.FIRMWARE_PROGRESS, path)
        return self._model(env.result, FirmwareProgress, P.FIRMWARE_PROGRESS)

    async def watch(
        self, device_id: str, *, channel: int, interval: float = 5.0, timeout: float = 1800.0
    ) -> AsyncIterator[FirmwareProgress]:
        """Poll ``get_progress`` every ``interval`` seconds, yielding each reading, until the
        update succeeds, fails or times out on the device; raise ``TuyaTimeoutError`` if it
        is still running after ``timeout`` seconds. An idle channel (nothing running) ends the
        watch after its one reading."""
        v.device_id(device_id)
        v.channel(channel)
        if not interval > 0 or not timeout > 0:
            raise TuyaValidationError("interval and timeout must be > 0")
        clock = self._pipeline.settings.clock
        give_up = clock.monotonic() + timeout
        while True:
            progress = await self.get_progress(device_id, channel=channel)
            yield progress
            if progress.done or progress.idle:
                return
            if clock.monotonic() + interval > give_up:
                raise TuyaTimeoutError(
                    f"firmware update still running after {timeout:g}s",
                    method="GET",
                    path=P.FIRMWARE_PROGRESS.template,
                )
            await clock.sleep(interval)
