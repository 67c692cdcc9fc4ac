"""The directory: search, plain words and badges for types and statuses, departments and
numbers where RingCentral gives them, and an administrator's link to a colleague's calls."""

from __future__ import annotations

from collections.abc import Callable

import webtest

from rcpyramid.views.directory import TYPE_WORDS, directory_query, entry, type_words
from tests.journeys import SimulatorHandle, sign_in


def _rows(page: webtest.TestResponse) -> list[dict[str, str]]:
    rows = []
    for tr in page.html.select("table.directory tbody tr"):
        name = tr.find("th")
        if name is None:
            continue
        cells = {td["data-label"]: td.get_text(" ", strip=True) for td in tr.find_all("td")}
        cells["Name"] = name.get_text(strip=True)
        link = tr.select_one("td.calls a")
        cells["calls"] = link["href"] if link else ""
        rows.append(cells)
    return rows


def test_search_finds_people_by_name_extension_and_email(
    signed_in: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    extensions = simulator.simulator.directory.extensions

    def found(text: str) -> set[str]:
        """Counted here: the name or email holds the text, or the extension starts with it."""
        return {
            e.name
            for e in extensions
            if text.casefold() in f"{e.name} {e.email or ''}".casefold()
            or (text.isdigit() and e.extension_number.startswith(text))
        }

    for text, expected in (
        ("alice", found("alice")),
        ("10", found("10")),
        ("SMITH", found("SMITH")),
    ):
        assert expected
        page = signed_in.get("/directory", {"q": text, "perPage": "250"})
        names = {row["Name"] for row in _rows(page)}
        assert names == expected, text
        assert f"{len(expected)} match" in page.html.select_one(".found").text
        # The search stays in the box, the pager and the canonical address.
        assert page.html.select_one("#q")["value"] == text
        assert f"q={text}" in page.html.find("link", rel="canonical")["href"]


def test_a_search_costs_one_call_to_ringcentral_and_pages_its_matches_here(
    make_testapp: Callable[..., webtest.TestApp], simulator: SimulatorHandle
) -> None:
    signed_in = make_testapp(**{"rcpyramid.cache.backend": "dogpile.cache.memory"})
    sign_in(signed_in, "alice")
    users = [e for e in simulator.simulator.directory.extensions if e.type == "User"]
    calls = simulator.counters()["api_calls"]
    first = signed_in.get("/directory", {"q": "example.com", "perPage": "25"})
    people = [e for e in simulator.simulator.directory.extensions if e.email]
    assert simulator.counters()["api_calls"] == calls + 1
    assert len(_rows(first)) == 25 and len(people) > 25 and len(users) > 25
    second = signed_in.get(first.html.select_one("nav.pager a[rel=next]")["href"])
    assert simulator.counters()["api_calls"] == calls + 1, "the same whole list, from the cache"
    assert not {r["Extension"] for r in _rows(first)} & {r["Extension"] for r in _rows(second)}


def test_nothing_found_says_so(signed_in: webtest.TestApp) -> None:
    page = signed_in.get("/directory", {"q": "zzzz-nobody"})
    assert "0 matches" in page.text and "Nobody and nothing matches" in page.text


def test_types_and_statuses_are_plain_words_with_badges(
    signed_in: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    page = signed_in.get("/directory", {"perPage": "250"})
    text = page.html.select_one("table.directory").get_text(" ")
    for raw in ("IvrMenu", "ParkLocation", "NotActivated"):
        assert raw not in text
    assert "Phone menu (IVR)" in text and "Park location" in text
    badges = {b.get_text(strip=True): b["class"] for b in page.html.select("td.state .badge")}
    assert "ok" in badges["Enabled"] and "warn" in badges["Not activated yet"]
    assert "off" in badges["Disabled"]


def test_show_and_status_filter_at_ringcentral(
    signed_in: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    extensions = simulator.simulator.directory.extensions
    queues = signed_in.get("/directory", {"show": "queues", "perPage": "250"})
    assert len(_rows(queues)) == sum(e.type == "Department" for e in extensions)
    assert {r["Type"] for r in _rows(queues)} == {"Call queue"}
    disabled = signed_in.get("/directory", {"status": "Disabled", "perPage": "250"})
    assert len(_rows(disabled)) == sum(e.status == "Disabled" for e in extensions)
    # An unknown choice is no error: it is ignored.
    assert signed_in.get("/directory", {"show": "<x>", "status": "nope"}).status_int == 200


def test_administrators_get_a_link_to_each_persons_calls(
    testapp: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    sign_in(testapp, "alice")
    rows = _rows(testapp.get("/directory", {"q": "bob"}))
    bob = simulator.simulator.directory.extension_for("bob")
    assert rows[0]["calls"] == f"/company/calls?colleague={bob.id}"
    assert testapp.get(rows[0]["calls"]).status_int == 200
    testapp.post("/logout", {"csrf_token": testapp.get("/").forms[0]["csrf_token"].value})
    sign_in(testapp, "bob")
    page = testapp.get("/directory", {"q": "alice"})
    assert not page.html.select("td.calls") and "colleague=" not in page.text


def test_departments_and_numbers_show_where_ringcentral_gives_them(
    signed_in: webtest.TestApp,
) -> None:
    request = signed_in.get("/directory").request
    record = {
        "id": 7,
        "extensionNumber": "147",
        "name": "Sandra Young",
        "type": "User",
        "status": "Enabled",
        "contact": {
            "email": "sandra@example.com",
            "department": "Sales & <Partners>",
            "businessPhone": "+16505557762",
        },
    }
    shown = entry(request, record, admin=True, country="US")
    assert shown.department == "Sales & <Partners>"
    assert shown.phone == "(650) 555-7762" and shown.phone_uri == "tel:+16505557762"
    assert shown.matches("sales") and shown.matches("555 7762") and shown.matches("14")
    assert not shown.matches("support")
    # The list as the simulator gives it has neither: no empty columns.
    page = signed_in.get("/directory")
    headers = [th.text for th in page.html.select("table.directory thead th")]
    assert "Department" not in headers and "Phone" not in headers


def test_type_words_cover_ringcentrals_types_and_later_ones() -> None:
    assert type_words("IvrMenu") == "Phone menu (IVR)"
    assert type_words("SomethingNew") == "Something new"
    assert all(type_words(raw) == words for raw, words in TYPE_WORDS.items())
    long = directory_query({"q": "  a   b " + "x" * 200, "show": "people", "status": "Frozen"})
    assert long.text.startswith("a b ") and len(long.text) == 80
    assert long.ringcentral_params() == [
        ("type", "User"),
        ("type", "Limited"),
        ("status", "Frozen"),
    ]
