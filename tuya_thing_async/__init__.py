"""Async-first SDK for Tuya Cloud Device Management (the v2.0 ``cloud/thing`` API).

async with TuyaClient(Credentials(access_id, access_secret), region=Region.EU) as tuya:
    device = await tuya.devices.get("vdevo123")
"""

from .bulk import BatchFailure, BulkMode, BulkResult
from .client import TuyaClient
from .config import ClientSettings, Clock, Credentials, Region
from .errors import (
    TuyaAPIError,
    TuyaAuthError,
    TuyaBulkError,
    TuyaClientClosedError,
    TuyaConfigError,
    TuyaConnectError,
    TuyaDeviceError,
    TuyaError,
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
from .harvest import Harvest, HarvestCheckpoint, HarvestProgress, HarvestRecord
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

__version__ = "0.1.0"

__all__ = [
    "BatchFailure",
    "BulkMode",
    "BulkResult",
    "ClientSettings",
    "Clock",
    "Credentials",
    "Device",
    "DeviceState",
    "EventSource",
    "FirmwareProgress",
    "FirmwareUpdate",
    "Harvest",
    "HarvestCheckpoint",
    "HarvestProgress",
    "HarvestRecord",
    "LogType",
    "OperationLog",
    "Page",
    "Paginator",
    "Region",
    "ReportLog",
    "TuyaAPIError",
    "TuyaAuthError",
    "TuyaBulkError",
    "TuyaClient",
    "TuyaClientClosedError",
    "TuyaConfigError",
    "TuyaConnectError",
    "TuyaDeviceError",
    "TuyaError",
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
    "__version__",
]
