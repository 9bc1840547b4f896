"""Both of Tuya's cursor shapes, on either endpoint."""

from __future__ import annotations

import pytest

from tuya_thing_async.errors import TuyaProtocolError
from tuya_thing_async.pagination import read_cursor


@pytest.mark.parametrize(
    ("result", "requested", "expected"),
    [
        ({"has_next": True, "next_row_key": "n2", "current_row_key": "n1"}, "n1", ("n2", True)),
        ({"has_next": True, "current_row_key": "c2"}, "c1", ("c2", True)),
        ({"has_more": True, "last_row_key": "l2"}, None, ("l2", True)),
        ({"has_next": True, "last_row_key": "l2"}, None, ("l2", True)),
        ({"has_more": True, "next_row_key": "n9"}, None, ("n9", True)),
        ({"has_more": False, "last_row_key": ""}, "x", (None, False)),
        ({"has_next": False, "next_row_key": "ignored"}, None, (None, False)),
        ({"logs": []}, None, (None, False)),
    ],
)
def test_cursor_shapes(
    result: dict[str, object], requested: str | None, expected: tuple[str | None, bool]
) -> None:
    assert read_cursor(result, requested) == expected


def test_more_without_a_cursor_is_a_protocol_error() -> None:
    with pytest.raises(TuyaProtocolError):
        read_cursor({"has_next": True, "current_row_key": "same"}, "same")
