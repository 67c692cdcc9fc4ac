"""The call-log query read from an address: pure rules, tested without a page."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from rcpyramid.ringcentral.endpoints import rc_time
from rcpyramid.views.api.query import DEFAULT_RANGE, bounded_int, call_query
from rcpyramid.views.errors import BadInputError

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 27, 15, 30, tzinfo=UTC)


def test_a_missing_number_is_the_default_and_a_bad_one_says_the_bounds() -> None:
    assert bounded_int({}, "page", 1, 9) == 1
    assert bounded_int({"page": "9"}, "page", 1, 9) == 9
    for raw in ("0", "10", "-1", "x", "\u0661"):
        with pytest.raises(BadInputError, match="from 1 to 9"):
            bounded_int({"page": raw}, "page", 1, 9)


def test_no_dates_is_the_last_24_hours_and_keeps_the_address_clean() -> None:
    query = call_query({}, PARIS, NOW)
    assert query.problems == []
    assert query.dates is not None and not query.dates.chosen
    assert query.dates.end - query.dates.start == DEFAULT_RANGE
    assert query.query() == {}


def test_whole_days_in_the_zone_end_at_the_next_midnight() -> None:
    query = call_query({"from": "2026-11-20", "to": "2026-11-21"}, PARIS, NOW)
    assert query.dates is not None
    assert query.dates.start == datetime(2026, 11, 20, tzinfo=PARIS)
    assert query.dates.end == datetime(2026, 11, 22, tzinfo=PARIS)
    assert rc_time(query.dates.start) == "2026-11-19T23:00:00.000Z"
    assert query.query() == {"from": "2026-11-20", "to": "2026-11-21"}


def test_mistakes_become_plain_words_per_field() -> None:
    query = call_query(
        {"from": "2026-11-25", "to": "2026-11-20", "direction": "Sideways", "type": "Telex"},
        PARIS,
        NOW,
    )
    assert query.dates is None
    assert "after the end date" in query.problem("from")
    assert query.problem("direction") and query.problem("type")
    assert query.direction == query.type == ""


def test_a_year_out_of_range_and_more_than_a_year_are_refused() -> None:
    assert "out of range" in call_query({"from": "1999-01-01"}, PARIS, NOW).problem("from")
    wide = call_query({"from": "2024-01-01", "to": "2026-01-01"}, PARIS, NOW)
    assert "more than a year" in wide.problem("from")
    assert "not a date" in call_query({"to": "tomorrow"}, PARIS, NOW).problem("to")
