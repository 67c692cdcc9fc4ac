"""Numbers from upstream are clamped to stated bounds: never a 500, and a penalty is kept.

The simulator never sends out-of-spec numbers, so a tiny RingCentral on a real socket does.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.utils import format_datetime
from typing import Any

import pytest
import webtest

from tests.browser import query_of
from tests.clocks import MovableClock
from tests.journeys import start_sign_in
from tests.serving import upstream_at

HUGE = "99999999999999999999"
WEEK = 7 * 86400


class NumbersRingCentral:
    """Answers the token endpoint and the API with whatever numbers a test sets."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.token_extra: dict[str, Any] = {}
        self.token_raw: str | None = None  # a body sent verbatim (numbers JSON can't round-trip)
        self.token_status = "200 OK"
        self.api_status = "200 OK"
        self.headers: list[tuple[str, str]] = []
        self.calls = {"token": 0, "api": 0}
        self.issued = 0

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> list[bytes]:
        if environ["PATH_INFO"] == "/restapi/oauth/token":
            self.calls["token"] += 1
            self.issued += 1
            tokens = {
                "access_token": f"numbers-access-{self.issued}",
                "token_type": "bearer",
                "expires_in": 3600,
                "refresh_token": f"numbers-refresh-{self.issued}",
                "refresh_token_expires_in": WEEK,
                "owner_id": "101",
                **self.token_extra,
            }
            body = self.token_raw or json.dumps(tokens)
            return self.answer(start_response, self.token_status, body)
        self.calls["api"] += 1
        return self.answer(start_response, self.api_status, json.dumps({"name": "N. Umbers"}))

    def answer(self, start_response: Callable, status: str, body: str) -> list[bytes]:
        data = body.encode()
        start_response(
            status,
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(data))),
                *self.headers,
            ],
        )
        return [data]


@pytest.fixture
def upstream() -> Iterator[tuple[NumbersRingCentral, str]]:
    yield from upstream_at(NumbersRingCentral())


@pytest.fixture
def app(upstream, make_testapp) -> webtest.TestApp:
    # Sessions long enough to watch a week-long token lifetime pass.
    return make_testapp(
        **{
            "ringcentral.server_url": upstream[1],
            "rcpyramid.session.idle_timeout": str(40 * 86400),
            "rcpyramid.session.absolute_timeout": str(40 * 86400),
        }
    )


def callback(testapp: webtest.TestApp, **kwargs: Any) -> webtest.TestResponse:
    state = query_of(start_sign_in(testapp))["state"]
    return testapp.get(f"/oauth2callback?code=any-code&state={state}", **kwargs)


def out_of_bounds_warned(caplog: pytest.LogCaptureFixture, name: str) -> bool:
    return any(
        r.levelno == logging.WARNING and name in r.getMessage() and "outside" in r.getMessage()
        for r in caplog.records
    )


@pytest.mark.parametrize("value", [HUGE, "1000000000"])
def test_a_huge_retry_after_from_the_api_is_clamped_and_the_penalty_kept(
    upstream, app: webtest.TestApp, caplog: pytest.LogCaptureFixture, value: str
) -> None:
    fake, _ = upstream
    callback(app, status=303)
    fake.api_status, fake.headers = "429 Too Many Requests", [("Retry-After", value)]
    page = app.get("/test?api=extension", status=429)
    # Clamped at an hour, then (no rate-limit headers: an account-wide limit, which holds
    # every page of everyone) bounded by RingCentral's 60-second penalty.
    assert page.headers["Retry-After"] == "60"
    assert page.html.select_one("#retry")["data-seconds"] == "60"
    assert out_of_bounds_warned(caplog, "Retry-After")
    calls = dict(fake.calls)
    # The penalty holds: the next load waits it out without calling RingCentral again.
    assert app.get("/test?api=extension", status=429).headers["Retry-After"] in {"60", "59"}
    assert fake.calls == calls


