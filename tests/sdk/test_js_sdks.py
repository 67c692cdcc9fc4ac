"""The RingCentral JavaScript SDKs, unchanged, against the simulator: 5.x and the seed's 3.3.0.

Each test drives one of our node scripts (js5_client.mjs, js3_client.js) through a plan of
steps and asserts on the JSON report it prints: what the SDK stored, what the app got back,
and what went over the wire (credentials reduced to "sent").
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from rcpyramid.simulator import DEMO_CLIENT, RegisteredClient, SimulatorConfig
from tests.sdk.kit import PUBLIC_CLIENT, REDIRECT_URI, START, NodeSDKs, browser_sign_in

pytestmark = pytest.mark.node

ME = "/restapi/v1.0/account/~/extension/~"
EXTENSIONS = "/restapi/v1.0/account/~/extension"
MY_CALL_LOG = "/restapi/v1.0/account/~/extension/~/call-log"


def token_calls(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for t in report["traffic"] if t["path"].startswith("/restapi/oauth/")]


def the_plan_with(*middle: dict[str, Any]) -> list[dict[str, Any]]:
    """Login, the given steps, a token expiring under a call, refresh, logout, kept tokens."""
    return [
        {"do": "login"},
        *middle,
        {"do": "control", "name": "expire-access-tokens"},
        # An empty query: both SDKs then send a bare "?" ("?&" on JS3's retry).
        {"do": "get", "path": ME, "query": {}},
        {"do": "refresh"},
        {"do": "save"},
        {"do": "logout"},
        {"do": "restore"},
        {"do": "get", "path": ME},
    ]


def test_js3_seed_sdk_signs_in_reads_refreshes_and_logs_out(
    start_simulator, node_sdks: NodeSDKs
) -> None:
    sim = start_simulator(rate_limits=dict(SimulatorConfig.DEFAULT_RATE_LIMITS))
    alice = sim.simulator.directory.extension_for("alice")

    login_url = node_sdks.run("js3_client.js", "login-url", server=sim.url, client=DEMO_CLIENT)[
        "loginUrl"
    ]
    # The seed's SDK always sends these seven, the last four empty; the page must accept them.
    assert parse_qsl(urlsplit(login_url).query, keep_blank_values=True) == [
        ("response_type", "code"),
        ("redirect_uri", REDIRECT_URI),
        ("client_id", DEMO_CLIENT.client_id),
        ("state", ""),
        ("brand_id", ""),
        ("display", ""),
        ("prompt", ""),
    ]
    callback = browser_sign_in(login_url)
    assert "state" not in callback

    plan = the_plan_with(
        {"do": "get", "path": EXTENSIONS, "query": {"status": "Enabled", "perPage": 3}},
        {"do": "get", "path": MY_CALL_LOG, "query": {"type": "Voice", "perPage": 5}},
    )
    report = node_sdks.run(
        "js3_client.js", "run", server=sim.url, client=DEMO_CLIENT, code=callback["code"], plan=plan
    )
    login, users, calls, expire, me, refresh, _, logout, _, stale = report["steps"]
    assert report["sdk"] == "ringcentral 3.3.0"

    # It stores expires_in as sent and adds 1 to it on refresh: numbers, or "36001".
    assert (login["expiresIn"], login["expiresInType"]) == (3600, "number")
    assert login["refreshTokenExpiresIn"] == 604800
    assert login["refreshTokenExpiresInType"] == "number"
    assert (login["tokenType"], login["ownerId"]) == ("bearer", str(alice.id))
    assert [r["name"] for r in users["body"]["records"]][:2] == ["Alice Smith", "Bob Johnson"]
    assert {r["status"] for r in users["body"]["records"]} == {"Enabled"}
    assert calls["body"]["records"]
    assert {r["type"] for r in calls["body"]["records"]} == {"Voice"}

    # After a 401 it refreshes asking for a 1-second token; the simulator clamps to 600 s,
    # so the SDK does not refresh before every call, and the retried call succeeds.
    assert expire["answer"] == {"expired": 1}
    assert (me["status"], me["body"]["name"]) == (200, "Alice Smith")
    first_refresh = token_calls(report)[1]
    assert first_refresh["form"]["grant_type"] == "refresh_token"
    assert first_refresh["form"]["access_token_ttl"] == "1"
    assert first_refresh["status"] == 200
    assert [t["status"] for t in report["traffic"] if t["path"] == ME][:2] == [401, 200]
    # The explicit refresh then sends expires_in + 1 = 601: the 600 came back as a number.
    assert refresh["newAccessToken"] and refresh["newRefreshToken"]
    assert token_calls(report)[2]["form"]["access_token_ttl"] == "601"
    assert token_calls(report)[2]["form"]["refresh_token_ttl"] == "604801"
    assert (refresh["expiresIn"], refresh["expiresInType"]) == (601, "number")

    assert (logout["status"], logout["forgotTokens"]) == (200, True)
    revoke = token_calls(report)[3]
    assert (revoke["path"], revoke["auth"], revoke["form"]) == (
        "/restapi/oauth/revoke",
        "Basic",
        {"token": True},
    )
    # The kept tokens: 401, then the SDK's refresh is refused, and the app sees an error.
    assert (stale["status"], stale["error"]) == (400, "Token revoked")
    last_two = [(t["path"], t["status"]) for t in report["traffic"][-2:]]
    assert last_two == [(ME, 401), ("/restapi/oauth/token", 400)]

    counters = sim.counters()
    assert counters["grants"] == {"authorization_code": 1, "refresh_token": 2}
    assert (counters["revokes"], counters["token_errors"], counters["rate_limited"]) == (1, 1, 0)


@pytest.mark.parametrize("client", [DEMO_CLIENT, PUBLIC_CLIENT], ids=["confidential", "public"])
def test_js5_sdk_signs_in_with_pkce_reads_refreshes_and_logs_out(
    start_simulator, node_sdks: NodeSDKs, client: RegisteredClient
) -> None:
    sim = start_simulator(rate_limits=dict(SimulatorConfig.DEFAULT_RATE_LIMITS))
    alice = sim.simulator.directory.extension_for("alice")

    state = "back to /calls?page=2 & more"
    started = node_sdks.run(
        "js5_client.mjs", "login-url", server=sim.url, client=client, state=state, pkce=True
    )
    query = dict(parse_qsl(urlsplit(started["loginUrl"]).query, keep_blank_values=True))
    assert query["code_challenge_method"] == "S256"
    assert query["ui_options"] == query["brand_id"] == query["prompt"] == ""
    callback = browser_sign_in(started["loginUrl"])
    assert callback["state"] == state

    plan = the_plan_with(
        {
            "do": "get",
            "path": EXTENSIONS,
            "query": {"status": ["Enabled", "Disabled"], "type": "User", "perPage": 1000},
        },
        {
            "do": "get",
            "path": MY_CALL_LOG,
            "query": {
                "dateFrom": "2026-03-14T14:34:56+02:00",
                "view": "Detailed",
                "direction": "Outbound",
                "perPage": 1000,
            },
        },
    )
    report = node_sdks.run(
        "js5_client.mjs",
        "run",
        server=sim.url,
        client=client,
        code=callback["code"],
        code_verifier=started["codeVerifier"],
        plan=plan,
    )
    login, users, calls, _, me, refresh, _, logout, _, stale = report["steps"]
    assert report["sdk"].startswith("@ringcentral/sdk 5.0.")

    exchange = token_calls(report)[0]
    assert exchange["form"]["code_verifier"] is True
    if client.is_public:
        assert (exchange["auth"], exchange["form"]["client_id"]) == ("", client.client_id)
    else:
        assert (exchange["auth"], "client_id" in exchange["form"]) == ("Basic", False)
    assert (login["expiresIn"], login["ownerId"]) == (3600, str(alice.id))

    records = users["body"]["records"]
    assert {(r["type"], r["status"]) for r in records} == {
        ("User", "Enabled"),
        ("User", "Disabled"),
    }
    assert "status=Enabled&status=Disabled&type=User" in users["body"]["uri"]
    expected = sim.simulator.call_log.query(
        owner_id=alice.id,
        date_from=START.replace(day=14),
        date_to=START,
        now=START,
        directions=frozenset({"Outbound"}),
    )
    assert expected, "the seeded data should give Alice outbound calls in a day"
    assert [r["id"] for r in calls["body"]["records"]] == [r.id for r in expected]
    assert all(r["legs"] for r in calls["body"]["records"])

    # After a 401 it refreshes with access_token_ttl=-1 (parseInt of its "-1" marker);
    # the simulator clamps rather than refuses, and the retried call succeeds.
    assert (me["status"], me["body"]["name"]) == (200, "Alice Smith")
    assert token_calls(report)[1]["form"]["access_token_ttl"] == "-1"
    assert token_calls(report)[1]["status"] == 200
    assert refresh["newAccessToken"] and refresh["expiresIn"] == 600
    assert (logout["status"], logout["forgotTokens"]) == (200, True)
    assert (stale["status"], stale["error"]) == (400, "Token revoked")

    counters = sim.counters()
    assert counters["grants"] == {"authorization_code": 1, "refresh_token": 2}
    assert (counters["revokes"], counters["token_errors"], counters["rate_limited"]) == (1, 1, 0)


def test_js5_sdk_reports_the_rate_limit_wait(start_simulator, node_sdks: NodeSDKs) -> None:
    sim = start_simulator(rate_limits={"Heavy": 1})
    started = node_sdks.run("js5_client.mjs", "login-url", server=sim.url, client=DEMO_CLIENT)
    code = browser_sign_in(started["loginUrl"])["code"]
    call = {"do": "get", "path": MY_CALL_LOG, "query": {"perPage": 1}}
    plan = [
        {"do": "login"},
        call,
        call,
        {"do": "control", "name": "advance-clock", "body": {"seconds": 61}},
        call,
    ]
    report = node_sdks.run(
        "js5_client.mjs", "run", server=sim.url, client=DEMO_CLIENT, code=code, plan=plan
    )
    _, first, limited, _, after = report["steps"]
    assert first["status"] == 200
    # Without handleRateLimit the SDK throws, carrying Retry-After (in ms) for the app.
    assert limited["status"] == 429
    assert limited["error"] == "Request rate exceeded"
    assert limited["retryAfterMs"] == 60_000
    assert after["status"] == 200
    assert sim.counters()["rate_limited"] == 1


def test_js3_seed_session_pattern_lives_only_through_the_rotation_grace(
    start_simulator, node_sdks: NodeSDKs
) -> None:
    # The seed hands the SDK the tokens saved at sign-in before every request and never
    # saves refreshed ones. RingCentral lets the replaced refresh token answer again for
    # about 10 s after the new access token's first use; after that the seed shows "Error".
    sim = start_simulator()
    login_url = node_sdks.run("js3_client.js", "login-url", server=sim.url, client=DEMO_CLIENT)[
        "loginUrl"
    ]
    code = browser_sign_in(login_url)["code"]
    request = [{"do": "restore"}, {"do": "get", "path": ME}]
    plan = [
        {"do": "login"},
        {"do": "save"},
        *request,
        {"do": "control", "name": "expire-access-tokens"},
        *request,  # 401, refresh (rotation), retry: the new access token is used now
        *request,  # the old pair again: 401, the old refresh token replays the new pair
        {"do": "control", "name": "advance-clock", "body": {"seconds": 11}},
        *request,  # 401, and the old refresh token is dead
    ]
    report = node_sdks.run(
        "js3_client.js", "run", server=sim.url, client=DEMO_CLIENT, code=code, plan=plan
    )
    calls = [s for s in report["steps"] if s["do"] == "get"]
    assert [c["status"] for c in calls] == [200, 200, 200, 400]
    assert calls[-1]["error"] == "Token not found"
    assert [t["status"] for t in token_calls(report)] == [200, 200, 200, 400]
    counters = sim.counters()
    assert counters["grants"] == {"authorization_code": 1, "refresh_token": 2}
    assert counters["refreshes"] == 1


@pytest.mark.parametrize("script", ["js5_client.mjs", "js3_client.js"])
def test_js_sdks_subscribe_a_webhook_through_their_own_api(
    start_simulator, node_sdks: NodeSDKs, webhook_receiver, script: str
) -> None:
    sim = start_simulator()
    code = browser_sign_in(sim.authorize_url(client=DEMO_CLIENT))["code"]
    subscription = {
        "eventFilters": [
            "/restapi/v1.0/account/~/extension/~/presence?detailedTelephonyState=true"
        ],
        "deliveryMode": {
            "transportType": "WebHook",
            "address": webhook_receiver.url,
            "verificationToken": "js-sdk-token",
        },
    }
    plan = [
        {"do": "login"},
        {"do": "post", "path": "/restapi/v1.0/subscription", "body": subscription},
        {"do": "control", "name": "calls", "body": {"username": "alice", "result": "Missed"}},
    ]
    report = node_sdks.run(script, "run", server=sim.url, client=DEMO_CLIENT, code=code, plan=plan)
    _, created, placed = report["steps"]
    assert created["status"] == 200, created
    assert created["body"]["status"] == "Active"
    assert "js-sdk-token" not in str(created["body"])
    got = webhook_receiver.wait_for_count(2)
    assert [d.body["body"]["telephonyStatus"] for d in got] == ["Ringing", "NoCall"]
    assert {d.headers["verification-token"] for d in got} == {"js-sdk-token"}
    call = got[-1].body["body"]["activeCalls"][0]
    assert call["telephonySessionId"] == placed["answer"]["telephonySessionId"]
