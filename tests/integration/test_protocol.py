"""The emulator speaks Tuya's protocol: signatures, tokens, envelopes, parameter errors."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.integration.conftest import RawTuya
from tuya_thing_async.emulator import FakeCloud


@pytest.fixture
async def raw(cloud: FakeCloud, base_url: str) -> AsyncIterator[RawTuya]:
    async with aiohttp.ClientSession() as http:
        client = RawTuya(cloud, base_url, http)
        await client.login()
        yield client


async def test_official_connector_style_requests_are_accepted(
    raw: RawTuya, cloud: FakeCloud
) -> None:
    dev = cloud.device_ids[0]
    data = await raw.call("GET", f"/v2.0/cloud/thing/{dev}")
    assert data["success"] and data["result"]["id"] == dev
    assert len(data["result"]) == 20 and len(data["tid"]) == 32 and isinstance(data["t"], int)
    data = await raw.call("POST", f"/v2.0/cloud/thing/{dev}/freeze", body={"state": 1})
    assert data["result"] is True
    batch = await raw.call(
        "GET", "/v2.0/cloud/thing/batch", {"device_ids": ",".join(cloud.device_ids[:3])}
    )
    assert [d["id"] for d in batch["result"]] == cloud.device_ids[:3]
    assert all(len(d) == 20 and "model" in d for d in batch["result"])  # as real batch answers


@pytest.mark.parametrize(
    "tamper",
    [
        {"headers": {"sign": "0" * 64}},
        {"query": {"extra": "1"}},
        {"body": b'{"state": 0}'},
        {"headers": {"t": "1"}},
        {"headers": {"client_id": "someone-else"}},
        {"headers": {"sign_method": "MD5"}},
    ],
    ids=["sign", "query", "body", "time", "client", "method"],
)
async def test_tampering_is_rejected(
    raw: RawTuya, cloud: FakeCloud, tamper: dict[str, object]
) -> None:
    dev = cloud.device_ids[0]
    data = await raw.call(
        "POST", f"/v2.0/cloud/thing/{dev}/freeze", body={"state": 1}, tamper=tamper
    )
    expected = {"time": 1013, "client": 1005}
    name = next(iter(tamper["headers"])) if "headers" in tamper else ""  # type: ignore[call-overload]
    code = expected.get({"t": "time", "client_id": "client"}.get(name, ""), 1004)
    assert (data["success"], data["code"]) == (False, code)
    assert isinstance(data["t"], int) and data["msg"]
    assert not cloud.devices[dev].frozen


async def test_token_rules(raw: RawTuya, cloud: FakeCloud) -> None:
    dev = cloud.device_ids[0]
    old_access, old_refresh = raw.token, raw.refresh
    fresh = await raw.call("GET", f"/v1.0/token/{old_refresh}", token="")
    assert fresh["success"] and fresh["result"]["expire_time"] == 7200
    assert (await raw.call("GET", f"/v2.0/cloud/thing/{dev}"))["code"] == 1010
    spent = await raw.call("GET", f"/v1.0/token/{old_refresh}", token="")
    assert spent["code"] == 1010
    raw.token = fresh["result"]["access_token"]
    assert (await raw.call("GET", f"/v2.0/cloud/thing/{dev}"))["success"]
    cloud.advance(7201)
    expired = await raw.call("GET", f"/v2.0/cloud/thing/{dev}")
    assert (expired["code"], expired["msg"]) == (1010, "token is expired")
    assert (await raw.call("GET", f"/v2.0/cloud/thing/{dev}", token=""))["code"] == 1002
    assert (await raw.call("GET", "/v1.0/token", {"grant_type": "2"}, token=""))["code"] == 1003
    assert old_access != raw.token


@pytest.mark.parametrize(
    ("method", "path", "query", "body", "code"),
    [
        (
            "GET",
            "/v2.0/cloud/thing/batch",
            {"device_ids": ",".join(f"d{i}" for i in range(21))},
            None,
            1109,
        ),
        ("GET", "/v2.0/cloud/thing/batch", {}, None, 1100),
        (
            "GET",
            "/v2.0/cloud/thing/{dev}/report-logs",
            {"start_time": "1", "end_time": "2"},
            None,
            1100,
        ),
        (
            "GET",
            "/v2.0/cloud/thing/{dev}/report-logs",
            {"codes": "cur_power", "start_time": "5", "end_time": "2"},
            None,
            1109,
        ),
        (
            "GET",
            "/v2.0/cloud/thing/{dev}/report-logs",
            {"codes": "cur_power", "start_time": "1", "end_time": "2", "size": "101"},
            None,
            1109,
        ),
        (
            "GET",
            "/v2.0/cloud/thing/{dev}/logs",
            {"type": "11", "start_time": "1", "end_time": "2"},
            None,
            1109,
        ),
        ("GET", "/v2.0/cloud/thing/{dev}/logs", {"start_time": "1", "end_time": "2"}, None, 1100),
        ("POST", "/v2.0/cloud/thing/{dev}/freeze", {}, {"state": 2}, 1109),
        ("POST", "/v2.0/cloud/thing/{dev}/freeze", {}, {}, 1100),
        ("POST", "/v2.0/cloud/thing/{dev}/attribute", {}, {"type": 3, "data": "200:10"}, 1109),
        ("POST", "/v2.0/cloud/thing/{dev}/attribute", {}, {"type": 1, "data": ""}, 1100),
        ("POST", "/v2.0/cloud/thing/{dev}/transfer", {}, {}, 1100),
        ("GET", "/v2.0/cloud/thing/{dev}/firmware/99/progress", {}, None, 1109),
        ("GET", "/v2.0/cloud/thing/unknown1/state", {}, None, 1106),
        ("GET", "/v2.0/cloud/nothing", {}, None, 1108),
    ],
)
async def test_parameter_errors(
    raw: RawTuya,
    cloud: FakeCloud,
    method: str,
    path: str,
    query: dict[str, str],
    body: object,
    code: int,
) -> None:
    data = await raw.call(method, path.format(dev=cloud.device_ids[0]), query, body)
    assert (data["success"], data["code"]) == (False, code), data


async def test_signature_headers_and_nonce_are_verified(cloud: FakeCloud, base_url: str) -> None:
    """A Go-connector style request: nonce plus Signature-Headers, with their values signed."""
    from tuya_thing_async import _signing

    t = str(cloud.now_ms())
    signed = [("area_id", "29a33e8796834b1efa6"), ("call_id", "8afdb70ab2ed11eb8529")]
    sts = _signing.string_to_sign(
        "GET", _signing.EMPTY_BODY_SHA256, "/v1.0/token?grant_type=1", signed
    )
    sign = _signing.sign(
        client_id=cloud.access_id, secret=cloud.access_secret, t=t, sts=sts, nonce="n0nce"
    )
    headers = {
        "client_id": cloud.access_id,
        "sign": sign,
        "sign_method": "HMAC-SHA256",
        "t": t,
        "nonce": "n0nce",
        "Signature-Headers": "area_id:call_id",
        **dict(signed),
    }
    async with aiohttp.ClientSession() as http:
        async with http.get(base_url + "/v1.0/token?grant_type=1", headers=headers) as resp:
            assert (await resp.json())["success"]
        headers["call_id"] = "changed"
        async with http.get(base_url + "/v1.0/token?grant_type=1", headers=headers) as resp:
            assert (await resp.json())["code"] == 1004
        del headers["client_id"]
        async with http.get(base_url + "/v1.0/token?grant_type=1", headers=headers) as resp:
            assert (await resp.json())["code"] == 1105
