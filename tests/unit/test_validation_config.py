"""Bad input is refused with a clear, typed error; credentials and URLs are checked."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tuya_thing_async import Credentials, Region, TuyaClient
from tuya_thing_async import _validation as v
from tuya_thing_async.config import ClientSettings, resolve_base_url
from tuya_thing_async.errors import TuyaConfigError, TuyaValidationError

BAD_IDS = [
    "",
    "a" * 65,
    "../token",
    "%2e%2e",
    "a/b",
    "a?x=1",
    "a#b",
    "a\r\nX: 1",
    "batch",
    "device",
    "a b",
    "x" * 10_000,
    "é",
]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_bad_device_ids(bad: str) -> None:
    with pytest.raises(TuyaValidationError):
        v.device_id(bad)


@given(st.text(max_size=80))
def test_any_text_is_either_refused_or_a_single_safe_segment(text: str) -> None:
    try:
        assert v.device_id(text) == text
    except TuyaValidationError:
        return
    assert text.isascii() and "/" not in text and "." not in text and "%" not in text


@pytest.mark.parametrize("bad", [-1, True, "0", "0/../", 1.0, None])
def test_bad_channels(bad: object) -> None:
    with pytest.raises(TuyaValidationError, match="channel"):
        v.channel(bad)


def test_other_arguments() -> None:
    start, end = datetime(2024, 1, 2, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC)
    with pytest.raises(TuyaValidationError, match="after end"):
        v.window(start, end)
    with pytest.raises(TuyaValidationError, match="naive"):
        v.window(datetime(2024, 1, 1), end)
    for size in (0, 101, True, "5"):
        with pytest.raises(TuyaValidationError):
            v.page_size(size)
    with pytest.raises(TuyaValidationError):
        v.codes([], required=True)
    with pytest.raises(TuyaValidationError):
        v.codes(None, required=True)
    with pytest.raises(TuyaValidationError):
        v.codes(["a,b"], required=True)
    assert v.codes(["a", "b", "a"], required=True) == "a,b"
    for lon, lat in ((181, 0), (0, -90.5), (float("nan"), 0), (True, 0)):
        with pytest.raises(TuyaValidationError):
            v.location(lon, lat)
    assert v.location(120.15, 30.48) == "120.15:30.48"
    for name in ("", "   ", "a\x00b", "x" * 256):
        with pytest.raises(TuyaValidationError):
            v.text(name, "name")
    assert v.space_id(12345) == "12345"
    for space in ("12a", True, "", -3):
        with pytest.raises(TuyaValidationError):
            v.space_id(space)
    assert v.device_ids(["a", "b", "a"]) == ["a", "b"]
    with pytest.raises(TuyaValidationError):
        v.device_ids("abc")


def test_credentials_never_show_the_secret() -> None:
    creds = Credentials("abcdefgh", "CANARY-SECRET")
    assert "CANARY" not in repr(creds) and "CANARY" not in str(creds)
    assert "abcd" in repr(creds)
    with pytest.raises(TuyaConfigError):
        Credentials("", "x")


def test_regions_and_base_urls() -> None:
    assert [r.name for r in Region] == ["CN", "US", "US_EAST", "EU", "EU_WEST", "IN"]
    assert resolve_base_url(Region.EU, None, False) == "https://openapi.tuyaeu.com"
    assert resolve_base_url("US_EAST", None, False) == "https://openapi-ueaz.tuyaus.com"
    assert resolve_base_url(None, "http://127.0.0.1:8765", True) == "http://127.0.0.1:8765"
    for args in (
        (None, "http://example.com", True),
        (None, "http://127.0.0.1:1", False),
        ("MARS", None, False),
        (None, None, False),
        (None, "ftp://x", False),
        (None, "https://x/path", False),
    ):
        with pytest.raises(TuyaConfigError):
            resolve_base_url(*args)  # type: ignore[arg-type]
    with pytest.raises(TuyaConfigError):
        TuyaClient(Credentials("a", "b"), base_url="http://example.com")
    with pytest.raises(TuyaConfigError):
        ClientSettings(max_concurrency=0)
