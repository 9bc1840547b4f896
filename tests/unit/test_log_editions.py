"""Operation-log editions against hand-written answers of the real shapes: ``query_type`` on
the wire, free-edition paging with a real ``current_row_key``, paid-edition paging with the
last entry's ``row`` + ``event_time``, and cursors that belong to one edition only."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest

from tests.conftest import fast_settings
from tuya_thing_async import (
    Credentials,
    MockTransport,
    SignedRequest,
    TransportResponse,
    TuyaClient,
    TuyaProtocolError,
    TuyaValidationError,
)

DEV = "bf1234567890abcdefgh"
T0 = 1_795_000_000_000
GRANT = {"access_token": "a" * 32, "refresh_token": "r" * 32, "expire_time": 7200, "uid": "u"}


def _entry(ms: int, value: str, **extra: Any) -> dict[str, Any]:
    """One operation-log entry as Tuya sends it: strings for value, source and status."""
    base = {"code": "switch_1", "event_from": "1", "event_id": 7, "event_time": ms}
    return base | {"status": "1", "value": value} | extra


class Cloud:
    """Serves the token, then ``pages`` in order; keeps every business query it was sent."""

    def __init__(self, pages: list[dict[str, Any]]) -> None:
        self.pages: Iterator[dict[str, Any]] = iter(pages)
        self.queries: list[dict[str, list[str]]] = []

    def __call__(self, request: SignedRequest) -> TransportResponse:
        if request.path.startswith("/v1.0/token"):
            result: Any = GRANT
        else:
            self.queries.append(parse_qs(request.query))
            result = next(self.pages)
        body = {"result": result, "success": True, "t": T0, "tid": "0" * 32}
        return TransportResponse(
            200, {"Content-Type": "application/json"}, json.dumps(body).encode()
        )


def _client(cloud: Callable[[SignedRequest], TransportResponse]) -> TuyaClient:
    return TuyaClient(
        Credentials("canaryid0000", "secret"),
        base_url="https://openapi.tuyaeu.com",
        transport=MockTransport(cloud),
        settings=fast_settings(),  # strict models: an unknown field fails the test
    )


FREE_PAGES = [
    {
        "current_row_key": "MTNhMmFmYmI0NDE2",
        "device_id": DEV,
        "has_next": True,
        "logs": [_entry(T0, "true"), _entry(T0 - 5, "false")],
        "next_row_key": "MTNhMmFmYmI0NDE3",
    },
    {  # the last page: no next_row_key, current_row_key still a key
        "current_row_key": "MTNhMmFmYmI0NDE3",
        "device_id": DEV,
        "has_next": False,
        "logs": [_entry(T0 - 9, "true")],
    },
]

PAID_PAGES = [
    {
        "count": 3,
        "device_id": DEV,
        "has_next": True,
        "logs": [_entry(T0, "65", row="row-a"), _entry(T0 - 5, "66", row="row-b")],
    },
    {"count": 3, "device_id": DEV, "has_next": False, "logs": [_entry(T0 - 9, "67", row="row-c")]},
]


async def test_free_edition_real_shapes() -> None:
    cloud = Cloud(FREE_PAGES)
    async with _client(cloud) as tuya:
        pages = [p async for p in tuya.logs.iter_operations(DEV, size=2).pages()]
    assert [q["query_type"] for q in cloud.queries] == [["1"], ["1"]]
    assert "start_row_key" not in cloud.queries[0]
    assert cloud.queries[1]["start_row_key"] == ["MTNhMmFmYmI0NDE3"]
    assert [p.cursor for p in pages] == ["MTNhMmFmYmI0NDE3", None]
    items = [i for p in pages for i in p.items]
    assert [(i.value, i.status, i.row) for i in items] == [
        ("true", "1", ""),
        ("false", "1", ""),
        ("true", "1", ""),
    ]


async def test_paid_edition_real_shapes() -> None:
    cloud = Cloud(PAID_PAGES)
    async with _client(cloud) as tuya:
        pages = [p async for p in tuya.logs.iter_operations(DEV, size=2, edition="paid").pages()]
    assert [q["query_type"] for q in cloud.queries] == [["2"], ["2"]]
    assert "last_row_key" not in cloud.queries[0]
    assert (cloud.queries[1]["last_row_key"], cloud.queries[1]["last_event_time"]) == (
        ["row-b"],
        [str(T0 - 5)],
    )
    assert [i.row for p in pages for i in p.items] == ["row-a", "row-b", "row-c"]
    assert [(p.count, p.has_more) for p in pages] == [(3, True), (3, False)]
    assert pages[-1].cursor is None


async def test_a_paid_cursor_resumes_one_page_call() -> None:
    first = Cloud(PAID_PAGES[:1])
    async with _client(first) as tuya:
        page = await tuya.logs.list_operations(DEV, size=2, edition="paid")
    assert page.cursor is not None and "row-b" not in page.cursor  # opaque
    resumed = Cloud(PAID_PAGES[1:])
    async with _client(resumed) as tuya:
        rest = await tuya.logs.list_operations(DEV, size=2, edition="paid", cursor=page.cursor)
    assert resumed.queries[0]["last_row_key"] == ["row-b"]
    assert [i.row for i in rest.items] == ["row-c"]


async def test_paid_page_promising_more_without_a_row_is_a_protocol_error() -> None:
    page = {"count": 2, "has_next": True, "logs": [_entry(T0, "1")]}
    async with _client(Cloud([page])) as tuya:
        with pytest.raises(TuyaProtocolError):
            await tuya.logs.list_operations(DEV, edition="paid")


@pytest.mark.parametrize(
    ("edition", "cursor"),
    [
        pytest.param("gold", None, id="unknown-edition"),
        pytest.param("paid", "MTNhMmFmYmI0NDE3", id="free-cursor-on-paid"),
        pytest.param("free", "paid", id="paid-cursor-on-free"),
    ],
)
async def test_wrong_edition_or_cursor_is_refused_before_any_request(
    edition: Any, cursor: str | None
) -> None:
    cloud = Cloud([PAID_PAGES[0]])
    async with _client(cloud) as tuya:
        if cursor == "paid":
            cursor = (await tuya.logs.list_operations(DEV, size=2, edition="paid")).cursor
        sent = len(cloud.queries)
        with pytest.raises(TuyaValidationError):
            await tuya.logs.list_operations(DEV, edition=edition, cursor=cursor)
        with pytest.raises(TuyaValidationError):
            tuya.logs.iter_operations(DEV, edition=edition, start_cursor=cursor)
    assert len(cloud.queries) == sent
