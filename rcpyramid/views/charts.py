"""A small server-rendered SVG bar chart of call volume, styled only through app.css classes.

No inline style or script (the CSP refuses both): shapes carry classes, sizes are
attributes. The chart is an image to assistive technology (``role="img"`` with a
title and a description); the page shows the same numbers as a table.
"""

from __future__ import annotations

from markupsafe import Markup

from rcpyramid.views.calllog import Summary

WIDTH, HEIGHT = 720, 260
#: Room for the labels at the phone size (app.css draws them larger there).
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 12, 40


def _nice_top(value: int) -> int:
    """The axis' top: at least the largest count, a round number."""
    if value <= 4:
        return max(value, 1)
    for step in (5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if value <= step * 4:
            return -(-value // step) * step
    return value


def call_volume_svg(summary: Summary, title: str) -> Markup:
    buckets = summary.buckets
    count = max(len(buckets), 1)
    top = _nice_top(max([max(b.inbound, b.outbound) for b in buckets] or [0]))
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    slot = plot_w / count
    bar = max(slot * 0.38, 1.0)

    def y(value: float) -> float:
        return TOP + plot_h - plot_h * value / top

    parts: list[Markup] = []
    for tick in sorted({0, top // 2, top}):
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
        # Incoming: answered at the bottom, missed stacked on top; outgoing beside it.
        if answered:
            parts.append(_rect("bar-in", x, y(answered), bar, y(0) - y(answered)))
        if bucket.missed:
            parts.append(
                _rect("bar-missed", x, y(bucket.inbound), bar, y(answered) - y(bucket.inbound))
            )
        if bucket.outbound:
            parts.append(
                _rect("bar-out", x + bar, y(bucket.outbound), bar, y(0) - y(bucket.outbound))
            )
        if index % label_every == 0:
            # Every other label gives way on phones, where the chart is half as wide.
            kind = "axis" if index % (2 * label_every) == 0 else "axis minor"
            parts.append(
                Markup(
                    '<text class="{kind}" x="{x}" y="{y}" text-anchor="middle">{label}</text>'
                ).format(
                    kind=kind,
                    x=_n(LEFT + index * slot + slot / 2),
                    y=HEIGHT - BOTTOM + 22,
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
        '<svg class="chart" viewBox="0 0 {w} {h}" role="img" '
        'aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg">'
        '<title id="chart-title">{title}</title><desc id="chart-desc">{desc}</desc>{body}</svg>'
    ).format(w=WIDTH, h=HEIGHT, title=title, desc=description, body=Markup("").join(parts))


def _n(value: float) -> str:
    return f"{value:.1f}"


def _rect(kind: str, x: float, y: float, width: float, height: float) -> Markup:
    return Markup('<rect class="{k}" x="{x}" y="{y}" width="{w}" height="{h}"/>').format(
        k=kind, x=_n(x), y=_n(y), w=_n(width), h=_n(max(height, 0))
    )
