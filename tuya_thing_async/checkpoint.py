"""Harvest checkpoints: where a fleet harvest stands, in a size that grows with the devices in
progress and the failed ones, never with the fleet.

Devices are taken in the order given (duplicates dropped). ``taken`` devices have been started;
of those, the ``active`` ones are in progress (the cursor of the page being delivered and how
many of its records were), the ``failed`` ones failed for a reason of their own (retried first
on resume, from where they stopped), and all the others are done. The checkpoint names the
window, the filter and a fingerprint of the device list, so it cannot be applied to another
job.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import attrs

from .errors import TuyaValidationError

VERSION = 2
KIND = "tuya_thing_async harvest checkpoint"


@attrs.frozen
class DevicePosition:
    """A device in progress: the cursor of the page being delivered (None: its first page),
    how many entries of that page were delivered (or dropped as repeats), and which later
    entries of it repeat the page before (dropped again on resume, when that page is not
    fetched again)."""

    device_id: str
    cursor: str | None = None
    skip: int = 0
    repeats: tuple[int, ...] = ()


@attrs.frozen
class DeviceFailure:
    """A device skipped for an error of its own, and where it stopped (resumed from there)."""

    device_id: str
    #: The error's class name, Tuya code (if any) and message.
    error: str
    code: int | None
    message: str
    position: DevicePosition


def _position_dict(position: DevicePosition) -> dict[str, Any]:
    return {
        "device_id": position.device_id,
        "cursor": position.cursor,
        "skip": position.skip,
        "repeats": list(position.repeats),
    }


def fingerprint(device_ids: Sequence[str]) -> str:
    """A short hash of the device list, in order."""
    return hashlib.sha256("\n".join(device_ids).encode()).hexdigest()[:32]


@attrs.frozen
class HarvestCheckpoint:
    """The resume point of a harvest (``harvest.checkpoint``); ``to_json``/``from_json``."""

    start_ms: int
    end_ms: int
    #: The filter of the harvest (codes or types), as sent.
    filter: str
    fleet: str
    devices: int
    taken: int = 0
    active: tuple[DevicePosition, ...] = ()
    failed: tuple[DeviceFailure, ...] = ()

    @property
    def devices_done(self) -> int:
        return self.taken - len(self.active) - len(self.failed)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``to_json`` (written out by hand: a job may take one per page)."""
        return {
            "kind": KIND,
            "version": VERSION,
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
            "filter": self.filter,
            "fleet": self.fleet,
            "devices": self.devices,
            "taken": self.taken,
            "active": [_position_dict(p) for p in self.active],
            "failed": [
                {**attrs.asdict(f, recurse=False), "position": _position_dict(f.position)}
                for f in self.failed
            ],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> HarvestCheckpoint:
        """Parse and check every field; ``TuyaValidationError`` names what is wrong."""
        try:
            data = json.loads(text)
        except ValueError:
            raise TuyaValidationError("the harvest checkpoint is not JSON") from None
        return from_dict(data)


def _field(data: dict[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    value = data.get(name)
    if (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
        raise TuyaValidationError(f"the harvest checkpoint's {name!r} is missing or invalid")
    return value


def _count(data: dict[str, Any], name: str) -> int:
    value: int = _field(data, name, int)
    if value < 0:
        raise TuyaValidationError(f"the harvest checkpoint's {name!r} is negative")
    return value


def _position(data: Any) -> DevicePosition:
    if not isinstance(data, dict):
        raise TuyaValidationError("the harvest checkpoint holds an invalid device position")
    cursor = data.get("cursor")
    if cursor is not None and not isinstance(cursor, str):
        raise TuyaValidationError("the harvest checkpoint holds an invalid cursor")
    repeats = data.get("repeats", [])
    if not isinstance(repeats, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in repeats
    ):
        raise TuyaValidationError("the harvest checkpoint holds invalid repeat indices")
    skip = _count(data, "skip")
    return DevicePosition(_field(data, "device_id", str), cursor, skip, tuple(repeats))


def _failure(data: Any) -> DeviceFailure:
    if not isinstance(data, dict):
        raise TuyaValidationError("the harvest checkpoint holds an invalid failure")
    code = data.get("code")
    if code is not None and (isinstance(code, bool) or not isinstance(code, int)):
        raise TuyaValidationError("the harvest checkpoint holds an invalid error code")
    return DeviceFailure(
        _field(data, "device_id", str),
        _field(data, "error", str),
        code,
        _field(data, "message", str),
        _position(data.get("position")),
    )


def from_dict(data: Any) -> HarvestCheckpoint:
    """A checkpoint from its JSON object, every field checked."""
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise TuyaValidationError("not a harvest checkpoint")
    if data.get("version") != VERSION:
        raise TuyaValidationError(
            f"harvest checkpoint version {data.get('version')!r} is not supported "
            f"(this version reads {VERSION})"
        )
    checkpoint = HarvestCheckpoint(
        _field(data, "start_ms", int),
        _field(data, "end_ms", int),
        _field(data, "filter", str),
        _field(data, "fleet", str),
        _count(data, "devices"),
        _count(data, "taken"),
        tuple(_position(p) for p in _field(data, "active", list)),
        tuple(_failure(f) for f in _field(data, "failed", list)),
    )
    if checkpoint.devices_done < 0 or checkpoint.taken > checkpoint.devices:
        raise TuyaValidationError("the harvest checkpoint's device counts do not add up")
    return checkpoint
