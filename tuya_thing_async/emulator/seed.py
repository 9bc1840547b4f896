"""A deterministic photovoltaic home-energy fleet: inverters, battery storage and smart meters,
with 7 days of operation logs (all 10 event types) and data-point reports at realistic
intervals. The same ``seed`` always gives the same devices, values and times (relative to the
emulator clock at seeding)."""

from __future__ import annotations

import math
import random
from typing import Any

import attrs

DAY_MS = 86_400_000
RETENTION_MS = 7 * DAY_MS

#: Category, product name, data-point codes, report interval (minutes), firmware channels.
KINDS: dict[str, dict[str, Any]] = {
    "inverter": {
        "category": "nbq",
        "product": "Hybrid Solar Inverter 6kW",
        "codes": ("pv_power", "cur_power", "energy_today", "temp_current"),
        "every_min": 15,
        "channels": ((0, "Wi-Fi module"), (9, "MCU")),
    },
    "storage": {
        "category": "xnyjcn",
        "product": "Home Battery Storage 10kWh",
        "codes": ("battery_percentage", "cur_power", "charge_energy", "discharge_energy"),
        "every_min": 15,
        "channels": ((0, "Wi-Fi module"), (9, "BMS MCU")),
    },
    "meter": {
        "category": "zndb",
        "product": "Smart Energy Meter",
        "codes": ("cur_power", "cur_voltage", "forward_energy_total"),
        "every_min": 30,
        "channels": ((0, "Wi-Fi module"),),
    },
}
CITIES = (
    ("Europe/Berlin", "+01:00", 13.40, 52.52),
    ("Europe/Madrid", "+01:00", -3.70, 40.42),
    ("Asia/Shanghai", "+08:00", 120.15, 30.28),
    ("America/Sao_Paulo", "-03:00", -46.63, -23.55),
)


@attrs.define
class FirmwareChannel:
    channel: int
    type_desc: str
    current_version: str
    version: str
    status: int  # 0 none, 1 available, 2 in progress, 3 done, 4 failed, 7 timed out
    started_ms: int | None = None
    outcome: int = 3  # how an update started on this channel ends (3, or 4/7 when injected)
    last_upgrade_ms: int = 0


@attrs.define
class DeviceRecord:
    id: str
    kind: str
    name: str
    custom_name: str
    category: str
    product_id: str
    product_name: str
    model: str
    icon: str
    ip: str
    uuid: str
    local_key: str
    time_zone: str
    lat: str
    lon: str
    bind_space_id: str
    active_time: int
    create_time: int
    update_time: int
    is_online: bool = True
    sub: bool = False
    frozen: bool = False
    channels: dict[int, FirmwareChannel] = attrs.Factory(dict)
    #: (event_time_ms, seq, event_id, code, value, event_from, status), ascending.
    operations: list[tuple[int, int, int, str, str, str, str]] = attrs.Factory(list)
    #: (event_time_ms, seq, code, value), ascending.
    reports: list[tuple[int, int, str, str]] = attrs.Factory(list)


