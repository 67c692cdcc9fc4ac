"""RingCentral's values as a person reads them: numbers, parties, durations, times, results.

Plain functions return text (the CSV export uses them too); the Jinja2 filters at the
bottom wrap that text in markup that keeps the machine value (``<time datetime>``,
``<data value>``) next to the readable one.
"""

from __future__ import annotations

import functools
import http
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

import phonenumbers
from markupsafe import Markup, escape

from rcpyramid.callstore import records

#: ``+`` and 2 to 15 digits: a phone number in E.164, as RingCentral writes them.
E164 = re.compile(r"\+[1-9][0-9]{1,14}", re.ASCII)

#: What each call result means for a person looking at their calls.
RESULT_KINDS = {
    "Accepted": "connected",
    "Call connected": "connected",
    "Received": "connected",
    "Sent": "connected",
    "Missed": "missed",
    "Voicemail": "voicemail",
    "Blocked": "blocked",
    "Rejected": "declined",
    "Busy": "unanswered",
    "No Answer": "unanswered",
    "Hang Up": "unanswered",
}
#: A short mark before each result's words, so results differ by shape as well as colour.
RESULT_MARKS = {
    "connected": "\u2713",  # check mark
    "missed": "\u2717",  # ballot x
    "voicemail": "\u2709",  # envelope
    "blocked": "\u2298",  # circled slash
    "declined": "\u2717",
    "unanswered": "\u2013",  # en dash
}


def _span_text(seconds: Any, from_an_hour: str, from_a_minute: str) -> str:
    """``seconds`` in the first form from an hour, the second from a minute, else ``{s} s``."""
    try:
        total = max(int(seconds), 0)
    except (TypeError, ValueError):
        return ""
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    form = from_an_hour if hours else from_a_minute if minutes else "{s} s"
    return form.format(h=hours, m=minutes, s=secs)


def duration_text(seconds: Any) -> str:
    """``75`` -> ``1 min 15 s``; ``3725`` -> ``1 h 2 min 5 s``; ``0`` -> ``0 s``."""
    return _span_text(seconds, "{h} h {m} min {s} s", "{m} min {s} s")


def talk_time_text(seconds: Any) -> str:
    """A total of talk time: ``2 h 5 min``, ``12 min``, ``40 s``."""
    return _span_text(seconds, "{h:,} h {m} min", "{m} min")


def parse_time(value: Any) -> datetime | None:
    """A datetime (naive taken as UTC) or RingCentral's ISO 8601 text as an aware time."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return records.parse_time(value)


def iso_utc(moment: datetime) -> str:
    """``2026-11-27T14:03:09Z``: ISO 8601 in UTC, for machines and spreadsheets."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_text(moment: datetime, zone: tzinfo, *, seconds: bool = True) -> str:
    """``27 Nov 2026, 06:03:09`` in ``zone``."""
    local = moment.astimezone(zone)
    return local.strftime("%-d %b %Y, %H:%M:%S" if seconds else "%-d %b %Y, %H:%M")


