"""The classifier table (tests/data/classifier_table.json), driven through the client on
aioresponses: each row's error class and number of server hits."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import tuya_thing_async
from tests.client.conftest import FakeTuya
from tuya_thing_async import TuyaClient

ROWS = json.loads((Path(__file__).parents[1] / "data" / "classifier_table.json").read_text())
ROUTES = {
    True: ("GET", r"/v2\.0/cloud/thing/vdevo1/state"),
    False: ("POST", r"/v2\.0/cloud/thing/vdevo1/reset"),
}


def _reply(fake: FakeTuya, row: dict[str, Any]) -> object:
    if row["code"] == "malformed":
        return (row["status"], b'{"success": tr', "application/json")
    if row["code"] is None:
        headers = {"Retry-After": row["retry_after"]} if "retry_after" in row else {}
        return (row["status"], "<html>error</html>", "text/html", headers)
    body = fake.fail(row["code"], row["msg"])
    return (row["status"], json.dumps(body), "application/json")


@pytest.mark.parametrize(
    "row",
    ROWS["rows"],
    ids=lambda r: f"{r['status']}-{r['code']}-{'idem' if r['idempotent'] else 'unsafe'}"
    + ("-retry-after" if "retry_after" in r else ""),
)
async def test_classifier_row(
    fake: FakeTuya, make_client: Callable[..., TuyaClient], row: dict[str, Any]
) -> None:
    method, path = ROUTES[row["idempotent"]]
    fake.on(method, path, _reply(fake, row))  # type: ignore[arg-type]
    expected = getattr(tuya_thing_async, row["error"])
    async with make_client() as tuya:
        call = tuya.devices.get_state if row["idempotent"] else tuya.devices.reset
        with pytest.raises(expected) as info:
            await call("vdevo1")
    assert type(info.value) is expected
    hits = len(fake.calls(method, path))
    if isinstance(row["hits"], str):  # ">=N": retried until the deadline
        assert hits >= int(row["hits"].removeprefix(">="))
    else:
        assert hits == row["hits"]
