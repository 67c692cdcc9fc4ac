"""Pages that orient: readable addresses (the seed's still serving), a spent sign-in that
lands where it was going, a calm Deny, and the development hint about the simulator."""

from __future__ import annotations

from typing import Any

import webtest

from tests.browser import authorize_at_simulator, local_path
from tests.journeys import SimulatorHandle, sign_in, start_sign_in

SEED_AND_READABLE = (
    ("/test?api=extension-call-log", "/calls"),
    ("/test?api=account-call-log", "/company/calls"),
    ("/test?api=extension", "/directory"),
)


def _h1(page: webtest.TestResponse) -> str:
    return page.html.find("h1").get_text(strip=True)


def test_readable_addresses_and_the_seeds_serve_the_same_pages(
    signed_in: webtest.TestApp,
) -> None:
    for seed, readable in SEED_AND_READABLE:
        old, new = signed_in.get(seed), signed_in.get(readable)
        assert old.status_int == new.status_int == 200, seed
        assert _h1(old) == _h1(new)
        for page in (old, new):
            canonical = page.html.find("link", rel="canonical")
            assert canonical is not None and canonical["href"].endswith(readable), seed
        # The tab of the page is current at either address, and links to the readable one.
        for page in (old, new):
            current = page.html.select_one("nav.tabs a[aria-current]")
            assert current["href"] == readable


def test_links_forms_and_filters_keep_the_readable_address(signed_in: webtest.TestApp) -> None:
    page = signed_in.get("/calls?from=2026-11-28&to=2026-12-01&direction=Inbound&perPage=25")
    canonical = page.html.find("link", rel="canonical")["href"]
    assert "/calls?" in canonical and "api=" not in canonical and "direction=Inbound" in canonical
    hrefs = [a["href"] for a in page.html.find_all("a", href=True)]
    assert not [h for h in hrefs if h.startswith("/test")], hrefs
    form = page.html.find("form", class_="filters")
    assert form["action"] == "/calls"
    assert form.find("input", attrs={"name": "api"}) is None
    # The same filters at the seed's address: the same records.
    seed = signed_in.get(
        "/test?api=extension-call-log&from=2026-11-28&to=2026-12-01&direction=Inbound&perPage=25"
    )
    assert str(seed.html.find("table")) == str(page.html.find("table"))


def test_a_readable_address_before_sign_in_comes_back_after_it(
    testapp: webtest.TestApp,
) -> None:
    asked = testapp.get("/directory?perPage=50")
    assert asked.status_int in (302, 303)
    landed = sign_in_from(testapp, asked.follow())
    assert landed.status_int == 303
    assert local_path(landed.location) == "/directory?perPage=50"


def sign_in_from(testapp: webtest.TestApp, home: webtest.TestResponse) -> Any:
    form = next(form for form in home.forms.values() if form.action == "/login")
    authorize_url = form.submit().headers["Location"]
    return testapp.get(local_path(authorize_at_simulator(authorize_url)))


def test_back_after_signing_in_then_authorize_again_lands_on_the_page(
    testapp: webtest.TestApp,
) -> None:
    home = testapp.get("/calls").follow()
    form = next(form for form in home.forms.values() if form.action == "/login")
    authorize_url = form.submit().headers["Location"]
    first = testapp.get(local_path(authorize_at_simulator(authorize_url)))
    assert first.status_int == 303
    assert _h1(first.follow()) == "Your call log"
    # Back to the simulator's page, Authorize again: the same (spent) state comes back.
    again = testapp.get(local_path(authorize_at_simulator(authorize_url)))
    assert again.status_int == 303, again.text
    assert local_path(again.location) == "/calls"
    page = again.follow()
    assert _h1(page) == "Your call log"
    assert "Alice Smith" in page.html.find("header").text


def test_a_spent_sign_in_to_a_signed_out_browser_is_still_explained(
    testapp: webtest.TestApp,
) -> None:
    authorize_url = start_sign_in(testapp)
    callback = local_path(authorize_at_simulator(authorize_url))
    assert testapp.get(callback).status_int == 303
    testapp.post("/logout", {"csrf_token": testapp.get("/").forms[0]["csrf_token"].value})
    again = testapp.get(local_path(authorize_at_simulator(authorize_url)), status=400)
    assert "expired or was already used" in again.text


def test_deny_is_a_calm_page_with_a_way_to_try_again(testapp: webtest.TestApp) -> None:
    callback = authorize_at_simulator(start_sign_in(testapp), action="deny")
    page = testapp.get(local_path(callback), status=403)
    assert _h1(page) == "You did not sign in"
    assert "declined" in page.text and "nothing was shared" in page.text
    assert "Error 403" not in page.text and "Forbidden" not in page.text
    assert "RingCentral said" not in page.text
    retry = next(form for form in page.forms.values() if form.action == "/login")
    assert retry.submit().status_int == 303
    assert page.headers["Referrer-Policy"] == "no-referrer"


def test_deny_while_signed_in_keeps_the_session(
    testapp: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    sign_in(testapp, "alice")
    callback = authorize_at_simulator(start_sign_in(testapp), action="deny")
    page = testapp.get(local_path(callback), status=403)
    assert "still signed in" in page.text
    assert "Alice Smith" in page.html.find("header").text
    assert testapp.get("/calls").status_int == 200


def test_development_home_names_the_simulator_and_its_demo_users(
    make_testapp: Any, simulator: SimulatorHandle
) -> None:
    host, port = simulator.url.split("//", 1)[1].rsplit(":", 1)
    dev = make_testapp(
        **{
            "ringcentral.server_url": "simulator",
            "rcpyramid.simulator.host": host,
            "rcpyramid.simulator.port": port,
        }
    )
    hint = dev.get("/").html.find(class_="dev-hint")
    assert hint is not None and "built-in RingCentral simulator" in hint.text
    for username in ("alice", "bob", "carol"):
        assert username in hint.text
    assert "administrator" in hint.text


def test_home_with_any_other_ringcentral_names_no_demo_user(testapp: webtest.TestApp) -> None:
    home = testapp.get("/")
    assert home.html.find(class_="dev-hint") is None
    assert "alice-demo" not in home.text
