"""A deterministic photovoltaic home-energy fleet: inverters, battery storage and smart meters,
with 7 days of operation logs (all 10 event types) and data-point reports at realistic
intervals. The same ``seed`` always gives the same devices, values and times (relative to the
emulator clock at seeding).

Every device draws from its own generators (``"{seed}:{index}"`` for its details,
``"{seed}:{index}:logs"`` for its logs), so device N is the same whatever the fleet's size,
and its logs can be generated again at any time, identical, instead of being stored.
"""

from __future__ import annotations

import math
import random
from typing import Any

from .records import DeviceRecord, FirmwareChannel, LogStore, OpRow, ReportRow

__all__ = [
    "CITIES",
    "DAY_MS",
    "KINDS",
    "RETENTION_MS",
    "DeviceRecord",
    "FirmwareChannel",
    "fleet_ids",
    "kind_of",
    "make_device",
    "make_spaces",
    "product_id",
    "seeded_logs",
]

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
    """The IDs of a seeded fleet of ``devices``, in fleet order, without building it."""
    return [_device_id(_device_rng(seed, i), i) for i in range(devices)]


def kind_of(index: int) -> str:
    return ("inverter", "storage", "meter")[index % 3]


def product_id(seed: int, kind: str) -> str:
    """The product ID shared by every device of ``kind`` (as on Tuya, one per product)."""
    return _hex(random.Random(f"{seed}:product:{kind}"), 16)


def make_spaces(devices: int, seed: int) -> tuple[list[str], list[str]]:
    """(site space IDs, home space IDs); devices start in the dealers' site spaces."""
    rng = random.Random(seed)
    sites = [str(100_000 + rng.randint(0, 899_999)) for _ in range(max(1, devices // 25 + 1))]
    homes = [str(2_000_000 + rng.randint(0, 7_999_999)) for _ in range(max(2, devices // 2))]
    return sites, homes


def make_device(
    seed: int, index: int, now_ms: int, space_id: str, logs: LogStore | None = None
) -> DeviceRecord:
    """Device ``index`` of the fleet: its details and firmware; ``logs`` makes its logs."""
    rng = _device_rng(seed, index)
    kind = kind_of(index)
    spec = KINDS[kind]
    _, tz, lon, lat = CITIES[index % len(CITIES)]
    device_id = _device_id(rng, index)
    created = now_ms // 1000 - rng.randint(8, 400) * 86400
    _hex(rng, 16)  # once a per-device product ID; still drawn so later details keep their values
    return DeviceRecord(
        id=device_id,
        kind=kind,
        name=spec["product"],
        custom_name=f"{kind.title()} {index + 1:03d}",
        category=spec["category"],
        product_id=product_id(seed, kind),
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
        index=index,
        log_store=logs,
        channels=_channels(rng, spec["channels"], (created + 3600) * 1000),
    )


def _channels(
    rng: random.Random, channels: tuple[tuple[int, str], ...], upgraded_ms: int
) -> dict[int, FirmwareChannel]:
    """Firmware channels, about 60% with an update available."""
    out = {}
    for channel, desc in channels:
        minor = rng.randint(0, 4)
        available = rng.random() < 0.6
        newest = f"1.{minor + 1}.0" if available else f"1.{minor}.0"
        out[channel] = FirmwareChannel(
            channel, desc, f"1.{minor}.0", newest, int(available), last_upgrade_ms=upgraded_ms
        )
    return out


def seeded_logs(
    seed: int, now_ms: int, index: int, ahead_ms: int = 0
) -> tuple[list[OpRow], list[ReportRow]]:
    """Device ``index``'s 7 days of (operations, reports) up to ``now_ms``, plus ``ahead_ms``
    of logs after it (shown once the emulator clock reaches them), both ascending; the same
    lists every time for the same arguments."""
    rng = random.Random(f"{seed}:{index}:logs")
    kind = kind_of(index)
    tz = int(CITIES[index % len(CITIES)][1][:3])
    start = now_ms - RETENTION_MS + 60_000
    now_ms += ahead_ms
    reports = _reports(kind, tz, rng, start, now_ms)
    days = -(-(now_ms - start) // DAY_MS)
    ops = [*_daily_operations(KINDS[kind]["codes"], rng, start, days), *_lifecycle(rng, start)]
    ops.sort()
    seq = len(reports)
    operations = [
        (t, seq + i, event, code, value, source, status)
        for i, (t, event, code, value, source, status) in enumerate(ops)
        if t < now_ms
    ]
    return operations, reports


def _reports(kind: str, tz: int, rng: random.Random, start: int, now_ms: int) -> list[ReportRow]:
    spec = KINDS[kind]
    step = spec["every_min"] * 60_000
    acc: dict[str, float] = {}
    rows: list[ReportRow] = []
    t = start + rng.randint(0, step)
    while t < now_ms:
        for code in spec["codes"]:
            rows.append((t, len(rows), code, _report_value(kind, code, t, tz, rng, acc)))
        t += step + rng.randint(-20_000, 20_000)
    return rows


_Op = tuple[int, int, str, str, str, str]  # (time, event id, code, value, source, status)


def _daily_operations(
    codes: tuple[str, ...], rng: random.Random, start: int, days: int
) -> list[_Op]:
    ops: list[_Op] = []
    for day in range(days):
        base = start + day * DAY_MS
        off = base + rng.randint(0, DAY_MS // 2)
        ops.append((off, 2, "", "offline", "1", "1"))
        ops.append((off + rng.randint(60_000, 3_600_000), 1, "", "online", "1", "1"))
        rssi = str(-rng.randint(40, 85))
        ops.append((base + rng.randint(0, DAY_MS), 8, "rssi", rssi, "1", "1"))
        ops.append((base + 6 * 3_600_000, 10, "timer", "charge_window", "4", "1"))
        for hour in range(0, 24, 3):
            code = rng.choice(codes)
            at = base + hour * 3_600_000 + rng.randint(0, 600_000)
            ops.append((at, 7, code, str(rng.randint(0, 5000)), "1", "1"))
        if day % 2 == 0:
            mode = rng.choice(("self_use", "backup", "feed_in"))
            ops.append((base + rng.randint(0, DAY_MS), 5, "work_mode", mode, "2", "1"))
    return ops


def _lifecycle(rng: random.Random, start: int) -> list[_Op]:
    first = start + rng.randint(0, DAY_MS)
    return [
        (first, 3, "", "activated", "1", "1"),
        (first + 600_000, 4, "", "reset", "4", "1"),
        (first + 1_200_000, 9, "", "restart", "1", "1"),
        (first + 1_800_000, 6, "firmware", "1.0.0", "4", "1"),
    ]
