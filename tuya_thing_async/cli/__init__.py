"""The ``tuya-thing`` command line: ``demo``, ``devices``, ``logs``, ``harvest``, ``firmware``
and ``emulator``. Every command takes ``--emulator`` to run against an embedded emulator.

Exit codes: 0 ok, 1 API error, 2 usage or configuration error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
from collections.abc import Sequence

from .._version import __version__
from ..errors import TuyaAPIError, TuyaConfigError, TuyaError, TuyaValidationError
from . import demo, devices_cmd, emulator_cmd, firmware_cmd, logs_cmd

__all__ = ["build_parser", "main"]


class _Help(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default, unless there is none to show (None, False, [])."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default in (None, False, []) or "default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def _subparsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """``parser`` and every parser below it."""
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                found += _subparsers(child)
    return found


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tuya-thing", description="Tuya Cloud Device Management from the command line."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (demo, devices_cmd, logs_cmd, firmware_cmd, emulator_cmd):
        module.add_parser(sub)
    for each in _subparsers(parser):
        each.formatter_class = _Help
    return parser


def _join_relative_times(argv: Sequence[str]) -> list[str]:
    """``--start -24h`` reads as two options to argparse; pass it as ``--start=-24h``."""
    out: list[str] = []
    for arg in argv:
        if out and out[-1] in ("--start", "--end") and re.fullmatch(r"-[\d.]+[smhdw]", arg):
            out[-1] = f"{out[-1]}={arg}"
        else:
            out.append(arg)
    return out


def api_error_line(exc: TuyaAPIError) -> str:
    """Code, Tuya's message, the device, the hint and the request id (tid) on one line."""
    device = f" (device {exc.device_id})" if exc.device_id else ""
    hint = f"; hint: {exc.hint}" if exc.hint else ""
    text = f"error: Tuya code {exc.code}: {exc.msg}{device}{hint} (request id {exc.tid or '-'})"
    return " ".join(text.split())


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(_join_relative_times(sys.argv[1:] if argv is None else argv))
    try:
        code: int = asyncio.run(args.run(args))
        return code
    except BrokenPipeError:  # e.g. piped into head: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (TuyaConfigError, TuyaValidationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except TuyaAPIError as exc:
        print(api_error_line(exc), file=sys.stderr)
        return 1
    except TuyaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # e.g. an --ids-file or --out path that cannot be used
        print(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 2
