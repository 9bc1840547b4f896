"""Records the cloud repeats (on one page, or across a cursor boundary) are delivered once, by
every log stream, and a harvest resumed after a drop neither loses nor repeats a record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.client.conftest import FakeTuya, Seen
from tuya_thing_async import HarvestCheckpoint, TuyaClient

DEV = "vdevo1"
REPORTS = r"/v2\.0/cloud/thing/vdevo1/report-logs"
OPERATIONS = r"/v2\.0/cloud/thing/vdevo1/logs"


def _report(n: int) -> dict[str, Any]:
    return {"code": "cur_power", "value": str(n), "event_time": 1763600000000 - n * 1000}


def _operation(n: int) -> dict[str, Any]:
    return {"event_time": 1763600000000 - n, "event_id": 7, "code": "c", "value": str(n)}


#: Three pages: page 1 repeats record 2 on itself, page 2 repeats 3 and 4 from page 1 (the
#: cursor boundary) after a new record, page 3 repeats 6 from page 2. Seven records in all.
PAGES = [[1, 2, 2, 3, 4], [5, 3, 4, 6], [6, 7]]
IN_ORDER = ["1", "2", "3", "4", "5", "6", "7"]


def _serve(fake: FakeTuya, path: str, entry: Any, cursor: str, more: str, following: str) -> None:
    """Answer ``path`` with PAGES, paged by the ``cursor`` query key, in the given shape."""

    def answer(seen: Seen) -> Any:
        index = int(seen.url.query.get(cursor, "0"))
        logs = [entry(n) for n in PAGES[index]]
        return fake.ok({"logs": logs, more: index + 1 < len(PAGES), following: str(index + 1)})

    fake.on("GET", path, answer)


def _reports(fake: FakeTuya) -> None:
    _serve(fake, REPORTS, _report, "last_row_key", "has_more", "last_row_key")


async def test_iter_reports_drops_repeats(
    fake: FakeTuya, make_client: Callable[..., TuyaClient]
) -> None:
    _reports(fake)
    async with make_client() as tuya, tuya.logs.iter_reports(DEV, codes=["cur_power"]) as logs:
        values = [log.value async for log in logs]
    assert sorted(values) == IN_ORDER and len(values) == 7
    assert logs.duplicates == 4


async def test_iter_operations_drops_repeats(
    fake: FakeTuya, make_client: Callable[..., TuyaClient]
) -> None:
    _serve(fake, OPERATIONS, _operation, "start_row_key", "has_next", "next_row_key")
    async with make_client() as tuya, tuya.logs.iter_operations(DEV) as logs:
        values = [log.value async for log in logs]
    assert sorted(values) == IN_ORDER and len(values) == 7


async def test_harvest_drops_repeats_in_both_streams(
    fake: FakeTuya, make_client: Callable[..., TuyaClient]
) -> None:
    _reports(fake)
    async with make_client() as tuya:
        async with tuya.logs.harvest_reports([DEV], codes=["cur_power"]) as harvest:
            by_record = [item.record.value async for item in harvest]
        async with tuya.logs.harvest_reports([DEV], codes=["cur_power"]) as harvest:
            by_page = [r.value async for page in harvest.iter_pages() for r in page.records]
    assert by_record == by_page == ["1", "2", "3", "4", "5", "6", "7"]
    assert harvest.duplicates == 4


async def test_a_harvest_resumed_anywhere_is_exact(
    fake: FakeTuya, make_client: Callable[..., TuyaClient]
) -> None:
    """Stopped after every record in turn, then resumed from the saved checkpoint: the two
    runs together deliver each record once, in the clean run's order (the resumed run does
    not fetch the page before, so the checkpoint carries which entries repeat it)."""
    _reports(fake)
    for stop_after in range(1, 7):
        async with make_client() as tuya:
            first: list[str] = []
            async with tuya.logs.harvest_reports([DEV], codes=["cur_power"]) as harvest:
                async for item in harvest:
                    first.append(item.record.value)
                    if len(first) == stop_after:
                        saved = HarvestCheckpoint.from_json(harvest.checkpoint.to_json())
                        break
            async with tuya.logs.harvest_reports(
                [DEV], codes=["cur_power"], checkpoint=saved
            ) as harvest:
                rest = [item.record.value async for item in harvest]
        assert first + rest == ["1", "2", "3", "4", "5", "6", "7"], (stop_after, first, rest)
