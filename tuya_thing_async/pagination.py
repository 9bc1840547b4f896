"""Cursor paging: reading Tuya's two cursor shapes, and the ``Paginator`` over every page.

Tuya's log endpoints page with ``next_row_key``/``has_next`` (operation logs, free edition) or
``last_row_key``/``has_more`` (report logs); both shapes are accepted on both endpoints. The
paid edition of the operation logs pages with the last entry's ``row`` and ``event_time``,
which ``paid_cursor`` packs into one opaque cursor string. A cursor that repeats raises
``TuyaPaginationLoopError`` instead of looping. The paginator is pull-based (one request per
page, only when the consumer asks), holds no limiter slot while it yields, and is an async
context manager so ``break`` closes it deterministically.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Hashable,
    Mapping,
    Sequence,
)
from contextlib import aclosing
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

import attrs

from .errors import TuyaError, TuyaPaginationLoopError, TuyaProtocolError
from .models import Page

__all__ = [
    "Dedupe",
    "OneShotStream",
    "Page",
    "Paginator",
    "paid_cursor",
    "read_cursor",
    "read_paid_cursor",
    "unpack_paid_cursor",
]

T = TypeVar("T")
FetchPage = Callable[[str | None], Awaitable[Page[T]]]


def read_cursor(result: Mapping[str, Any], requested: str | None) -> tuple[str | None, bool]:
    """(cursor for the next page, has more) from a log result, in either of Tuya's shapes.

    ``next_row_key`` wins, then ``current_row_key`` (only if it moved past the requested key),
    then ``last_row_key``; ``has_next`` or ``has_more`` says whether more pages exist.
    """
    has_more = _has_more(result)
    cursor = None
    for key in ("next_row_key", "current_row_key", "last_row_key"):
        value = result.get(key)
        stale = key == "current_row_key" and value == requested
        if isinstance(value, str) and value and not stale:
            cursor = value
            break
    if not has_more:
        return None, False
    if cursor is None:
        raise TuyaProtocolError("the page says more follow but carries no cursor")
    return cursor, True


def _has_more(result: Mapping[str, Any]) -> bool:
    more = result.get("has_next", result.get("has_more", False))
    return more is True or more in ("true", 1)


#: Prefix of a paid-edition cursor (the rest is base64url JSON ``[row, event_time_ms]``).
PAID_PREFIX = "p2."


def paid_cursor(row: str, event_time_ms: int) -> str:
    """One opaque cursor for the paid edition's ``last_row_key`` + ``last_event_time``."""
    raw = json.dumps([row, event_time_ms], separators=(",", ":")).encode()
    return PAID_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unpack_paid_cursor(cursor: str) -> tuple[str, int] | None:
    """``(last_row_key, last_event_time)`` of a ``paid_cursor``; None for any other string."""
    if not cursor.startswith(PAID_PREFIX):
        return None
    body = cursor[len(PAID_PREFIX) :]
    try:
        row, ms = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, TypeError, binascii.Error):
        return None
    if not isinstance(row, str) or not row or isinstance(ms, bool) or not isinstance(ms, int):
        return None
    return row, ms


def read_paid_cursor(result: Mapping[str, Any]) -> tuple[str | None, bool]:
    """(cursor, has more) of a paid-edition operation-log page: the last entry's ``row`` and
    ``event_time`` (Tuya's ``last_row_key`` + ``last_event_time`` for the next page)."""
    if not _has_more(result):
        return None, False
    logs = result.get("logs")
    last = logs[-1] if isinstance(logs, list) and logs else None
    row = last.get("row") if isinstance(last, Mapping) else None
    ms = last.get("event_time") if isinstance(last, Mapping) else None
    if isinstance(ms, str) and ms.isdigit():
        ms = int(ms)
    if not isinstance(row, str) or not row or isinstance(ms, bool) or not isinstance(ms, int):
        raise TuyaProtocolError(
            "the paid-edition page says more follow but its last entry has no row and event_time"
        )
    return paid_cursor(row, ms), True


def itself(record: T) -> T:
    """The key of a record that is its own key (a hashable named tuple such as ``ReportLog``):
    ``Dedupe`` then hashes the records as they are, with no key built per record."""
    return record


