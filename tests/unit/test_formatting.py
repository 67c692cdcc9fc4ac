"""RingCentral's values as a person reads them, one function at a time."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from rcpyramid.views.formatting import (
    duration_text,
    extension_status,
    iso_utc,
    local_text,
    party,
    party_view,
    phone_text,
    result,
    result_kind,
    short_duration_text,
    status_words,
    talk_time_text,
    when,
)

MOMENT = datetime(2026, 11, 27, 14, 3, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0 s"), (59, "59 s"), (75, "1 min 15 s"), (3725, "1 h 2 min 5 s"), (-5, "0 s")],
)
def test_a_duration_reads_in_units(seconds: int, text: str) -> None:
    assert duration_text(seconds) == text


@pytest.mark.parametrize("junk", [None, "soon", object()])
def test_a_duration_that_is_no_number_is_left_blank(junk: object) -> None:
    assert duration_text(junk) == ""


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(40, "40 s"), (720, "12 min"), (7500, "2 h 5 min"), (3_600_000, "1,000 h 0 min")],
)
def test_talk_time_totals_round_to_minutes_with_thousands_separators(
    seconds: int, text: str
) -> None:
    assert talk_time_text(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0 s"), (75, "1 min 15 s"), (1140, "19 min"), (3600, "1 h 0 min"), (3725, "1 h 2 min")],
)
def test_a_call_logs_short_duration_drops_what_a_glance_needs_not(seconds: int, text: str) -> None:
    assert short_duration_text(seconds) == text
    assert short_duration_text("soon") == ""


def test_times_for_machines_are_utc_and_for_people_local() -> None:
    assert iso_utc(MOMENT) == "2026-11-27T14:03:09Z"
    assert local_text(MOMENT, ZoneInfo("US/Pacific")) == "27 Nov 2026, 06:03:09"
    assert local_text(MOMENT, ZoneInfo("Europe/London"), seconds=False) == "27 Nov 2026, 14:03"


def test_the_time_markup_keeps_the_utc_value_beside_the_local_text() -> None:
    markup = when("2026-11-27T14:03:09.000Z", ZoneInfo("US/Pacific"))
    assert markup == '<time datetime="2026-11-27T14:03:09Z">27 Nov 2026, 06:03:09</time>'


def test_a_time_that_does_not_parse_is_shown_escaped_as_given() -> None:
    assert when("<b>yesterday</b>") == "&lt;b&gt;yesterday&lt;/b&gt;"


def test_numbers_are_national_at_home_and_international_abroad() -> None:
    assert phone_text("+16505550100", "US") == "(650) 555-0100"
    assert phone_text("+16505550100", "GB") == "+1 650-555-0100"
    assert phone_text("+442071838750", "GB") == "020 7183 8750"


def test_a_number_that_cannot_be_one_is_left_as_written() -> None:
    assert phone_text("+1", "US") == "+1"
    assert phone_text("not a number", "US") == "not a number"


def test_the_persons_own_extension_is_you() -> None:
    view = party_view({"extensionId": "101", "name": "Alice Smith"}, me="101")
    assert view.you and view.text == "You"
    assert party({"extensionId": "101"}, me="101") == '<span class="you">You</span>'


def test_a_party_shows_name_and_number_and_keeps_the_e164_value() -> None:
    value = {"name": "Bob Johnson", "phoneNumber": "+16505550100"}
    assert party_view(value).text == "Bob Johnson \u00b7 (650) 555-0100"
    assert party(value) == (
        'Bob Johnson <span class="number"><data value="+16505550100">(650) 555-0100</data></span>'
    )


def test_a_party_without_a_number_falls_back_to_its_extension_then_its_location() -> None:
    assert party_view({"extensionNumber": "103"}).text == "ext. 103"
    assert party_view({"location": "London"}).text == "London"
    assert party_view(None).text == "Unknown"


def test_a_party_name_is_escaped() -> None:
    assert party({"name": "<b>O'Hara</b>"}) == "&lt;b&gt;O&#39;Hara&lt;/b&gt;"


@pytest.mark.parametrize(
    ("words", "kind"),
    [
        ("Accepted", "connected"),
        ("Missed", "missed"),
        ("Voicemail", "voicemail"),
        ("Blocked", "blocked"),
        ("Rejected", "declined"),
        ("No Answer", "unanswered"),
        ("Something new", "other"),
        (None, "other"),
    ],
)
def test_each_result_has_a_kind(words: str | None, kind: str) -> None:
    assert result_kind(words) == kind


def test_a_result_is_marked_by_shape_and_words_not_colour_alone() -> None:
    assert result("Missed") == (
        '<span class="result result-missed"><span aria-hidden="true">\u2717</span> Missed</span>'
    )
    assert result("") == ""


@pytest.mark.parametrize(
    ("status", "words"),
    [
        ("NotActivated", "Not activated yet"),
        ("Enabled", "Enabled"),
        ("OnHoldForever", "On hold forever"),
    ],
)
def test_extension_statuses_read_as_words(status: str, words: str) -> None:
    assert extension_status(status) == words


def test_a_status_code_reads_as_its_phrase() -> None:
    assert status_words(503) == "Service Unavailable"
    assert status_words("nope") == ""
