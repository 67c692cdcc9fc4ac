"""What a person sees: the dashboard's numbers, readable call logs, forms that explain,
error pages that lead on, the time-zone choice, a deep link through sign-in, CSV export."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import webtest

from rcpyramid.views.api.csv_export import neutralise, number_as_text
from rcpyramid.views.formatting import talk_time_text
from tests.browser import authorize_at_simulator, local_path, query_of
from tests.history import app_with_history, fill_history, signed_in_with_history
from tests.journeys import SimulatorHandle, sign_in, start_sign_in
from tests.stores import only_token

OWN = "/test?api=extension-call-log"
COMPANY = "/test?api=account-call-log"


@pytest.fixture
def testapp(make_testapp: Callable[..., webtest.TestApp]) -> Iterator[webtest.TestApp]:
    """The app with its live history engine driven here (the call logs read the history)."""
    yield from app_with_history(make_testapp)


@pytest.fixture
def signed_in(testapp: webtest.TestApp) -> webtest.TestApp:
    return signed_in_with_history(testapp)


def alice(simulator: SimulatorHandle):
    return simulator.simulator.directory.extension_for("alice")


def counts(simulator: SimulatorHandle, owner_id: int | None, start: datetime, now: datetime):
    """What the simulator holds for the range, counted here the way the dashboard says."""
    records = simulator.simulator.call_log.query(
        owner_id=owner_id, date_from=start, date_to=now + timedelta(seconds=1), now=now
    )
    voice = [r for r in records if r.type == "Voice"]
    inbound = [r for r in voice if r.direction == "Inbound"]
    return {
        "in": len(inbound),
        "out": sum(r.direction == "Outbound" for r in voice),
        "missed": sum(r.result in ("Missed", "Voicemail") for r in inbound),
        "talk": sum(
            r.duration_ms // 1000 for r in voice if r.result in ("Accepted", "Call connected")
        ),
        "records": records,
    }


def stable_counts(signed_in, simulator, owner_id, start_of, path):
    """Sync, fetch ``path`` and count the simulator's records, until no call fell between."""
    live = signed_in.app.registry.live_history
    for _ in range(5):
        before = simulator.simulator.clock.now()
        live.schedule.mark_due(live.keys.person(str(owner_id)), signed_in.app.registry.clock())
        fill_history(signed_in)
        page = signed_in.get(path)
        after = simulator.simulator.clock.now()
        first, second = (counts(simulator, owner_id, start_of(t), t) for t in (before, after))
        if len(first["records"]) == len(second["records"]):
            return page, second
    raise AssertionError("a call landed in the window of every try")


def talk_text(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours:,} h {minutes} min"
    return f"{minutes} min" if minutes else f"{secs} s"


