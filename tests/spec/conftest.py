"""The spec-validation suite needs RingCentral's spec from npm; without it, skip or fail."""

from __future__ import annotations

import os

import pytest

from .openapi import ENABLE, SPEC_FILE


@pytest.fixture(autouse=True)
def _spec_present() -> None:
    if SPEC_FILE.is_file():
        return
    message = f"RingCentral's OpenAPI spec is not installed ({SPEC_FILE}); {ENABLE}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
