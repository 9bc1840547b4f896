"""The emulator's lazy fleet: a 100,000-device project is cheap to build, its devices and logs
are the same on every build, and run-time changes (reset, added events, deletions) survive
the log cache's evictions."""

from __future__ import annotations

import gc
import re
import subprocess
import sys
import time

import attrs
import pytest

from tuya_thing_async.emulator import FakeCloud

NOW = 1_770_000_000.0
BIG = 100_000
SAMPLES = (0, 1, 2, 777, 31_337, 65_536, BIG - 1)


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")  # pragma: no cover


def fixed(devices: int, log_cache: int = 128) -> FakeCloud:
    """A fleet seeded at a fixed time, so two builds can be compared."""
    return FakeCloud.seeded(devices=devices, seed=7, clock=lambda: NOW, log_cache=log_cache)


def test_a_100k_fleet_builds_in_seconds_in_little_memory() -> None:
    gc.collect()
    before, began = rss_mb(), time.perf_counter()
    cloud = fixed(BIG)
    ids = cloud.device_ids
    elapsed, grown = time.perf_counter() - began, rss_mb() - before
    assert len(ids) == len(set(ids)) == BIG
    assert elapsed < 20 and grown < 300, f"{elapsed:.1f} s, {grown:.0f} MB"
    print(f"100k fleet: {elapsed:.2f} s, RSS +{grown:.0f} MB")


def test_two_builds_give_identical_devices_and_logs() -> None:
    first, second = fixed(BIG), fixed(BIG)
    assert first.device_ids == second.device_ids
    for index in SAMPLES:
        device_id = first.device_ids[index]
        a, b = first.devices[device_id], second.devices[device_id]
        assert a == b and a is not b
        assert a.reports == b.reports and len(a.reports) > 1000
        assert a.operations == b.operations and {r[2] for r in a.operations} == set(range(1, 11))


def test_a_device_is_the_same_whatever_the_fleet_size() -> None:
    small, big = fixed(5), fixed(500)
    for device_id in small.device_ids:
        a, b = small.devices[device_id], big.devices[device_id]
        assert a == attrs.evolve(b, bind_space_id=a.bind_space_id)  # more sites in a big fleet
        assert a.reports == b.reports and a.operations == b.operations


def test_evicted_logs_come_back_identical() -> None:
    cloud = fixed(5, log_cache=2)
    first = cloud.devices[cloud.device_ids[0]]
    reports, operations = list(first.reports), list(first.operations)
    for device_id in cloud.device_ids[1:]:  # pushes the first device's logs out of the cache
        assert cloud.devices[device_id].reports
    generated = cloud.devices.logs.generated
    assert first.reports == reports and first.operations == operations
    assert cloud.devices.logs.generated == generated + 1  # generated again, not kept


def test_run_time_changes_survive_eviction() -> None:
    cloud = fixed(4, log_cache=1)
    kept, reset, other = (cloud.devices[i] for i in cloud.device_ids[:3])
    cloud.add_operation(kept, int(NOW * 1000) - 5_000, 6, "firmware", "1.2.0")
    cloud.remove(reset.id, clear_logs=True)
    assert other.reports  # reading it evicts the other two
    assert kept.operations[-1][2:5] == (6, "firmware", "1.2.0")
    assert kept.operations == sorted(kept.operations)
    assert reset.reports == [] and reset.operations == [] and reset.id not in cloud.devices


def test_the_fleet_behaves_like_a_dict() -> None:
    cloud = fixed(6)
    ids = cloud.device_ids
    gone = cloud.devices.pop(ids[1])
    del cloud.devices[ids[2]]
    assert cloud.device_ids == [ids[0], *ids[3:]] and ids[2] not in cloud.devices
    with pytest.raises(KeyError):
        cloud.devices[ids[2]]
    cloud.devices[gone.id] = gone  # back, at the end, the same object
    assert cloud.device_ids[-1] == gone.id and cloud.devices[gone.id] is gone
    assert len(cloud.devices) == 5 and len(list(cloud.devices.values())) == 5


def test_reading_does_not_keep_devices_but_changing_does() -> None:
    cloud = fixed(BIG)
    first = cloud.view(cloud.device_ids[0])
    page = cloud.project_devices("", 20, None, None)
    assert cloud.devices.built() == 0 and first.reports
    cloud.device(cloud.device_ids[0]).frozen = True
    assert cloud.devices.built() == 1 and cloud.view(cloud.device_ids[0]).frozen
    assert first.frozen  # the copy read earlier is the device itself, not a stale one
    ids = [d.id for d in page]
    assert ids == sorted(ids) and ids[0] == min(cloud.device_ids)


@pytest.mark.parametrize(
    ("products", "categories", "kinds"),
    [
        pytest.param(None, None, {"inverter", "storage", "meter"}, id="no-filter"),
        pytest.param(None, frozenset({"xnyjcn"}), {"storage"}, id="category"),
        pytest.param("meter", None, {"meter"}, id="product"),
        pytest.param("meter", frozenset({"nbq"}), set(), id="both-no-match"),
    ],
)
def test_listing_pages_by_id_with_filters(
    products: str | None, categories: frozenset[str] | None, kinds: set[str]
) -> None:
    cloud = fixed(300)
    product_ids = None
    if products:
        product_ids = frozenset(d.product_id for d in cloud.devices.values() if d.kind == products)
    middle = sorted(cloud.device_ids)[150]
    page = cloud.project_devices(middle, 20, product_ids, categories)
    assert all(d.id > middle for d in page) and [d.id for d in page] == sorted(d.id for d in page)
    assert {d.kind for d in page} == kinds and len(page) == (20 if kinds else 0)


def test_emulator_devices_command_is_instant_for_5000() -> None:
    began = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "tuya_thing_async", "emulator", "devices", "--devices", "5000"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    elapsed = time.perf_counter() - began
    lines = out.splitlines()
    assert len(lines) == 5000 and all(re.fullmatch(r"vdevo\d{17}", line) for line in lines)
    assert elapsed < 10, f"{elapsed:.1f} s"
