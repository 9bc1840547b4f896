"""The ``harvest --checkpoint`` file: one versioned JSON object naming the output file it
belongs to (path, size and a hash of the bytes before that size) and the harvest checkpoint.

Resuming refuses, with a one-line error, an output file that is missing, moved, shorter or
different from the one the checkpoint was written for: it never pads a file with NUL bytes or
appends to the wrong one.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import IO, Any

import attrs

from ..checkpoint import HarvestCheckpoint, from_dict
from ..errors import TuyaConfigError, TuyaValidationError

VERSION = 1
KIND = "tuya-thing harvest resume file"
#: How many bytes before the recorded size identify the output file.
TAIL = 4096


@attrs.frozen
class OutputIdentity:
    """The output file as the checkpoint left it."""

    path: str
    size: int
    tail_sha256: str


@attrs.frozen
class ResumeState:
    output: OutputIdentity
    harvest: HarvestCheckpoint


def _tail_hash(tail: bytes | bytearray) -> str:
    return hashlib.sha256(tail).hexdigest()


def load(path: Path, out: Path) -> ResumeState:
    """Read and check the resume file against the output file ``out``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        raise TuyaConfigError(f"{path} is not a harvest resume file (not JSON)") from None
    if not isinstance(data, dict) or data.get("kind") != KIND or data.get("version") != VERSION:
        raise TuyaConfigError(f"{path} is not a harvest resume file (version {VERSION})")
    try:
        output = _identity(data.get("output"))
        state = ResumeState(output, from_dict(data.get("harvest")))
    except TuyaValidationError as exc:
        raise TuyaConfigError(f"{path}: {exc}") from None
    _check_output(state.output, out)
    return state


def _identity(data: Any) -> OutputIdentity:
    if not isinstance(data, dict):
        raise TuyaValidationError("the output file's identity is missing")
    path, size, digest = data.get("path"), data.get("size"), data.get("tail_sha256")
    if not isinstance(path, str) or not isinstance(digest, str):
        raise TuyaValidationError("the output file's identity is invalid")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise TuyaValidationError("the output file's recorded size is invalid")
    return OutputIdentity(path, size, digest)


def _check_output(identity: OutputIdentity, out: Path) -> None:
    where = str(out.resolve())
    if identity.path != where:
        raise TuyaConfigError(
            f"the checkpoint belongs to {identity.path}, not {where}; pass that --out"
        )
    if not out.exists() or out.stat().st_size < identity.size:
        raise TuyaConfigError(
            f"{where} is missing or shorter than the checkpoint recorded ({identity.size} "
            "bytes); it cannot be resumed"
        )
    with out.open("rb") as fh:
        fh.seek(max(0, identity.size - TAIL))
        tail = fh.read(min(TAIL, identity.size))
    if _tail_hash(tail) != identity.tail_sha256:
        raise TuyaConfigError(f"{where} is not the file the checkpoint was written for")


class Output:
    """The output file opened for appending from a resume point; remembers its size and last
    bytes, so that a checkpoint costs no read of the file."""

    def __init__(self, path: Path, state: ResumeState | None) -> None:
        self.path = path.resolve()
        self._file: IO[bytes] = path.open("a+b")
        size = state.output.size if state else 0
        self._file.truncate(size)  # drop what was written after the checkpoint
        self._file.seek(max(0, size - TAIL))
        self._recent = bytearray(self._file.read())
        self._file.seek(size)
        self.size = size

    def write(self, data: bytes) -> None:
        self._file.write(data)
        self.size += len(data)
        self._recent += data
        if len(self._recent) > 16 * TAIL:
            del self._recent[:-TAIL]

    def close(self) -> None:
        self._file.close()

    def save(self, path: Path, harvest: HarvestCheckpoint) -> None:
        """Flush the output and write the resume file atomically."""
        self._file.flush()
        identity = OutputIdentity(str(self.path), self.size, _tail_hash(self._recent[-TAIL:]))
        data = {
            "kind": KIND,
            "version": VERSION,
            "output": attrs.asdict(identity),
            "harvest": harvest.to_dict(),
        }
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, path)
