"""The call-volume chart: an SVG image with a title, a description and bars per bucket."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from rcpyramid.views.calllog import Bucket, Summary
from rcpyramid.views.charts import call_volume_svg

START = datetime(2026, 11, 27, tzinfo=UTC)


def chart(*buckets: tuple[int, int, int], hourly: bool = True) -> str:
    made = [Bucket(START, f"{i:02}:00", *counts) for i, counts in enumerate(buckets)]
    summary = Summary(
        inbound=sum(b.inbound for b in made),
        outbound=sum(b.outbound for b in made),
        missed=sum(b.missed for b in made),
        buckets=made,
        hourly=hourly,
    )
    return str(call_volume_svg(summary, "Calls today"))


def test_the_chart_is_an_image_with_a_title_and_the_numbers_in_words() -> None:
    svg = chart((3, 1, 1), (0, 2, 0))
    assert svg.startswith('<svg class="chart"')
    assert 'role="img"' in svg
    assert '<title id="chart-title">Calls today</title>' in svg
    assert "3 incoming calls (1 missed) and 3 outgoing calls, per hour." in svg


def test_answered_missed_and_outgoing_each_get_a_bar_only_when_there_are_some() -> None:
    svg = chart((3, 1, 1), (0, 2, 0))
    assert svg.count('class="bar-in"') == 1
    assert svg.count('class="bar-missed"') == 1
    assert svg.count('class="bar-out"') == 2


def test_no_inline_style_or_script_which_the_csp_would_refuse() -> None:
    svg = chart((5, 5, 5))
    assert "style=" not in svg and "<script" not in svg


def test_the_axis_tops_out_at_a_round_number_at_least_the_largest_count() -> None:
    ticks = [int(t) for t in re.findall(r'text-anchor="end">(\d+)<', chart((37, 0, 0)))]
    assert ticks == [0, 20, 40]
    assert [int(t) for t in re.findall(r'text-anchor="end">(\d+)<', chart((0, 0, 0)))] == [0, 1]


def test_a_title_is_escaped() -> None:
    assert "&lt;script&gt;" in str(call_volume_svg(Summary(), "<script>"))


def test_labels_thin_out_on_a_long_range() -> None:
    svg = chart(*[(1, 0, 0)] * 24)
    labels = re.findall(r'text-anchor="middle">(\d\d:00)<', svg)
    assert labels == ["00:00", "03:00", "06:00", "09:00", "12:00", "15:00", "18:00", "21:00"]
    assert svg.count('class="axis minor"') == 4  # every other label gives way on phones