def day_text(moment: datetime, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%a %-d %b %Y")


@functools.lru_cache(maxsize=4096)
def phone_text(number: str, country: str = "US") -> str:
    """An E.164 number as people in ``country`` write it (national at home, else international).

    Kept per process (a pure function of its two strings): parsing with phonenumbers is
    most of a call-log page's time, and a log repeats the same numbers.
    """
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    if not phonenumbers.is_possible_number(parsed):
        return number
    home = phonenumbers.region_code_for_number(parsed) == country
    style = phonenumbers.PhoneNumberFormat.NATIONAL if home else None
    return phonenumbers.format_number(parsed, style or phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@dataclass(frozen=True)
class PartyView:
    """One side of a call as shown: who, their number for people and for machines."""

    you: bool
    name: str
    number_text: str
    e164: str
    extension: str
    location: str

    @property
    def text(self) -> str:
        if self.you:
            return "You"
        parts = [self.name] if self.name else []
        if self.number_text:
            parts.append(self.number_text)
        elif self.extension:
            parts.append(f"ext. {self.extension}")
        if not parts and self.location:
            parts.append(self.location)
        return " \u00b7 ".join(parts) or "Unknown"


def party_view(value: Any, me: str = "", country: str = "US") -> PartyView:
    """A call's ``from`` or ``to``; the extension whose id is ``me`` becomes "You"."""
    value = value if isinstance(value, dict) else {}
    name = str(value.get("name") or "")[:200]
    raw_number = str(value.get("phoneNumber") or "")[:40]
    extension = str(value.get("extensionNumber") or "")[:20]
    e164 = raw_number if E164.fullmatch(raw_number) else ""
    return PartyView(
        you=bool(me) and str(value.get("extensionId") or "") == me,
        name=name,
        number_text=phone_text(e164, country) if e164 else raw_number,
        e164=e164,
        extension=extension,
        location=str(value.get("location") or "")[:200],
    )


def result_kind(result: Any) -> str:
    return RESULT_KINDS.get(str(result or ""), "other")


# -- Jinja2 filters ----------------------------------------------------------------------


def duration(seconds: Any) -> str:
    return duration_text(seconds)


def when(value: Any, zone: tzinfo = UTC) -> Markup:
    """``<time datetime="…Z">27 Nov 2026, 06:03:09</time>``, the text in ``zone``."""
    parsed = parse_time(value)
    if parsed is None:
        return escape(str(value or ""))
    return Markup('<time datetime="{}">{}</time>').format(iso_utc(parsed), local_text(parsed, zone))


def party(value: Any, me: str = "", country: str = "US") -> Markup:
    """A party for a table cell: "You", or a name and a number that keeps its E.164 form."""
    view = value if isinstance(value, PartyView) else party_view(value, me, country)
    if view.you:
        return Markup('<span class="you">You</span>')
    if view.e164:
        number = Markup('<data value="{}">{}</data>').format(view.e164, view.number_text)
        if view.name:
            return Markup('{} <span class="number">{}</span>').format(view.name, number)
        return number
    return escape(view.text)


def result(value: Any) -> Markup:
    """A call result with a mark and a class: missed, voicemail and blocked look different."""
    words = str(value or "")
    if not words:
        return Markup("")
    kind = result_kind(words)
    mark = RESULT_MARKS.get(kind, "")
    template = Markup('<span class="result result-{}"><span aria-hidden="true">{}</span> {}</span>')
    return template.format(kind, mark, words)


#: RingCentral's extension ``status`` values, in words.
EXTENSION_STATUSES = {
    "Enabled": "Enabled",
    "Disabled": "Disabled",
    "Frozen": "Frozen",
    "NotActivated": "Not activated yet",
    "Unassigned": "Unassigned",
}


def code_words(value: Any, words: Mapping[str, str]) -> str:
    """A RingCentral code in ``words``; one it adds later, split (``NewKind`` -> ``New kind``)."""
    raw = str(value or "")[:40]
    if raw in words:
        return words[raw]
    split = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", raw)
    return split[:1].upper() + split[1:].lower()


def extension_status(value: Any) -> str:
    """``NotActivated`` -> ``Not activated yet``."""
    return code_words(value, EXTENSION_STATUSES)


def status_words(status: Any) -> str:
    """``503`` -> ``Service Unavailable``."""
    try:
        return http.HTTPStatus(int(status)).phrase
    except (TypeError, ValueError):
        return ""


# -- the call log's own filters --------------------------------------------------------------


def short_duration_text(seconds: Any) -> str:
    """``1140`` -> ``19 min``; ``75`` -> ``1 min 15 s``; ``3725`` -> ``1 h 2 min``."""
    # A whole number of minutes drops its " 0 s" ("0 s" alone, under a minute, stays).
    return _span_text(seconds, "{h} h {m} min", "{m} min {s} s").removesuffix(" 0 s")


def short_duration(seconds: Any) -> str:
    return short_duration_text(seconds)


def talk_time(seconds: Any) -> str:
    return talk_time_text(seconds)


def clock(value: Any, zone: tzinfo = UTC) -> str:
    """``14:05`` in ``zone``: the time of day a call started (the day is its group's)."""
    parsed = parse_time(value)
    return parsed.astimezone(zone).strftime("%H:%M") if parsed else ""


def iso(value: Any) -> str:
    parsed = parse_time(value)
    return iso_utc(parsed) if parsed else ""


def contact(view: PartyView) -> Markup:
    """The other party in one element: a name and, under it, the number (never split)."""
    number: Markup | str = ""
    if view.e164:
        number = Markup('<data value="{}">{}</data>').format(view.e164, view.number_text)
    elif view.number_text:
        number = view.number_text
    elif view.extension:
        number = f"ext. {view.extension}"
    if view.name and number:
        return Markup('<span class="name">{}</span> <span class="number">{}</span>').format(
            view.name, number
        )
    if view.name:
        return Markup('<span class="name">{}</span>').format(view.name)
    if number:
        return Markup('<span class="name number-only">{}</span>').format(number)
    return Markup('<span class="name unknown">{}</span>').format(view.location or "Unknown")


def colleague(view: PartyView) -> Markup:
    """A colleague as the company log names them: their name and extension number."""
    extension = f"ext. {view.extension}" if view.extension else ""
    if view.name and extension:
        return Markup('<span class="name">{}</span> <span class="number">{}</span>').format(
            view.name, extension
        )
    return escape(view.name or extension or view.number_text or "")
