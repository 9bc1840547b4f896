"""Async-first SDK for Tuya Cloud Device Management (the v2.0 ``cloud/thing`` API).

async with TuyaClient(Credentials(access_id, access_secret), region=Region.EU) as tuya:
    device = await tuya.devices.get("vdevo123")
"""

from ._pipeline import ClientStats
from ._protocol import SignedRequest
from ._ratelimit import RouteRate
from ._transport import AiohttpTransport, MockTransport, Transport, TransportResponse
from ._version import __version__
from .bulk import BatchFailure, BulkMode, BulkResult, DeviceStream
from .checkpoint import DeviceFailure, DevicePosition, HarvestCheckpoint
from .client import TuyaClient, Verified
from .config import ClientSettings, Clock, Credentials, Region
from .endpoints.devices import ProjectDeviceStream
from .errors import (
    TuyaAPIError,
    TuyaAuthError,
    TuyaBulkError,
    TuyaClientClosedError,
    TuyaConfigError,
    TuyaConnectError,
    TuyaDeviceError,
    TuyaError,
    TuyaEventLoopError,
    TuyaInvalidRequestError,
    TuyaOutcomeUnknownError,
    TuyaPaginationLoopError,
    TuyaPermissionError,
    TuyaProtocolError,
    TuyaQuotaError,
    TuyaRateLimitError,
    TuyaResponseTooLargeError,
    TuyaRetryQuotaExceededError,
    TuyaServerError,
    TuyaTimeoutError,
    TuyaTLSError,
    TuyaTransportError,
    TuyaValidationError,
)
from .events import CallEvent, RequestEvent, ResponseEvent, RetryEvent
from .harvest import Harvest, HarvestPage, HarvestProgress, HarvestRecord
from .models import (
    Device,
    DeviceState,
    EventSource,
    FirmwareProgress,
    FirmwareUpdate,
    LogType,
    OperationLog,
    Page,
    ReportLog,
    UpgradeStatus,
)
from .pagination import Paginator

__all__ = [
    "AiohttpTransport",
    "BatchFailure",
    "BulkMode",
    "BulkResult",
    "CallEvent",
    "ClientSettings",
    "ClientStats",
    "Clock",
    "Credentials",
    "Device",
    "DeviceFailure",
    "DevicePosition",
    "DeviceState",
    "DeviceStream",
    "EventSource",
    "FirmwareProgress",
    "FirmwareUpdate",
    "Harvest",
    "HarvestCheckpoint",
    "HarvestPage",
    "HarvestProgress",
    "HarvestRecord",
    "LogType",
    "MockTransport",
    "OperationLog",
    "Page",
    "Paginator",
    "ProjectDeviceStream",
    "Region",
    "ReportLog",
    "RequestEvent",
    "ResponseEvent",
    "RetryEvent",
    "RouteRate",
    "SignedRequest",
    "Transport",
    "TransportResponse",
    "TuyaAPIError",
    "TuyaAuthError",
    "TuyaBulkError",
    "TuyaClient",
    "TuyaClientClosedError",
    "TuyaConfigError",
    "TuyaConnectError",
    "TuyaDeviceError",
    "TuyaError",
    "TuyaEventLoopError",
    "TuyaInvalidRequestError",
    "TuyaOutcomeUnknownError",
    "TuyaPaginationLoopError",
    "TuyaPermissionError",
    "TuyaProtocolError",
    "TuyaQuotaError",
    "TuyaRateLimitError",
    "TuyaResponseTooLargeError",
    "TuyaRetryQuotaExceededError",
    "TuyaServerError",
    "TuyaTLSError",
    "TuyaTimeoutError",
    "TuyaTransportError",
    "TuyaValidationError",
    "UpgradeStatus",
    "Verified",
    "__version__",
]
