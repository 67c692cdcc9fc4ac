"""What every page does for a person: a skip link, who is signed in, landmarks with their
own names, mistakes that link to their fields, compressed answers with the same headers."""

from __future__ import annotations

import gzip
import re

import webtest
from webob import Request, Response

from tests.journeys import SimulatorHandle, sign_in

OWN = "/test?api=extension-call-log"
EXTENSIONS = "/test?api=extension"
#: What a compressed answer must carry exactly as the plain one does.
SECURITY_HEADERS = (
    "Content-Security-Policy",
    "Cache-Control",
    "X-Content-Type-Options",
    "X-Frame-Options",
    "Referrer-Policy",
    "Content-Type",
)


def test_every_page_starts_with_a_skip_link_to_its_content(testapp: webtest.TestApp) -> None:
    for page in (testapp.get("/"), testapp.get("/no-such-page", status=404)):
        first_link = page.html.find("a")
        assert first_link["href"] == "#content"
        assert "Skip" in first_link.text
        assert page.html.find("main")["id"] == "content"


def test_the_header_names_the_signed_in_person_and_their_role(
    testapp: webtest.TestApp,
) -> None:
    sign_in(testapp, "alice")
    for path in ("/", OWN, EXTENSIONS, "/time-zone", "/logout"):
        header = testapp.get(path).html.find("header")
        assert "Alice Smith" in header.text, path
        assert "Administrator" in header.text, path
    testapp.post("/logout", {"csrf_token": testapp.get("/").forms[0]["csrf_token"].value})
    sign_in(testapp, "bob")
    header = testapp.get(EXTENSIONS).html.find("header")
    assert "Bob Johnson" in header.text and "Administrator" not in header.text


def test_a_signed_out_header_names_nobody(testapp: webtest.TestApp) -> None:
    assert testapp.get("/").html.find("header").find(class_="who") is None


def test_two_pagers_on_one_page_have_different_names(signed_in: webtest.TestApp) -> None:
    # (The call log pages through its history with one pager under the table.)
    for path in (EXTENSIONS,):
        pagers = signed_in.get(path).html.find_all("nav", class_="pager")
        names = [nav["aria-label"] for nav in pagers]
        assert len(names) == 2 and len(set(names)) == 2, names
        landmarks = [nav["aria-label"] for nav in signed_in.get(path).html.find_all("nav")]
        assert len(landmarks) == len(set(landmarks)), landmarks


def test_the_form_mistakes_summary_links_to_each_field(signed_in: webtest.TestApp) -> None:
    page = signed_in.get(OWN + "&from=2026-11-22&to=2026-11-20&direction=Sideways", status=400)
    summary = page.html.find(id="form-problems")
    targets = [a["href"] for a in summary.find_all("a")]
    assert targets == ["#direction", "#from"]
    for target in targets:
        assert page.html.find(id=target[1:]) is not None


def _fetch(testapp: webtest.TestApp, path: str, compressed: bool, status: int = 200) -> Response:
    """The answer as the browser receives it (WebTest would decode a gzipped body)."""
    headers = {"Accept-Encoding": "gzip, deflate, br" if compressed else "identity"}
    cookies = "; ".join(f"{name}={value}" for name, value in testapp.cookies.items())
    if cookies:
        headers["Cookie"] = cookies
    request = Request.blank(path, headers=headers, environ=dict(testapp.extra_environ))
    response = request.get_response(testapp.app)
    assert response.status_code == status, (path, response.status)
    return response


def test_compressed_and_plain_answers_carry_the_same_security_headers(
    signed_in: webtest.TestApp,
) -> None:
    for path, status in ((OWN, 200), (EXTENSIONS, 200), ("/no-such-page", 404)):
        plain = _fetch(signed_in, path, compressed=False, status=status)
        packed = _fetch(signed_in, path, compressed=True, status=status)
        assert packed.headers["Content-Encoding"] == "gzip", path
        assert "Content-Encoding" not in plain.headers
        for name in SECURITY_HEADERS:
            assert packed.headers.get(name) == plain.headers.get(name), (path, name)
        assert "no-store" in packed.headers["Cache-Control"]
        assert "Accept-Encoding" in packed.headers["Vary"]
        assert "Accept-Encoding" in plain.headers["Vary"]
        text = gzip.decompress(packed.body).decode()
        assert len(packed.body) < len(plain.body) * 0.6
        assert re.sub(r'value="[0-9a-f]{64,}"', "", text).startswith("<!DOCTYPE html>")


def test_a_client_that_asks_for_no_coding_gets_none(signed_in: webtest.TestApp) -> None:
    request = Request.blank(OWN, environ=dict(signed_in.extra_environ))
    request.headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in signed_in.cookies.items())
    assert "Accept-Encoding" not in request.headers
    answer = request.get_response(signed_in.app)
    assert "Content-Encoding" not in answer.headers
    assert answer.body.startswith(b"<!DOCTYPE html>")
    refused = _fetch(signed_in, OWN, compressed=False)
    assert "Content-Encoding" not in refused.headers


def test_the_stylesheet_is_compressed_too(testapp: webtest.TestApp) -> None:
    home = testapp.get("/")
    css = home.html.find("link", rel="stylesheet")["href"]
    packed = _fetch(testapp, css, compressed=True)
    assert packed.headers["Content-Encoding"] == "gzip"
    assert b"prefers-color-scheme: dark" in gzip.decompress(packed.body)


def test_each_form_carries_the_csrf_token_under_a_new_mask_and_it_still_works(
    testapp: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    sign_in(testapp, "alice")
    first = testapp.get("/time-zone").forms
    second = testapp.get("/time-zone").forms
    tokens = {f["csrf_token"].value for forms in (first, second) for f in forms.values()}
    assert len(tokens) == 4, "every form its own mask"
    zone_form = next(f for f in first.values() if f.action == "/time-zone")
    zone_form["zone"] = "Europe/Oslo"
    assert zone_form.submit().status_int in (302, 303)
    logout = next(f for f in second.values() if f.action == "/logout")
    logout["csrf_token"] = "f" * len(logout["csrf_token"].value)
    logout.submit(status=400)


def test_the_time_zone_choice_is_short_on_the_call_log_and_grouped_on_its_page(
    signed_in: webtest.TestApp,
) -> None:
    page = signed_in.get(OWN)
    options = page.html.select("#zone-choice option")
    assert [o.get("value") for o in options] == ["", "UTC"]
    assert options[0].text.startswith("RingCentral's: ")
    assert len(page.body) < 24_000, "the 418 zones are no longer on every call-log page"
    full = signed_in.get("/time-zone")
    groups = [g["label"] for g in full.html.select("#zone optgroup")]
    assert groups[0] == "Suggested" and {"America", "Europe", "Asia"} <= set(groups)
    berlin = full.html.select_one('#zone option[value="Europe/Berlin"]')
    assert berlin.text == "Berlin" and berlin.parent["label"] == "Europe"
    # A zone a browser reports under an older name is accepted too.
    form = next(f for f in full.forms.values() if f.action == "/time-zone")
    form["zone"].force_value("Asia/Calcutta")
    assert form.submit().status_int == 303
    chosen = signed_in.get(OWN).html.select("#zone-choice option[selected]")
    assert [o["value"] for o in chosen] == ["Asia/Calcutta"]
