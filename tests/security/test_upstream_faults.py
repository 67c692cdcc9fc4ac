"""RingCentral misbehaving: a clear page each time; tokens kept unless RingCentral killed them."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import webtest

from tests.browser import query_of
from tests.journeys import start_sign_in
from tests.processes import free_port
from tests.serving import upstream_at
from tests.stores import stored_logins

TOKENS = {
    "access_token": "odd-access-token-0123456789",
    "token_type": "bearer",
    "expires_in": 3600,
    "refresh_token": "odd-refresh-token-0123456789",
    "refresh_token_expires_in": 604800,
    "scope": "ReadAccounts ReadCallLog",
    "owner_id": "101",
    "endpoint_id": "e1",
}


class OddRingCentral:
    """A RingCentral that answers the token endpoint properly and the API however it is told."""

    def __init__(self) -> None:
        self.api_mode = "ok"
        self.token_mode = "ok"

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> list[bytes]:
        path = environ["PATH_INFO"]
        mode = self.token_mode if path == "/restapi/oauth/token" else self.api_mode
        if path == "/restapi/oauth/token" and mode == "ok":
            return self.answer(start_response, "200 OK", "application/json", json.dumps(TOKENS))
        if mode == "ok":
            body = json.dumps({"name": "Odd User", "records": [], "navigation": {}, "paging": {}})
            return self.answer(start_response, "200 OK", "application/json", body)
        if mode == "malformed":
            return self.answer(start_response, "200 OK", "application/json", '{"records": [')
        if mode == "wrong-type":
            return self.answer(start_response, "200 OK", "text/plain", json.dumps(TOKENS))
        if mode == "huge":
            start_response("200 OK", [("Content-Type", "application/json")])
            return (b"[" + b"0," * 1_000_000 for _ in range(20))
        if mode == "slow":
            time.sleep(1.5)
            return self.answer(start_response, "200 OK", "application/json", "{}")
        raise AssertionError(mode)

    @staticmethod
    def answer(start_response: Callable, status: str, kind: str, body: str) -> list[bytes]:
        data = body.encode()
        start_response(status, [("Content-Type", kind), ("Content-Length", str(len(data)))])
        return [data]


@pytest.fixture
def odd() -> Iterator[tuple[OddRingCentral, str]]:
    yield from upstream_at(OddRingCentral())


@pytest.fixture
def odd_app(odd, make_testapp) -> webtest.TestApp:
    _, url = odd
    return make_testapp(
        **{
            "ringcentral.server_url": url,
            "ringcentral.read_timeout": "0.5",
            "ringcentral.max_response_bytes": str(1024 * 1024),
        }
    )


def signed_in_odd(testapp: webtest.TestApp) -> webtest.TestApp:
    state = query_of(start_sign_in(testapp))["state"]
    testapp.get(f"/oauth2callback?code=any-code&state={state}", status=303)
    return testapp


@pytest.mark.parametrize(
    ("mode", "status"),
    [("malformed", 502), ("wrong-type", 502), ("huge", 502), ("slow", 504)],
)
def test_api_misbehaving_gets_a_page_and_keeps_tokens(odd, odd_app, mode: str, status: int) -> None:
    upstream, _ = odd
    signed_in_odd(odd_app)
    upstream.api_mode = mode
    page = odd_app.get("/test?api=extension", status=status)
    assert "Traceback" not in page.text
    assert "odd-access-token" not in page.text
    tokens = list(stored_logins(odd_app).values())
    assert [t.access_token for t in tokens] == [TOKENS["access_token"]]
    upstream.api_mode = "ok"
    assert odd_app.get("/test?api=extension").status_int == 200


@pytest.mark.parametrize(
    ("mode", "status"), [("malformed", 502), ("wrong-type", 502), ("slow", 504)]
)
def test_token_endpoint_misbehaving_gets_a_page(odd, odd_app, mode: str, status: int) -> None:
    upstream, _ = odd
    upstream.token_mode = mode
    state = query_of(start_sign_in(odd_app))["state"]
    page = odd_app.get(f"/oauth2callback?code=any-code&state={state}", status=status)
    assert "Traceback" not in page.text
    assert page.html.select_one("form[action='/login']") is not None


def test_refused_connection_gets_a_502_page(make_testapp) -> None:
    testapp = make_testapp(**{"ringcentral.server_url": f"http://127.0.0.1:{free_port()}"})
    state = query_of(start_sign_in(testapp))["state"]
    page = testapp.get(f"/oauth2callback?code=c&state={state}", status=502)
    assert "could not be reached" in page.text
