"""Run the benchmarks and print a markdown table: ``python benchmarks/run.py``.

``--smoke`` runs a tiny version of each (CI keeps them working; its numbers mean nothing).
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import emulator_throughput


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny run, for CI")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    repeats, calls = (1, 20) if args.smoke else (args.repeats, 200)
    results = asyncio.run(emulator_throughput.measure(repeats, calls))
    print(
        f"# {date.today()} on {platform.machine()}, Python {platform.python_version()}, "
        f"{'smoke' if args.smoke else f'median of {repeats}'}"
    )
    print("| benchmark | measured | target |")
    print("|---|---|---|")
    print(
        f"| emulator: signed GET device, own process | {results['emulator_rps']:,.0f} req/s "
        "| >= 2,000 req/s |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
