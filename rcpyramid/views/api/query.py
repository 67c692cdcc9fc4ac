"""What the address of an API page asks for: page sizes, and a call log's dates and filters.

Pure: it reads a mapping of query parameters and a zone, never the request, so every
rule here is tested without a page. Mistakes in the call-log form become plain-words
:class:`FormProblem` values; a number out of range is a :class:`BadInputError`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from rcpyramid.views.errors import BadInputError
from rcpyramid.views.formatting import day_text, local_text
from rcpyramid.views.pages import DIRECTIONS, TYPES

DEFAULT_PER_PAGE = 25
PAGE_SIZES = (25, 50, 100, 250)
MAX_PER_PAGE = 1000
MAX_PAGE = 100_000
#: RingCentral's own default window for call logs.
DEFAULT_RANGE = timedelta(hours=24)
#: RingCentral keeps call logs for a limited time; a wider range is a typo, not a query.
MAX_RANGE = timedelta(days=366)
EARLIEST_YEAR, LATEST_YEAR = 2000, 2999
#: The longest search a person may type: longer than any name or number.
MAX_SEARCH = 80
#: The result filters, in plain words: what each means in RingCentral's result words.
RESULT_FILTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "answered": ("Answered", ("Accepted", "Call connected", "Received", "Sent")),
    "missed": ("Missed", ("Missed", "No Answer", "Busy", "Hang Up")),
    "voicemail": ("Voicemail", ("Voicemail",)),
    "declined": ("Declined or blocked", ("Rejected", "Blocked")),
}
#: How a call log may be ordered: newest first (RingCentral's order) and two others.
SORTS = {"": "Newest first", "oldest": "Oldest first", "longest": "Longest first"}
_COLLEAGUE = re.compile(r"[0-9]{1,20}", re.ASCII)
_MOMENT = re.compile(r"(?P<year>\d{4})-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2})?)?", re.ASCII)


def bounded_int(params: Mapping[str, str], name: str, default: int, largest: int) -> int:
    """``params[name]`` as a whole number from 1 to ``largest``; ``default`` when absent."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 7 or not 1 <= int(raw) <= largest:
        raise BadInputError(f"{name} must be a whole number from 1 to {largest}.")
    return int(raw)


class YearOutOfRange(ValueError):
    """A well-formed date whose year this app does not ask RingCentral about."""


def _parse_moment(raw: str, zone: tzinfo, *, end_of_day: bool) -> datetime:
    """``YYYY-MM-DD`` (the whole day) or ``YYYY-MM-DDTHH:MM[:SS]`` in ``zone``."""
    match = _MOMENT.fullmatch(raw)
    if match is None:
        raise ValueError(raw)
    if not EARLIEST_YEAR <= int(match["year"]) <= LATEST_YEAR:
        raise YearOutOfRange(raw)
    if "T" in raw:
        moment = datetime.fromisoformat(raw)
        if moment.tzinfo is not None:
            raise ValueError(raw)
        return moment.replace(tzinfo=zone)
    day = date.fromisoformat(raw)
    if end_of_day:
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return datetime.combine(day, time(0), tzinfo=zone)


@dataclass(frozen=True)
class DateRange:
    start: datetime
    end: datetime
    chosen: bool
    zone: tzinfo
    raw_from: str
    raw_to: str

    def query(self) -> dict[str, str]:
        return {"from": self.raw_from, "to": self.raw_to} if self.chosen else {}

    @property
    def last_day(self) -> date:
        """The last calendar day the range touches (its end is exclusive)."""
        return (self.end.astimezone(self.zone) - timedelta(microseconds=1)).date()

    @property
    def input_from(self) -> str:
        return self.start.astimezone(self.zone).date().isoformat()

    @property
    def input_to(self) -> str:
        return self.last_day.isoformat()

    @property
    def whole_days(self) -> bool:
        def midnight(moment: datetime) -> bool:
            return moment.astimezone(self.zone).time() == time(0)

        return midnight(self.start) and midnight(self.end)

    def describe(self) -> str:
        """The range in words, in the range's own zone."""
        if not self.chosen:
            return f"the last 24 hours, since {local_text(self.start, self.zone, seconds=False)}"
        if self.whole_days:
            first = self.start.astimezone(self.zone)
            if first.date() == self.last_day:
                return day_text(first, self.zone)
            last = datetime.combine(self.last_day, time(0), tzinfo=self.zone)
            return f"{day_text(first, self.zone)} to {day_text(last, self.zone)}"
        return (
            f"{local_text(self.start, self.zone, seconds=False)} to "
            f"{local_text(self.end, self.zone, seconds=False)}"
        )


