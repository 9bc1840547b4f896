"""What every ``tuya-thing`` command shares: connection options, credentials from flags or the
environment, the embedded emulator, times, output formats and confirmation."""

from __future__ import annotations

import argparse
import enum
import json
import math
import os
import re
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from ..checkpoint import DeviceFailure
from ..client import TuyaClient
from ..config import ClientSettings, Credentials, Region
from ..emulator import FakeCloud, serve
from ..errors import TuyaConfigError, TuyaValidationError
from ..shard import Shard, parse_shard
from . import _ui

_RELATIVE = re.compile(r"-(\d+(?:\.\d+)?)([smhdw])")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_time(text: str) -> datetime:
    """ISO 8601 (naive means UTC), ``now``, or relative to now: ``-30m``, ``-24h``, ``-7d``."""
    value = text.strip()
    if value == "now":
        return datetime.now(UTC)
    if m := _RELATIVE.fullmatch(value):
        return datetime.now(UTC) - timedelta(**{_UNITS[m.group(2)]: float(m.group(1))})
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time: use ISO 8601 (2026-11-20T08:00:00+01:00), now, or -24h"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_rate(text: str) -> float | None:
    """Requests per second > 0, or ``none``."""
    if text.strip().lower() == "none":
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a rate: give requests per second > 0, or none"
        )
    return value


def parse_route_rate(text: str) -> tuple[str, float]:
    """``"GET /v2.0/cloud/thing/{device_id}/report-logs=20"``: a route and its rate."""
    route, sep, rate = text.rpartition("=")
    if not sep or not re.fullmatch(r"(GET|POST|PUT|DELETE) /\S*", route.strip()):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not ROUTE=RATE, e.g. 'GET /v2.0/cloud/thing/{{device_id}}/report-logs=20'"
        )
    value = parse_rate(rate)
    if value is None:
        raise argparse.ArgumentTypeError(f"{text!r}: a route's rate must be a number")
    return route.strip(), value


def parse_duration(text: str, option: str) -> timedelta:
    """A duration: ``0``, ``90s``, ``10m``, ``1h``, ``2d``; ``TuyaConfigError`` otherwise."""
    value = text.strip()
    if value == "0":
        return timedelta(0)
    if m := _DURATION.fullmatch(value):
        return timedelta(**{_UNITS[m.group(2)]: float(m.group(1))})
    raise TuyaConfigError(f"{option} {text!r} is not a duration: use e.g. 90s, 10m, 1h or 2d")


def add_shard_options(parser: argparse.ArgumentParser) -> None:
    """``--shard K/N``, or ``--shard-count N`` with K from ``JOB_COMPLETION_INDEX``."""
    g = parser.add_argument_group("scale-out")
    g.add_argument(
        "--shard",
        default=None,
        metavar="K/N",
        help="only the devices of shard K (0-based) of N, by a stable hash of the device ID",
    )
    g.add_argument(
        "--shard-count",
        type=int,
        default=None,
        metavar="N",
        help="N shards, this one K = $JOB_COMPLETION_INDEX (a Kubernetes Indexed Job's pod)",
    )


def shard_from(args: argparse.Namespace) -> Shard | None:
    """The shard of ``--shard``, or of ``--shard-count`` and ``JOB_COMPLETION_INDEX``."""
    if args.shard_count is None:
        return None if args.shard is None else parse_shard(args.shard)
    if args.shard is not None:
        raise TuyaConfigError("give --shard K/N or --shard-count N, not both")
    index = os.environ.get("JOB_COMPLETION_INDEX")
    if index is None or not index.isdigit():
        raise TuyaConfigError(
            "--shard-count needs JOB_COMPLETION_INDEX (set in a Kubernetes Indexed Job's pods)"
            "; elsewhere use --shard K/N"
        )
    try:
        return parse_shard(f"{index}/{args.shard_count}")
    except TuyaValidationError as exc:
        raise TuyaConfigError(f"JOB_COMPLETION_INDEX and --shard-count: {exc}") from None


#: Output formats: a table for people, one JSON document, or JSON lines (one object a line).
FORMATS = ("table", "json", "jsonl")


