"""``Fleet``: the emulated project's devices by ID, built lazily so a large fleet is cheap.

A seeded fleet starts as its list of IDs (about 100 bytes a device). A device's details are
built from the seed the first time it is looked up (``fleet[id]``) and then kept, because they
can change (freeze, rename, firmware), about 2 KB a device; ``peek`` builds a device for
reading without keeping it (only the last ``RECENT`` of those are cached), so read-only traffic
(details, listings, logs) leaves memory flat.
Logs come from the fleet's ``LogStore``: generated on demand, a bounded number cached.
Iterating ``values()`` builds and keeps every device.
"""

from __future__ import annotations

import bisect
import functools
from collections import OrderedDict
from collections.abc import Iterator, MutableMapping

from .records import DEFAULT_LOG_CACHE, DeviceRecord, LogStore
from .seed import KINDS, fleet_ids, kind_of, make_device, product_id, seeded_logs

#: Devices built for reading that are cached (building one takes about 60 us).
RECENT = 1024


class Fleet(MutableMapping[str, DeviceRecord]):
    """Devices by ID in fleet order (a dict's semantics: ``del``, ``pop``, re-insert at the end)."""

    def __init__(
        self,
        *,
        seed: int = 0,
        now_ms: int = 0,
        devices: int = 0,
        sites: tuple[str, ...] = ("0",),
        log_cache: int = DEFAULT_LOG_CACHE,
        ahead_ms: int = 0,
    ) -> None:
        self.seed, self.now_ms, self._sites = seed, now_ms, sites
        generate = functools.partial(seeded_logs, seed, now_ms, ahead_ms=ahead_ms)
        self.logs = LogStore(generate, log_cache)
        self._order: dict[str, int] = {i: n for n, i in enumerate(fleet_ids(devices, seed))}
        self._built: dict[str, DeviceRecord] = {}
        self._recent: OrderedDict[str, DeviceRecord] = OrderedDict()  # built by peek, unchanged
        self._by_id: list[str] | None = None  # sorted IDs, built for the first listing
        self._products = {kind: product_id(seed, kind) for kind in KINDS}

    def __getitem__(self, device_id: str) -> DeviceRecord:
        record = self._built.get(device_id)
        if record is None:
            record = self._recent.pop(device_id, None)
            if record is None:
                record = self._build(device_id)
            self._built[device_id] = record
        return record

    def peek(self, device_id: str) -> DeviceRecord:
        """The device for reading only: one never looked up is built and not kept for good."""
        record = self._built.get(device_id)
        if record is not None:
            return record
        record = self._recent.get(device_id)
        if record is None:
            record = self._recent[device_id] = self._build(device_id)
            if len(self._recent) > RECENT:
                self._recent.popitem(last=False)
        else:
            self._recent.move_to_end(device_id)
        return record

    def _build(self, device_id: str) -> DeviceRecord:
        index = self._order[device_id]  # KeyError for an unknown ID
        site = self._sites[index % len(self._sites)]
        return make_device(self.seed, index, self.now_ms, site, self.logs)

    def __setitem__(self, device_id: str, record: DeviceRecord) -> None:
        if device_id not in self._order and self._by_id is not None:
            at = bisect.bisect_left(self._by_id, device_id)
            if at == len(self._by_id) or self._by_id[at] != device_id:
                self._by_id.insert(at, device_id)
        self._order[device_id] = record.index
        self._built[device_id] = record
        self._recent.pop(device_id, None)

    def __delitem__(self, device_id: str) -> None:
        del self._order[device_id]  # the sorted list keeps it; listings skip it
        self._built.pop(device_id, None)
        self._recent.pop(device_id, None)

    def __contains__(self, device_id: object) -> bool:
        return device_id in self._order

    def __iter__(self) -> Iterator[str]:
        return iter(self._order)

    def __len__(self) -> int:
        return len(self._order)

    def built(self) -> int:
        """How many devices' details have been built so far."""
        return len(self._built)

    def _kind_fields(self, device_id: str) -> tuple[str, str]:
        """(category, product ID) without building the device."""
        record = self._built.get(device_id)
        if record is not None:
            return record.category, record.product_id
        kind = kind_of(self._order[device_id])
        return KINDS[kind]["category"], self._products[kind]

    def listing(
        self,
        after: str,
        size: int,
        product_ids: frozenset[str] | None = None,
        categories: frozenset[str] | None = None,
    ) -> list[DeviceRecord]:
        """Up to ``size`` devices with an ID greater than ``after``, ascending by ID, that
        match both filters (a filter of None matches everything)."""
        if self._by_id is None:
            self._by_id = sorted(self._order)
        ids, found = self._by_id, []
        for n in range(bisect.bisect_right(ids, after) if after else 0, len(ids)):
            device_id = ids[n]
            if device_id not in self._order:
                continue
            category, product = self._kind_fields(device_id)
            if (categories is None or category in categories) and (
                product_ids is None or product in product_ids
            ):
                found.append(self.peek(device_id))
                if len(found) == size:
                    break
        return found