def test_dashboard_numbers_equal_the_simulators_records(
    signed_in: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    me = alice(simulator)
    zone = ZoneInfo(me.region.timezone)

    def week_start(now: datetime) -> datetime:
        first = now.astimezone(zone).date() - timedelta(days=6)
        return datetime.combine(first, time(0), tzinfo=zone)

    page, expected = stable_counts(signed_in, simulator, me.id, week_start, "/?range=7d")
    figures = {key: page.html.select_one(f"#fig-{key}").text for key in ("in", "out", "missed")}
    assert figures == {key: f"{expected[key]:,}" for key in ("in", "out", "missed")}
    assert page.html.select_one("#fig-talk").text == talk_text(expected["talk"])
    # The chart's table: one row a day, adding up to the same numbers.
    rows = page.html.select("#chart-numbers tbody tr")
    assert len(rows) == 7
    columns = [[int(td.text) for td in row.select("td")] for row in rows]
    assert [sum(c[0] for c in columns), sum(c[1] for c in columns)] == [
        expected["in"],
        expected["missed"],
    ]
    assert sum(c[2] for c in columns) == expected["out"]
    by_day = Counter(
        r.start.astimezone(zone).date()
        for r in expected["records"]
        if r.type == "Voice" and r.direction == "Inbound"
    )
    assert [c[0] for c in columns] == [
        by_day[week_start(datetime.now(UTC)).date() + timedelta(days=n)] for n in range(7)
    ]
    svg = page.html.select_one("svg.chart")
    assert svg["role"] == "group" and svg.select_one("title").text
    assert len(svg.select("rect.bar-missed")) == sum(1 for c in columns if c[1])
    # Each day's bars open that day's calls.
    assert len(svg.select("a[href]")) == sum(1 for c in columns if c[0] or c[2])
    assert "style" not in str(svg)
    assert page.html.select_one("dl.who").text.count("Account administrator") == 1


def test_dashboard_today_is_hourly_and_says_who(
    signed_in: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    page = signed_in.get("/")
    who = page.html.select_one("dl.who").text
    assert "101" in who and "Account administrator" in who
    assert alice(simulator).region.timezone in who
    hours = page.html.select("#chart-numbers tbody tr")
    assert 1 <= len(hours) <= 25  # today so far, one row an hour (25 on a DST day)
    current = page.html.select_one("nav.quick a[aria-current]")
    assert current.text == "Today"
    change = page.html.select_one("dl.who a")["href"]
    choose = signed_in.get(change)
    form = choose.forms[next(k for k, f in choose.forms.items() if f.action == "/time-zone")]
    form["zone"] = "Europe/Berlin"
    back = form.submit()
    assert back.headers["Location"].endswith("/")
    assert "Europe/Berlin" in back.follow().html.select_one("dl.who").text


def test_dashboard_survives_ringcentral_failing(
    signed_in: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    # Both of its calls fail, each with its two retries (rcpyramid/ringcentral/retries.py).
    simulator.control("fail-next", status=503, count=6, path="/restapi/v1.0")
    page = signed_in.get("/?range=30d")
    assert page.status_int == 200
    notes = " ".join(p.text for p in page.html.select(".notice"))
    assert "did not answer" in notes
    assert page.html.select_one("nav.tabs") is not None
    # The calls come from the local history: the summary stays.
    assert page.html.select_one("svg.chart") is not None


def test_call_log_rows_are_readable(signed_in: webtest.TestApp) -> None:
    first = (datetime.now(UTC) - timedelta(days=3)).date()
    page = signed_in.get(OWN + f"&perPage=100&from={first}")
    rows = page.html.select("table.calls tr.call")
    assert len(rows) == 100
    # One contact column: the other party, never "You"; the direction in words for readers.
    for row in rows:
        hidden = row.select_one("td.contact .visually-hidden").text
        assert hidden in ("Incoming: ", "Outgoing: ", "Incoming fax: ", "Outgoing fax: ")
    assert "You" not in {n.text for n in page.html.select("table.calls .name")}
    assert "Alice Smith" not in page.html.select_one("table.calls").text
    numbers = page.html.select("table.calls data[value]")
    assert numbers and all(re.fullmatch(r"\+1\d{10}", n["value"]) for n in numbers)
    assert all(re.fullmatch(r"\(\d{3}\) \d{3}-\d{4}", n.text) for n in numbers)
    times = page.html.select("table.calls time[datetime]")
    assert len(times) == 100 and all(t["datetime"].endswith("Z") for t in times)
    durations = [td.text for td in page.html.select("td.duration")]
    assert all(re.fullmatch(r"\d+ h \d+ min|\d+ min( \d+ s)?|\d+ s", d) for d in durations)
    kinds = {span["class"][1] for span in page.html.select("span.result")}
    assert {"result-missed", "result-voicemail", "result-answered"} <= kinds
    marks = {s.select_one("[aria-hidden]").text for s in page.html.select("span.result")}
    assert len(marks) >= 3  # a shape per kind, not only a colour
    words = {s.text.strip()[2:] for s in page.html.select("span.result")}
    assert words <= {"Answered", "Missed", "No answer", "Voicemail", "Declined", "Blocked"}
    # Grouped by day, newest first.
    days = [th.text for th in page.html.select("table.calls tr.day th")]
    assert days and days[0].startswith(("Today", "Yesterday"))
    assert re.fullmatch(r"1\u2013100 of [\d,]+", page.html.select_one(".position").text)


def test_records_and_pages_are_counted_in_words(signed_in: webtest.TestApp) -> None:
    second = signed_in.get(OWN + "&page=2&perPage=25")
    assert re.fullmatch(r"26\u201350 of [\d,]+", second.html.select_one(".position").text)
    extensions = signed_in.get("/test?api=extension&page=2")
    position = extensions.html.select_one(".position").text
    assert re.fullmatch(r"26\u201350 of \d+", position)
    assert extensions.html.find("a", string="Last page") is not None


def test_a_page_past_the_end_says_so_and_links_back(signed_in: webtest.TestApp) -> None:
    extensions = signed_in.get("/test?api=extension&page=999")
    notice = extensions.html.select_one(".notice").text
    assert "There is no page 999" in notice
    back = extensions.html.select_one(".notice a")["href"]
    assert signed_in.get(back).html.select("table.records tbody tr")
    calls = signed_in.get(OWN + "&page=999")
    assert "no calls on page 999" in calls.html.select_one(".notice").text
    assert "page=1" in calls.html.select_one(".notice a")["href"]


def test_quick_ranges_fill_the_date_inputs(signed_in: webtest.TestApp) -> None:
    page = signed_in.get(OWN)
    links = {a.text: a["href"] for a in page.html.select("nav.quick a")}
    assert list(links) == ["Last 24 hours", "Today", "Yesterday", "Last 7 days", "Last 30 days"]
    week = signed_in.get(links["Last 7 days"])
    query = parse_qs(urlsplit(links["Last 7 days"]).query)
    assert week.html.select_one("#from")["value"] == query["from"][0]
    assert week.html.select_one("#to")["value"] == query["to"][0]
    assert week.html.select_one("nav.quick a[aria-current]").text == "Last 7 days"
    # The rolling default is not two calendar days: its inputs stay empty and it says so.
    assert page.html.select_one("nav.quick a[aria-current]").text == "Last 24 hours"
    assert not page.html.select_one("#from").get("value")
    assert not page.html.select_one("#to").get("value")
    assert "the last 24 hours" in page.html.select_one("#range").text
    again = page.forms[next(k for k, f in page.forms.items() if f.action == "/calls")].submit()
    assert "the last 24 hours" in again.html.select_one("#range").text
    assert links["Last 24 hours"] == page.html.select_one("nav.quick a[aria-current]")["href"]


def test_direction_and_type_filters_reach_ringcentral(signed_in: webtest.TestApp) -> None:
    page = signed_in.get(OWN + "&direction=Inbound&type=Fax&perPage=100")
    rows = page.html.select("table.calls tr.call")
    assert rows
    for row in rows:
        assert row.select_one("td.contact .visually-hidden").text == "Incoming fax: "
    assert page.html.select_one("#direction option[selected]")["value"] == "Inbound"
    raw = signed_in.get(OWN + "&direction=Inbound&type=Fax&format=json").json
    assert {r["direction"] for r in raw["records"]} == {"Inbound"}


def test_date_form_mistakes_are_explained_next_to_the_form(
    signed_in: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    calls = simulator.counters()["api_calls"]
    page = signed_in.get(OWN + "&from=2026-11-22&to=2026-11-20", status=400)
    form = page.html.select_one("form.filters")
    assert form is not None
    assert "The start date is after the end date" in form.select_one("#from-error").text
    assert form.select_one("#from")["value"] == "2026-11-22"
    assert form.select_one("#to")["value"] == "2026-11-20"
    assert form.select_one("#from")["aria-describedby"] == "from-error"
    assert "must be earlier" not in page.text and "address" not in page.text
    page = signed_in.get(OWN + "&from=yesterday&to=2026-13-01", status=400)
    assert "start date is not a date" in page.html.select_one("#from-error").text
    assert "end date is not a date" in page.html.select_one("#to-error").text
    assert page.html.select_one("#from")["value"] == "yesterday"
    page = signed_in.get(OWN + "&from=2020-01-01&to=2026-01-01", status=400)
    assert "more than a year" in page.html.select_one("#from-error").text
    page = signed_in.get(OWN + "&from=1900-01-01&to=2026-12-01", status=400)
    said = page.html.select_one("#from-error").text
    assert "out of range" in said and "2000" in said and "not a date" not in said
    # Nothing was asked of RingCentral for a form that could not be read.
    assert simulator.counters()["api_calls"] == calls


def test_time_zone_choice_is_a_post_with_csrf_and_is_remembered(
    signed_in: webtest.TestApp,
) -> None:
    # A day the history holds.
    day = (datetime.now(UTC) - timedelta(days=2)).date()
    page = signed_in.get(OWN + f"&from={day}&to={day}")
    # The call log offers a short choice; every other zone is one link away.
    other = page.html.find("a", string="Other time zones")["href"]
    choose = signed_in.get(other)
    form = choose.forms[next(k for k, f in choose.forms.items() if f.action == "/time-zone")]
    form["zone"] = "Asia/Tokyo"
    back = form.submit().follow()
    assert "Times are in Asia/Tokyo, the time zone you chose" in back.html.select_one("#range").text
    shown = back.html.select_one("table.calls time")
    moment = datetime.fromisoformat(shown["datetime"].replace("Z", "+00:00"))
    assert shown.text == moment.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%H:%M")
    # Another page remembers it; the dates are now days in Tokyo.
    json_uri = signed_in.get(OWN + f"&from={day}&to={day}&format=json").json["uri"]
    assert f"dateFrom={day - timedelta(days=1)}T15:00:00.000Z" in json_uri
    # Without the CSRF token nothing changes.
    signed_in.post("/time-zone", {"zone": "Europe/Paris", "return_to": "/"}, status=400)
    bad = signed_in.post(
        "/time-zone", {"zone": "Mars/Olympus", "csrf_token": form["csrf_token"].value}, status=400
    )
    assert "no time zone called" in bad.html.select_one("#zone-error").text
    choose = signed_in.get("/time-zone")
    form = choose.forms[next(k for k, f in choose.forms.items() if f.action == "/time-zone")]
    form["zone"] = ""
    form.submit()
    again = signed_in.get(OWN)
    assert "your RingCentral time zone" in again.html.select_one("#range").text


def test_a_deep_link_before_sign_in_lands_on_the_page_asked_for(
    testapp: webtest.TestApp,
) -> None:
    wanted = OWN + "&from=2026-11-20&to=2026-11-21&perPage=50"
    away = testapp.get(wanted, status=302)
    home = away.follow()
    # The seed's address asked for; the same page at its readable address comes back.
    readable = "/calls?from=2026-11-20&to=2026-11-21&perPage=50"
    assert home.forms[0]["return_to"].value == readable
    started = home.forms[0].submit()
    callback = authorize_at_simulator(started.headers["Location"])
    landed = testapp.get(local_path(callback), status=303)
    assert landed.headers["Location"].endswith(readable)
    page = landed.follow()
    assert page.html.select_one("#from")["value"] == "2026-11-20"
    # Only local paths: another site, or a path that leaves it, is not followed.
    for bad in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        assert testapp.get("/", params={"next": bad}).forms[0].fields.get("return_to") is None


@pytest.mark.parametrize(
    "query",
    ["/test?api=nope", "/test?api=extension&perPage=1000000000", "/test?api=extension&page=abc"],
)
def test_bad_input_offers_no_try_again(signed_in: webtest.TestApp, query: str) -> None:
    page = signed_in.get(query, status=400)
    # The same address fails the same way; the way on is the dashboard.
    assert page.html.select_one("#try-again") is None
    assert page.html.find("a", string="Go to your dashboard") is not None


def test_a_failed_sign_in_has_one_primary_action(testapp: webtest.TestApp) -> None:
    state = query_of(start_sign_in(testapp))["state"]
    page = testapp.get(f"/oauth2callback?error=temporarily_unavailable&state={state}", status=503)
    assert [b.text.strip() for b in page.html.select(".primary")] == ["Sign in with RingCentral"]


def test_error_pages_lead_on(signed_in: webtest.TestApp, simulator: SimulatorHandle) -> None:
    simulator.control(
        "fail-next", status=429, count=1, path="/restapi/v1.0/account/~/extension", retry_after=42
    )
    page = signed_in.get(
        "/test?api=extension&page=2", headers={"Referer": "http://localhost:5000/"}, status=429
    )
    assert page.headers["Retry-After"] == "42"
    assert [a.text for a in page.html.select("nav.tabs a")][:2] == ["Dashboard", "Directory"]
    assert page.html.select_one('form[action="/logout"]') is not None
    # Try again goes to the page's readable address, with the person's query.
    assert page.html.select_one("#try-again")["href"] == "/directory?page=2"
    assert page.html.find("a", string="Back to the page you came from")["href"] == "/"
    assert page.html.select_one(".status").text == "Error 429: Too Many Requests"
    retry = page.html.select_one("#retry")
    assert retry["data-seconds"] == "42"
    assert retry.select_one("time")["datetime"].endswith("Z")
    assert page.text.count("42 seconds") == 0  # the time, once, and the script counts
    assert page.html.select_one('meta[http-equiv="refresh"]') is None
    script = page.html.select_one("script[src]")["src"]
    served = signed_in.get(script)
    assert "javascript" in served.content_type and "setTimeout" in served.text


@pytest.mark.parametrize("address", ["/directory", "/test?api=extension"])
def test_try_again_keeps_the_readable_address_and_the_query(
    signed_in: webtest.TestApp, simulator: SimulatorHandle, address: str
) -> None:
    simulator.control(
        "fail-next", status=429, count=1, path="/restapi/v1.0/account/~/extension", retry_after=1
    )
    joiner = "&" if "?" in address else "?"
    # A search with a space, as a form sends it ("+").
    page = signed_in.get(f"{address}{joiner}q=alice+smith&type=User&perPage=50", status=429)
    again = page.html.select_one("#try-again")["href"]
    assert again == "/directory?q=alice+smith&type=User&perPage=50"


def test_ringcentral_503_with_retry_after_is_a_503_page_with_one_status(
    signed_in: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    simulator.control("fail-next", status=503, count=1, path="/restapi/v1.0", retry_after=30)
    page = signed_in.get("/test?api=extension", status=503)
    assert page.headers["Retry-After"] == "30"
    assert page.html.select_one("#retry")["data-seconds"] == "30"
    statuses = set(re.findall(r"\b50[0-9]\b", page.html.select_one("main").text))
    assert statuses == {"503"}
    simulator.control("fail-next", status=500, count=1, path="/restapi/v1.0")
    page = signed_in.get("/test?api=extension", status=502)
    assert set(re.findall(r"\b50[0-9]\b", page.html.select_one("main").text)) == {"502"}


def test_the_json_view_is_pretty_and_format_json_stays_ringcentrals_bytes(
    signed_in: webtest.TestApp,
) -> None:
    pretty = signed_in.get("/test?api=extension&view=json")
    text = pretty.html.select_one("pre.json").text
    assert text.startswith("{\n  ") and '"records": [' in text
    assert pretty.html.select_one("nav.tabs") is not None
    assert pretty.html.select_one("title").text == "Directory as JSON - rcpyramid"
    raw = signed_in.get("/test?api=extension&format=json")
    assert raw.content_type == "application/json" and b"\n  " not in raw.body


def test_titles_say_the_page_then_the_app(signed_in: webtest.TestApp) -> None:
    for path, title in (
        ("/", "Dashboard"),
        ("/test?api=extension", "Directory"),
        (OWN, "Your call log"),
        ("/logout", "Log out"),
    ):
        assert signed_in.get(path).html.select_one("title").text == f"{title} - rcpyramid"


def parse_csv(answer: webtest.TestResponse) -> list[list[str]]:
    return list(csv.reader(io.StringIO(answer.body.decode("utf-8-sig"))))


def test_csv_export_has_every_record_of_a_range(
    signed_in: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    today = datetime.now(UTC).astimezone(ZoneInfo(alice(simulator).region.timezone)).date()
    first = today - timedelta(days=1)  # inside the company history the sync filled
    query = f"&from={first}&to={today}&format=csv"
    answer = signed_in.get(COMPANY + query)
    assert answer.content_type == "text/csv"
    disposition = answer.headers["Content-Disposition"]
    assert disposition == f'attachment; filename="company-calls-{first}-to-{today}.csv"'
    rows = parse_csv(answer)
    header, records = rows[0], rows[1:]
    assert header[:8] == [
        "Date",
        "Time",
        "Direction",
        "Type",
        "Contact",
        "Contact number",
        "Colleague",
        "Extension",
    ]
    assert "Start (ISO 8601, UTC)" in header and "From number (E.164)" in header
    zone = ZoneInfo(alice(simulator).region.timezone)
    start = datetime.combine(first, time(0), tzinfo=zone)
    end = datetime.combine(today + timedelta(days=1), time(0), tzinfo=zone)
    expected = simulator.simulator.call_log.query(
        owner_id=None, date_from=start, date_to=end, now=datetime.now(UTC)
    )
    assert 0 < len(records) <= len(expected)  # the history: what was synced
    iso = header.index("Start (ISO 8601, UTC)")
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r[iso]) for r in records)
    e164 = header.index("From number (E.164)")
    numbers = [r[e164] for r in records if r[e164]]
    assert numbers and all(re.fullmatch(r"\+\d{8,15}", n) for n in numbers)
    readable = {header.index("From number"), header.index("To number"), 5}
    for record in records:
        for index, cell in enumerate(record):
            if index in readable and cell.startswith('="'):
                assert re.fullmatch(r'="[0-9 +()\-.]+"', cell)
                continue
            assert not cell.startswith(("=", "-", "@", "\t", "\r")) or cell.startswith("'")
            if cell.startswith("+"):
                assert re.fullmatch(r"\+\d+", cell)
    token = only_token(signed_in)
    assert token.access_token.encode() not in answer.body
    assert token.refresh_token.encode() not in answer.body
    bad = signed_in.get(OWN + "&from=2026-11-22&to=2026-11-20&format=csv", status=400)
    assert "Content-Disposition" not in bad.headers


def test_cells_a_spreadsheet_would_run_are_neutralised_except_plain_numbers() -> None:
    for cell in ("=1+2", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx", "+1 650 555 0100"):
        assert neutralise(cell) == "'" + cell
    for cell in ("+16505550100", "Alice", "1 min 5 s", ""):
        assert neutralise(cell) == cell
    # A readable number kept as text is a fixed formula of phone characters only.
    assert neutralise(number_as_text("+44 20 7946 0123")) == '="+44 20 7946 0123"'
    assert neutralise(number_as_text("=HYPERLINK(1)")) == "'=HYPERLINK(1)"


def test_the_dashboard_compares_only_with_a_period_the_history_holds(
    signed_in: webtest.TestApp,
) -> None:
    # Yesterday is in the history ...
    today = signed_in.get("/")
    assert today.html.select_one("#no-comparison") is None
    assert "yesterday by this time" in today.html.select_one("ul.figures .change").text
    # ... the 30 days before the last 30 are not: no "up from 0" for calls never seen.
    month = signed_in.get("/?range=30d")
    assert month.html.select("ul.figures .change") == []
    note = month.html.select_one("#no-comparison").text
    assert "No comparison with the 30 days before" in note and "does not reach" in note


def test_bob_sees_his_own_dashboard(testapp: webtest.TestApp) -> None:
    home = sign_in(testapp, "bob")
    assert "Signed in as Bob Johnson" in home.text
    assert "Standard user" in home.html.select_one("dl.who").text
    assert home.html.select_one("#fig-in") is not None


def test_big_figures_have_thousands_separators() -> None:
    assert talk_time_text(1234 * 3600 + 5 * 60) == "1,234 h 5 min"


def test_extension_statuses_and_freshness_are_in_words(
    signed_in: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    page = signed_in.get("/test?api=extension&perPage=100")
    statuses = {td.text for td in page.html.select('td[data-label="Status"]')}
    assert "Not activated yet" in statuses and "NotActivated" not in statuses
    assert statuses <= {"Enabled", "Disabled", "Frozen", "Not activated yet", "Unassigned", ""}
    freshness = page.html.select_one(".freshness").text
    assert f"({alice(simulator).region.timezone})" in freshness


def test_zone_list_has_todays_names_only(signed_in: webtest.TestApp) -> None:
    page = signed_in.get("/time-zone")
    names = {option.get("value") for option in page.html.select("select[name=zone] option")}
    assert {"Asia/Kolkata", "Asia/Ho_Chi_Minh", "Europe/Kyiv", "Europe/Oslo", "UTC"} <= names
    assert not names & {"Asia/Calcutta", "Asia/Saigon", "Europe/Kiev", "US/Pacific"}
