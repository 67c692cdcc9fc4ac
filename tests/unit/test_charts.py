"""The call-volume chart: an SVG image with a title, a description and bars per bucket."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime

import pytest

from rcpyramid.views.calllog import Bucket, Summary
from rcpyramid.views.charts import call_volume_svg, nice_ticks

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
    assert ticks == [0, 10, 20, 30, 40]
    assert [int(t) for t in re.findall(r'text-anchor="end">(\d+)<', chart((0, 0, 0)))] == [0, 1]


@pytest.mark.parametrize("largest", [1, 2, 3, 4, 5, 7, 9, 13, 37, 99, 101, 480, 2600])
def test_ticks_are_evenly_spaced_and_few(largest: int) -> None:
    """Never 0, 1, 3: every step the same, at most five of them, the top at or above."""
    ticks = nice_ticks(largest)
    steps = {b - a for a, b in itertools.pairwise(ticks)}
    assert ticks[0] == 0 and ticks[-1] >= largest and len(steps) == 1 and len(ticks) <= 6


def test_bars_that_link_open_their_calls_and_the_partial_bucket_is_marked() -> None:
    made = [Bucket(START, f"{i:02}:00", 2, 0, 1) for i in range(3)]
    summary = Summary(inbound=6, missed=3, buckets=made)
    svg = str(call_volume_svg(summary, "Calls", links=["/a", "/b", "/c"], partial_last=True))
    assert svg.count("<a href=") == 3 and 'role="group"' in svg
    assert 'aria-label="02:00 so far: 2 incoming, 1 missed, 0 outgoing. Open these calls"' in svg
    assert 'class="so-far"' in svg and ">so far<" in svg
    # Missed bars are hatched, not only red.
    assert 'id="hatch-missed"' in svg


def test_a_title_is_escaped() -> None:
    assert "&lt;script&gt;" in str(call_volume_svg(Summary(), "<script>"))


def test_labels_thin_out_on_a_long_range() -> None:
    svg = chart(*[(1, 0, 0)] * 24)
    labels = re.findall(r'text-anchor="(?:start|middle|end)">(\d\d:00)<', svg)
    assert labels == ["00:00", "03:00", "06:00", "09:00", "12:00", "15:00", "18:00", "21:00"]
    assert svg.count('class="axis x minor"') == 4  # every other label gives way on phones


def test_the_first_and_last_labels_grow_inwards_never_past_the_chart() -> None:
    """A centred "Thu 5 Nov" under the first bar began left of the chart on a phone."""
    svg = chart(*[(1, 0, 0)] * 7, hourly=False)
    anchors = re.findall(
        r'<text class="axis[^"]*" x="([\d.]+)" y="[\d.]+" text-anchor="(\w+)">', svg
    )
    axis_labels = [(float(x), anchor) for x, anchor in anchors][-7:]
    assert axis_labels[0] == (48.0, "start")  # the plot's left edge
    assert axis_labels[-1] == (712.0, "end")  # the plot's right edge
    assert {anchor for _, anchor in axis_labels[1:-1]} == {"middle"}