def add_common(
    parser: argparse.ArgumentParser,
    *,
    destructive: bool = False,
    formats: Sequence[str] = FORMATS,
    default_format: str = "table on a terminal, json otherwise",
) -> None:
    """Connection and output options, accepted after any leaf command; ``--yes`` only where
    something is destroyed; ``--format`` offers only what the command can write (nothing:
    the command has a ``--format`` of its own)."""
    g = parser.add_argument_group("connection")
    g.add_argument(
        "--emulator",
        action="store_true",
        help="run against a fresh embedded emulator (seeded, no account needed)",
    )
    g.add_argument("--access-id", default=None, help="project access ID (env TUYA_ACCESS_ID)")
    g.add_argument("--access-secret", default=None, help="project secret (env TUYA_ACCESS_SECRET)")
    g.add_argument(
        "--region",
        default=None,
        choices=[r.name for r in Region],
        help="data center (env TUYA_REGION)",
    )
    g.add_argument(
        "--base-url", default=None, help="base URL instead of a region (env TUYA_BASE_URL)"
    )
    g.add_argument(
        "--rate",
        type=parse_rate,
        default=None,
        help="overall ceiling in requests per second, or none (default: none; each API "
        "adapts to the cloud's throttling)",
    )
    g.add_argument(
        "--rate-limit",
        type=parse_route_rate,
        action="append",
        default=[],
        metavar="ROUTE=RATE",
        help="a known per-API ceiling, e.g. 'GET /v2.0/cloud/thing/{device_id}/report-logs=20' "
        "(repeatable)",
    )
    o = parser.add_argument_group("output")
    if formats:
        o.add_argument(
            "--format",
            choices=list(formats),
            default=None,
            help=f"output format (default: {default_format})",
        )
    o.add_argument("--quiet", action="store_true", help="no progress bars")
    if destructive:
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")


def output_format(args: argparse.Namespace, default: str | None = None) -> str:
    """``--format``, else ``default``, else table on a terminal and json otherwise."""
    chosen: str = args.format or default or ("table" if sys.stdout.isatty() else "json")
    return chosen


def credentials(args: argparse.Namespace) -> tuple[Credentials, Region | None, str | None]:
    """Credentials and endpoint from flags, else the environment; a clear error if missing."""
    access_id = args.access_id or os.environ.get("TUYA_ACCESS_ID")
    secret = args.access_secret or os.environ.get("TUYA_ACCESS_SECRET")
    if not access_id or not secret:
        raise TuyaConfigError(
            "no credentials: pass --access-id and --access-secret, set TUYA_ACCESS_ID and "
            "TUYA_ACCESS_SECRET, or use --emulator"
        )
    base_url = args.base_url or os.environ.get("TUYA_BASE_URL")
    region_name = args.region or os.environ.get("TUYA_REGION")
    if not base_url and not region_name:
        raise TuyaConfigError(
            "no endpoint: pass --region or --base-url (or set TUYA_REGION / TUYA_BASE_URL)"
        )
    try:
        region = Region[region_name.upper()] if region_name and not base_url else None
    except KeyError:
        raise TuyaConfigError(f"unknown region {region_name!r}") from None
    return Credentials(access_id, secret), region, base_url


@attrs.frozen
class Context:
    """A connected client and, with ``--emulator``, the embedded cloud."""

    tuya: TuyaClient
    cloud: FakeCloud | None


@asynccontextmanager
async def connect(args: argparse.Namespace, **settings: Any) -> AsyncIterator[Context]:
    burst = max(1, int(args.rate)) if args.rate else 10
    client_settings = ClientSettings(
        rate=args.rate, burst=burst, rate_limits=dict(args.rate_limit), **settings
    )
    if args.emulator:
        cloud = FakeCloud.seeded(devices=50, seed=7, firmware_duration=5.0)
        async with (
            serve(cloud) as emulator_url,
            TuyaClient(
                cloud.credentials,
                base_url=emulator_url,
                insecure_http=True,
                settings=client_settings,
            ) as tuya,
        ):
            yield Context(tuya, cloud)
        return
    creds, region, base_url = credentials(args)
    loopback = bool(base_url and base_url.startswith("http://"))
    async with TuyaClient(
        creds, region=region, base_url=base_url, insecure_http=loopback, settings=client_settings
    ) as tuya:
        yield Context(tuya, None)


_SHOWN: dict[type, tuple[str, ...] | None] = {}


def _shown_fields(kind: type) -> tuple[str, ...] | None:
    """The fields a model is written with, worked out once per class (a command writes one
    line per record): attrs fields but secrets, or a named tuple's; a ``*_ms`` time under
    its datetime property's name (``event_time_ms`` as ``event_time``). None: not a model."""
    if kind not in _SHOWN:
        _SHOWN[kind] = _model_fields(kind)
    return _SHOWN[kind]


