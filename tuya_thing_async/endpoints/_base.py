"""What every resource wrapper shares: the call pipeline, naming the device and the parameters
sent on errors, model structuring and boolean results."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from .._converter import ListReader, converter, list_reader
from .._pipeline import CallPipeline
from .._protocol import Envelope, Route
from .._signing import Query
from ..errors import TuyaAPIError, TuyaError, TuyaProtocolError

T = TypeVar("T")

#: "param is illegal": the error then says which parameters the SDK sent.
PARAM_ILLEGAL = 1109
_SHOWN = 60  # characters of one sent value shown in a hint


def annotate(error: TuyaError, path: Mapping[str, str], sent: Mapping[str, object]) -> None:
    """Name the call's device on ``error``; for 1109 also what the SDK sent (no secrets here:
    path parameters and request fields of device calls only)."""
    if error.device_id is None and path.get("device_id"):
        error.device_id = path["device_id"]
    if isinstance(error, TuyaAPIError) and error.code == PARAM_ILLEGAL:
        values = {**path, **sent}
        shown = ", ".join(f"{key}={str(value)[:_SHOWN]}" for key, value in values.items())
        error.hint = f"the SDK sent: {shown}; one of these is not valid here"


class Resource:
    """Base of ``devices``, ``logs`` and ``firmware``: holds the pipeline, structures models."""

    def __init__(self, pipeline: CallPipeline) -> None:
        self._pipeline = pipeline
        self._converter = converter(pipeline.settings.strict_models)
        self._readers: dict[type[Any], ListReader] = {}

    async def _call(
        self,
        route: Route,
        path: dict[str, str],
        *,
        params: Query = (),
        body: Mapping[str, object] | None = None,
    ) -> Envelope:
        """One call about one device: its errors carry ``device_id`` (and, for 1109, the
        path parameters and body fields that were sent)."""
        try:
            return await self._pipeline.call(route, path, params, body)
        except TuyaError as error:
            annotate(error, path, body or {})
            raise

    def _model(self, data: Any, cls: type[T], route: Route) -> T:
        """Structure ``data`` into ``cls``; a shape Tuya should not send is a protocol error."""
        return self._models([data], cls, route)[0]

    def _models(self, data: Any, cls: type[T], route: Route) -> list[T]:
        if not isinstance(data, list):
            raise TuyaProtocolError(
                f"expected a list of {cls.__name__}", method=route.method, path=route.template
            )
        reader = self._readers.get(cls)
        if reader is None:
            reader = self._readers[cls] = list_reader(self._converter, cls)
        try:
            return reader(data)
        except Exception as exc:  # cattrs raises a variety (ClassValidationError, KeyError...)
            raise TuyaProtocolError(
                f"unexpected {cls.__name__} shape in the answer ({type(exc).__name__})",
                method=route.method,
                path=route.template,
            ) from None


def expect_true(env: Envelope, route: Route) -> None:
    """Mutations answer ``result: true``; an explicit ``false`` means Tuya did not apply it."""
    if env.result is False:
        raise TuyaAPIError(
            0,
            f"Tuya answered success with result {env.result!r}, not true",
            tid=env.tid,
            method=route.method,
            path=route.template,
        )
