"""CSV export of a call log's whole range, fetched completely before the first byte is sent.

Fetching first means a 401, a 429 or a RingCentral failure still gets its error page,
never a truncated file with status 200. Cells a spreadsheet would run as a formula are
neutralised as OWASP's "CSV Injection" page describes (a leading single quote), except
plain E.164 numbers (``+`` and digits), which run nothing and stay usable.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from pyramid.request import Request

from rcpyramid.views.api.table import ApiView
from rcpyramid.views.calllog import call_row, fetch_range, heavy_calls_allowed, me_in
from rcpyramid.views.formatting import E164, duration_text, iso_utc, local_text
from rcpyramid.views.pages import DIRECTIONS

#: Characters that make a spreadsheet treat a cell as a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

HEADER = (
    "Time",
    "Direction",
    "Type",
    "From",
    "To",
    "Duration",
    "Result",
    "Start (ISO 8601, UTC)",
    "Duration (seconds)",
    "From number (E.164)",
    "To number (E.164)",
    "Action",
)


def neutralise(cell: str) -> str:
    """A cell a spreadsheet shows as text: a leading quote before formula characters."""
    if cell.startswith(FORMULA_STARTS) and not E164.fullmatch(cell):
        return "'" + cell
    return cell


def csv_values(request: Request, view: ApiView) -> dict[str, Any]:
    """The whole range's rows, as cells, and the file's name: what :class:`CsvRenderer` writes."""
    query = view.query
    assert query is not None and query.dates is not None
    login_id = request.identity
    params = query.ringcentral_params()
    moving = {k: v for k, v in params.items() if k not in ("dateFrom", "dateTo")}
    moving["window"] = "default"
    fetched = fetch_range(
        request,
        login_id,
        view.page.path,
        params,
        heavy_calls_allowed(request),
        key_params=params if query.dates.chosen else moving,
    )
    me = me_in(request, login_id, view.page.path)
    country = view.who.country if view.who else "US"
    zone = view.zone.zone
    rows = []
    for record in fetched.records:
        row = call_row(record, me, country)
        rows.append(
            (
                local_text(row.start, zone) if row.start else "",
                DIRECTIONS.get(row.direction, row.direction),
                "Call" if row.type == "Voice" else row.type,
                row.caller.text,
                row.callee.text,
                duration_text(row.seconds),
                row.result,
                iso_utc(row.start) if row.start else "",
                str(row.seconds),
                row.caller.e164,
                row.callee.e164,
                row.action,
            )
        )
    dates = query.dates
    span = (
        dates.input_from
        if dates.input_from == dates.input_to
        else f"{dates.input_from}-to-{dates.input_to}"
    )
    name = f"{view.page.file_stem}-{span}{'' if fetched.complete else '-partial'}.csv"
    return {"header": HEADER, "rows": rows, "filename": name}


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
