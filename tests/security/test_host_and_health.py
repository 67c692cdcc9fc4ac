"""The canonical host redirect and the load balancers' health check."""

from __future__ import annotations

import webtest


def test_other_host_names_are_sent_to_the_canonical_one(testapp: webtest.TestApp) -> None:
    answer = testapp.get("/test?api=extension", headers={"Host": "127.0.0.1:5000"}, status=308)
    assert answer.location == "http://localhost:5000/test?api=extension"


def test_posts_to_another_host_are_not_redirected(testapp: webtest.TestApp) -> None:
    # A POST cannot be replayed by a redirect without its body; CSRF refuses it instead.
    testapp.post("/login", {}, headers={"Host": "127.0.0.1:5000"}, status=400)


def test_canonical_host_can_be_turned_off(make_testapp) -> None:
    testapp = make_testapp(**{"rcpyramid.canonical_host": "off"})
    assert testapp.get("/", headers={"Host": "127.0.0.1:5000"}).status_int == 200


def test_healthz_answers_without_account_data(testapp: webtest.TestApp) -> None:
    answer = testapp.get("/healthz", headers={"Host": "10.0.0.5:5000"})
    assert answer.json == {"status": "ok", "token_store": "ok", "cache": "per-process"}
    assert answer.headers["Cache-Control"] == "no-store"
