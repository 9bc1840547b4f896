"""Split a fleet between N workers by a stable hash of the device ID.

Device ``d`` belongs to shard ``k`` of ``n`` when the first 8 bytes of ``sha256(d)``, read as
a big-endian integer, are ``k`` modulo ``n``: the same on every machine, Python version and
run (Python's ``hash()`` is salted per process), and independent of the order or the size of
the list, so N workers given the same list harvest disjoint parts that together cover it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import NamedTuple

from .errors import TuyaValidationError

__all__ = ["Shard", "in_shard", "parse_shard", "select", "shard_of"]


class Shard(NamedTuple):
    """Worker ``k`` (0-based) of ``n``."""

    k: int
    n: int


def shard_of(device_id: str, count: int) -> int:
    """The shard (0..count-1) that ``device_id`` belongs to."""
    digest = hashlib.sha256(device_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") % count


def check(shard: tuple[int, int] | None) -> Shard | None:
    """``(index, count)`` as a ``Shard``; ``TuyaValidationError`` unless 0 <= index < count."""
    if shard is None:
        return None
    try:
        index, count = shard
    except (TypeError, ValueError):
        raise TuyaValidationError(f"shard must be (index, count), got {shard!r}") from None
    ints = all(isinstance(x, int) and not isinstance(x, bool) for x in (index, count))
    if not ints or count < 1 or not 0 <= index < count:
        raise TuyaValidationError(
            f"shard must be (index, count) with 0 <= index < count, got {shard!r}"
        )
    return Shard(index, count)


def in_shard(device_id: str, shard: tuple[int, int] | None) -> bool:
    """Whether ``device_id`` belongs to ``shard`` (every device does when it is None)."""
    checked = check(shard)
    return checked is None or shard_of(device_id, checked.n) == checked.k


def select(device_ids: Iterable[str], shard: tuple[int, int] | None) -> list[str]:
    """The IDs of ``shard``, in the order given (all of them when ``shard`` is None)."""
    checked = check(shard)
    if checked is None:
        return list(device_ids)
    return [d for d in device_ids if shard_of(d, checked.n) == checked.k]


def parse_shard(text: str) -> Shard:
    """``"K/N"`` (0 <= K < N) as a ``Shard``; ``TuyaValidationError`` otherwise."""
    index, sep, count = text.strip().partition("/")
    try:
        parsed = (int(index), int(count)) if sep else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise TuyaValidationError(f"shard {text!r} is not K/N, e.g. 0/4 (the first of 4)")
    if not 0 <= parsed[0] < parsed[1]:
        raise TuyaValidationError(f"shard {text!r}: K must be 0 to N-1 (K/N, e.g. 0/4)")
    return Shard(*parsed)