def _model_fields(kind: type) -> tuple[str, ...] | None:
    if attrs.has(kind):
        names: Sequence[str] = [f.name for f in attrs.fields(kind) if f.repr]
    elif issubclass(kind, tuple) and hasattr(kind, "_fields"):
        names = kind._fields
    else:
        return None
    shown = (name.removesuffix("_ms") for name in names)
    return tuple(s if hasattr(kind, s) else n for s, n in zip(shown, names, strict=True))


def jsonable(value: Any) -> Any:
    """Models (attrs classes, named tuples), datetimes and enums as plain JSON values; NaN and
    infinities (which JSON cannot hold, though clouds send them) as null. A ``*_ms`` time is
    written as its datetime (``event_time_ms`` as ``event_time``); secrets are left out."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    fields = _shown_fields(type(value))
    if fields is not None:
        return {name: jsonable(getattr(value, name)) for name in fields}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.name.lower()
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def json_line(device_id: str, record: Any) -> str:
    """One log record as a JSON line, with the device it belongs to."""
    return dumps({"device_id": device_id, **jsonable(record)}) + "\n"


def dumps(plain: Any) -> str:
    """Strict JSON of a ``jsonable`` value (never ``NaN`` or ``Infinity``)."""
    return json.dumps(plain, ensure_ascii=False, allow_nan=False)


def emit(args: argparse.Namespace, data: Any, columns: Sequence[str] | None = None) -> None:
    """Print JSON (one document), JSON lines (one object a line) or a table: a dict is one
    row, a list many."""
    fmt = output_format(args)
    plain = jsonable(data)
    rows = plain if isinstance(plain, list) else [plain]
    if fmt == "json":
        print(dumps(plain))
        return
    if fmt == "jsonl":
        for row in rows:
            print(dumps(row))
        return
    if not rows:
        print("(nothing)")
        return
    if len(rows) == 1 and columns is None:
        print(_ui.table(["field", "value"], [[k, v] for k, v in rows[0].items()]))
        return
    cols = list(columns or rows[0])
    print(_ui.table(cols, [[row.get(c, "") for c in cols] for row in rows]))


def confirm(args: argparse.Namespace, question: str) -> None:
    """Ask before a destructive action unless ``--yes``; refuse when nobody can answer."""
    if args.yes:
        return
    if not sys.stdin.isatty():
        raise TuyaConfigError(f"{question} Refusing without --yes (stdin is not a terminal)")
    answer = input(f"{question} [y/N] ").strip().lower()
    if answer not in ("y", "yes"):
        raise TuyaConfigError("cancelled")


def print_failures(failures: Sequence[DeviceFailure]) -> None:
    """One line per failed device on stderr."""
    for failure in failures:
        code = f"code {failure.code}: " if failure.code is not None else ""
        print(
            f"failed: device {failure.device_id}: {failure.error}: {code}{failure.message}",
            file=sys.stderr,
        )


async def project_ids(tuya: TuyaClient) -> list[str]:
    """Every device of the project, in the cloud's order (refused if there is none)."""
    async with tuya.devices.iter_project() as fleet:
        ids = [device.id async for device in fleet]
    if not ids:
        raise TuyaConfigError("the project has no devices")
    return ids


def read_ids(ids: Sequence[str], ids_file: str | None) -> list[str]:
    """IDs from arguments and/or a file (``-`` for stdin): one per line, either the bare ID
    (``#`` starts a comment) or a JSON object with an ``"id"`` (``devices list`` output)."""

    def line_id(number: int, line: str) -> str:
        text = line.strip()
        if not text.startswith("{"):
            return text.split("#")[0].strip()
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        found = data.get("id") if isinstance(data, dict) else None
        if not isinstance(found, str) or not found:
            raise TuyaConfigError(f'{ids_file} line {number}: not a JSON object with an "id"')
        return found

    out = list(ids)
    if ids_file:
        fh = sys.stdin if ids_file == "-" else open(ids_file, encoding="utf-8")  # noqa: SIM115
        with fh:
            out += [i for n, line in enumerate(fh, 1) if (i := line_id(n, line))]
    if not out:
        raise TuyaConfigError("no device IDs: give them as arguments or with --ids-file")
    return out