def _hex(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def _solar(ms: int, tz_hours: int) -> float:
    """0..1 irradiance by local hour of day."""
    hour = ((ms / 3_600_000) + tz_hours) % 24
    return max(0.0, math.sin(math.pi * (hour - 6) / 13)) if 6 <= hour <= 19 else 0.0


def _report_value(
    kind: str, code: str, ms: int, tz: int, rng: random.Random, acc: dict[str, float]
) -> str:
    sun = _solar(ms, tz)
    if code == "pv_power":
        return str(int(6000 * sun * rng.uniform(0.7, 1.0)))
    if code == "cur_power":
        base = {"inverter": 5200 * sun, "storage": 2500 * (sun - 0.4), "meter": 800 - 3000 * sun}
        return str(int(base[kind] + rng.uniform(-150, 150)))
    if code == "battery_percentage":
        acc["soc"] = min(100.0, max(8.0, acc.get("soc", 55.0) + (sun - 0.35) * 4))
        return str(int(acc["soc"]))
    if code == "temp_current":
        return str(int(25 + 20 * sun + rng.uniform(-2, 2)))
    if code == "cur_voltage":
        return str(int(2300 + rng.uniform(-40, 40)))  # 0.1 V
    # energy counters, in 0.01 kWh, monotonic
    acc[code] = acc.get(code, rng.uniform(1000, 90000)) + rng.uniform(0, 40) * (sun + 0.2)
    return str(int(acc[code]))


def _device_id(rng: random.Random, index: int) -> str:
    return f"vdevo{rng.randint(10**11, 10**12 - 1)}{index:05d}"


def _device_rng(seed: int, index: int) -> random.Random:
    """One generator per device: device N is the same whatever the fleet's size."""
    return random.Random(f"{seed}:{index}")


def fleet_ids(devices: int, seed: int) -> list[str]:
    """The IDs ``make_fleet(devices, seed, ...)`` gives, without building the fleet."""
    return [_device_id(_device_rng(seed, i), i) for i in range(devices)]


def make_device(rng: random.Random, index: int, now_ms: int, space_id: str) -> DeviceRecord:
    kind = ("inverter", "storage", "meter")[index % 3]
    spec = KINDS[kind]
    _, tz, lon, lat = CITIES[index % len(CITIES)]
    device_id = _device_id(rng, index)
    created = now_ms // 1000 - rng.randint(8, 400) * 86400
    record = DeviceRecord(
        id=device_id,
        kind=kind,
        name=spec["product"],
        custom_name=f"{kind.title()} {index + 1:03d}",
        category=spec["category"],
        product_id=_hex(rng, 16),
        product_name=spec["product"],
        model=f"{spec['category'].upper()}-{rng.randint(100, 999)}",
        icon=f"smart/icon/{spec['category']}_{_hex(rng, 8)}.png",
        ip=f"203.0.113.{rng.randint(1, 254)}",
        uuid=_hex(rng, 16),
        local_key=_hex(rng, 16),
        time_zone=tz,
        lat=f"{lat + rng.uniform(-0.2, 0.2):.4f}",
        lon=f"{lon + rng.uniform(-0.2, 0.2):.4f}",
        bind_space_id=space_id,
        active_time=created + 60,
        create_time=created,
        update_time=now_ms // 1000 - rng.randint(0, 86400),
    )
    for channel, desc in spec["channels"]:
        minor = rng.randint(0, 4)
        available = rng.random() < 0.6
        record.channels[channel] = FirmwareChannel(
            channel,
            desc,
            f"1.{minor}.0",
            f"1.{minor + 1}.0" if available else f"1.{minor}.0",
            1 if available else 0,
            last_upgrade_ms=(created + 3600) * 1000,
        )
    _seed_logs(record, rng, now_ms, int(tz[:3]))
    return record


def _seed_logs(record: DeviceRecord, rng: random.Random, now_ms: int, tz: int) -> None:
    spec = KINDS[record.kind]
    start = now_ms - RETENTION_MS + 60_000
    seq = 0
    acc: dict[str, float] = {}
    step = spec["every_min"] * 60_000
    t = start + rng.randint(0, step)
    while t < now_ms:
        for code in spec["codes"]:
            record.reports.append((t, seq, code, _report_value(record.kind, code, t, tz, rng, acc)))
            seq += 1
        t += step + rng.randint(-20_000, 20_000)
    ops: list[tuple[int, int, str, str, str, str]] = []
    for day in range(7):
        base = start + day * DAY_MS
        off = base + rng.randint(0, DAY_MS // 2)
        ops.append((off, 2, "", "offline", "1", "success"))
        ops.append((off + rng.randint(60_000, 3_600_000), 1, "", "online", "1", "success"))
        ops.append(
            (base + rng.randint(0, DAY_MS), 8, "rssi", str(-rng.randint(40, 85)), "1", "success")
        )
        ops.append((base + 6 * 3_600_000, 10, "timer", "charge_window", "4", "success"))
        for hour in range(0, 24, 3):
            code = rng.choice(spec["codes"])
            ops.append(
                (
                    base + hour * 3_600_000 + rng.randint(0, 600_000),
                    7,
                    code,
                    str(rng.randint(0, 5000)),
                    "1",
                    "success",
                )
            )
        if day % 2 == 0:
            ops.append(
                (
                    base + rng.randint(0, DAY_MS),
                    5,
                    "work_mode",
                    rng.choice(("self_use", "backup", "feed_in")),
                    "2",
                    "success",
                )
            )
    first = start + rng.randint(0, DAY_MS)
    ops.append((first, 3, "", "activated", "1", "success"))
    ops.append((first + 600_000, 4, "", "reset", "4", "success"))
    ops.append((first + 1_200_000, 9, "", "restart", "1", "success"))
    ops.append((first + 1_800_000, 6, "firmware", "1.0.0", "4", "success"))
    ops.sort()
    record.operations = [
        (t_, seq + i, event, code, value, source, status)
        for i, (t_, event, code, value, source, status) in enumerate(ops)
        if t_ < now_ms
    ]


def make_fleet(
    devices: int, seed: int, now_ms: int
) -> tuple[list[DeviceRecord], list[str], list[str]]:
    """(devices, site space IDs, home space IDs); devices start in the dealers' site spaces."""
    rng = random.Random(seed)
    sites = [str(100_000 + rng.randint(0, 899_999)) for _ in range(max(1, devices // 25 + 1))]
    homes = [str(2_000_000 + rng.randint(0, 7_999_999)) for _ in range(max(2, devices // 2))]
    fleet = [
        make_device(_device_rng(seed, i), i, now_ms, sites[i % len(sites)]) for i in range(devices)
    ]
    return fleet, sites, homes
