"""A small server-rendered SVG bar chart of call volume, styled only through app.css classes.

No inline style or script (the CSP refuses both): shapes carry classes, sizes are
attributes. The chart is an image to assistive technology (``role="img"`` with a
title and a description), or a group of links when its bars open their calls; the
page shows the same numbers as a table.
"""

from __future__ import annotations

from markupsafe import Markup

from rcpyramid.views.calllog import Summary

WIDTH, HEIGHT = 720, 260
#: Room for the labels at the phone size (app.css draws them larger there); the top
#: holds the "so far" label above its bucket, clear of the bars and the dashed box.
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 30, 40


def nice_ticks(value: int) -> list[int]:
    """Evenly spaced ticks from 0 to at least ``value``: a step of 1, 2 or 5 times a power
    of ten, at most five steps (0, 1, 2, 3 rather than 0, 1, 3)."""
    value = max(value, 1)
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            if value <= step * 5:
                top = -(-value // step) * step
                return list(range(0, top + 1, step))
        magnitude *= 10


def call_volume_svg(
    summary: Summary,
    title: str,
    links: list[str] | None = None,
    partial_last: bool = False,
) -> Markup:
    """The chart; ``links[i]`` (when given) opens bucket i's calls; ``partial_last`` marks
    the last bucket as "so far" (today, this hour)."""
    buckets = summary.buckets
    count = max(len(buckets), 1)
    ticks = nice_ticks(max([max(b.inbound, b.outbound) for b in buckets] or [0]))
    top = ticks[-1]
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    slot = plot_w / count
    bar = max(slot * 0.38, 1.0)

    def y(value: float) -> float:
        return TOP + plot_h - plot_h * value / top

    # Missed calls are hatched as well as coloured: told apart without colour vision.
    parts: list[Markup] = [
        Markup(
            '<defs><pattern id="hatch-missed" width="6" height="6" patternUnits="userSpaceOnUse" '
            'patternTransform="rotate(45)"><rect class="hatch-bg" width="6" height="6"/>'
            '<line class="hatch-line" x1="0" y1="0" x2="0" y2="6"/></pattern></defs>'
        )
    ]
    for tick in ticks:
        parts.append(
            Markup(
                '<line class="grid" x1="{l}" x2="{r}" y1="{y}" y2="{y}"/>'
                '<text class="axis" x="{tx}" y="{ty}" text-anchor="end">{tick}</text>'
            ).format(
                l=LEFT, r=WIDTH - RIGHT, y=_n(y(tick)), tx=LEFT - 6, ty=_n(y(tick) + 4), tick=tick
            )
        )
    label_every = 1 if count <= 8 else 3 if count <= 24 else 5
    for index, bucket in enumerate(buckets):
        x = LEFT + index * slot + (slot - 2 * bar) / 2
        answered = bucket.inbound - bucket.missed
        shapes: list[Markup] = []
        # Incoming: answered at the bottom, missed stacked on top; outgoing beside it.
        if answered:
            shapes.append(_rect("bar-in", x, y(answered), bar, y(0) - y(answered)))
        if bucket.missed:
            shapes.append(
                _rect("bar-missed", x, y(bucket.inbound), bar, y(answered) - y(bucket.inbound))
            )
        if bucket.outbound:
            shapes.append(
                _rect("bar-out", x + bar, y(bucket.outbound), bar, y(0) - y(bucket.outbound))
            )
        last = index == len(buckets) - 1
        if last and partial_last:
            shapes.append(_rect("so-far", LEFT + index * slot + 1, TOP, slot - 2, plot_h))
            parts.append(
                Markup(
                    '<text class="so-far-label" x="{x}" y="{y}" text-anchor="end">so far</text>'
                ).format(x=_n(WIDTH - RIGHT), y=TOP - 8)
            )
        body = Markup("").join(shapes)
        if links is not None and index < len(links) and (bucket.inbound or bucket.outbound):
            words = (
                f"{bucket.label}{' so far' if last and partial_last else ''}: "
                f"{bucket.inbound} incoming, {bucket.missed} missed, "
                f"{bucket.outbound} outgoing. Open these calls"
            )
            body = Markup('<a href="{href}" aria-label="{words}">{body}</a>').format(
                href=links[index], words=words, body=body
            )
        parts.append(body)
        if index % label_every == 0:
            # Every other label gives way on phones, where the chart is half as wide.
            kind = "axis x" if index % (2 * label_every) == 0 else "axis x minor"
            anchor, label_x = _label_place(index, count, slot)
            parts.append(
                Markup(
                    '<text class="{kind}" x="{x}" y="{y}" text-anchor="{anchor}">{label}</text>'
                ).format(
                    kind=kind,
                    x=_n(label_x),
                    y=HEIGHT - BOTTOM + 22,
                    anchor=anchor,
                    label=bucket.label,
                )
            )
    parts.append(
        Markup('<line class="baseline" x1="{l}" x2="{r}" y1="{y}" y2="{y}"/>').format(
            l=LEFT, r=WIDTH - RIGHT, y=_n(y(0))
        )
    )
    description = (
        f"{summary.inbound} incoming calls ({summary.missed} missed) and {summary.outbound} "
        f"outgoing calls, per {'hour' if summary.hourly else 'day'}."
    )
    return Markup(
        '<svg class="chart" viewBox="0 0 {w} {h}" role="{role}" '
        'aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg">'
        '<title id="chart-title">{title}</title><desc id="chart-desc">{desc}</desc>{body}</svg>'
    ).format(
        w=WIDTH,
        h=HEIGHT,
        # An image has no links inside for assistive technology; bars that link make a group.
        role="group" if links else "img",
        title=title,
        desc=description,
        body=Markup("").join(parts),
    )


def _label_place(index: int, count: int, slot: float) -> tuple[str, float]:
    """Where bucket ``index``'s label goes: the first and last grow inwards.

    Centred, "Thu 5 Nov" under the first bar would start left of the chart and lose its
    first letters on a phone (where the labels are drawn twice as large).
    """
    if count > 1 and index == 0:
        return "start", LEFT
    if count > 1 and index == count - 1:
        return "end", LEFT + count * slot
    return "middle", LEFT + index * slot + slot / 2


def _n(value: float) -> str:
    return f"{value:.1f}"


def _rect(kind: str, x: float, y: float, width: float, height: float) -> Markup:
    return Markup('<rect class="{k}" x="{x}" y="{y}" width="{w}" height="{h}"/>').format(
        k=kind, x=_n(x), y=_n(y), w=_n(width), h=_n(max(height, 0))
    )
