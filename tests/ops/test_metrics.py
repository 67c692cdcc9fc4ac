"""/metrics: off by default, then only for allowed addresses or a bearer token; a scripted
journey's known counts read back (in one process here, across two gunicorn workers in
test_metrics_workers.py)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import webtest
from prometheus_client.parser import text_string_to_metric_families

from tests.journeys import SimulatorHandle, sign_in

TOKEN = "metrics-bearer-token-" + "m" * 32
LOOPBACK = {"REMOTE_ADDR": "127.0.0.1"}

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    """Every sample of an exposition, by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(read: Samples, name: str, **labels: str) -> float:
    return read.get((name, frozenset(labels.items())), 0.0)


def scrape(testapp: webtest.TestApp) -> Samples:
    return samples(testapp.get("/metrics", extra_environ=LOOPBACK).text)


@pytest.fixture
def metered(make_testapp: Callable[..., webtest.TestApp]) -> webtest.TestApp:
    return make_testapp(
        **{
            "rcpyramid.metrics": "true",
            "rcpyramid.metrics.token": TOKEN,
            "rcpyramid.cache.backend": "dogpile.cache.memory",
        }
    )


def test_metrics_are_off_unless_turned_on(testapp: webtest.TestApp) -> None:
    testapp.get("/metrics", extra_environ=LOOPBACK, status=404)


def test_metrics_turn_on_from_the_environment(
    make_testapp: Callable[..., webtest.TestApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RCPYRAMID_METRICS", "true")
    answer = make_testapp().get("/metrics", extra_environ=LOOPBACK)
    assert "http_server_request_duration_seconds" in answer.text
    assert answer.headers["Cache-Control"] == "no-store"


def test_metrics_are_served_only_to_allowed_addresses_or_the_token(
    metered: webtest.TestApp,
) -> None:
    elsewhere = {"REMOTE_ADDR": "10.0.0.9"}
    metered.get("/metrics", extra_environ=elsewhere, status=403)
    wrong = {"Authorization": "Bearer not-the-token"}
    metered.get("/metrics", headers=wrong, extra_environ=elsewhere, status=403)
    right = {"Authorization": f"Bearer {TOKEN}"}
    assert metered.get("/metrics", headers=right, extra_environ=elsewhere).status_int == 200
    # Not redirected to the canonical host: Prometheus scrapes by address.
    by_address = metered.get("/metrics", headers={"Host": "10.0.0.5:5000"}, extra_environ=LOOPBACK)
    assert by_address.status_int == 200


def test_other_allowed_networks_replace_loopback(make_testapp: Callable) -> None:
    testapp = make_testapp(
        **{"rcpyramid.metrics": "true", "rcpyramid.metrics.allow": "10.0.0.0/8, 192.0.2.7"}
    )
    testapp.get("/metrics", extra_environ={"REMOTE_ADDR": "10.3.4.5"}, status=200)
    testapp.get("/metrics", extra_environ={"REMOTE_ADDR": "192.0.2.7"}, status=200)
    testapp.get("/metrics", extra_environ=LOOPBACK, status=403)


def journey(testapp: webtest.TestApp, simulator: SimulatorHandle) -> None:
    """Known counts: see test_a_journey_is_counted."""
    sign_in(testapp)  # a token request, the person's extension (in the callback)
    testapp.get("/test?api=extension")  # the extension list: a cache miss, a call
    testapp.get("/test?api=extension")  # the same: a cache hit
    simulator.expire_access_tokens()
    testapp.get("/test?api=extension&perPage=5")  # another page: a 401, a refresh, the call again
    simulator.fail_next(429, path="/restapi/v1.0/account/~/extension", retry_after=7)
    testapp.get("/test?api=extension&page=2", status=429)  # a 429, its 7 s penalty


def deltas(before: Samples, after: Samples) -> Callable[..., float]:
    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    return delta


def test_a_journey_is_counted(metered: webtest.TestApp, simulator: SimulatorHandle) -> None:
    before = scrape(metered)
    journey(metered, simulator)
    delta = deltas(before, scrape(metered))

    rc = "rcpyramid_ringcentral_requests_total"
    assert delta(rc, rate_group="Auth", status="200", error_code="") == 2  # sign-in, refresh
    assert delta(rc, rate_group="Medium", status="401", error_code="OAU-128") == 1
    assert delta(rc, rate_group="Medium", status="429", error_code="CMN-301") == 1
    assert delta(rc, rate_group="Medium", status="200", error_code="") == 2  # two pages
    rate_limited = "rcpyramid_ringcentral_rate_limited_total"
    assert delta(rate_limited, rate_group="Medium", scope="person") == 1
    assert delta("rcpyramid_ringcentral_penalty_seconds_total", rate_group="Medium") == 7
    assert delta("rcpyramid_token_refreshes_total", outcome="ok") == 1
    assert delta("rcpyramid_token_refresh_lock_wait_seconds_count") == 1
    lookups = "rcpyramid_answer_cache_lookups_total"
    assert delta(lookups, rate_group="Medium", result="miss") == 3
    assert delta(lookups, rate_group="Medium", result="hit") == 1
    http = "http_server_request_duration_seconds_count"
    test_page = {"http_request_method": "GET", "http_route": "/test"}
    assert delta(http, **test_page, http_response_status_code="200") == 3
    assert delta(http, **test_page, http_response_status_code="429") == 1
    assert (
        delta(
            "http_client_request_duration_seconds_count",
            http_request_method="POST",
            rate_group="Auth",
            http_response_status_code="200",
        )
        == 2
    )


def test_no_label_holds_a_person_a_number_or_a_token(
    metered: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    journey(metered, simulator)
    text = metered.get("/metrics", extra_environ=LOOPBACK).text
    labels = {label for (_, pairs) in samples(text) for _, label in pairs}
    # Only words from fixed sets, route templates, statuses, buckets and RingCentral's codes.
    allowed = re.compile(
        r"[A-Za-z_]*|/[a-z0-9/*{}._-]*|\d{1,3}|\d+(\.\d+)+|\+Inf|[A-Z]{2,8}-\d{1,5}"
    )
    for label in labels:
        assert allowed.fullmatch(label), label
    assert "alice" not in text.lower() and "bearer" not in text.lower()
