"""Tuya's HMAC-SHA256 request signature, pure functions only.

The clock and the nonce are arguments, so the published test vectors pin this module. The same
functions serve the client (to sign) and the emulator (to verify); ``encode_query`` is the one
encoder for what goes on the wire, ``canonical_url`` the one for what gets signed.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Sequence
from urllib.parse import quote

EMPTY_BODY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
SIGN_METHOD = "HMAC-SHA256"

Query = Sequence[tuple[str, str]]


def body_sha256(body: bytes) -> str:
    """Lowercase hex SHA-256 of the exact body bytes (empty body included)."""
    if not body:
        return EMPTY_BODY_SHA256
    return hashlib.sha256(body).hexdigest()


#: Texts that percent-encoding leaves as they are (a query value may also hold commas).
unreserved = re.compile(r"[A-Za-z0-9_.~-]*").fullmatch
_PLAIN_VALUE = re.compile(r"[A-Za-z0-9_.~,-]*").fullmatch


def encode_query(params: Query) -> str:
    """Percent-encode a query for the wire, in the given order (commas stay literal)."""
    return "&".join(
        f"{k if unreserved(k) else quote(k, safe='')}={v if _PLAIN_VALUE(v) else quote(v, ',')}"
        for k, v in params
    )


def canonical_url(path: str, params: Query) -> str:
    """The ``Url`` part of the string to sign: path, then ``?`` and the query sorted by key
    with **decoded** values, or the path alone when there is no query."""
    if not params:
        return path
    ordered = sorted(params, key=lambda kv: kv[0])
    return path + "?" + "&".join(f"{k}={v}" for k, v in ordered)


def string_to_sign(
    method: str, body_hash: str, url: str, signed_headers: Iterable[tuple[str, str]] = ()
) -> str:
    """``METHOD\\nSHA256\\nHeaders\\nUrl``; each signed header is a ``name:value\\n`` line."""
    headers = (
        "".join(f"{name}:{value}\n" for name, value in signed_headers) if signed_headers else ""
    )
    return f"{method.upper()}\n{body_hash}\n{headers}\n{url}"


def hmac_upper(secret: str, message: str) -> str:
    """Uppercase hex HMAC-SHA256 of ``message`` keyed with ``secret``."""
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return digest.upper()


def sign(
    *,
    client_id: str,
    secret: str,
    t: str,
    sts: str,
    access_token: str = "",
    nonce: str = "",
) -> str:
    """The new-algorithm signature.

    Token requests pass no ``access_token``: ``client_id + t + nonce + stringToSign``;
    business requests: ``client_id + access_token + t + nonce + stringToSign``.
    """
    return hmac_upper(secret, client_id + access_token + t + nonce + sts)


def old_sign(*, client_id: str, secret: str, t: str, access_token: str = "") -> str:
    """The pre-2021 algorithm (``client_id + [access_token] + t``); only for old projects."""
    return hmac_upper(secret, client_id + access_token + t)


def signatures_equal(expected: str, received: str) -> bool:
    """Constant-time comparison, case-insensitive on the hex digits."""
    return hmac.compare_digest(expected.upper().encode(), received.upper().encode())
