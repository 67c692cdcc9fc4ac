"""What operators need to run rcpyramid: readiness, the build's version, request ids and
structured logs, metrics. Each part wires itself here; docs/operations.md is the
operator's page.
"""

from __future__ import annotations

from pyramid.config import Configurator

from rcpyramid.ops import metrics
from rcpyramid.ops.version import build_info


def includeme(config: Configurator) -> None:
    registry = config.registry
    registry.build_info = build_info(registry.app_settings.ops)
    config.include("rcpyramid.ops.readiness")
    config.include("rcpyramid.ops.request_id")
    if registry.app_settings.ops.metrics:
        metrics.enable()
