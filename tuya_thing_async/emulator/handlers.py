"""One function per emulated endpoint: parameter checks (1100 missing, 1109 illegal), then the
state change or read, returning the envelope's ``result``.

Operation logs (``GET /v2.0/cloud/thing/{device_id}/logs``) follow the vendor's parameter
table and the real answers' shapes; these are the project's decisions where Tuya is silent:

* ``query_type`` is **required** (the table says so): missing or empty -> 1100, anything but
  ``1`` or ``2`` -> 1109. (The vendor's own request example sends it empty; the table wins.)
* Free edition (``1``): 7-day retention; paged with ``start_row_key`` = the previous page's
  ``next_row_key``; ``current_row_key`` is the key where this page starts (never ``""``);
  ``next_row_key`` is left out on the last page.
* Paid edition (``2``): no 7-day clip; every entry carries its ``row`` key; the next page is
  asked for with ``last_row_key`` = the last entry's ``row`` plus ``last_event_time`` = its
  ``event_time`` (missing -> 1100, not that row's time -> 1109); the answer has ``device_id``,
  ``has_next``, ``count`` (entries matching in the window) and ``logs``.
* Entries' ``status`` is ``"1"``, as in real answers.

Batch answers carry every detail field, ``model`` included, as every real batch answer does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import attrs

from .records import DeviceRecord, FirmwareChannel
from .state import CloudError, FakeCloud

MAX_BATCH = 20
#: Query Devices in Project: at most 20 devices a page, at most 5 product IDs.
MAX_PROJECT_PAGE = 20
MAX_PRODUCT_IDS = 5
MAX_SIZE = 100
DEFAULT_SIZE = 20


@attrs.frozen
class Call:
    """A verified request: decoded path parameters, query, raw body and its content type."""

    path: dict[str, str]
    query: dict[str, str]
    body: bytes
    content_type: str

    def required(self, name: str) -> str:
        value = self.query.get(name, "")
        if not value:
            raise CloudError(1100)
        return value

    def json(self) -> dict[str, Any]:
        if not self.body:
            return {}
        if "json" not in self.content_type.lower():
            raise CloudError(1006)
        try:
            data = json.loads(self.body)
        except ValueError:
            raise CloudError(1109) from None
        if not isinstance(data, dict):
            raise CloudError(1109)
        return data


def _int(value: Any, low: int | None = None, high: int | None = None) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise CloudError(1109) from None
    if (
        isinstance(value, bool)
        or (low is not None and number < low)
        or (high is not None and number > high)
    ):
        raise CloudError(1109)
    return number


BATCH_FIELDS = (
    "id",
    "active_time",
    "category",
    "create_time",
    "update_time",
    "custom_name",
    "icon",
    "ip",
    "is_online",
    "lat",
    "lon",
    "local_key",
    "name",
    "product_id",
    "product_name",
    "sub",
    "time_zone",
    "uuid",
    "bind_space_id",
)
DETAIL_FIELDS = (*BATCH_FIELDS, "model")


#: The listing's camelCase names (Tuya's casing differs per endpoint): wire name -> attribute.
PROJECT_FIELDS = {
    "id": "id",
    "name": "name",
    "customName": "custom_name",
    "productId": "product_id",
    "productName": "product_name",
    "category": "category",
    "isOnline": "is_online",
    "activeTime": "active_time",
    "createTime": "create_time",
    "updateTime": "update_time",
    "timeZone": "time_zone",
    "lat": "lat",
    "lon": "lon",
    "ip": "ip",
    "icon": "icon",
    "uuid": "uuid",
    "localKey": "local_key",
    "sub": "sub",
}


def _device_json(record: DeviceRecord, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(record, name) for name in fields}


def token_grant(cloud: FakeCloud, call: Call) -> Any:
    if call.required("grant_type") != "1":
        raise CloudError(1003)
    return cloud.grant()


def token_refresh(cloud: FakeCloud, call: Call) -> Any:
    return cloud.refresh(call.path["refresh_token"])


def device_get(cloud: FakeCloud, call: Call) -> Any:
    return _device_json(cloud.view(call.path["device_id"]), DETAIL_FIELDS)


def device_batch(cloud: FakeCloud, call: Call) -> Any:
    ids = [i.strip() for i in call.required("device_ids").split(",") if i.strip()]
    if not ids:
        raise CloudError(1100)
    if len(ids) > MAX_BATCH:
        raise CloudError(1109)
    return [_device_json(r, DETAIL_FIELDS) for r in cloud.batch(ids)]


def _filter(call: Call, name: str, limit: int | None = None) -> frozenset[str] | None:
    values = frozenset(v.strip() for v in call.query.get(name, "").split(",") if v.strip())
    if limit is not None and len(values) > limit:
        raise CloudError(1109)
    return values or None


def project_devices(cloud: FakeCloud, call: Call) -> Any:
    """``GET /v2.0/cloud/thing/device`` (Query Devices in Project): camelCase fields, devices
    ascending by ID after ``last_id`` (a bound, so it works even if that device is gone since).
    ``page_size`` is required (1100) and 1..20, more than 5 ``product_ids`` is 1109. The order
    and these checks are this project's decisions where Tuya's documentation is silent."""
    size = _int(call.required("page_size"), 1, MAX_PROJECT_PAGE)
    product_ids = _filter(call, "product_ids", MAX_PRODUCT_IDS)
    categories = _filter(call, "categories")
    page = cloud.project_devices(call.query.get("last_id", ""), size, product_ids, categories)
    return [{wire: getattr(r, attr) for wire, attr in PROJECT_FIELDS.items()} for r in page]


def device_state(cloud: FakeCloud, call: Call) -> Any:
    return {"state": 1 if cloud.view(call.path["device_id"]).frozen else 0}


def device_freeze(cloud: FakeCloud, call: Call) -> Any:
    body = call.json()
    if body.get("state") is None:
        raise CloudError(1100)
    state = _int(body["state"], 0, 1)
    cloud.device(call.path["device_id"]).frozen = state == 1
    return True


def device_attribute(cloud: FakeCloud, call: Call) -> Any:
    body = call.json()
    if body.get("type") is None or body.get("data") in (None, ""):
        raise CloudError(1100)
    kind = _int(body["type"], 1, 3)
    if not isinstance(body["data"], str):
        raise CloudError(1109)
    cloud.set_attribute(call.path["device_id"], kind, body["data"])
    return True


def device_transfer(cloud: FakeCloud, call: Call) -> Any:
    space = call.json().get("space_id")
    if space in (None, ""):
        raise CloudError(1100)
    if isinstance(space, bool) or not isinstance(space, str | int):
        raise CloudError(1109)
    space = str(space)
    if space not in cloud.site_space_ids and space not in cloud.home_space_ids:
        raise CloudError(1109)
    record = cloud.device(call.path["device_id"])
    record.bind_space_id = space
    return True


def device_delete(cloud: FakeCloud, call: Call) -> Any:
    cloud.remove(call.path["device_id"], clear_logs=False)
    return True


def device_reset(cloud: FakeCloud, call: Call) -> Any:
    cloud.remove(call.path["device_id"], clear_logs=True)
    return True


def _window(call: Call) -> tuple[int, int, int]:
    start, end = call.required("start_time"), call.required("end_time")
    start_ms, end_ms = _int(start, 0), _int(end, 0)
    if start_ms > end_ms:
        raise CloudError(1109)
    size = _int(call.query["size"], 1, MAX_SIZE) if call.query.get("size") else DEFAULT_SIZE
    return start_ms, end_ms, size


def _codes(call: Call, required: bool) -> frozenset[str] | None:
    raw = call.required("codes") if required else call.query.get("codes", "")
    codes = frozenset(c.strip() for c in raw.split(",") if c.strip())
    if required and not codes:
        raise CloudError(1100)
    return codes or None


#: The ``seq`` of a key that lies above every entry of its millisecond (a page's start).
TOP_SEQ = 1 << 62


def _query_type(call: Call) -> bool:
    """True for the paid edition (``query_type=2``), False for the free one (``1``)."""
    value = call.required("query_type")
    if value not in ("1", "2"):
        raise CloudError(1109)
    return value == "2"


def _paid_after(cloud: FakeCloud, device_id: str, call: Call) -> str:
    """The paid edition's cursor: ``last_row_key`` (an entry's ``row``) + ``last_event_time``."""
    row = call.query.get("last_row_key", "")
    if not row:
        return ""
    event_time = _int(call.required("last_event_time"), 0)
    key = cloud.decode_cursor(device_id, row)
    if key is None or key[0] != event_time:
        raise CloudError(1109)
    return row


def _op_json(row: Any) -> dict[str, Any]:
    return {
        "event_time": row[0],
        "event_id": row[2],
        "code": row[3],
        "value": row[4],
        "event_from": row[5],
        "status": row[6],
    }


def operation_logs(cloud: FakeCloud, call: Call) -> Any:
    """``GET /v2.0/cloud/thing/{device_id}/logs``: free or paid edition (module docstring)."""
    types = frozenset(_int(x, 1, 10) for x in call.required("type").split(",") if x.strip())
    paid = _query_type(call)
    start_ms, end_ms, size = _window(call)
    codes = _codes(call, required=False)
    record = cloud.view(call.path["device_id"])
    cursor = _paid_after(cloud, record.id, call) if paid else call.query.get("start_row_key", "")
    rows, next_key, more, total = cloud.page(
        record.id,
        [record.operations],
        start_ms,
        end_ms,
        size,
        cursor,
        lambda r: r[2] in types and (codes is None or r[3] in codes),
        retention=not paid,
    )
    logs = [_op_json(r) for r in rows]
    if paid:
        for row, entry in zip(rows, logs, strict=True):
            entry["row"] = cloud.cursor_for(record.id, (row[0], row[1]))
        return {"device_id": record.id, "has_next": more, "count": total, "logs": logs}
    current = cursor or cloud.cursor_for(record.id, (end_ms, TOP_SEQ))
    result = {"device_id": record.id, "current_row_key": current, "has_next": more, "logs": logs}
    return result | {"next_row_key": next_key} if more else result


def report_logs(cloud: FakeCloud, call: Call) -> Any:
    codes = _codes(call, required=True)
    start_ms, end_ms, size = _window(call)
    record = cloud.view(call.path["device_id"])
    assert codes is not None
    rows, next_key, more, total = cloud.page(
        record.id,
        cloud.reports_by_code(record, codes),
        start_ms,
        end_ms,
        size,
        call.query.get("last_row_key", ""),
    )
    return {
        "device_id": record.id,
        "total": total,
        "has_more": more,
        "last_row_key": next_key,
        "logs": [{"code": r[2], "value": r[3], "event_time": r[0]} for r in rows],
    }


def _firmware_json(fw: FirmwareChannel) -> dict[str, Any]:
    return {
        "type": fw.channel,
        "type_desc": fw.type_desc,
        "upgrade_status": fw.status,
        "current_version": fw.current_version,
        "version": fw.version,
        "desc": f"Firmware {fw.version}: stability and efficiency improvements",
        "upgrading_desc": "Updating, keep the device powered",
        "downloading_desc": "",
        "waiting_desc": "Waiting for the device",
        "dev_type": 0,
        "timeout": 300,
        "upgrade_type": 0,
        "url": f"https://fw.example.invalid/{fw.type_desc}/{fw.version}.bin",
        "md5": "0" * 32,
        "sign": "",
        "file_size": "1048576",
        "last_upgrade_time": fw.last_upgrade_ms,
        "firmware_deploy_time": fw.last_upgrade_ms,
        "control_type": 0,
        "can_upgrade": fw.status == 1,
        "remind": "",
    }


def firmware_info(cloud: FakeCloud, call: Call) -> Any:
    record = cloud.view(call.path["device_id"])
    return [_firmware_json(fw) for fw in record.channels.values()]


def firmware_start(cloud: FakeCloud, call: Call) -> Any:
    channel = _int(call.path["channel"], 0)
    cloud.start_update(call.path["device_id"], channel)
    return True


def firmware_progress(cloud: FakeCloud, call: Call) -> Any:
    channel = _int(call.path["channel"], 0)
    status, progress = cloud.progress(cloud.view(call.path["device_id"]), channel)
    return {"upgrade_status": status, "progress": progress}


THING = "/v2.0/cloud/thing/{device_id}"
HANDLERS: dict[tuple[str, str], Callable[[FakeCloud, Call], Any]] = {
    ("GET", "/v1.0/token"): token_grant,
    ("GET", "/v1.0/token/{refresh_token}"): token_refresh,
    ("GET", "/v2.0/cloud/thing/batch"): device_batch,
    ("GET", "/v2.0/cloud/thing/device"): project_devices,
    ("GET", THING): device_get,
    ("GET", THING + "/state"): device_state,
    ("POST", THING + "/freeze"): device_freeze,
    ("POST", THING + "/attribute"): device_attribute,
    ("POST", THING + "/transfer"): device_transfer,
    ("DELETE", THING): device_delete,
    ("POST", THING + "/reset"): device_reset,
    ("GET", THING + "/logs"): operation_logs,
    ("GET", THING + "/report-logs"): report_logs,
    ("GET", THING + "/firmware"): firmware_info,
    ("POST", THING + "/firmware/{channel}"): firmware_start,
    ("GET", THING + "/firmware/{channel}/progress"): firmware_progress,
}
