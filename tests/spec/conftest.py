"""The spec-validation suite needs RingCentral's spec from npm; without it, skip or fail.

Its tests carry the ``node`` marker (an npm package, like the SDK suites'), and a
missing spec follows the suite's one rule (tests/services.py).
"""

from __future__ import annotations

import pytest

from tests.services import missing

from .openapi import ENABLE, SPEC_FILE


@pytest.fixture(autouse=True)
def _spec_present() -> None:
    if SPEC_FILE.is_file():
        return
    missing(f"RingCentral's OpenAPI spec is not installed ({SPEC_FILE})", ENABLE)
