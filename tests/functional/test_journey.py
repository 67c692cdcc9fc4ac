"""The seed's journey, end to end: the real app, the simulator over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
import webtest

from tests.browser import authorize_at_simulator, local_path, query_of
from tests.history import app_with_history, signed_in_with_history
from tests.journeys import SimulatorHandle, sign_in, start_sign_in


@pytest.fixture
def testapp(make_testapp: Callable[..., webtest.TestApp]) -> Iterator[webtest.TestApp]:
    """The app with its live history engine driven here (the call logs read the history)."""
    yield from app_with_history(make_testapp)


@pytest.fixture
def signed_in(testapp: webtest.TestApp) -> webtest.TestApp:
    return signed_in_with_history(testapp)


def test_home_offers_sign_in_as_a_post_form_with_csrf(testapp: webtest.TestApp) -> None:
    page = testapp.get("/")
    form = page.forms[0]
    assert form.method.upper() == "POST"
    assert form.action == "/login"
    assert form["csrf_token"].value
    assert "Sign in with RingCentral" in page.text


def test_sign_in_redirects_to_the_simulator_with_state_and_pkce(
    testapp: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    url = start_sign_in(testapp)
    assert url.startswith(simulator.url + "/restapi/oauth/authorize?")
    query = query_of(url)
    assert query["response_type"] == "code"
    assert query["client_id"] == "rcpyramid-demo-client"
    assert query["redirect_uri"] == "http://localhost:5000/oauth2callback"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 43  # 256 random bits, url-safe
    assert "scope" not in query


def test_each_sign_in_gets_its_own_state(testapp: webtest.TestApp) -> None:
    states = {query_of(start_sign_in(testapp))["state"] for _ in range(3)}
    assert len(states) == 3


def test_whole_journey_names_the_user_and_links_three_pages(testapp: webtest.TestApp) -> None:
    home = sign_in(testapp, "alice")
    assert "Signed in as Alice Smith" in home.text
    tabs = [a["href"] for a in home.html.select("nav.tabs a")]
    assert tabs == ["/", "/directory", "/calls", "/company/calls"]
    # The seed's addresses of the three pages still answer, with the same pages.
    for api in ("extension", "extension-call-log", "account-call-log"):
        assert testapp.get(f"/test?api={api}").status_int == 200


def test_several_tabs_signing_in_at_once_all_work(testapp: webtest.TestApp) -> None:
    first, second = start_sign_in(testapp), start_sign_in(testapp)
    second_callback = authorize_at_simulator(second)
    first_callback = authorize_at_simulator(first)
    assert testapp.get(local_path(second_callback)).status_int == 303
    assert testapp.get(local_path(first_callback)).status_int == 303
    assert "Signed in as Alice Smith" in testapp.get("/").text


def test_extension_page_is_a_readable_table(signed_in: webtest.TestApp) -> None:
    page = signed_in.get("/test?api=extension")
    assert page.status_int == 200
    assert page.content_type == "text/html"
    headers = [th.text for th in page.html.select("thead th")]
    # Alice is an administrator: each person links to their calls.
    assert headers == ["Name", "Extension", "Type", "Status", "Email", "Calls"]
    rows = page.html.select("tbody tr")
    assert len(rows) == 25
    assert "Alice Smith" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert "Accept" in page.headers["Vary"]


def test_extension_pages_follow_next_and_previous(signed_in: webtest.TestApp) -> None:
    first = signed_in.get("/test?api=extension")
    assert first.html.select_one(".position").text.startswith("1\u201325 of ")
    second = signed_in.get(first.html.select_one("a[rel=next]")["href"])
    assert second.html.select_one(".position").text.startswith("26\u201350 of ")
    back = signed_in.get(second.html.select_one("a[rel=prev]")["href"])
    assert back.html.select_one(".position").text.startswith("1\u201325 of ")
    assert first.html.select("tbody tr")[0].text == back.html.select("tbody tr")[0].text


def test_call_log_pages_show_calls_with_paging(signed_in: webtest.TestApp) -> None:
    for api in ("extension-call-log", "account-call-log"):
        page = signed_in.get(f"/test?api={api}")
        headers = [th.text for th in page.html.select("table.calls thead th")]
        colleague = ["Colleague"] if api == "account-call-log" else []
        assert headers == ["Time", "Contact", *colleague, "Duration", "Result"]
        assert len(page.html.select("tbody tr.call")) == 25
        # Alice's RingCentral regional settings say US/Pacific.
        assert "Times are in US/Pacific" in page.html.select_one("#range").text
        assert page.html.select_one("a[rel=next]") is not None
        second = signed_in.get(page.html.select_one("a[rel=next]")["href"])
        assert second.html.select_one("a[rel=prev]") is not None


def test_json_variant_is_ringcentrals_answer_as_received(signed_in: webtest.TestApp) -> None:
    by_format = signed_in.get("/test?api=extension&format=json")
    by_accept = signed_in.get("/test?api=extension", headers={"Accept": "application/json"})
    for answer in (by_format, by_accept):
        assert answer.content_type == "application/json"
        data = json.loads(answer.body)
        assert {"uri", "records", "paging", "navigation"} <= set(data)
        assert data["records"][0]["id"]
        assert answer.headers["Cache-Control"] == "no-store"
    assert by_accept.headers["Vary"].split(",")[0].strip() == "Accept"


def test_json_variant_of_call_logs_keeps_records(signed_in: webtest.TestApp) -> None:
    for api in ("extension-call-log", "account-call-log"):
        data = signed_in.get(f"/test?api={api}&format=json").json
        assert data["records"] and "startTime" in data["records"][0]


def test_bobs_journey_offers_only_what_he_can_use(
    testapp: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    home = sign_in(testapp, "bob")
    assert "Standard user" in home.html.select_one("dl.who").text
    tabs = [a.text.strip() for a in home.html.select("nav.tabs a")]
    assert tabs == ["Dashboard", "Directory", "Your call log"]
    assert "account-call-log" not in home.text
    assert testapp.get("/test?api=extension-call-log").status_int == 200
    calls = simulator.counters()["api_calls"]
    page = testapp.get("/test?api=account-call-log", status=403)
    assert "Only administrators can see the company" in page.html.select_one("h1").text
    assert "FullCompanyCallLog" not in page.text
    own = page.html.find("a", string="Open your call log")["href"]
    assert testapp.get(own).status_int == 200
    # Nothing was asked of RingCentral for a page it would refuse, nor for his own calls
    # (the local history).
    assert simulator.counters()["api_calls"] == calls
    assert "Traceback" not in page.text


def test_hostile_names_are_escaped(testapp: webtest.TestApp) -> None:
    home = sign_in(testapp, "carol")
    assert "&lt;b&gt;O&#39;Hara&lt;/b&gt;" in home.text
    assert "<b>O'Hara</b>" not in home.text
    everything = "".join(testapp.get("/test?api=extension&perPage=1000").text for _ in range(1))
    assert "<script>alert" not in everything
    assert "&lt;script&gt;alert" in everything


def test_logout_get_only_asks(signed_in: webtest.TestApp, simulator: SimulatorHandle) -> None:
    page = signed_in.get("/logout")
    assert page.forms[0].method.upper() == "POST"
    assert simulator.counters()["revokes"] == 0
    assert "Signed in as" in signed_in.get("/").text


def test_logout_page_offers_one_log_out_button(signed_in: webtest.TestApp) -> None:
    page = signed_in.get("/logout")
    # The page is the question; the header's own Log out would be a second answer to it.
    buttons = [b.text.strip() for b in page.html.select("button")]
    assert buttons == ["Log out"]
    assert page.html.select_one("button").get("class") == ["primary"]
    assert page.html.select_one("header.site form") is None
    stay = page.html.find("a", string="Stay signed in")
    assert stay["href"] == "/"
    # Every other page keeps the header's Log out.
    assert signed_in.get("/time-zone").html.select_one('header.site form[action="/logout"]')


def test_logout_revokes_at_ringcentral_and_ends_the_session(
    signed_in: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    answer = signed_in.get("/logout").forms[0].submit()
    assert answer.status_int == 303
    home = answer.follow()
    assert "You are signed out." in home.text
    assert "Sign in with RingCentral" in home.text
    assert simulator.counters()["revokes"] == 1
    assert signed_in.get("/test?api=extension").status_int == 302


def test_logout_deletes_tokens_even_when_revoke_fails(
    signed_in: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    simulator.control("fail-next", status=503, count=1, path="/restapi/oauth/revoke")
    home = signed_in.get("/logout").forms[0].submit().follow()
    assert "RingCentral could not be told" in home.text
    assert signed_in.get("/test?api=extension").status_int == 302


def test_logout_without_csrf_token_is_refused(signed_in: webtest.TestApp) -> None:
    page = signed_in.post("/logout", {}, status=400)
    assert "form has expired" in page.text
    assert "Signed in as" in signed_in.get("/").text


def test_logout_with_a_wrong_token_is_refused(signed_in: webtest.TestApp) -> None:
    signed_in.post("/logout", {"csrf_token": "made-up"}, status=400)
    assert "Signed in as" in signed_in.get("/").text


def test_a_stale_logout_form_lands_signed_out(signed_in: webtest.TestApp) -> None:
    stale = signed_in.get("/logout").forms[0]
    # Logged out in another tab: the session's token changed since this form was drawn.
    signed_in.get("/logout").forms[0].submit()
    answer = stale.submit()
    assert answer.status_int == 303
    assert "You are signed out." in answer.follow().text


def test_logout_without_any_session_lands_signed_out(testapp: webtest.TestApp) -> None:
    answer = testapp.post("/logout", {})
    assert answer.status_int == 303
    assert answer.location.endswith("/")
    assert "You are signed out." in answer.follow().text


def test_seed_routes_keep_answering(testapp: webtest.TestApp) -> None:
    assert testapp.get("/index").location.endswith("/")
    assert testapp.get("/test?api=extension").status_int == 302
    assert testapp.get("/logout").status_int == 302
    assert testapp.get("/oauth2callback", status=400).status_int == 400


def test_declining_at_ringcentral_shows_a_page_and_a_way_back(testapp: webtest.TestApp) -> None:
    callback = authorize_at_simulator(start_sign_in(testapp), action="deny")
    assert query_of(callback)["error"] == "access_denied"
    page = testapp.get(local_path(callback), status=403)
    assert "declined" in page.text
    assert page.forms[0].action == "/login"
