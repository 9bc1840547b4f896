"""Query Devices in Project (``GET /v2.0/cloud/thing/device``) end to end: ``iter_project``
against the emulator, the emulator's paging and checks, and ``devices list`` feeding
``harvest --ids-file``."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest

from tests.conftest import client_tasks, fast_settings
from tuya_thing_async import (
    AiohttpTransport,
    Device,
    SignedRequest,
    Transport,
    TransportResponse,
    TuyaAPIError,
    TuyaClient,
    TuyaPaginationLoopError,
    TuyaValidationError,
)
from tuya_thing_async._converter import STRICT
from tuya_thing_async.emulator import FakeCloud
from tuya_thing_async.emulator.seed import KINDS, product_id

LISTING = "GET /v2.0/cloud/thing/device"
SEED = 11
CAMEL_FIELDS = {
    "id", "name", "customName", "productId", "productName", "category", "isOnline",
    "activeTime", "createTime", "updateTime", "timeZone", "lat", "lon", "ip", "icon", "uuid",
    "localKey", "sub",
}  # fmt: skip


@pytest.fixture
def cloud() -> FakeCloud:
    return FakeCloud.seeded(devices=45, seed=SEED)


async def ids_of(tuya: TuyaClient, **kwargs: Any) -> list[str]:
    async with tuya.devices.iter_project(**kwargs) as fleet:
        return [device.id async for device in fleet]


@pytest.mark.parametrize(
    "page_size",
    [
        pytest.param(1, id="one-a-page"),
        pytest.param(7, id="short-last-page"),
        pytest.param(20, id="full"),
    ],
)
async def test_every_device_once_in_id_order(
    cloud: FakeCloud, tuya: TuyaClient, page_size: int
) -> None:
    got = await ids_of(tuya, page_size=page_size)
    assert got == sorted(cloud.device_ids) and len(got) == 45
    # a short page ends the listing; a full last page costs one more (empty) request
    assert cloud.hits[LISTING] == math.floor(45 / page_size) + 1


async def test_break_stops_fetching_and_a_stream_runs_once(
    cloud: FakeCloud, tuya: TuyaClient
) -> None:
    async with tuya.devices.iter_project(page_size=5) as fleet:
        async for device in fleet:
            if device.id == min(cloud.device_ids):
                break
    assert cloud.hits[LISTING] == 1 and client_tasks() == []
    with pytest.raises(RuntimeError, match="only once"):
        [d async for d in fleet]


def _kinds(*kinds: str) -> Callable[[Device], bool]:
    return lambda d: d.category in {KINDS[k]["category"] for k in kinds}


@pytest.mark.parametrize(
    ("product_kinds", "categories", "expected"),
    [
        pytest.param(None, ["xnyjcn"], _kinds("storage"), id="one-category"),
        pytest.param(None, ["nbq", "zndb"], _kinds("inverter", "meter"), id="two-categories"),
        pytest.param(["inverter"], None, _kinds("inverter"), id="one-product"),
        pytest.param(["inverter", "meter"], ["nbq"], _kinds("inverter"), id="both-filters"),
        pytest.param(None, ["nope"], lambda d: False, id="no-match"),
    ],
)
async def test_filters(
    cloud: FakeCloud,
    tuya: TuyaClient,
    product_kinds: list[str] | None,
    categories: list[str] | None,
    expected: Callable[[Device], bool],
) -> None:
    products = [product_id(SEED, k) for k in product_kinds] if product_kinds else None
    async with tuya.devices.iter_project(products, categories, page_size=4) as fleet:
        got = [d async for d in fleet]
    assert [d.id for d in got] == sorted(d.id for d in got)
    want = sorted(d.id for d in await _all_details(tuya, cloud) if expected(d))
    assert [d.id for d in got] == want and (want or categories == ["nope"])


async def _all_details(tuya: TuyaClient, cloud: FakeCloud) -> tuple[Device, ...]:
    return (await tuya.devices.get_many(cloud.device_ids)).devices


async def test_listed_devices_match_their_details(cloud: FakeCloud, tuya: TuyaClient) -> None:
    """The camelCase listing parses in strict mode into the same values as the details."""
    raw = await tuya.request("GET", "/v2.0/cloud/thing/device", params={"page_size": 20})
    assert len(raw) == 20 and all(set(item) == CAMEL_FIELDS for item in raw)
    assert STRICT.structure(raw[0], Device).local_key == raw[0]["localKey"] != ""
    async with tuya.devices.iter_project() as fleet:
        listed = {d.id: d async for d in fleet}
    for detail in await _all_details(tuya, cloud):  # the listing has no model or space
        assert listed[detail.id] == attrs.evolve(detail, model="", bind_space_id=None)
    assert raw[0]["localKey"] not in repr(listed[raw[0]["id"]])


async def test_a_device_deleted_between_pages_does_not_break_the_cursor(
    cloud: FakeCloud, tuya: TuyaClient
) -> None:
    order = sorted(cloud.device_ids)
    got: list[str] = []
    async with tuya.devices.iter_project(page_size=5) as fleet:
        async for device in fleet:
            got.append(device.id)
            if len(got) == 5:  # the next page's last_id, and a device not listed yet
                del cloud.devices[order[4]]
                cloud.devices.pop(order[20])
    assert got == [i for i in order if i != order[20]]


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"product_ids": [f"p{i}" for i in range(6)]}, id="six-products"),
        pytest.param({"product_ids": "abc"}, id="products-one-string"),
        pytest.param({"product_ids": []}, id="products-empty"),
        pytest.param({"product_ids": [1]}, id="product-not-str"),
        pytest.param({"categories": ["a b"]}, id="category-space"),
        pytest.param({"categories": ["x,y"]}, id="category-comma"),
        pytest.param({"categories": ["../token"]}, id="category-path"),
        pytest.param({"categories": ["c" * 65]}, id="category-too-long"),
        pytest.param({"page_size": 0}, id="page-size-0"),
        pytest.param({"page_size": 21}, id="page-size-21"),
        pytest.param({"page_size": True}, id="page-size-bool"),
        pytest.param({"page_size": "20"}, id="page-size-str"),
    ],
)
async def test_bad_arguments_fail_before_any_request(
    cloud: FakeCloud, tuya: TuyaClient, kwargs: dict[str, Any]
) -> None:
    with pytest.raises(TuyaValidationError):
        tuya.devices.iter_project(**kwargs)
    assert sum(cloud.hits.values()) == 0


@pytest.mark.parametrize(
    ("params", "code"),
    [
        pytest.param({}, 1100, id="page-size-missing"),
        pytest.param({"page_size": 0}, 1109, id="page-size-0"),
        pytest.param({"page_size": 21}, 1109, id="page-size-21"),
        pytest.param({"page_size": "x"}, 1109, id="page-size-not-a-number"),
        pytest.param({"page_size": 5, "product_ids": "a,b,c,d,e,f"}, 1109, id="six-products"),
    ],
)
async def test_the_emulator_checks_its_parameters(
    tuya: TuyaClient, params: dict[str, Any], code: int
) -> None:
    with pytest.raises(TuyaAPIError) as info:
        await tuya.request("GET", "/v2.0/cloud/thing/device", params=params)
    assert info.value.code == code


# -- a cloud that misbehaves: the emulator's answers, rewritten on the way back -------------

Rewrite = Callable[[int, list[Any]], Any]


class Meddling(Transport):
    """Sends to the emulator; ``rewrite(n, result)`` replaces the n-th listing answer (from 0)."""

    def __init__(self, base_url: str, rewrite: Rewrite) -> None:
        self.inner, self.rewrite, self.pages = AiohttpTransport(base_url), rewrite, 0

    async def send(self, request: SignedRequest, *, timeout: float) -> TransportResponse:
        answer = await self.inner.send(request, timeout=timeout)
        if request.template != "/v2.0/cloud/thing/device":
            return answer
        data = json.loads(answer.body)
        data["result"] = self.rewrite(self.pages, data["result"])
        self.pages += 1
        return attrs.evolve(answer, body=json.dumps(data).encode())

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
def meddle(cloud: FakeCloud, base_url: str) -> Callable[[Rewrite], TuyaClient]:
    def client(rewrite: Rewrite) -> TuyaClient:
        return TuyaClient(
            cloud.credentials,
            base_url=base_url,
            insecure_http=True,
            transport=Meddling(base_url, rewrite),
            settings=fast_settings(),
        )

    return client


async def test_a_repeated_cursor_raises_a_loop_error(
    cloud: FakeCloud, meddle: Callable[[Rewrite], TuyaClient]
) -> None:
    first: list[Any] = []

    def replay_first_page(n: int, result: list[Any]) -> list[Any]:
        first[:] = first or result
        return first

    got: list[str] = []
    async with meddle(replay_first_page) as tuya:
        with pytest.raises(TuyaPaginationLoopError) as info:
            async with tuya.devices.iter_project(page_size=10) as fleet:
                async for device in fleet:
                    got.append(device.id)
    assert got == sorted(cloud.device_ids)[:10] and cloud.hits[LISTING] == 2
    assert info.value.cursor == got[-1]  # the last_id that came back again


async def test_devices_the_cloud_repeats_are_yielded_once(
    cloud: FakeCloud, meddle: Callable[[Rewrite], TuyaClient]
) -> None:
    previous: list[Any] = []

    def repeat_the_last_three(n: int, result: list[Any]) -> list[Any]:
        answer = previous[-3:] + result
        previous[:] = result
        return answer

    async with (
        meddle(repeat_the_last_three) as tuya,
        tuya.devices.iter_project(page_size=10) as fleet,
    ):
        got = [device.id async for device in fleet]
    assert got == sorted(cloud.device_ids) and fleet.duplicates == 3 * 4


@pytest.mark.parametrize(
    "wrap",
    [
        pytest.param(lambda n, r: {"list": r}, id="object-no-flag"),
        pytest.param(lambda n, r: {"devices": r, "has_more": len(r) == 10}, id="has_more"),
        pytest.param(lambda n, r: {"data": r, "hasMore": len(r) == 10}, id="hasMore"),
        pytest.param(lambda n, r: r or None, id="null-when-empty"),
    ],
)
async def test_other_answer_shapes_are_read(
    cloud: FakeCloud, meddle: Callable[[Rewrite], TuyaClient], wrap: Rewrite
) -> None:
    async with meddle(wrap) as tuya:
        assert await ids_of(tuya, page_size=10) == sorted(cloud.device_ids)


# -- the command line -------------------------------------------------------------------------

CLI = [sys.executable, "-m", "tuya_thing_async"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TUYA_")}
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=120, env=clean,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


HARVEST = ("harvest", "--emulator", "--codes", "cur_power", "--start", "-1d", "--end", "-1h")


def test_devices_list_feeds_harvest(tmp_path: Path) -> None:
    listed = run("devices", "list", "--emulator", "--categories", "xnyjcn,zndb")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    devices = [json.loads(line) for line in lines]
    assert {d["category"] for d in devices} == {"xnyjcn", "zndb"} and len(devices) == 33
    assert "local_key" not in listed.stdout
    ids = tmp_path / "ids.jsonl"
    ids.write_text("# picked from devices list\n" + "\n".join(lines[:3]) + "\n")
    harvested = run(*HARVEST, "--ids-file", str(ids), "--quiet")
    assert harvested.returncode == 0, harvested.stderr
    records = [json.loads(line) for line in harvested.stdout.splitlines()]
    assert {r["device_id"] for r in records} == {d["id"] for d in devices[:3]}


def test_devices_list_table_and_errors(tmp_path: Path) -> None:
    table = run("devices", "list", "--emulator", "--format", "table", "--product-ids", "nope")
    assert table.returncode == 0 and table.stdout.strip() == "(nothing)"
    table = run("devices", "list", "--emulator", "--format", "table")
    header = ["id", "custom_name", "name", "category", "product_id", "is_online"]
    assert table.stdout.split()[:6] == header and len(table.stdout.splitlines()) == 2 + 50
    too_many = run("devices", "list", "--emulator", "--product-ids", "a,b,c,d,e,f")
    assert too_many.returncode == 2 and "at most 5" in too_many.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"name": "no id here"}\n')
    refused = run(*HARVEST, "--ids-file", str(bad), "--quiet")
    assert refused.returncode == 2 and 'line 1: not a JSON object with an "id"' in refused.stderr


def test_emulator_devices_prints_ids_that_feed_harvest(tmp_path: Path) -> None:
    plain = run("emulator", "devices", "--devices", "4")
    verbose = run("emulator", "devices", "--devices", "4", "--verbose")
    ids = plain.stdout.split()
    assert len(ids) == 4 and all(i.startswith("vdevo") for i in ids)
    assert verbose.stdout.splitlines()[0].split() == [ids[0], "#", "inverter", "Inverter", "001"]
    (tmp_path / "ids.txt").write_text(plain.stdout)
    harvested = run(*HARVEST, "--ids-file", str(tmp_path / "ids.txt"), "--quiet")
    assert harvested.returncode == 0, harvested.stderr
    assert {json.loads(line)["device_id"] for line in harvested.stdout.splitlines()} == set(ids)
