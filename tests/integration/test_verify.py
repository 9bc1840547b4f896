"""``await tuya.verify()``: a start-up check that passes with good credentials and raises the
typed error, with Tuya's code and a hint, otherwise."""

from __future__ import annotations

import pytest

from tests.conftest import fast_settings
from tuya_thing_async import (
    Credentials,
    TuyaAuthError,
    TuyaClient,
    TuyaPermissionError,
    Verified,
)
from tuya_thing_async.emulator import FakeCloud, Fault

LISTING = "GET /v2.0/cloud/thing/device"


async def test_verify_passes_with_one_cheap_read(tuya: TuyaClient, cloud: FakeCloud) -> None:
    result = await tuya.verify()
    assert result == Verified(tuya.base_url, has_devices=True, tid=result.tid)
    assert result.tid
    assert cloud.hits[LISTING] == 1


async def test_wrong_secret_is_an_auth_error(cloud: FakeCloud, base_url: str) -> None:
    creds = Credentials(cloud.access_id, "not-the-secret")
    async with TuyaClient(
        creds, base_url=base_url, insecure_http=True, settings=fast_settings()
    ) as tuya:
        with pytest.raises(TuyaAuthError) as info:
            await tuya.verify()
    assert info.value.code and info.value.hint
    assert cloud.hits[LISTING] == 0


async def test_api_not_authorised_is_a_permission_error(tuya: TuyaClient, cloud: FakeCloud) -> None:
    cloud.faults.add(LISTING, Fault.error(28841105))
    with pytest.raises(TuyaPermissionError) as info:
        await tuya.verify()
    assert info.value.code == 28841105 and info.value.hint


@pytest.mark.parametrize(
    ("code", "error", "hint"),
    [
        pytest.param(2007, TuyaAuthError, "Region", id="wrong-region"),
        pytest.param(1114, TuyaPermissionError, "allowlist", id="ip-not-allowed"),
    ],
)
async def test_token_refused_for_the_data_center(
    tuya: TuyaClient, cloud: FakeCloud, code: int, error: type[Exception], hint: str
) -> None:
    cloud.faults.add("GET /v1.0/token", Fault.error(code))
    with pytest.raises(error) as info:
        await tuya.verify()
    assert hint in str(info.value)
    assert cloud.hits[LISTING] == 0
