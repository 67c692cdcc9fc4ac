"""Nothing with account data is cached: no-store is the default, the static files say otherwise."""

from __future__ import annotations

import webtest


def test_pages_redirects_and_errors_are_not_stored(testapp: webtest.TestApp) -> None:
    for answer in (
        testapp.get("/"),
        testapp.get("/index"),
        testapp.get("/test?api=extension"),
        testapp.get("/nowhere", status=404),
        testapp.get("/healthz"),
    ):
        assert answer.headers["Cache-Control"] == "no-store", answer.request.path
        assert answer.headers["Pragma"] == "no-cache"


def test_static_files_keep_their_own_caching(testapp: webtest.TestApp) -> None:
    answer = testapp.get("/static/app.css")
    assert "max-age=3600" in answer.headers["Cache-Control"]
    assert "no-store" not in answer.headers["Cache-Control"]
    assert "Pragma" not in answer.headers


def test_a_signed_out_visit_to_an_api_page_comes_back_after_sign_in(
    testapp: webtest.TestApp,
) -> None:
    answer = testapp.get("/test?api=extension-call-log&page=2", status=302)
    assert answer.location.endswith("/?next=%2Fcalls%3Fpage%3D2")  # the readable address
    assert testapp.post("/time-zone", {"zone": "UTC"}, status=303).location.endswith("/")
