"""Reading a Query Devices in Project answer: the documented list and the shapes the reference
notes cannot rule out."""

from __future__ import annotations

from typing import Any

import pytest

from tuya_thing_async import TuyaProtocolError
from tuya_thing_async.endpoints.devices import read_project_page

A, B = {"id": "a"}, {"id": "b"}


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        pytest.param([A, B], ([A, B], "b", True), id="full-list-more"),
        pytest.param([A], ([A], "a", False), id="short-list-last"),
        pytest.param([], ([], None, False), id="empty-list"),
        pytest.param(None, ([], None, False), id="null"),
        pytest.param({"list": [A, B]}, ([A, B], "b", True), id="object-no-flag"),
        pytest.param({"devices": [A, B], "has_more": False}, ([A, B], "b", False), id="flag"),
        pytest.param({"data": [A], "hasMore": True}, ([A], "a", True), id="camel-flag"),
        pytest.param(
            {"records": [A, B], "last_id": "z", "has_more": True}, ([A, B], "z", True), id="last_id"
        ),
        pytest.param({"list": [A, B], "lastId": ""}, ([A, B], "b", True), id="empty-lastId"),
        pytest.param([A, {"name": "x"}], ([A, {"name": "x"}], None, True), id="no-id-no-cursor"),
    ],
)
def test_answer_shapes(result: Any, expected: tuple[list[Any], str | None, bool]) -> None:
    assert read_project_page(result, page_size=2) == expected


@pytest.mark.parametrize(
    "result",
    [
        pytest.param({"total": 3}, id="object-without-list"),
        pytest.param("devices", id="string"),
        pytest.param(7, id="number"),
    ],
)
def test_other_answers_are_protocol_errors(result: Any) -> None:
    with pytest.raises(TuyaProtocolError, match="expected a list of devices") as info:
        read_project_page(result, page_size=2)
    assert info.value.path == "/v2.0/cloud/thing/device"
