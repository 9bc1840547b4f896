"""Output formats behind one small interface: JSON lines, and Apache Parquet through the
optional ``pyarrow`` (``pip install -e ".[parquet]"``), imported only when used.

``write(path, kind, items)`` writes one complete file of ``kind``'s columns, flushes it to the
disk (``fsync``) and returns its size; the caller renames it into place afterwards.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

from ..errors import TuyaConfigError
from ..harvest import HarvestRecord
from .layout import time_of
from .schema import LogKind

ArchiveFormat = Literal["jsonl", "parquet"]
Items = Sequence[HarvestRecord[Any]]


class Writer(Protocol):
    suffix: str

    def write(self, path: Path, kind: LogKind, items: Items) -> int: ...


def _durable(path: Path, data: bytes) -> int:
    with path.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return len(data)


class JsonLinesWriter:
    """One JSON object per record with the kind's columns; times as ISO 8601 (ms, UTC)."""

    suffix = ".jsonl"

    def write(self, path: Path, kind: LogKind, items: Items) -> int:
        lines = []
        for item in items:
            row = {}
            for column in kind.columns:
                value = column.get(item.device_id, item.record)
                if column.type == "timestamp":
                    value = time_of(value).isoformat(timespec="milliseconds")
                row[column.name] = value
            lines.append(json.dumps(row, ensure_ascii=False))
        return _durable(path, ("\n".join(lines) + "\n").encode())


class ParquetWriter:
    """One Parquet file (zstd) with the kind's Arrow schema."""

    suffix = ".parquet"

    def __init__(self) -> None:
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise TuyaConfigError(
                'Parquet output needs pyarrow: pip install -e ".[parquet]" (or pyarrow)'
            ) from None
        self._pa, self._pq = pa, pq

    def schema(self, kind: LogKind) -> Any:
        """The Arrow schema of ``kind``."""
        pa = self._pa
        types = {"string": pa.string(), "int32": pa.int32(), "timestamp": pa.timestamp("ms", "UTC")}
        return pa.schema(
            [pa.field(c.name, types[c.type], nullable=c.nullable) for c in kind.columns]
        )

    def write(self, path: Path, kind: LogKind, items: Items) -> int:
        pa = self._pa
        schema = self.schema(kind)
        arrays = []
        for column, field in zip(kind.columns, schema, strict=True):
            values = [column.get(i.device_id, i.record) for i in items]
            if column.type == "timestamp":
                arrays.append(pa.array(values, pa.int64()).cast(field.type))
            else:
                arrays.append(pa.array(values, field.type))
        table = pa.Table.from_arrays(arrays, schema=schema)
        buffer = io.BytesIO()
        self._pq.write_table(table, buffer, compression="zstd")
        return _durable(path, buffer.getvalue())


def writer_for(format: ArchiveFormat) -> Writer:
    """The writer of ``format``; ``TuyaConfigError`` for an unknown one or missing pyarrow."""
    if format == "jsonl":
        return JsonLinesWriter()
    if format == "parquet":
        return ParquetWriter()
    raise TuyaConfigError(f"format must be 'jsonl' or 'parquet', got {format!r}")