def test_a_retry_after_date_is_read_and_clamped(
    upstream, app: webtest.TestApp, clock: MovableClock
) -> None:
    fake, _ = upstream
    callback(app, status=303)
    fake.api_status = "429 Too Many Requests"
    soon = format_datetime(clock() + timedelta(seconds=120), usegmt=True)
    # With rate-limit headers: the person's own limit, held as long as RingCentral says.
    limit = [("X-Rate-Limit-Group", "Light"), ("X-Rate-Limit-Remaining", "0")]
    fake.headers = [("Retry-After", soon), *limit]
    assert 115 <= int(app.get("/test?api=extension", status=429).headers["Retry-After"]) <= 120
    clock.advance(121)
    fake.headers = [("Retry-After", "Fri, 31 Dec 9999 23:59:59 GMT"), *limit]
    assert app.get("/test?api=extension", status=429).headers["Retry-After"] == "3600"


def test_a_huge_retry_after_from_the_token_endpoint_is_clamped(
    upstream, app: webtest.TestApp
) -> None:
    fake, _ = upstream
    fake.token_status, fake.headers = "429 Too Many Requests", [("Retry-After", HUGE)]
    page = callback(app, status=429)
    assert page.headers["Retry-After"] == "3600"


def raw_tokens(expires_in: str, refresh_expires_in: str) -> str:
    """A token answer written by hand: JSON numbers Python would not write itself."""
    return (
        '{"access_token": "numbers-access-0", "token_type": "bearer", '
        f'"expires_in": {expires_in}, "refresh_token": "numbers-refresh-0", '
        f'"refresh_token_expires_in": {refresh_expires_in}, "owner_id": "101"}}'
    )


@pytest.mark.parametrize("lifetime", [HUGE, f'"{HUGE}"', "1e400", "9" * 400])
def test_a_huge_expires_in_at_sign_in_is_clamped_to_a_week(
    upstream,
    app: webtest.TestApp,
    clock: MovableClock,
    caplog: pytest.LogCaptureFixture,
    lifetime: str,
) -> None:
    fake, _ = upstream
    fake.token_raw = raw_tokens(lifetime, lifetime)
    callback(app, status=303)
    assert out_of_bounds_warned(caplog, "expires_in")
    fake.token_raw = None
    clock.advance(WEEK - 86400)
    app.get("/test?api=extension", status=200)
    assert fake.calls["token"] == 1
    # A week on, the access token counts as expired: the app refreshes instead of trusting it.
    clock.advance(2 * 86400)
    app.get("/test?api=extension", status=200)
    assert fake.calls["token"] == 2


@pytest.mark.parametrize("lifetime", ["-5", "0", "0.5"])
def test_a_tiny_expires_in_at_sign_in_is_clamped_to_a_second(
    upstream, app: webtest.TestApp, clock: MovableClock, lifetime: str
) -> None:
    fake, _ = upstream
    fake.token_raw = raw_tokens(lifetime, str(WEEK))
    callback(app, status=303)
    fake.token_raw = None
    clock.advance(2)
    app.get("/test?api=extension", status=200)
    assert fake.calls["token"] == 2


def test_an_absurd_expires_in_at_refresh_is_clamped(
    upstream, app: webtest.TestApp, clock: MovableClock, caplog: pytest.LogCaptureFixture
) -> None:
    fake, _ = upstream
    callback(app, status=303)
    fake.token_extra = {"expires_in": int(HUGE), "refresh_token_expires_in": int(HUGE)}
    clock.advance(3600)
    assert app.get("/test?api=extension").status_int == 200
    assert fake.calls["token"] == 2
    assert out_of_bounds_warned(caplog, "expires_in")
    # The clamped lifetime holds: a day later no refresh, eight days later one.
    clock.advance(86400)
    app.get("/test?api=extension", status=200)
    assert fake.calls["token"] == 2
    clock.advance(WEEK)
    fake.token_extra = {}
    app.get("/test?api=extension", status=200)
    assert fake.calls["token"] == 3
