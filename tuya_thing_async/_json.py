"""JSON decoding of answers: orjson when installed (the ``[speed]`` extra), else the standard
library, with identical results.

orjson refuses a few things the standard library reads (``NaN``, lone surrogate escapes) and
reads integers beyond 64 bits as floats; those answers are decoded by the standard library
(a body with a run of 19 or more digits goes there directly), so the result never depends on
which decoder is installed.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["FAST", "loads", "loads_standard"]


def _bounded_int(text: str) -> int | float:
    """JSON integer hook: an integer over Python's digit limit for ``int()`` is read as a float
    (as JavaScript reads every number), so one absurd number does not spoil the whole answer."""
    limit = sys.get_int_max_str_digits()
    return int(text) if not limit or len(text) <= limit else float(text)


def loads_standard(body: bytes) -> Any:
    """The standard library's reading of a UTF-8 body (``UnicodeDecodeError`` or
    ``ValueError`` when it is not JSON)."""
    text = body.decode("utf-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise
    except ValueError:  # "Exceeds the limit (4300 digits) for integer string conversion"
        return json.loads(text, parse_int=_bounded_int)


#: Maps every digit to ``9`` and every other byte to a space: a run of 19 digits (a number
#: orjson might not read as the standard library does) becomes a findable ``999...``.
_DIGITS = bytes(57 if 48 <= byte <= 57 else 32 for byte in range(256))
_LONG_NUMBER = b"9" * 19


def _fast_decoder() -> Callable[[bytes], Any] | None:
    try:
        import orjson
    except ImportError:
        return None
    fast_loads = orjson.loads
    fast_error = orjson.JSONDecodeError

    def loads_fast(body: bytes) -> Any:
        if _LONG_NUMBER in body.translate(_DIGITS):
            return loads_standard(body)
        try:
            return fast_loads(body)
        except fast_error:  # not JSON, or JSON orjson does not take: the standard verdict
            return loads_standard(body)

    return loads_fast


#: orjson's decoder when the ``[speed]`` extra is installed, else None.
FAST = _fast_decoder()
#: The decoder in use.
loads: Callable[[bytes], Any] = FAST or loads_standard