class Dedupe(Generic[T]):
    """Finds the records the cloud repeats: a record whose ``key`` appeared earlier on the
    same page or on the page before (where a cursor boundary repeats them). Memory: two pages
    of keys."""

    def __init__(self, key: Callable[[T], Hashable]) -> None:
        self._key = key
        self._previous: set[Hashable] = set()
        #: Records found repeated so far.
        self.found = 0

    def repeats(self, items: Sequence[T]) -> frozenset[int]:
        """Indices of the entries of the next page that repeat an earlier record."""
        keys = items if self._key is itself else list(map(self._key, items))
        seen: set[Hashable] = set(keys)
        previous, self._previous = self._previous, seen
        if len(seen) == len(keys) and seen.isdisjoint(previous):
            return _NONE  # the usual page: nothing repeated
        seen = set()
        repeated = []
        for index, k in enumerate(keys):
            if k in seen or k in previous:
                repeated.append(index)
            seen.add(k)
        self.found += len(repeated)
        return frozenset(repeated)


_NONE: frozenset[int] = frozenset()


class OneShotStream:
    """Base of ``Paginator`` and ``Harvest``: iterated once, closed by ``async with`` (or
    ``aclose()``) so that ``break`` releases everything before the block exits."""

    _gen: AsyncGenerator[Any, None] | None = None

    def _start(self, gen: AsyncGenerator[Any, None]) -> AsyncGenerator[Any, None]:
        if self._gen is not None:
            raise RuntimeError(f"a {type(self).__name__} can be iterated only once")
        self._gen = gen
        return gen

    async def aclose(self) -> None:
        """Stop iterating and release everything now (also done by ``async with``)."""
        if self._gen is not None:
            await self._gen.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class Paginator(OneShotStream, Generic[T]):
    """Every item (``async for``) or every page (``.pages()``) of a cursor-paged listing.

    ``cursor`` is the resume point: the cursor of the next page not yet fetched. Errors raised
    while iterating carry it as ``error.resume_cursor``; pass it back as ``start_cursor=`` to
    continue without losing or repeating a record (checkpoint after each page of ``pages()``).
    """

    def __init__(
        self,
        fetch: FetchPage[T],
        *,
        start_cursor: str | None = None,
        max_items: int | None = None,
        key: Callable[[T], Hashable] | None = None,
    ) -> None:
        self._fetch = fetch
        self.cursor = start_cursor
        self._max_items = max_items
        self._dedupe = Dedupe(key) if key else None
        self.pages_fetched = 0
        self.items_yielded = 0

    @property
    def duplicates(self) -> int:
        """Records dropped because the cloud repeated them (streams built with a ``key``)."""
        return self._dedupe.found if self._dedupe else 0

    async def _walk(self) -> AsyncGenerator[Page[T], None]:
        seen: set[str] = set()
        if self.cursor:
            seen.add(self.cursor)
        while True:
            try:
                page = await self._fetch(self.cursor)
            except TuyaError as exc:  # a copy: the error object may be shared
                error = copy.copy(exc)
                error.resume_cursor = self.cursor
                raise error.with_traceback(exc.__traceback__) from None
            self.pages_fetched += 1
            if page.has_more and (page.cursor is None or page.cursor in seen or not page.items):
                raise TuyaPaginationLoopError(
                    f"the cloud repeated cursor {page.cursor!r} (or sent an empty page while "
                    "promising more); stopping instead of looping",
                    cursor=self.cursor,
                )
            self.cursor = page.cursor if page.has_more else None
            if page.cursor:
                seen.add(page.cursor)
            if self._dedupe is not None and (repeats := self._dedupe.repeats(page.items)):
                kept = tuple(x for i, x in enumerate(page.items) if i not in repeats)
                page = attrs.evolve(page, items=kept)
            yield page
            if not page.has_more:
                return

    def _full(self) -> bool:
        return self._max_items is not None and self.items_yielded >= self._max_items

    async def _items(self) -> AsyncGenerator[T, None]:
        if self._full():
            return
        pages = self._walk()
        async with aclosing(pages):  # a break closes the page walk now, not at GC time
            async for page in pages:
                for item in page.items:
                    self.items_yielded += 1
                    yield item
                    if self._full():
                        return

    def pages(self) -> AsyncIterator[Page[T]]:
        """Iterate whole pages; ``page.cursor`` is the checkpoint after each one."""
        return self._start(self._walk())

    def __aiter__(self) -> AsyncIterator[T]:
        return self._start(self._items())
