"""``Credentials.from_env`` / ``TuyaClient.from_env``: what each TUYA_* variable does and the
one-line error naming a missing or bad one (never its value)."""

from __future__ import annotations

import pytest

from tuya_thing_async import Credentials, Region, TuyaClient, TuyaConfigError

OK = {"TUYA_ACCESS_ID": "id0123456789", "TUYA_ACCESS_SECRET": "SECRET-CANARY-77"}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        pytest.param({}, "TUYA_ACCESS_ID is not set", id="nothing"),
        pytest.param({"TUYA_ACCESS_ID": "x"}, "TUYA_ACCESS_SECRET is not set", id="no-secret"),
        pytest.param({**OK}, "TUYA_REGION or TUYA_BASE_URL is not set", id="no-endpoint"),
        pytest.param({**OK, "TUYA_REGION": "MARS"}, "TUYA_REGION must be one of", id="region"),
        pytest.param(
            {**OK, "TUYA_ACCESS_SECRET": "SECRET CANARY"},
            "TUYA_ACCESS_SECRET may hold only visible ASCII",
            id="secret-with-space",
        ),
        pytest.param(
            {**OK, "TUYA_BASE_URL": "http://127.0.0.1:8765"},
            "TUYA_BASE_URL is plain http://: set TUYA_INSECURE_HTTP=1",
            id="http-without-opt-in",
        ),
        pytest.param(
            {**OK, "TUYA_BASE_URL": "http://example.com", "TUYA_INSECURE_HTTP": "1"},
            "TUYA_BASE_URL: plain http:// is allowed only for loopback hosts",
            id="http-remote",
        ),
        pytest.param(
            {**OK, "TUYA_REGION": "EU", "TUYA_INSECURE_HTTP": "maybe"},
            "TUYA_INSECURE_HTTP must be 1 or 0",
            id="bad-opt-in",
        ),
    ],
)
def test_one_line_error_names_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(TuyaConfigError) as info:
        TuyaClient.from_env(environ=env)
    text = str(info.value)
    assert message in text and "\n" not in text
    assert "SECRET" not in text.replace("TUYA_ACCESS_SECRET", "")


@pytest.mark.parametrize(
    ("env", "base_url"),
    [
        pytest.param({"TUYA_REGION": "eu"}, Region.EU.base_url, id="region-any-case"),
        pytest.param({"TUYA_REGION": "us-east"}, Region.US_EAST.base_url, id="region-dash"),
        pytest.param(
            {"TUYA_REGION": "EU", "TUYA_BASE_URL": "https://tuya.example"},
            "https://tuya.example",
            id="base-url-wins",
        ),
        pytest.param(
            {"TUYA_BASE_URL": "http://127.0.0.1:8765", "TUYA_INSECURE_HTTP": "1"},
            "http://127.0.0.1:8765",
            id="emulator-opt-in",
        ),
    ],
)
def test_endpoint(env: dict[str, str], base_url: str) -> None:
    assert TuyaClient.from_env(environ={**OK, **env}).base_url == base_url


def test_credentials_from_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in OK.items():
        monkeypatch.setenv(name, f" {value}\n")  # as pasted or read from a file
    creds = Credentials.from_env()
    assert creds == Credentials(OK["TUYA_ACCESS_ID"], OK["TUYA_ACCESS_SECRET"])
