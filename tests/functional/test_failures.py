"""Every failure a person can meet on the way back from RingCentral and on the API pages."""

from __future__ import annotations

import pytest
import webtest

from tests.browser import authorize_at_simulator, local_path, query_of
from tests.clocks import MovableClock
from tests.journeys import SimulatorHandle, start_sign_in


def assert_clear_page(page: webtest.TestResponse) -> None:
    assert "Traceback" not in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert page.html.select_one("h1").text.strip()


def callback_for(testapp: webtest.TestApp, **kwargs) -> str:
    return local_path(authorize_at_simulator(start_sign_in(testapp), **kwargs))


def test_callback_without_state_is_400(testapp: webtest.TestApp) -> None:
    page = testapp.get("/oauth2callback?code=abc", status=400)
    assert "no sign-in state" in page.text
    assert_clear_page(page)


def test_callback_with_unknown_state_is_400(testapp: webtest.TestApp) -> None:
    page = testapp.get("/oauth2callback?code=abc&state=made-up", status=400)
    assert "expired or was already used" in page.text
    assert page.forms[0].action == "/login"


def test_replayed_callback_is_refused_before_any_token_request(
    testapp: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    callback = callback_for(testapp)
    assert testapp.get(callback).status_int == 303
    grants = simulator.counters()["grants"]["authorization_code"]
    # Signed in by the first: the replay lands where the sign-in went, asking nothing.
    again = testapp.get(callback, status=303)
    assert "code=" not in again.location and "state=" not in again.location
    assert simulator.counters()["grants"]["authorization_code"] == grants
    # In a browser that is not signed in, the same replay is explained.
    other = webtest.TestApp(testapp.app, extra_environ=testapp.extra_environ)
    page = other.get(callback, status=400)
    assert "expired or was already used" in page.text
    assert simulator.counters()["grants"]["authorization_code"] == grants


def test_expired_state_is_400(testapp: webtest.TestApp, clock: MovableClock) -> None:
    callback = callback_for(testapp)
    clock.advance(601)
    assert "expired" in testapp.get(callback, status=400).text


def test_state_from_another_browser_is_400(testapp: webtest.TestApp, make_testapp) -> None:
    callback = callback_for(testapp)
    other = webtest.TestApp(testapp.app, extra_environ={"HTTP_HOST": "localhost:5000"})
    page = other.get(callback, status=400)
    assert "another browser" in page.text


def test_missing_code_is_400(testapp: webtest.TestApp) -> None:
    callback = callback_for(testapp)
    state = query_of(callback)["state"]
    page = testapp.get(f"/oauth2callback?state={state}", status=400)
    assert "no authorization code" in page.text


def test_other_error_values_get_a_page(testapp: webtest.TestApp) -> None:
    state = query_of(start_sign_in(testapp))["state"]
    page = testapp.get(
        f"/oauth2callback?error=invalid_request&error_description=%3Cb%3Ebad%3C/b%3E&state={state}",
        status=400,
    )
    assert "&lt;b&gt;bad&lt;/b&gt;" in page.text


def test_expired_code_gets_a_400_and_a_way_back(
    testapp: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    callback = callback_for(testapp)
    simulator.control("advance-clock", seconds=61)
    page = testapp.get(callback, status=400)
    assert "RingCentral did not accept the sign-in" in page.text
    assert page.forms[0].action == "/login"


def test_token_endpoint_failing_is_502(
    testapp: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    callback = callback_for(testapp)
    simulator.control("fail-next", status=503, count=1, path="/restapi/oauth/token")
    page = testapp.get(callback, status=502)
    assert "RingCentral is having trouble" in page.text
    assert_clear_page(page)


def test_token_endpoint_answering_html_is_502(
    testapp: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    callback = callback_for(testapp)
    simulator.control("fail-next", status=500, count=1, path="/restapi/oauth/token", content="html")
    assert_clear_page(testapp.get(callback, status=502))


def test_token_endpoint_timing_out_is_504(make_testapp, simulator: SimulatorHandle) -> None:
    testapp = make_testapp(**{"ringcentral.read_timeout": "0.5"})
    callback = callback_for(testapp)
    simulator.control("latency", seconds=2, path="/restapi/oauth/token", count=1)
    page = testapp.get(callback, status=504)
    assert "took too long" in page.text


def test_api_429_says_when_to_retry(signed_in: webtest.TestApp, simulator: SimulatorHandle) -> None:
    simulator.control(
        "fail-next", status=429, count=1, path="/restapi/v1.0/account/~/extension", retry_after=42
    )
    page = signed_in.get("/test?api=extension", status=429)
    assert page.html.select_one("#retry")["data-seconds"] == "42"
    assert page.headers["Retry-After"] == "42"


def test_after_a_429_the_app_waits_before_calling_again(
    signed_in: webtest.TestApp, simulator: SimulatorHandle, clock: MovableClock
) -> None:
    simulator.control(
        "fail-next", status=429, count=1, path="/restapi/v1.0/account/~/extension", retry_after=30
    )
    signed_in.get("/test?api=extension", status=429)
    calls = simulator.counters()["api_calls"]
    clock.advance(10)
    page = signed_in.get("/test?api=extension", status=429)
    assert page.html.select_one("#retry")["data-seconds"] == "20"
    # The call log reads the local history: it is not held back and asks nothing.
    assert signed_in.get("/test?api=extension-call-log").status_int == 200
    assert simulator.counters()["api_calls"] == calls
    clock.advance(21)
    assert signed_in.get("/test?api=extension").status_int == 200


def test_api_5xx_is_502(signed_in: webtest.TestApp, simulator: SimulatorHandle) -> None:
    # Three: the call and its two retries; the page comes once they are spent.
    simulator.control("fail-next", status=503, count=3, path="/restapi/v1.0")
    assert_clear_page(signed_in.get("/test?api=extension", status=502))
    assert signed_in.get("/test?api=extension").status_int == 200


def test_api_timeout_is_504(make_testapp, simulator: SimulatorHandle) -> None:
    from tests.journeys import sign_in

    testapp = make_testapp(**{"ringcentral.read_timeout": "0.5"})
    sign_in(testapp)
    simulator.control("latency", seconds=2, path="/restapi/v1.0", count=1)
    assert_clear_page(testapp.get("/test?api=extension", status=504))


def test_unknown_api_page_is_400(signed_in: webtest.TestApp) -> None:
    page = signed_in.get("/test?api=%3Cscript%3E", status=400)
    assert "<script>" not in page.text
    assert "extension-call-log" in page.text


@pytest.mark.parametrize(
    ("query", "accept"),
    [
        ("", "text/html"),
        ("?api=", "text/html"),
        ("?view=json", "text/html"),
        ("", "application/json"),
    ],
)
def test_the_api_address_without_a_page_goes_to_the_dashboard(
    signed_in: webtest.TestApp, query: str, accept: str
) -> None:
    answer = signed_in.get(f"/test{query}", headers={"Accept": accept}, status=302)
    assert local_path(answer.headers["Location"]) == "/"


def test_bad_paging_values_are_400(signed_in: webtest.TestApp) -> None:
    for query in ("page=0", "page=-1", "perPage=1001", "page=abc", "perPage=1e3", "page=%D9%A3"):
        assert signed_in.get(f"/test?api=extension&{query}", status=400).status_int == 400


def test_links_carry_only_validated_local_parameters(signed_in: webtest.TestApp) -> None:
    page = signed_in.get("/test?api=account-call-log&nextPage=http://evil.example/&page=2")
    for anchor in page.html.select("a[href]"):
        href = anchor["href"]
        assert href.startswith("/") or href == "#content", href
        assert "evil" not in href and "restapi" not in href


def test_call_log_date_range_is_shown_and_sent(signed_in: webtest.TestApp) -> None:
    default = signed_in.get("/test?api=extension-call-log")
    assert "the last 24 hours" in default.html.select_one("#range").text
    chosen = signed_in.get("/test?api=extension-call-log&from=2026-11-20&to=2026-11-21")
    text = chosen.html.select_one("#range").text
    assert "Fri 20 Nov 2026 to Sat 21 Nov 2026" in text
    assert chosen.html.select_one("#from")["value"] == "2026-11-20"
    assert chosen.html.select_one("#to")["value"] == "2026-11-21"
    raw = signed_in.get("/test?api=extension-call-log&from=2026-11-20&to=2026-11-21&format=json")
    # Midnight in Alice's zone (US/Pacific, UTC-8 in November), in RingCentral's UTC terms.
    assert "dateFrom=2026-11-20T08:00:00.000Z" in raw.json["uri"]
    assert "dateTo=2026-11-22T08:00:00.000Z" in raw.json["uri"]
    json_link = chosen.html.find("a", string="View as JSON")["href"]
    assert "from=2026-11-20" in json_link


def test_bad_dates_are_400(signed_in: webtest.TestApp) -> None:
    for query in (
        "from=yesterday",
        "from=2026-11-22&to=2026-11-20",
        "to=2026-13-01",
        "from=2020-01-01&to=2026-01-01",
        "from=2026-11-20T10:00%2B05:00",
        "to=0001100100",
        "to=0001-01-01",
        "from=20261120",
    ):
        signed_in.get(f"/test?api=extension-call-log&{query}", status=400)
