"""The ``tuya-thing`` command line: ``demo`` and ``emulator serve``.

Exit codes: 0 ok, 1 API error, 2 usage or configuration error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from ..errors import TuyaAPIError, TuyaConfigError, TuyaError, TuyaValidationError
from . import demo as demo
from . import emulator_cmd as emulator_cmd


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tuya-thing", description="Tuya Cloud Device Management from the command line."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo.add_parser(sub)
    emulator_cmd.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = asyncio.run(args.run(args))
        return code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (TuyaConfigError, TuyaValidationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except TuyaAPIError as exc:
        print(f"error: Tuya code {exc.code}: {exc.msg} (tid {exc.tid or '-'})", file=sys.stderr)
        return 1
    except TuyaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
