"""Numbers RingCentral sends (Retry-After, token lifetimes) are kept within sane bounds."""

from __future__ import annotations

import logging

import pytest

from rcpyramid.ringcentral.transport import (
    ACCESS_LIFETIME_BOUNDS,
    REFRESH_LIFETIME_BOUNDS,
    RETRY_AFTER_BOUNDS,
    bounded_seconds,
)


def test_the_bounds_are_what_the_docs_promise() -> None:
    assert RETRY_AFTER_BOUNDS == (1, 3600)  # 1 s .. 1 h
    assert ACCESS_LIFETIME_BOUNDS == (1, 7 * 86400)  # 1 s .. 1 week
    assert REFRESH_LIFETIME_BOUNDS == (1, 30 * 86400)  # 1 s .. 30 days


@pytest.mark.parametrize(
    ("value", "seconds"), [(60, 60), ("60", 60), (1, 1), (3600, 3600), ("2.9", 2)]
)
def test_a_value_within_bounds_is_kept_in_whole_seconds(value: object, seconds: int) -> None:
    assert bounded_seconds("Retry-After", value, RETRY_AFTER_BOUNDS) == seconds


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("99999999999999999999", 3600),
        ("1e400", 3600),
        (10**30, 3600),
        (0, 1),
        (-5, 1),
        ("-inf", 1),
    ],
)
def test_a_value_outside_is_clamped_and_logged_naming_the_field(
    value: object, seconds: int, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="rcpyramid.ringcentral.client"):
        assert bounded_seconds("Retry-After", value, RETRY_AFTER_BOUNDS) == seconds
    assert any("Retry-After" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("value", [None, "soon", "nan", [], {}])
def test_a_value_that_is_no_number_at_all_is_none(value: object) -> None:
    assert bounded_seconds("expires_in", value, ACCESS_LIFETIME_BOUNDS) is None
