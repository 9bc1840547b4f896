"""Every endpoint at the HTTP level: exact method, path, sorted query, body bytes and signed
headers, and the answer parsed into its model."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import pytest

from tests.client.conftest import ACCESS_ID, SECRET, FakeTuya, Seen
from tuya_thing_async import (
    Device,
    DeviceState,
    FirmwareProgress,
    LogType,
    TuyaAPIError,
    TuyaClient,
    TuyaValidationError,
    UpgradeStatus,
    _signing,
)

DEV = "vdevo1234567890"
START = datetime(2026, 11, 20, tzinfo=UTC)
END = datetime(2026, 11, 21, tzinfo=UTC)
DEVICE = {
    "id": DEV,
    "name": "Inverter",
    "custom_name": "Garage",
    "category": "nbq",
    "active_time": 1700000000,
    "create_time": 1700000000,
    "update_time": 1700000000,
    "lat": "30.48",
    "lon": "120.15",
    "is_online": True,
}


def assert_signed(seen: Seen, token: str) -> None:
    """Recompute the signature from what was sent, as a server would."""
    headers = seen.headers
    query = parse_qsl(seen.url.raw_query_string, keep_blank_values=True)
    sts = _signing.string_to_sign(
        seen.method,
        _signing.body_sha256(seen.body),
        _signing.canonical_url(seen.url.raw_path, query),
    )
    expected = _signing.sign(
        client_id=ACCESS_ID,
        secret=SECRET,
        t=headers["t"],
        sts=sts,
        access_token=token,
        nonce=headers["nonce"],
    )
    assert headers["sign"] == expected
    assert headers["client_id"] == ACCESS_ID and headers["sign_method"] == "HMAC-SHA256"
    assert len(headers["t"]) == 13 and len(headers["nonce"]) == 32
    assert headers.get("access_token", "") == token


Case = tuple[str, str, str | None, bytes, Any, Callable[[TuyaClient], Awaitable[Any]], Any]
T0, T1 = "1795132800000", "1795219200000"
CASES: list[Case] = [
    (
        "GET",
        f"/v2.0/cloud/thing/{DEV}",
        None,
        b"",
        DEVICE,
        lambda t: t.devices.get(DEV),
        lambda r: isinstance(r, Device) and r.lat == 30.48,
    ),
    (
        "GET",
        "/v2.0/cloud/thing/batch",
        "device_ids=a1,b2",
        b"",
        [DEVICE],
        lambda t: t.devices.get_many(["a1", "b2", "a1"]),
        lambda r: r.missing == ("a1", "b2") and r.devices == (),
    ),
    (
        "GET",
        f"/v2.0/cloud/thing/{DEV}/state",
        None,
        b"",
        {"state": 1},
        lambda t: t.devices.get_state(DEV),
        lambda r: r == DeviceState(frozen=True),
    ),
    (
        "POST",
        f"/v2.0/cloud/thing/{DEV}/freeze",
        None,
        b'{"state":1}',
        True,
        lambda t: t.devices.freeze(DEV),
        lambda r: r is None,
    ),
    (
        "POST",
        f"/v2.0/cloud/thing/{DEV}/freeze",
        None,
        b'{"state":0}',
        True,
        lambda t: t.devices.unfreeze(DEV),
        lambda r: r is None,
    ),
    (
        "POST",
        f"/v2.0/cloud/thing/{DEV}/attribute",
        None,
        '{"type":1,"data":"Garage inverter ☀"}'.encode(),
        True,
        lambda t: t.devices.rename(DEV, "Garage inverter ☀"),
        lambda r: r is None,
    ),
    (
        "POST",
        f"/v2.0/cloud/thing/{DEV}/attribute",
        None,
        b'{"type":2,"data":"smart/icon/abc.png"}',
        True,
        lambda t: t.devices.set_icon(DEV, "smart/icon/abc.png"),
        lambda r: r is None,
    ),
    (
        "POST",
        f"/v2.0/cloud/thing/{DEV}/attribute",
        None,
        b'{"type":3,"data":"120.15:30.48"}',
        True,
        lambda t: t.devices.set_location(DEV, lon=120.15, lat=30.48),
        lambda r: r is None,
    ),
    (
        "POST",
        f"/v2.0/cloud/thing/{DEV}/transfer",
        None,
        b'{"space_id":"12345"}',
        True,
        lambda t: t.devices.transfer(DEV, space_id=12345),
        lambda r: r is None,
    ),
    (
        "DELETE",
        f"/v2.0/cloud/thing/{DEV}",
        None,
        b"",
        True,
        lambda t: t.devices.delete(DEV),
        lambda r: r is None,
    ),
    (
        "POST",
        f"/v2.0/cloud/thing/{DEV}/reset",
        None,
        b"",
        True,
        lambda t: t.devices.reset(DEV),
        lambda r: r is None,
    ),
    (
        "GET",
        f"/v2.0/cloud/thing/{DEV}/logs",
        f"codes=switch_1&end_time={T1}&query_type=1&size=50&start_row_key=abc%3D&start_time={T0}&type=1,2",
        b"",
        {
            "device_id": DEV,
            "has_next": True,
            "next_row_key": "nxt",
            "current_row_key": "abc=",
            "logs": [
                {
                    "event_time": 1763600000000,
                    "event_id": 1,
                    "code": "",
                    "value": "online",
                    "event_from": "1",
                    "status": "ok",
                }
            ],
        },
        lambda t: t.logs.list_operations(
            DEV,
            types=[LogType.ONLINE, 2],
            start=START,
            end=END,
            codes=["switch_1"],
            size=50,
            cursor="abc=",
        ),
        lambda r: r.cursor == "nxt" and r.has_more and r.items[0].event_type is LogType.ONLINE,
    ),
    (
        "GET",
        f"/v2.0/cloud/thing/{DEV}/report-logs",
        f"codes=cur_power,battery_percentage&end_time={T1}&size=100&start_time={T0}",
        b"",
        {
            "device_id": DEV,
            "total": 1,
            "has_more": False,
            "last_row_key": "",
            "logs": [{"code": "cur_power", "value": "1520", "event_time": 1763600000000}],
        },
        lambda t: t.logs.list_reports(
            DEV, codes=["cur_power", "battery_percentage"], start=START, end=END
        ),
        lambda r: r.cursor is None and r.total == 1 and r.items[0].value == "1520",
    ),
    (
        "GET",
        f"/v2.0/cloud/thing/{DEV}/firmware",
        None,
        b"",
        [{"type": 0, "upgrade_status": 1, "current_version": "1.0", "version": "1.1"}],
        lambda t: t.firmware.get_updates(DEV),
        lambda r: r[0].available and r[0].channel == 0,
    ),
    (
        "GET",
        f"/v2.0/cloud/thing/{DEV}/firmware",
        None,
        b"",
        {"channel": 9, "upgrade_status": 0},
        lambda t: t.firmware.get_updates(DEV),
        lambda r: len(r) == 1 and r[0].channel == 9,
    ),
    (
        "POST",
        f"/v2.0/cloud/thing/{DEV}/firmware/9",
        None,
        b"",
        True,
        lambda t: t.firmware.start_update(DEV, channel=9),
        lambda r: r is None,
    ),
    (
        "GET",
        f"/v2.0/cloud/thing/{DEV}/firmware/9/progress",
        None,
        b"",
        {"upgrade_status": 2, "progress": 30},
        lambda t: t.firmware.get_progress(DEV, channel=9),
        lambda r: r == FirmwareProgress(UpgradeStatus.IN_PROGRESS, 30),
    ),
    (
        "GET",
        f"/v2.0/cloud/thing/{DEV}/state",
        None,
        b"",
        {"state": 0},
        lambda t: t.request("GET", f"/v2.0/cloud/thing/{DEV}/state"),
        lambda r: r == {"state": 0},
    ),
]


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{c[0]} {c[1].split(DEV)[-1] or 'device'}" for c in CASES]
)
async def test_endpoint_wire_format(
    fake: FakeTuya, make_client: Callable[..., TuyaClient], case: Case
) -> None:
    method, path, query, body, result, call, check = case
    fake.on(method, path.replace(".", r"\."), fake.ok(result))
    async with make_client() as tuya:
        answer = await call(tuya)
    assert check(answer), answer
    seen = fake.seen[-1]
    assert (seen.method, seen.url.raw_path) == (method, path)
    assert seen.url.raw_query_string == (query or "")
    assert seen.body == body
    assert ("Content-Type" in seen.headers) == bool(body)
    assert_signed(seen, "CANARY-ACCESS-1")
    assert_signed(fake.seen[0], "")  # the token grant: no access token in the string
    assert fake.seen[0].url.raw_path == "/v1.0/token"
    assert fake.seen[0].url.raw_query_string == "grant_type=1"


async def test_mutation_answered_false_raises(
    fake: FakeTuya, make_client: Callable[..., TuyaClient]
) -> None:
    fake.on("POST", f"/v2.0/cloud/thing/{DEV}/freeze", fake.ok(False))
    async with make_client() as tuya:
        with pytest.raises(TuyaAPIError, match="not true"):
            await tuya.devices.freeze(DEV)


async def test_bad_input_never_reaches_the_network(
    fake: FakeTuya, make_client: Callable[..., TuyaClient]
) -> None:
    async with make_client() as tuya:
        bad: list[Awaitable[Any]] = [
            tuya.devices.get("../token"),
            tuya.devices.get(""),
            tuya.devices.rename(DEV, ""),
            tuya.devices.set_location(DEV, lon=200, lat=0),
            tuya.firmware.start_update(DEV, channel=-1),
            tuya.firmware.get_progress(DEV, channel=True),  # type: ignore[arg-type]
            tuya.logs.list_reports(DEV, codes=[], start=START, end=END),
            tuya.logs.list_reports(DEV, codes=["a"], start=END, end=START),
            tuya.logs.list_operations(DEV, start=datetime(2026, 1, 1), end=END),
            tuya.logs.list_operations(DEV, size=101),
            tuya.devices.get_many(["ok", "a/b"]),
            tuya.request("GET", "/v2.0/cloud/thing/x?y=1"),
            tuya.request("GET", "/v2.0/cloud/../token"),
        ]
        for coro in bad:
            with pytest.raises(TuyaValidationError):
                await coro
        with pytest.raises(TuyaValidationError):
            tuya.logs.iter_reports(DEV, codes=["a b"])
    assert fake.seen == []