@dataclass(frozen=True)
class FormProblem:
    field: str
    message: str


@dataclass
class CallQuery:
    """What the call-log form asked for, or what is wrong with it."""

    raw_from: str
    raw_to: str
    direction: str
    type: str
    #: What the person typed in the search box (name, number or extension), trimmed.
    search: str = ""
    #: A key of :data:`RESULT_FILTERS`, or "" for every result.
    result: str = ""
    #: A colleague's RingCentral extension id (company log), or "".
    colleague: str = ""
    #: A key of :data:`SORTS`.
    sort: str = ""
    dates: DateRange | None = None
    problems: list[FormProblem] = field(default_factory=list)

    def query(self) -> dict[str, str]:
        out = self.dates.query() if self.dates else {}
        if self.direction:
            out["direction"] = self.direction
        if self.type:
            out["type"] = self.type
        for name in ("search", "result", "colleague", "sort"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        return out

    @property
    def narrowed(self) -> bool:
        """True when a search or a filter beyond the dates hides some calls of the range."""
        return bool(self.search or self.result or self.colleague or self.direction or self.type)

    def problem(self, name: str) -> str:
        return next((p.message for p in self.problems if p.field == name), "")


_DATE_EXAMPLE = "Choose it with the date picker, or write it as year-month-day (2026-11-27)."


def _date_problem(which: str, problem: ValueError) -> str:
    if isinstance(problem, YearOutOfRange):
        return (
            f"The {which} date is out of range: choose a year from {EARLIEST_YEAR} "
            f"to {LATEST_YEAR}."
        )
    return f"The {which} date is not a date. {_DATE_EXAMPLE}"


def _read_filters(params: Mapping[str, str], out: CallQuery) -> None:
    """The search box and the result, colleague and order filters: problems, or values."""
    search = " ".join(params.get("search", "").split())
    result = params.get("result", "")
    colleague = params.get("colleague", "").strip()
    sort = params.get("sort", "")
    if len(search) > MAX_SEARCH:
        out.problems.append(
            FormProblem(
                "search",
                f"The search is {len(search)} characters long. Names and numbers are "
                f"shorter: write at most {MAX_SEARCH} characters.",
            )
        )
    else:
        out.search = search
    if result and result not in RESULT_FILTERS:
        out.problems.append(
            FormProblem("result", "Choose answered, missed, voicemail, or declined calls.")
        )
    else:
        out.result = result
    if colleague and not _COLLEAGUE.fullmatch(colleague):
        out.problems.append(FormProblem("colleague", "Choose a colleague from the list."))
    else:
        out.colleague = colleague
    if sort not in SORTS:
        out.problems.append(FormProblem("sort", "Choose newest, oldest or longest first."))
    else:
        out.sort = sort
    if out.direction not in DIRECTIONS:
        out.problems.append(FormProblem("direction", "Choose incoming, outgoing, or both."))
        out.direction = ""
    if out.type not in TYPES:
        out.problems.append(FormProblem("type", "Choose calls, faxes, or both."))
        out.type = ""


def call_query(params: Mapping[str, str], zone: tzinfo, now: datetime) -> CallQuery:
    """Read the call-log form; mistakes become plain-words problems, never an exception."""
    raw_from = params.get("from", "").strip()[:40]
    raw_to = params.get("to", "").strip()[:40]
    direction = params.get("direction", "")
    kind = params.get("type", "")
    out = CallQuery(raw_from, raw_to, direction, kind)
    _read_filters(params, out)
    end = start = None
    try:
        end = _parse_moment(raw_to, zone, end_of_day=True) if raw_to else now
    except ValueError as problem:
        out.problems.append(FormProblem("to", _date_problem("end", problem)))
    try:
        if raw_from:
            start = _parse_moment(raw_from, zone, end_of_day=False)
        elif end is not None:
            start = end - DEFAULT_RANGE
    except ValueError as problem:
        out.problems.append(FormProblem("from", _date_problem("start", problem)))
    if start is not None and end is not None:
        if start >= end:
            out.problems.append(
                FormProblem(
                    "from",
                    "The start date is after the end date. Swap them, or "
                    "choose a start on or before the end.",
                )
            )
        elif end - start > MAX_RANGE:
            out.problems.append(
                FormProblem(
                    "from",
                    "That is more than a year of calls. Choose at most 366 "
                    "days: RingCentral does not keep call logs that long.",
                )
            )
        else:
            out.dates = DateRange(start, end, bool(raw_from or raw_to), zone, raw_from, raw_to)
    return out
