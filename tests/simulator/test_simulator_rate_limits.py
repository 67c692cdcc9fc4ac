"""Rate-limit headers on every /restapi answer, and enforcement with a penalty (§7)."""

from __future__ import annotations

from rcpyramid.simulator import SimulatorConfig

ME = "/restapi/v1.0/account/~/extension/~"
LOG = "/restapi/v1.0/account/~/extension/~/call-log"
HEADERS = ("X-Rate-Limit-Group", "X-Rate-Limit-Limit", "X-Rate-Limit-Remaining")
CMN_301 = {
    "errorCode": "CMN-301",
    "message": "Request rate exceeded",
    "errors": [{"errorCode": "CMN-301", "message": "Request rate exceeded"}],
}
OAUTH_429 = {
    **CMN_301,
    "error": "rate_limited",
    "error_description": "Request rate exceeded",
}


def _rate(response) -> tuple[str, int, int]:
    assert response.headers["X-Rate-Limit-Window"] == "60"
    return (
        response.headers["X-Rate-Limit-Group"],
        int(response.headers["X-Rate-Limit-Limit"]),
        int(response.headers["X-Rate-Limit-Remaining"]),
    )


def test_every_restapi_answer_carries_rate_headers(rc):
    tokens = rc.login()
    token = tokens["access_token"]
    answers = {
        "versions": rc.get("/restapi"),
        "authorize": rc.authorize(),
        "authorize error": rc.authorize(client_id="nobody"),
        "token error": rc.refresh("nope"),
        "revoke error": rc.post("/restapi/oauth/revoke", data={"token": "x"}),
        "me": rc.get(ME, token),
        "list": rc.get("/restapi/v1.0/account/~/extension", token),
        "log": rc.get(LOG, token),
        "company log": rc.get("/restapi/v1.0/account/~/call-log", token),
        "401": rc.get(ME),
        "404": rc.get("/restapi/v2/whatever", token),
        "400": rc.get(LOG + "?view=Nope", token),
    }
    for name, response in answers.items():
        assert all(h in response.headers for h in HEADERS), name
    assert _rate(answers["me"])[:2] == ("Light", 50)
    assert _rate(answers["list"])[:2] == ("Medium", 40)
    assert _rate(answers["log"])[:2] == ("Heavy", 10)
    assert _rate(answers["token error"])[:2] == ("Auth", 5)
    assert _rate(answers["authorize"])[0] == "Auth"


def test_with_limits_off_nothing_is_spent_or_refused(rc):
    """A client that follows X-Rate-Limit-Remaining is never told to stop by limits that are off."""
    token = rc.login()["access_token"]
    answers = [rc.get(LOG, token) for _ in range(12)]
    assert [response.status_code for response in answers] == [200] * 12
    assert [_rate(response)[1:3] for response in answers] == [(10, 10)] * 12
    assert rc.counters()["rate_limited"] == 0


def test_enforced_limit_answers_429_with_retry_after_and_penalty(make_rc, sim_clock):
    rc = make_rc(rate_limits=dict(SimulatorConfig.DEFAULT_RATE_LIMITS))
    token = rc.login()["access_token"]
    for expected in range(9, -1, -1):
        response = rc.get(LOG, token)
        assert response.status_code == 200
        assert _rate(response) == ("Heavy", 10, expected)
    limited = rc.get(LOG, token)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "60"
    assert limited.headers["Content-Type"] == "application/json; charset=utf-8"
    assert limited.json() == CMN_301
    assert _rate(limited) == ("Heavy", 10, 0)
    # Other groups and other users are counted separately.
    assert rc.get(ME, token).status_code == 200
    bob = rc.login("bob")["access_token"]
    assert rc.get(LOG, bob).status_code == 200

    # Every request inside the penalty restarts it.
    sim_clock.advance(59)
    assert rc.get(LOG, token).status_code == 429
    sim_clock.advance(59)
    assert rc.get(LOG, token).status_code == 429
    sim_clock.advance(60)
    after = rc.get(LOG, token)
    assert after.status_code == 200
    assert _rate(after)[2] == 9
    assert rc.counters()["rate_limited"] == 3


def test_window_slides(make_rc, sim_clock):
    rc = make_rc(rate_limits={"Heavy": 2})
    token = rc.login()["access_token"]
    assert rc.get(LOG, token).status_code == 200
    sim_clock.advance(30)
    assert rc.get(LOG, token).status_code == 200
    sim_clock.advance(31)  # the first request has left the window
    response = rc.get(LOG, token)
    assert response.status_code == 200
    assert _rate(response)[2] == 0
    # Groups without an enforced limit are only counted.
    for _ in range(60):
        assert rc.get(ME, token).status_code == 200


def test_auth_group_is_limited_per_client_before_the_user_is_known(make_rc):
    rc = make_rc(rate_limits={"Auth": 5})
    for _ in range(8):  # the sign-in page reports the Auth window but is not counted
        assert rc.authorize().status_code == 200
    statuses = [rc.refresh("unknown-token").status_code for _ in range(6)]
    assert statuses == [400] * 5 + [429]
    response = rc.refresh("unknown-token")
    assert response.status_code == 429
    assert response.json() == OAUTH_429
    assert int(response.headers["Retry-After"]) == 60


def test_oauth_429s_are_oauth_shaped_with_retry_after(rc):
    # Injected 429s on the OAuth endpoints read like the enforced ones.
    rc.control("fail-next", {"status": 429, "path": "/restapi/oauth/", "count": 2})
    for path in ("/restapi/oauth/token", "/restapi/oauth/revoke"):
        response = rc.post(path, data={"grant_type": "refresh_token", "refresh_token": "x"})
        assert response.status_code == 429
        assert response.json() == OAUTH_429
        assert response.headers["Retry-After"] == "60"
        assert _rate(response)[0] == "Auth"
    # The REST API keeps RingCentral's API shape.
    rc.control("fail-next", {"status": 429})
    assert rc.get(ME).json() == CMN_301
