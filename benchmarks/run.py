"""Run every benchmark and print the markdown table of benchmarks/README.md:
``python benchmarks/run.py`` (a few minutes on 2 cores).

``--smoke`` runs a tiny version of each (CI keeps them working; its numbers mean nothing).
Each comparison is measured side by side in one run; every number is a median.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import platform
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

import archive_formats  # noqa: E402
import bulk_details  # noqa: E402
import emulator_throughput  # noqa: E402
import harvest_latency  # noqa: E402
import harvest_scale  # noqa: E402
import hot_path  # noqa: E402
import rate_control  # noqa: E402
import vs_connector  # noqa: E402

Row = tuple[str, str, str, str]  # benchmark, measured, target, verdict


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def harvest_rows(smoke: bool, repeats: int) -> list[Row]:
    rows = []
    plans = (
        [(20.0, 0.0, (1, 4))] if smoke else [(50.0, 0.0, (1, 4, 16, 64)), (45.0, 10.0, (16, 64))]
    )
    for latency, jitter, levels in plans:
        shown = f"{latency:g} ms" if not jitter else f"{latency:g}+0..{jitter:g} ms"
        for r in asyncio.run(harvest_latency.measure(repeats, latency, levels, jitter)):
            rows.append(
                (
                    f"harvest pages/s at concurrency {r['concurrency']}, {shown} latency, "
                    + (
                        f"defaults except `max_concurrency={r['max_concurrency']}`"
                        if r["max_concurrency"] != 16
                        else "defaults"
                    ),
                    f"{r['pages_per_s']:,.0f} of {r['bound']:,.0f} bound ({r['ratio']:.0%})",
                    ">= 90% of concurrency / mean latency",
                    verdict(r["ratio"] >= 0.9),
                )
            )
    return rows


def _wire(level: float) -> str:
    """The SDK settings of a harvest row: the floor has ``level`` requests on the wire."""
    if level <= hot_path.DEFAULT_WIRE:
        return "defaults"
    return f"defaults except `max_concurrency={level:.0f}` (the floor's requests on the wire)"


def hot_rows(smoke: bool, repeats: int) -> list[Row]:
    """Paired CPU ratios, SDK against the floor; three times the usual repeats, as these are
    differences of a few tens of microseconds on a shared machine."""
    repeats *= 3
    rows = []
    levels = (1, 4) if smoke else (1, 16, 64)
    for r in asyncio.run(hot_path.measure_pages(repeats, levels, 20 if smoke else 150)):
        ratio, per_record = r["pages_ratio"], r["records_ratio"]
        rows.append(
            (
                f"harvest CPU per 100-record page, concurrency {r['concurrency']:.0f}, no "
                f"latency, {_wire(r['concurrency'])}: SDK page stream (`iter_pages`) vs "
                "hand-signed aiohttp pager",
                f"{r['pages']:.0f} vs {r['floor']:.0f} us ({ratio:.2f}x); per-record stream "
                f"{r['records']:.0f} us ({per_record:.2f}x)",
                "<= 1.3x the floor",
                verdict(ratio <= 1.3),
            )
        )
    c = asyncio.run(hot_path.measure_calls(repeats, 48 if smoke else 480))
    for label, key, target in (
        ("`devices.get`", "get", 1.2),
        ("20-ID batch of known devices (`get_many` vs one signed batch GET)", "batch", 1.3),
    ):
        ratio = c[f"{key}_ratio"]
        rows.append(
            (
                f"client CPU per {label}, 16 concurrent, no latency, defaults: SDK vs "
                f"hand-signed aiohttp client ({hot_path.CALL_EMULATORS} emulator processes)",
                f"{c[f'{key}_sdk']:.0f} vs {c[f'{key}_floor']:.0f} us ({ratio:.2f}x)",
                f"<= {target}x the floor",
                verdict(ratio <= target),
            )
        )
    f = asyncio.run(hot_path.measure_fanout(100_000 if smoke else 1_000_000))
    spread = f["handoff_us_256"] / f["handoff_us_4"]
    rows += [
        (
            f"fan-out start with {100_000 if smoke else 1_000_000:,} pending devices",
            f"{f['start_s']:.2f} s to the first result (fan-out helper); a whole "
            f"`harvest_reports` over as many IDs: {f['harvest_start_s']:.2f} s to its first page",
            "< 1 s",
            verdict(f["start_s"] < 1.0),
        ),
        (
            "fan-out hand-off per page, 256 workers vs 4",
            f"{f['handoff_us_256']:.1f} vs {f['handoff_us_4']:.1f} us ({spread:.2f}x)",
            "within 20%",
            verdict(spread <= 1.2),
        ),
    ]
    return rows


def connector_rows(smoke: bool, repeats: int) -> list[Row]:
    if importlib.util.find_spec("tuya_connector") is None:
        return [("SDK vs tuya-connector-python", "skipped: pip install -e '.[bench]'", "", "")]
    sizes = {"devices": 60, "harvest_devices": 10} if smoke else {}
    r = asyncio.run(vs_connector.measure(repeats, **sizes))
    n, h = sizes.get("devices", 1000), sizes.get("harvest_devices", 100)
    return [
        (
            f"details of {n} devices, 20 ms latency: SDK `get_many` vs connector, batch endpoint",
            f"{r['sdk_details']:.2f} s vs {r['conn_batch']:.2f} s "
            f"({r['conn_batch'] / r['sdk_details']:.1f}x faster)",
            "faster",
            verdict(r["sdk_details"] < r["conn_batch"]),
        ),
        (
            f"details of {n} devices: SDK `get_many` (batch endpoint) vs the connector's usual "
            "loop of one GET per device (not like for like: shows what batching saves)",
            f"{r['sdk_details']:.2f} s vs {r['conn_each']:.2f} s "
            f"({r['conn_each'] / r['sdk_details']:.0f}x faster)",
            "faster",
            verdict(r["sdk_details"] < r["conn_each"]),
        ),
        (
            f"one day of report logs for {h} devices, 20 ms latency: SDK harvest, defaults "
            "(16 devices at once) vs connector's sequential loop",
            f"{r['sdk_harvest']:.2f} s vs {r['conn_harvest']:.2f} s "
            f"({r['conn_harvest'] / r['sdk_harvest']:.1f}x faster)",
            "faster",
            verdict(r["sdk_harvest"] < r["conn_harvest"]),
        ),
    ]


def bulk_rows(smoke: bool, repeats: int) -> list[Row]:
    ids = 400 if smoke else 10_000
    r = asyncio.run(bulk_details.measure(repeats, ids=ids))
    batches = -(-ids // 20)
    return [
        (
            f"bulk details of {ids:,} known devices, `bulk_concurrency=4`, 20 ms latency",
            f"{r['requests']} requests; {r['seconds']:.2f} s vs bound {r['bound']:.2f} s "
            f"({r['ratio']:.0%})",
            f"exactly {batches} requests; near the bound",
            verdict(r["requests"] == batches and r["ratio"] >= 0.8),
        )
    ]


def memory_rows(smoke: bool, repeats: int) -> list[Row]:
    records = 20_000 if smoke else 1_000_000
    out = subprocess.run(
        [sys.executable, str(HERE / "memory.py"), "--records", str(records)],
        capture_output=True,
        text=True,
        check=True,
    )
    r = json.loads(out.stdout)
    points = [k for k in ("rss_at_10000", "rss_at_100000", "rss_at_1000000") if k in r]
    growth = r[points[-1]] - r[points[0]]
    return [
        (
            f"RSS while streaming {records:,} report records to JSONL",
            ", ".join(f"{k.removeprefix('rss_at_')}: {r[k]:.1f} MiB" for k in points)
            + f"; peak {r['peak_mib']:.1f} MiB",
            "flat (no growth with records)",
            verdict(growth < 5.0),
        )
    ]


def emulator_rows(smoke: bool, repeats: int) -> list[Row]:
    r = asyncio.run(emulator_throughput.measure(repeats, 20 if smoke else 300))
    return [
        (
            "emulator: signed GET device, own process",
            f"{r['emulator_rps']:,.0f} req/s",
            ">= 2,000 req/s",
            verdict(r["emulator_rps"] >= 2000),
        )
    ]


def rate_rows(smoke: bool, repeats: int) -> list[Row]:
    rows = []
    plans = (
        [(10.0, 30.0)]
        if smoke
        else [(lim, lat) for lim in (10.0, 25.0, 50.0) for lat in (30.0, 100.0)]
    )
    for limit, latency in plans:
        r = asyncio.run(
            rate_control.measure_harvest(
                1 if smoke else min(repeats, 3), limit, latency, seconds=3 if smoke else 60
            )
        )
        sdk, conn = r["sdk"], r.get("connector")
        versus = (
            f"; connector loop: {conn['used']:.0%} used, {conn['throttled']:.1%} throttled, "
            f"{conn['seconds']:.1f} s"
            if conn
            else ""
        )
        ok = sdk["used"] >= 0.9 and sdk["throttled"] < 0.05
        ok = ok and (conn is None or sdk["records"] == conn["records"])
        rows.append(
            (
                f"fleet harvest, defaults, cloud limit {limit:g}/s per API, {latency:g} ms latency",
                f"{sdk['used']:.0%} of the limit used, {sdk['throttled']:.1%} throttled, "
                f"{sdk['records']:,.0f} records in {sdk['seconds']:.1f} s, settled at "
                f"{sdk['settled']:.1f}/s{versus}",
                ">= 90% used, < 5% throttled, every record",
                verdict(ok),
            )
        )
    share = asyncio.run(rate_control.measure_sharing(seconds=4 if smoke else 20))
    spread = ", ".join(f"{r:.1f}" for r in share["rates"])
    rows.append(
        (
            "4 processes, defaults, sharing one 25/s per-API limit",
            f"{share['combined']:.0%} of the limit together; per process {spread}/s "
            f"(fair share {share['fair']:.2f}/s)",
            ">= 85% together, none below half its fair share",
            verdict(share["combined"] >= 0.85 and min(share["rates"]) >= share["fair"] / 2),
        )
    )
    return rows


def scale_rows(smoke: bool, repeats: int) -> list[Row]:
    sizes = (100, 1_000) if smoke else (100, 1_000, 10_000, 100_000)
    cli_sizes = (100,) if smoke else sizes
    r = asyncio.run(
        harvest_scale.measure(
            sizes, 200 if smoke else 500, cli_sizes, 1 if smoke else 5, 2_000 if smoke else 30_000
        )
    )
    rows = []
    for key, label in (("library_us", "library"), ("cli_us", "CLI")):
        values = {size: row[key] for size, row in r.items() if key in row}
        spread = max(values.values()) / min(values.values())
        rows.append(
            (
                f"harvest CPU per page with a checkpoint after every page, {label}, defaults",
                ", ".join(f"{size:,} devices: {us:.0f} us" for size, us in values.items())
                + f" (max/min {spread:.2f})",
                "flat: within 20% from 100 to 100,000 devices",
                verdict(spread <= 1.2),
            )
        )
    return rows


def archive_rows(smoke: bool, repeats: int) -> list[Row]:
    records = 20_000 if smoke else 1_000_000
    r = archive_formats.measure(records, 1 if smoke else min(repeats, 3))
    j, p = r["jsonl"], r["parquet"]
    return [
        (
            f"archive {records:,} report records: Parquet vs JSON lines (write, size, "
            "DuckDB count + group-by)",
            f"write {p['write_s']:.2f} s vs {j['write_s']:.2f} s; {p['mib']:.1f} MiB vs "
            f"{j['mib']:.1f} MiB ({j['mib'] / p['mib']:.0f}x smaller); read "
            f"{p['read_s']:.2f} s vs {j['read_s']:.2f} s",
            "Parquet smaller and faster to read",
            verdict(p["mib"] < j["mib"] and p["read_s"] < j["read_s"]),
        )
    ]


SECTIONS: dict[str, Callable[[bool, int], list[Row]]] = {
    "scale": scale_rows,
    "rate": rate_rows,
    "harvest": harvest_rows,
    "hot": hot_rows,
    "connector": connector_rows,
    "bulk": bulk_rows,
    "memory": memory_rows,
    "emulator": emulator_rows,
    "archive": archive_rows,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny run, for CI")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", choices=list(SECTIONS), action="append")
    args = parser.parse_args()
    repeats = 1 if args.smoke else args.repeats
    print(
        f"# {date.today()}, {platform.machine()}, Python {platform.python_version()}, "
        f"{'smoke run' if args.smoke else f'median of {repeats}'}\n"
    )
    print("| benchmark | measured | target | verdict |")
    print("|---|---|---|---|")
    for name in args.only or SECTIONS:
        for row in SECTIONS[name](args.smoke, repeats):
            print("| " + " | ".join(row) + " |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
