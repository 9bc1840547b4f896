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
    # every one is refused, also where the IDs joined by commas would read as valid
    for ids in (["abc,def"], ["a", "b,c"], ["a", ""], ["a", "batch"], ["a", "x" * 65], ["a", 1]):
        with pytest.raises(TuyaValidationError):
            v.device_ids(ids)  # type: ignore[arg-type]


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


VISIBLE_ASCII = "".join(map(chr, range(0x21, 0x7F)))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("access_id", "", id="empty-id"),
        pytest.param("access_id", "abc\r\nX-Injected: 1", id="crlf-id"),
        pytest.param("access_id", "ab\u00e9", id="non-ascii-id"),
        pytest.param("access_secret", "CANARY SECRET", id="space-secret"),
        pytest.param("access_secret", "CANARY-SECRET\n", id="newline-secret"),
        pytest.param("access_secret", "CANARY\x00SECRET", id="nul-secret"),
        pytest.param("access_secret", "CANARY\tSECRET", id="tab-secret"),
        pytest.param("access_secret", "CANARY\x7fSECRET", id="del-secret"),
        pytest.param("access_secret", "CANARY\u00a0SECRET", id="nbsp-secret"),
        pytest.param("access_secret", "CANARY\u200bSECRET", id="zero-width-secret"),
    ],
)
def test_credentials_hold_only_visible_ascii(field: str, value: str) -> None:
    keys = {"access_id": "abcdefgh", "access_secret": "s3cret", field: value}
    with pytest.raises(TuyaConfigError) as info:
        Credentials(**keys)
    message = str(info.value)
    assert f"Credentials.{field}" in message and "\n" not in message
    assert "CANARY" not in message and "abc" not in message


def test_every_visible_ascii_character_is_a_valid_key_character() -> None:
    creds = Credentials(VISIBLE_ASCII, VISIBLE_ASCII)
    assert creds.access_secret == VISIBLE_ASCII


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        pytest.param("https://h:99999", "port", id="port-too-big"),
        pytest.param("https://h:65536", "port", id="port-65536"),
        pytest.param("https://h:0", "port", id="port-zero"),
        pytest.param("https://h:abc", "port", id="port-text"),
        pytest.param("https://h:-1", "port", id="port-negative"),
        pytest.param("https://ho st", "whitespace", id="space-in-host"),
        pytest.param("https://ho\nst", "whitespace", id="newline-in-host"),
        pytest.param("https://host\t", "whitespace", id="trailing-tab"),
        pytest.param(" https://host", "whitespace", id="leading-space"),
        pytest.param("https://ho\x00st", "control", id="nul-in-host"),
        pytest.param("https://host\u200b", "control", id="zero-width"),
        pytest.param("https://user:SECRETPW@host", "user info", id="user-and-password"),
        pytest.param("https://user@host", "user info", id="user"),
        pytest.param("https://[::1", "not a valid URL", id="unclosed-ipv6"),
    ],
)
def test_bad_base_urls(url: str, reason: str) -> None:
    with pytest.raises(TuyaConfigError, match=reason) as info:
        resolve_base_url(None, url, False)
    assert "SECRETPW" not in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param("https://h:1", "https://h:1", id="port-1"),
        pytest.param("https://h:65535/", "https://h:65535", id="port-65535"),
        pytest.param("https://[::1]:8443", "https://[::1]:8443", id="ipv6"),
        pytest.param("http://[::1]:8765", "http://[::1]:8765", id="ipv6-loopback-http"),
    ],
)
def test_good_base_urls(url: str, expected: str) -> None:
    assert resolve_base_url(None, url, True) == expected
