"""RingCentral's paths, groups and time format, and the numbers it sends, read as they should."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from requests.structures import CaseInsensitiveDict

from rcpyramid.ringcentral import endpoints
from rcpyramid.ringcentral.transport import RETRY_AFTER_BOUNDS, Received, bounded_seconds


def test_each_path_the_app_calls_counts_in_ringcentrals_group() -> None:
    assert endpoints.group_of(endpoints.EXTENSION_INFO) == "Light"
    assert endpoints.group_of(endpoints.EXTENSIONS) == "Medium"
    assert endpoints.group_of(endpoints.OWN_CALL_LOG) == "Heavy"
    assert endpoints.group_of(endpoints.ACCOUNT_CALL_LOG) == "Heavy"
    assert endpoints.group_of("/restapi/v1.0/something-new") == "Medium"


def test_a_moment_is_written_in_utc_with_milliseconds() -> None:
    moment = datetime(2026, 12, 4, 19, 30, 5, tzinfo=timezone(timedelta(hours=1)))
    assert endpoints.rc_time(moment) == "2026-12-04T18:30:05.000Z"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("30", 30), (0, 1), (10**9, 3600), ("1e400", 3600), ("soon", None), (float("nan"), None)],
)
def test_numbers_from_ringcentral_are_clamped(value: object, seconds: int | None) -> None:
    assert bounded_seconds("Retry-After", value, RETRY_AFTER_BOUNDS) == seconds


def received(headers: dict[str, str], data: object = None) -> Received:
    return Received(status=429, headers=CaseInsensitiveDict(headers), body=b"", data=data)


def test_retry_after_is_read_as_seconds_or_as_a_date() -> None:
    now = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)
    assert received({"retry-after": "12"}).retry_after(now) == 12
    assert received({"Retry-After": "Fri, 04 Dec 2026 18:01:00 GMT"}).retry_after(now) == 60
    assert received({"Retry-After": "whenever"}).retry_after(now) is None
    assert received({}).retry_after(now) is None


def test_ringcentrals_first_error_is_its_code_and_message() -> None:
    body = {"errors": [{"errorCode": "CMN-401", "message": "Token expired"}], "message": "x"}
    code, message, first = received({}, body).first_error()
    assert (code, message) == ("CMN-401", "Token expired")
    assert first["errorCode"] == "CMN-401"
    assert received({}, "not a dict").first_error() == (None, None, {})
