"""The call logs, their JSON and CSV, and the dashboard, read from the local call history.

The app signs in against the simulator and its live history engine fills the store (the
worker driven with ``run_due_once``); every count a test checks is computed here from
the simulator's own records. Page views make no call-record request to RingCentral.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit
from zoneinfo import ZoneInfo

import pytest
import requests
import webtest

from rcpyramid.views.api.query import RESULT_FILTERS
from tests.conftest import SimulatorHandle
from tests.history import app_with_history, signed_in_with_history

OWN = "/test?api=extension-call-log"
COMPANY = "/test?api=account-call-log"


@pytest.fixture
def history_app(make_testapp: Callable[..., webtest.TestApp]) -> Iterator[webtest.TestApp]:
    yield from app_with_history(make_testapp)


def filled(web: webtest.TestApp, user: str = "alice") -> webtest.TestApp:
    return signed_in_with_history(web, user)


def test_the_call_logs_read_the_history(history_app: webtest.TestApp) -> None:
    web = filled(history_app)
    own = web.get(OWN)
    assert own.html.select("table.calls tr.call")
    company = web.get(COMPANY)
    assert company.html.select("table.calls td.colleague")


def alice(simulator: SimulatorHandle) -> Any:
    return simulator.simulator.directory.extension_for("alice")


def calls_on_past_days(
    simulator: SimulatorHandle, whose: str | None = "alice"
) -> tuple[str, str, list[Any]]:
    """Two whole local days before today (alice's), in the history, no call landing in them
    now; and the simulator's records of the user ``whose`` (None: everyone's) in those days."""
    sim = simulator.simulator
    owner_id = None if whose is None else sim.directory.extension_for(whose).id
    zone = ZoneInfo(alice(simulator).region.timezone)
    today = sim.clock.now().astimezone(zone).date()
    first, last = today - timedelta(days=2), today - timedelta(days=1)
    start = datetime.combine(first, time(0), tzinfo=zone)
    end = datetime.combine(today, time(0), tzinfo=zone)
    records = sim.call_log.query(
        owner_id=owner_id, date_from=start, date_to=end, now=sim.clock.now()
    )
    return first.isoformat(), last.isoformat(), records


def call_rows(page: webtest.TestResponse) -> list[Any]:
    return page.html.select("table.calls tr.call")


def total_of(page: webtest.TestResponse) -> int:
    strong = page.html.select_one("#range strong")
    return int(strong.text.split()[0].replace(",", "")) if strong else 0


def test_search_and_filters_count_what_the_simulator_holds(
    history_app: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    web = filled(history_app)
    me = alice(simulator)
    first, last, records = calls_on_past_days(simulator)
    assert records, "the simulator's office made calls on those days"
    base = f"{OWN}&from={first}&to={last}"
    assert total_of(web.get(base)) == len(records)
    # Each result filter: the plain words' RingCentral results, counted here.
    for key, (_label, raws) in RESULT_FILTERS.items():
        expected = sum(r.result in raws for r in records)
        page = web.get(f"{base}&result={key}")
        assert total_of(page) == expected, key
    missed_in = sum(
        r.result in ("Missed", "No Answer", "Busy", "Hang Up") and r.direction == "Inbound"
        for r in records
    )
    assert total_of(web.get(f"{base}&result=missed&direction=Inbound")) == missed_in
    # Search by a number (written as people write it), by a name, by an extension.
    other = next(r for r in records if r.from_party.phone_number and r.direction == "Inbound")
    number = other.from_party.phone_number
    digits = number[-10:]
    written = f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    expected = sum(
        digits in (r.from_party.phone_number or "") + "|" + (r.to_party.phone_number or "")
        for r in records
    )
    page = web.get(f"{base}&search={quote(written)}")
    assert total_of(page) == expected >= 1
    named = next(
        r
        for r in records
        if r.from_party.name and r.from_party.name != me.name and r.direction == "Inbound"
    )
    word = named.from_party.name.split()[0]
    expected = sum(
        word.casefold() in ((r.from_party.name or "") + "|" + (r.to_party.name or "")).casefold()
        for r in records
    )
    assert total_of(web.get(f"{base}&search={quote(word)}")) == expected >= 1


def test_an_overlong_search_is_a_400_with_words(history_app: webtest.TestApp) -> None:
    web = filled(history_app)
    page = web.get(f"{OWN}&search={'9' * 200}", status=400)
    assert "at most 80 characters" in page.html.select_one("#form-problems").text
    assert page.html.select_one("#search")["aria-invalid"] == "true"
    assert web.get(f"{OWN}&search={'9' * 200}&format=json", status=400)


CALL_RECORD_PATHS = (
    "/restapi/v1.0/account/~/extension/~/call-log",
    "/restapi/v1.0/account/~/call-log",
)


def test_thirty_views_make_no_call_record_request(
    history_app: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    """A call-log request (user, company, sync) would take the one failure queued for it."""
    web = filled(history_app)
    for path in CALL_RECORD_PATHS:
        simulator.control("fail-next", status=503, count=1, path=path)
    before = simulator.counters()
    paths = [
        OWN,
        f"{OWN}&search=555",
        f"{OWN}&result=missed&sort=longest",
        COMPANY,
        f"{COMPANY}&result=voicemail&format=json",
        "/?range=30d",
        f"{OWN}&format=csv",
    ]
    for index in range(30):
        assert web.get(paths[index % len(paths)]).status_int == 200
    assert simulator.counters()["syncs"] == before["syncs"]
    for path in CALL_RECORD_PATHS:
        # Still queued: nobody asked for call records.
        assert requests.get(simulator.url + path, timeout=5).status_code == 503


def test_format_json_is_ringcentrals_shape_from_the_history(
    history_app: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    web = filled(history_app)
    first, last, records = calls_on_past_days(simulator)
    data = web.get(f"{OWN}&from={first}&to={last}&perPage=10&page=2&format=json").json
    assert set(data) == {"uri", "records", "paging", "navigation"}
    assert data["paging"] == {"page": 2, "perPage": 10, "pageStart": 10, "pageEnd": 19}
    assert set(data["navigation"]) == {"firstPage", "nextPage", "previousPage"}
    assert "page=3" in data["navigation"]["nextPage"]["uri"]
    assert [r["id"] for r in data["records"]] == [r.id for r in records[10:20]]
    assert "/call-log?" in data["uri"] and "perPage=10" in data["uri"]


def parse_csv(answer: webtest.TestResponse) -> list[dict[str, str]]:
    assert answer.body.startswith(b"\xef\xbb\xbf") and b"\r\n" in answer.body
    return list(csv.DictReader(io.StringIO(answer.body.decode("utf-8-sig"))))


def test_the_csv_holds_every_call_of_the_range_with_local_dates_and_real_names(
    history_app: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    web = filled(history_app)
    me = alice(simulator)
    first, last, records = calls_on_past_days(simulator, None)
    answer = web.get(f"{COMPANY}&from={first}&to={last}&format=csv")
    assert (
        answer.content_disposition == f'attachment; filename="company-calls-{first}-to-{last}.csv"'
    )
    rows = parse_csv(answer)
    assert len(rows) == len(records)
    assert {row["Date"] for row in rows} == {first, last}
    for row, record in zip(rows, records, strict=True):
        local = record.start.astimezone(ZoneInfo(me.region.timezone))
        assert (row["Date"], row["Time"]) == (f"{local:%Y-%m-%d}", f"{local:%H:%M:%S}")
        assert float(row["Minutes"]) == round(record.duration_ms // 1000 / 60, 2)
        assert row["Result (RingCentral)"] == record.result
        assert "You" not in (row["From"], row["To"], row["Colleague"])
        for side in ("From", "To"):
            number = row[f"{side} number"]
            assert not number or number.startswith('="') or number[0] not in "=+-@"
    alices = [row for row in rows if row["Colleague"] == me.name]
    assert alices and all(row["Extension"] == me.extension_number for row in alices)
    # A hostile name is text, never a formula.
    assert all(not row["Contact"].startswith(("=", "+", "-", "@")) for row in rows)


def test_a_range_past_the_history_says_so_on_the_page_and_in_the_file(
    history_app: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    web = filled(history_app)
    today = simulator.simulator.clock.now().date()
    first = (today - timedelta(days=80)).isoformat()
    page = web.get(f"{OWN}&from={first}&to={today.isoformat()}")
    assert "starts before your history does" in page.html.select_one("#range-note").text
    assert "covers only what the history holds" in page.html.select_one(".export").text
    answer = web.get(f"{OWN}&from={first}&to={today.isoformat()}&format=csv")
    assert answer.content_disposition.endswith('-partial.csv"')
    last_line = answer.body.decode("utf-8-sig").rstrip("\r\n").rsplit("\r\n", 1)[1]
    assert last_line.startswith("Note: this file covers ") and f"You asked for {first}" in last_line


def test_a_call_has_a_detail_page_with_its_raw_result_and_legs(
    history_app: webtest.TestApp,
) -> None:
    web = filled(history_app)
    page = web.get(OWN)
    link = page.html.select_one("table.calls tr.call td.time a")["href"]
    detail = web.get(link)
    text = detail.html.select_one("dl.call-detail").text
    assert "RingCentral:" in text and "When" in text
    assert web.get(f"{OWN}&call=nosuchcall", status=404)
    assert web.get(f"{OWN}&call=%3Cb%3E", status=400)


def test_back_from_a_call_returns_to_the_list_it_was_opened_from(
    history_app: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    web = filled(history_app)
    listed = "/calls?result=answered&sort=longest&perPage=25"
    page = web.get(listed)
    link = page.html.select_one("table.calls tr.call td.time a")["href"]
    assert link.startswith("/calls?") and "result=answered" in link and "sort=longest" in link
    detail = web.get(link)
    back = detail.html.find("a", string=re.compile("Back to your call log"))["href"]
    assert parse_qs(urlsplit(back).query) == parse_qs(urlsplit(listed).query)
    assert urlsplit(back).path == "/calls"
    # Opened from nowhere in particular, Back is the plain call log.
    record_id = parse_qs(urlsplit(link).query)["call"][0]
    alone = web.get(f"/calls?call={record_id}")
    assert alone.html.find("a", string=re.compile("Back to your call log"))["href"] == "/calls"
    # A fax is a fax, not a "fax call".
    month_ago = simulator.simulator.clock.now().date() - timedelta(days=30)
    faxes = web.get(f"/calls?type=Fax&from={month_ago.isoformat()}")
    fax = web.get(faxes.html.select_one("table.calls tr.call td.time a")["href"])
    heading = " ".join(fax.html.select_one("h1").text.split())
    assert re.search(r"(Incoming fax from|Outgoing fax to) \S", heading), heading


def test_longest_first_is_one_list_whose_rows_say_their_day(
    history_app: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    web = filled(history_app)
    week_ago = simulator.simulator.clock.now().date() - timedelta(days=6)
    page = web.get(f"/calls?sort=longest&from={week_ago.isoformat()}")
    days = [th.text.strip() for th in page.html.select("table.calls tr.day th")]
    # Not "Today", "Yesterday", "Today" again as the lengths fall: one heading.
    assert days == ["Longest first, from every day of the range"]
    times = [a.text.strip() for a in page.html.select("table.calls td.time a")]
    assert len(times) > 1
    assert all(re.fullmatch(r"\w{3} \d{1,2} \w{3}, \d\d:\d\d", t) for t in times), times
    # Newest first keeps its day headings and plain times.
    newest = web.get(f"/calls?from={week_ago.isoformat()}&perPage=250")
    assert len(newest.html.select("table.calls tr.day th")) > 1
    assert re.fullmatch(r"\d\d:\d\d", newest.html.select_one("table.calls td.time a").text.strip())


def test_a_search_that_finds_nothing_says_so_once(history_app: webtest.TestApp) -> None:
    web = filled(history_app)
    page = web.get("/calls?search=nobody-by-this-name")
    assert "No calls match in this range." in page.html.select_one("table.calls").text
    # One way to clear it, in the row that says so; no pager repeating "No calls".
    assert len(page.html.find_all("a", string="Clear search and filters")) == 1
    assert page.html.select_one("table.calls a")["href"].startswith("/calls")
    assert page.html.select("nav.pager") == []
    # A search that finds calls keeps its pager and its Clear link by the count.
    found = web.get("/calls?search=555")
    assert found.html.select_one("nav.pager") is not None
    assert found.html.select_one("#range").find("a", string="Clear search and filters")


def test_each_cell_of_the_call_table_is_one_element_so_a_number_never_splits(
    history_app: webtest.TestApp,
) -> None:
    """The phone card bug: a cell whose name and number were separate grid items."""
    web = filled(history_app)
    for path in (OWN, COMPANY):
        page = web.get(path)
        cells = page.html.select("table.calls tr.call td")
        assert cells
        for cell in cells:
            children = [c for c in cell.children if not (isinstance(c, str) and not c.strip())]
            assert len(children) == 1, cell
        numbers = page.html.select("table.calls td.contact .number")
        assert numbers and all(n.find_parent(class_="cell") for n in numbers)


def test_company_log_has_a_colleague_filter_and_summary(
    history_app: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    web = filled(history_app)
    bob = simulator.simulator.directory.extension_for("bob")
    first, last, records = calls_on_past_days(simulator, "bob")
    page = web.get(f"{COMPANY}&from={first}&to={last}&colleague={bob.id}")
    assert total_of(page) == len(records)
    assert {c.text.strip() for c in page.html.select("td.colleague .name")} == {bob.name}
    summary = web.get(f"{COMPANY}&from={first}&to={last}").html.select_one("#colleague-summary")
    row = next(r for r in summary.select("tbody tr") if bob.name in r.th.text)
    calls, missed, _talk = (td.text for td in row.select("td"))
    assert int(calls) == len(records)
    assert int(missed) == sum(
        r.direction == "Inbound"
        and r.result in ("Missed", "No Answer", "Busy", "Hang Up", "Voicemail")
        for r in records
    )
    assert web.get(f"{COMPANY}&colleague=bob", status=400)


def test_a_placed_call_is_announced_to_an_open_page(
    history_app: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    web = filled(history_app)
    page = web.get(OWN)
    since = int(page.html.select_one("#live")["data-since"])
    simulator.set_record_delay(0)
    simulator.place_call(
        "alice",
        direction="Inbound",
        other="+16505550123",
        result="Missed",
        other_name="Newcaller Ltd",
    )
    assert web.get(f"/calls/updates?since={since}").json["new_calls"] == 0
    # As the webhook receiver marks it: due now, one ISync owed.
    web.app.registry.live_history.schedule.mark_due(
        web.app.registry.live_history.keys.person(str(alice(simulator).id)),
        web.app.registry.clock(),
        retries=1,
    )
    web.app.registry.live_history.worker.run_due_once()
    assert web.get(f"/calls/updates?since={since}").json["new_calls"] == 1
    again = web.get(OWN)
    assert "Newcaller Ltd" in call_rows(again)[0].text
    dashboard = web.get("/")
    assert "Newcaller Ltd" in dashboard.html.select_one(".to-return").text
    assert dashboard.html.select_one(".to-return a.call-back")["href"].startswith("tel:+")
