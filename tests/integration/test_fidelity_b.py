"""Real-cloud fidelity of the emulator and the SDK together: operation-log editions
(``query_type``), paid-edition paging, the real operation-log shapes, ``model`` in batch
answers, and the shared project token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from tests.conftest import fast_settings
from tests.integration.conftest import RawTuya
from tuya_thing_async import OperationLog, TuyaClient
from tuya_thing_async.emulator import FakeCloud, serve

LOGS = "/v2.0/cloud/thing/{dev}/logs"


@pytest.fixture
async def raw(cloud: FakeCloud, base_url: str) -> AsyncIterator[RawTuya]:
    async with aiohttp.ClientSession() as http:
        client = RawTuya(cloud, base_url, http)
        await client.login()
        yield client


def _window(cloud: FakeCloud) -> dict[str, str]:
    end = cloud.now_ms()
    return {
        "type": "1,2,3,4,5,6,7,8,9,10",
        "start_time": str(end - 86_400_000 * 7),
        "end_time": str(end),
    }


def _last_query(cloud: FakeCloud) -> dict[str, list[str]]:
    return parse_qs(urlsplit(cloud.requests[-1][1]).query)


def _key(log: OperationLog) -> tuple[Any, ...]:
    return (log.event_time, log.event_id, log.code, log.value)


@pytest.mark.parametrize(
    ("edition", "query_type"),
    [pytest.param("free", "1", id="free"), pytest.param("paid", "2", id="paid")],
)
async def test_the_sdk_sends_query_type(
    tuya: TuyaClient, cloud: FakeCloud, edition: Any, query_type: str
) -> None:
    await tuya.logs.list_operations(cloud.device_ids[0], size=5, edition=edition)
    assert _last_query(cloud)["query_type"] == [query_type]


async def test_the_default_edition_is_free(tuya: TuyaClient, cloud: FakeCloud) -> None:
    page = await tuya.logs.list_operations(cloud.device_ids[0], size=5)
    assert _last_query(cloud)["query_type"] == ["1"]
    assert page.items and all(item.row == "" for item in page.items)


async def test_paid_paging_walks_every_entry_once(tuya: TuyaClient, cloud: FakeCloud) -> None:
    dev = cloud.device_ids[2]
    start, end = datetime.now(UTC) - timedelta(days=2), datetime.now(UTC)
    free = [_key(x) async for x in tuya.logs.iter_operations(dev, start=start, end=end, size=4)]
    paid_pages = [
        p
        async for p in tuya.logs.iter_operations(
            dev, start=start, end=end, size=4, edition="paid"
        ).pages()
    ]
    paid = [x for p in paid_pages for x in p.items]
    assert len(paid_pages) > 3
    assert [_key(x) for x in paid] == free  # every entry once, newest first
    assert len({x.row for x in paid}) == len(paid) and all(x.row for x in paid)
    assert {p.count for p in paid_pages} == {len(paid)}
    sent = [parse_qs(urlsplit(path).query) for _, path, _ in cloud.requests if "/logs?" in path]
    paid_queries = [q for q in sent if q["query_type"] == ["2"]]
    assert len(paid_queries) == len(paid_pages)
    assert all("last_event_time" in q for q in paid_queries[1:])


async def test_paid_paging_resumes_from_any_page_cursor(tuya: TuyaClient, cloud: FakeCloud) -> None:
    dev = cloud.device_ids[3]
    window: dict[str, Any] = {
        "start": datetime.now(UTC) - timedelta(days=1),
        "end": datetime.now(UTC),
        "size": 3,
        "edition": "paid",
    }
    pages = [p async for p in tuya.logs.iter_operations(dev, **window).pages()]
    everything = [x for p in pages for x in p.items]
    assert len(pages) > 2 and pages[-1].cursor is None
    seen = 0
    for page in pages[:-1]:
        seen += len(page.items)
        assert page.cursor is not None
        rest = [x async for x in tuya.logs.iter_operations(dev, start_cursor=page.cursor, **window)]
        assert rest == everything[seen:]


async def test_strict_models_read_the_emulators_real_shapes(
    tuya: TuyaClient, cloud: FakeCloud
) -> None:
    dev = cloud.device_ids[4]
    free = [x async for x in tuya.logs.iter_operations(dev, size=100)]
    paid = [x async for x in tuya.logs.iter_operations(dev, size=100, edition="paid")]
    assert free and {x.status for x in free + paid} == {"1"}
    assert all(x.row for x in paid)
    batch = (await tuya.devices.get_many(cloud.device_ids[:3])).devices
    details = [await tuya.devices.get(d) for d in cloud.device_ids[:3]]
    assert [d.model for d in batch] == [d.model for d in details] and all(d.model for d in batch)


async def test_free_edition_answer_shapes(raw: RawTuya, cloud: FakeCloud) -> None:
    dev = cloud.device_ids[5]
    query = {**_window(cloud), "query_type": "1", "size": "20"}
    pages = []
    while True:
        result = (await raw.call("GET", LOGS.format(dev=dev), query))["result"]
        pages.append(result)
        if not result["has_next"]:
            break
        query["start_row_key"] = result["next_row_key"]
    assert len(pages) > 1 and all(p["current_row_key"] for p in pages)
    assert all("next_row_key" in p for p in pages[:-1]) and "next_row_key" not in pages[-1]
    assert {e["status"] for p in pages for e in p["logs"]} == {"1"}


async def test_paid_edition_answer_shape(raw: RawTuya, cloud: FakeCloud) -> None:
    dev = cloud.device_ids[5]
    query = {**_window(cloud), "query_type": "2", "size": "10"}
    first = (await raw.call("GET", LOGS.format(dev=dev), query))["result"]
    assert set(first) == {"device_id", "has_next", "count", "logs"} and first["has_next"]
    last = first["logs"][-1]
    query |= {"last_row_key": last["row"], "last_event_time": str(last["event_time"])}
    second = (await raw.call("GET", LOGS.format(dev=dev), query))["result"]
    assert second["logs"][0]["event_time"] <= last["event_time"]
    assert not {e["row"] for e in first["logs"]} & {e["row"] for e in second["logs"]}
    assert second["count"] == first["count"] > 20


@pytest.mark.parametrize(
    ("extra", "drop", "code"),
    [
        pytest.param({}, "query_type", 1100, id="query_type-missing"),
        pytest.param({"query_type": ""}, "", 1100, id="query_type-empty"),
        pytest.param({"query_type": "3"}, "", 1109, id="query_type-3"),
        pytest.param({"query_type": "2", "last_row_key": "x"}, "", 1100, id="no-last_event_time"),
        pytest.param(
            {"query_type": "2", "last_row_key": "bm90|1|1", "last_event_time": "1"},
            "",
            1109,
            id="foreign-row",
        ),
    ],
)
async def test_operation_log_parameter_errors(
    raw: RawTuya, cloud: FakeCloud, extra: dict[str, str], drop: str, code: int
) -> None:
    query = {**_window(cloud), "query_type": "1", **extra}
    query.pop(drop, None)
    data = await raw.call("GET", LOGS.format(dev=cloud.device_ids[0]), query)
    assert (data["success"], data["code"]) == (False, code)


async def test_paid_row_with_a_wrong_event_time_is_refused(raw: RawTuya, cloud: FakeCloud) -> None:
    dev = cloud.device_ids[0]
    query = {**_window(cloud), "query_type": "2", "size": "5"}
    row = (await raw.call("GET", LOGS.format(dev=dev), query))["result"]["logs"][-1]["row"]
    query |= {"last_row_key": row, "last_event_time": "12345"}
    assert (await raw.call("GET", LOGS.format(dev=dev), query))["code"] == 1109


# -- the shared project token (in process; the two-process run is in test_shared_token) ----


async def test_a_grant_while_valid_returns_the_same_token_with_its_remaining_life() -> None:
    cloud = FakeCloud.seeded(devices=1, token_ttl=100)
    first = cloud.grant()
    cloud.advance(30)
    second = cloud.grant()
    assert (second["access_token"], second["refresh_token"]) == (
        first["access_token"],
        first["refresh_token"],
    )
    assert (first["expire_time"], second["expire_time"]) == (100, 70)
    cloud.advance(71)
    assert cloud.grant()["access_token"] != first["access_token"]  # expired: a new pair


async def test_a_refresh_by_one_client_invalidates_the_token_for_every_holder() -> None:
    cloud = FakeCloud.seeded(devices=2, token_ttl=60)
    settings = fast_settings()
    async with serve(cloud) as url:
        clients = [
            TuyaClient(cloud.credentials, base_url=url, insecure_http=True, settings=settings)
            for _ in range(2)
        ]
        a, b = clients
        dev = cloud.device_ids[0]
        async with a, b:
            await a.devices.get_state(dev)
            await b.devices.get_state(dev)
            assert (a.stats.token_grants, b.stats.token_grants) == (1, 1)
            assert len(cloud._grants) == 1  # one token for the project
            cloud.expire_tokens()
            await a.devices.get_state(dev)  # a refreshes
            assert a.stats.token_refreshes == 1 and cloud.errors[1010] == 1
            await b.devices.get_state(dev)  # b: 1010, its refresh is spent, so a grant
            assert cloud.errors[1010] == 3
            assert (b.stats.token_refreshes, b.stats.token_grants) == (0, 2)
            assert len(cloud._grants) == 2
            await a.devices.get_state(dev)  # both now hold the same token
            assert cloud.errors[1010] == 3


async def test_a_paid_harvest_yields_what_paid_paging_yields(
    tuya: TuyaClient, cloud: FakeCloud
) -> None:
    ids = cloud.device_ids[6:8]
    start, end = datetime.now(UTC) - timedelta(days=1), datetime.now(UTC)
    window: dict[str, Any] = {"start": start, "end": end, "size": 3, "edition": "paid"}
    expected = {d: [x async for x in tuya.logs.iter_operations(d, **window)] for d in ids}
    got: dict[str, list[OperationLog]] = {d: [] for d in ids}
    async with tuya.logs.harvest_operations(ids, concurrency=2, **window) as harvest:
        async for item in harvest:
            got[item.device_id].append(item.record)
    assert got == expected and all(len(v) > 3 for v in got.values())
