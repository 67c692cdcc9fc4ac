"""The dashboard's figures: what summarise() counts, and where each call lands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rcpyramid.views.calllog import CallRow, call_row, summarise

DAY = datetime(2026, 11, 27, tzinfo=UTC)


def row(hour: float, direction: str = "Inbound", result: str = "Accepted", **extra: Any) -> CallRow:
    record = {
        "startTime": (DAY + timedelta(hours=hour)).isoformat(),
        "direction": direction,
        "type": "Voice",
        "result": result,
        "duration": 60,
        **extra,
    }
    return call_row(record, me="101", country="US")


def test_a_day_counts_in_out_missed_and_talk_time_per_hour() -> None:
    rows = [
        row(9.5),
        row(9.75, result="Missed"),
        row(10.25, direction="Outbound", result="Call connected"),
        row(11, result="Voicemail"),  # missed: nobody answered, voicemail included
    ]
    summary = summarise(rows, DAY, DAY + timedelta(days=1), UTC, hourly=True)
    assert (summary.inbound, summary.outbound, summary.missed) == (3, 1, 2)
    assert summary.talk_seconds == 120  # only the calls that connected
    assert len(summary.buckets) == 24
    nine, ten, eleven = summary.buckets[9], summary.buckets[10], summary.buckets[11]
    assert (nine.label, nine.inbound, nine.missed, nine.outbound) == ("09:00", 2, 1, 0)
    assert (ten.inbound, ten.outbound) == (0, 1)
    assert (eleven.inbound, eleven.missed) == (1, 1)


def test_calls_outside_the_range_faxes_and_other_types_are_not_voice_calls() -> None:
    rows = [
        row(-1),  # the day before
        row(24),  # the end is not in the range
        row(8, type="Fax"),
        row(8, type="SMS"),
        call_row({"direction": "Inbound", "type": "Voice"}, me="101", country="US"),  # no time
    ]
    summary = summarise(rows, DAY, DAY + timedelta(days=1), UTC, hourly=True)
    assert (summary.inbound, summary.outbound, summary.faxes) == (0, 0, 1)


def test_days_are_calendar_days_in_the_persons_zone_across_a_clock_change() -> None:
    zone = ZoneInfo("US/Pacific")
    # 1 to 3 November 2026 in California: the clocks go back on the 1st.
    start = datetime(2026, 11, 1, tzinfo=zone)
    end = datetime(2026, 11, 4, tzinfo=zone)
    late_on_the_first = datetime(2026, 11, 1, 23, 30, tzinfo=zone).astimezone(UTC)
    rows = [
        call_row(
            {
                "startTime": late_on_the_first.isoformat(),
                "direction": "Inbound",
                "type": "Voice",
                "result": "Accepted",
            },
            me="101",
            country="US",
        )
    ]
    summary = summarise(rows, start, end, zone, hourly=False)
    assert [bucket.label for bucket in summary.buckets] == ["Sun 1 Nov", "Mon 2 Nov", "Tue 3 Nov"]
    assert [bucket.inbound for bucket in summary.buckets] == [1, 0, 0]


def test_a_record_becomes_a_row_with_bounded_text_and_a_sane_duration() -> None:
    made = call_row(
        {
            "startTime": "2026-11-27T09:00:00Z",
            "direction": "Inbound" * 20,
            "duration": "-4",
            "from": {"extensionId": "101"},
            "extension": {"id": "101"},
        },
        me=None,
        country="US",
    )
    assert made.seconds == 0
    assert len(made.direction) == 40
    assert made.caller.you  # in a person's own log, the record's extension is them
