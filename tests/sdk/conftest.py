"""Fixtures for the real-SDK suites: a simulator per test over HTTP, and the node SDK scripts."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import Any

import pytest

from rcpyramid.simulator import DEMO_CLIENT
from rcpyramid.simulator.testing import RunningSimulator
from tests.sdk.kit import PUBLIC_CLIENT, START, NodeSDKs, js_sdks_missing
from tests.services import missing


@pytest.fixture
def start_simulator(start_ringcentral_simulator) -> Callable[..., RunningSimulator]:
    """The test kit's start(), with this suite's clock and clients unless told otherwise."""

    def start(**overrides: Any) -> RunningSimulator:
        overrides.setdefault("clock", lambda: START)
        overrides.setdefault("clients", (DEMO_CLIENT, PUBLIC_CLIENT))
        return start_ringcentral_simulator(**overrides)

    return start


@pytest.fixture(scope="session")
def node_sdks() -> NodeSDKs:
    """The node runner; skips (or fails, when CI is set) without node or the packages."""
    node = shutil.which("node")
    reason = js_sdks_missing(node)
    if reason is not None:
        missing("the JS SDK tests cannot run", reason)
    assert node is not None
    return NodeSDKs(node)
