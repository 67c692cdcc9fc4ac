"""CSV export of a call log's whole range, read from the local history before the first byte.

Reading first means a store failure still gets its error page, never a truncated file
with status 200. Dates and times are local columns a spreadsheet parses, minutes a
number, names real (never "You"), readable numbers kept as text; the E.164 and ISO
columns stay for machines. Cells a spreadsheet would run as a formula are
neutralised as OWASP's "CSV Injection" page describes (a leading single quote), except
plain E.164 numbers (``+`` and digits), which run nothing and stay usable.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pyramid.request import Request

from rcpyramid.ringcentral.cached import CachedRingCentral
from rcpyramid.ringcentral.errors import SignedOutError
from rcpyramid.views.api.calls import is_company
from rcpyramid.views.api.history import coverage_of, entry_query, history_of, owner_of
from rcpyramid.views.api.log_rows import log_row
from rcpyramid.views.api.table import ApiView
from rcpyramid.views.formatting import E164, PartyView, iso_utc
from rcpyramid.views.pages import DIRECTIONS

#: Characters that make a spreadsheet treat a cell as a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

HEADER = (
    "Date",
    "Time",
    "Direction",
    "Type",
    "Contact",
    "Contact number",
    "Person",
    "Extension",
    "Minutes",
    "Result",
    "Result (RingCentral)",
    "From",
    "From number",
    "To",
    "To number",
    "Start (ISO 8601, UTC)",
    "Duration (seconds)",
    "From number (E.164)",
    "To number (E.164)",
    "Action",
)
#: What a readable phone number is written with; nothing a formula could run.
_PHONE_TEXT = re.compile(r"[0-9 +()\-.]{1,40}", re.ASCII)


class TextCell(str):
    """A cell written as ``="..."``: spreadsheets keep it as text (no 4.42E+11, no lost +).

    Only ever made by :func:`number_as_text` from characters of a phone number, so the
    formula runs nothing; every other cell is neutralised.
    """


def number_as_text(text: str) -> str:
    if text and _PHONE_TEXT.fullmatch(text):
        return TextCell(f'="{text}"')
    return text


def neutralise(cell: str) -> str:
    """A cell a spreadsheet shows as text: a leading quote before formula characters."""
    if isinstance(cell, TextCell):
        return cell
    if cell.startswith(FORMULA_STARTS) and not E164.fullmatch(cell):
        return "'" + cell
    return cell


def own_name(request: Request) -> str:
    """The signed-in person's name as RingCentral gave it at sign-in (a token read, no call)."""
    login_id = request.login
    if login_id is None:
        return ""
    try:
        return request.find_service(CachedRingCentral).load(login_id).owner_name or ""
    except SignedOutError:
        return ""


@dataclass
class Names:
    """Real names for parties a record leaves unnamed: the owner's and colleagues' extensions."""

    by_extension_id: dict[str, str] = field(default_factory=dict)

    def learn(self, record: Mapping[str, Any]) -> None:
        for side in ("from", "to"):
            party = record.get(side)
            if not isinstance(party, Mapping):
                continue
            ext, name = str(party.get("extensionId") or ""), party.get("name")
            if ext and isinstance(name, str) and name.strip():
                self.by_extension_id.setdefault(ext, name[:200])

    def of(self, view: PartyView, extension_id: str) -> str:
        return view.name or self.by_extension_id.get(extension_id, "")


def csv_values(request: Request, view: ApiView) -> dict[str, Any]:
    """Every call of the range in the history, as cells, and the file's name.

    Never cut by a rate limit: the history is local. When the range starts before the
    history does, the file's name ends in ``-partial`` and its last line says which
    dates it covers.
    """
    query = view.query
    assert query is not None and query.dates is not None
    company = is_company(view)
    owner = owner_of(request, company)
    coverage = coverage_of(request, owner)
    history = history_of(request)
    records = history.page(owner, entry_query(query, limit=None)).records if owner else []
    country = view.who.country if view.who else "US"
    zone = view.zone.zone
    names = Names()
    for record in records:
        names.learn(record)
    me = own_name(request)
    rows: list[tuple[str, ...]] = []
    for record in records:
        item = log_row(record, country, zone)
        row = item.row
        local = row.start.astimezone(zone) if row.start else None
        person = names.of(item.colleague, row.extension_id) or ("" if company else me)
        from_name = _name(item.row.caller, names, me if not company else "")
        to_name = _name(item.row.callee, names, me if not company else "")
        rows.append(
            (
                local.strftime("%Y-%m-%d") if local else "",
                local.strftime("%H:%M:%S") if local else "",
                DIRECTIONS.get(row.direction, row.direction),
                "Call" if row.type == "Voice" else row.type,
                item.contact.name,
                number_as_text(item.contact.number_text or item.contact.extension),
                person,
                item.colleague.extension,
                f"{row.seconds / 60:.2f}",
                item.word,
                row.result,
                from_name,
                number_as_text(row.caller.number_text or row.caller.extension),
                to_name,
                number_as_text(row.callee.number_text or row.callee.extension),
                iso_utc(row.start) if row.start else "",
                str(row.seconds),
                row.caller.e164,
                row.callee.e164,
                row.action,
            )
        )
    dates = query.dates
    note = ""
    if not coverage.covers(dates.start):
        first = coverage.history_from.astimezone(zone).date() if coverage.history_from else None
        covered = (
            f"{first.isoformat()} to {dates.input_to}" if first is not None else "no dates yet"
        )
        why = "is still being filled" if coverage.filling else "holds nothing older"
        note = (
            f"Note: this file covers {covered} only. You asked for {dates.input_from} to "
            f"{dates.input_to}; the call history {why}."
        )
        rows.append((note,))
    span = (
        dates.input_from
        if dates.input_from == dates.input_to
        else f"{dates.input_from}-to-{dates.input_to}"
    )
    name = f"{view.page.file_stem}-{span}{'-partial' if note else ''}.csv"
    header = tuple("Colleague" if h == "Person" and company else h for h in HEADER)
    return {"header": header, "rows": rows, "filename": name}


def _name(party: PartyView, names: Names, me: str) -> str:
    """A party's real name: never "You" (a file gets passed around)."""
    if party.you:
        return party.name or me
    return party.name


class CsvRenderer:
    """The ``csv`` renderer: ``header`` and ``rows`` as a UTF-8 CSV attachment ``filename``.

    Every cell is neutralised (:func:`neutralise`); Excel reads the byte-order mark as UTF-8.
    """

    def __init__(self, info: Any) -> None:
        self.info = info

    def __call__(self, value: dict[str, Any], system: dict[str, Any]) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(value["header"])
        for row in value["rows"]:
            writer.writerow([neutralise(cell) for cell in row])
        request = system.get("request")
        if request is not None:
            response = request.response
            response.content_type = "text/csv"
            response.charset = "utf-8"
            response.content_disposition = f'attachment; filename="{value["filename"]}"'
        return out.getvalue().encode("utf-8-sig")
