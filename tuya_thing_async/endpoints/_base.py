"""What every resource wrapper shares: the call pipeline, model structuring and boolean
results."""

from __future__ import annotations

from typing import Any, TypeVar

from .._converter import converter
from .._pipeline import CallPipeline
from .._protocol import Envelope, Route
from ..errors import TuyaAPIError, TuyaProtocolError

T = TypeVar("T")


class Resource:
    """Base of ``devices``, ``logs`` and ``firmware``: holds the pipeline, structures models."""

    def __init__(self, pipeline: CallPipeline) -> None:
        self._pipeline = pipeline
        self._converter = converter(pipeline.settings.strict_models)

    def _model(self, data: Any, cls: type[T], route: Route) -> T:
        """Structure ``data`` into ``cls``; a shape Tuya should not send is a protocol error."""
        return self._models([data], cls, route)[0]

    def _models(self, data: Any, cls: type[T], route: Route) -> list[T]:
        if not isinstance(data, list):
            raise TuyaProtocolError(
                f"expected a list of {cls.__name__}", method=route.method, path=route.template
            )
        hook = self._converter.get_structure_hook(cls)
        try:
            return [hook(item, cls) for item in data]
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
