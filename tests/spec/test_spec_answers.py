"""Every kind of answer the simulator gives, checked against RingCentral's published spec.

Unknown fields, wrong types, values outside an enum and missing required fields all
fail. The only fields allowed outside the spec are named in LEGACY below, each with why.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from rcpyramid.simulator.testing import (
    RunningSimulator,
    WebhookReceiver,
    pkce_pair,
    start_simulator,
    wait_until,
)

from .openapi import component, errors_in, response_schema

pytestmark = pytest.mark.node  # the spec is an npm package (tests/spec/conftest.py)

START = datetime(2026, 3, 15, 12, 34, 56, tzinfo=UTC)
ME = "/restapi/v1.0/account/~/extension/~"
SUBSCRIPTION = "/restapi/v1.0/subscription"
# Fields the simulator sends although the spec does not list them, because RingCentral
# does: each is removed (only where named) before the answer is validated.
LEGACY = {
    # REST errors repeat the first error at top level (docs/basics/errors.md; every
    # captured 4xx body); the spec's models list only `errors`.
    "api_error": ("errorCode", "message", "permissionName", "parameterName"),
    # OAuth errors carry RFC 6749's error_description (the spec lists only `error`).
    "oauth_error": ("error_description",),
    # The developer guide lists ownerId on every notification envelope
    # (notifications/event-filters/index.md); the spec's presence envelopes omit it.
    "presence_envelope": ("ownerId",),
}


def conforms(body: Any, schema: dict[str, Any], legacy: tuple[str, ...] = ()) -> None:
    body = {k: v for k, v in body.items() if k not in legacy} if legacy else body
    problems = errors_in(body, schema)
    assert not problems, "\n".join(problems[:40])


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    running = start_simulator(clock=lambda: START, record_delay=1)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


def token_answer(sim: RunningSimulator, username: str = "alice") -> requests.Response:
    verifier, challenge = pkce_pair()
    location = sim.sign_in(sim.authorize_url(code_challenge=challenge), username)
    code = parse_qs(urlsplit(location).query)["code"][0]
    client = sim.client
    return requests.post(
        f"{sim.url}/restapi/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": client.redirect_uris[0],
            "code_verifier": verifier,
        },
        auth=(client.client_id, client.client_secret),
        timeout=10,
    )


@pytest.fixture(scope="module")
def alice(sim: RunningSimulator) -> str:
    return token_answer(sim).json()["access_token"]


def api(sim: RunningSimulator, method: str, path: str, token: str | None, **kw):
    headers = {"Authorization": f"bearer {token}"} if token else {}
    return requests.request(method, sim.url + path, headers=headers, timeout=10, **kw)


def test_token_answers(sim):
    answer = token_answer(sim)
    assert answer.status_code == 200
    conforms(answer.json(), response_schema("getToken", 200))
    refreshed = requests.post(
        f"{sim.url}/restapi/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": answer.json()["refresh_token"]},
        auth=(sim.client.client_id, sim.client.client_secret),
        timeout=10,
    )
    conforms(refreshed.json(), response_schema("getToken", 200))
    refused = requests.post(
        f"{sim.url}/restapi/oauth/token",
        data={"grant_type": "authorization_code", "code": "nope", "redirect_uri": "x"},
        auth=(sim.client.client_id, sim.client.client_secret),
        timeout=10,
    )
    assert refused.status_code == 400
    conforms(refused.json(), response_schema("getToken", 400), LEGACY["oauth_error"])


def test_extension_answers(sim, alice):
    listed = api(sim, "GET", "/restapi/v1.0/account/~/extension", alice, params={"perPage": 1000})
    conforms(listed.json(), response_schema("listExtensions", 200))
    own = api(sim, "GET", ME, alice).json()
    assert own["serviceFeatures"]
    conforms(own, response_schema("readExtension", 200))
    for record in listed.json()["records"][::9]:
        other = api(sim, "GET", f"/restapi/v1.0/account/~/extension/{record['id']}", alice)
        conforms(other.json(), response_schema("readExtension", 200))


@pytest.mark.parametrize("view", ["Simple", "Detailed"])
def test_call_log_answers(sim, alice, view):
    params = {"view": view, "perPage": 1000, "dateFrom": "2026-03-12T00:00:00Z"}
    mine = api(sim, "GET", ME + "/call-log", alice, params=params)
    assert len(mine.json()["records"]) > 250
    conforms(mine.json(), response_schema("readUserCallLog", 200))
    params["dateFrom"] = "2026-03-14T12:00:00Z"
    company = api(sim, "GET", "/restapi/v1.0/account/~/call-log", alice, params=params)
    conforms(company.json(), response_schema("readCompanyCallLog", 200))


def test_sync_answers_with_placed_calls(sim, alice):
    sync = ME + "/call-log-sync"
    full = api(sim, "GET", sync, alice, params={"recordCount": 250, "view": "Detailed"})
    conforms(full.json(), response_schema("syncUserCallLog", 200))
    for direction in ("Inbound", "Outbound"):
        for result in ("Answered", "Missed", "Voicemail"):
            sim.place_call("alice", direction=direction, result=result, duration=12)
    sim.advance_clock(2)
    token = full.json()["syncInfo"]["syncToken"]
    for view in ("Simple", "Detailed"):
        changes = api(
            sim, "GET", sync, alice, params={"syncType": "ISync", "syncToken": token, "view": view}
        )
        assert len(changes.json()["records"]) >= 6
        conforms(changes.json(), response_schema("syncUserCallLog", 200))
    company = api(
        sim, "GET", "/restapi/v1.0/account/~/call-log-sync", alice, params={"recordCount": 100}
    )
    conforms(company.json(), response_schema("syncAccountCallLog", 200))


def test_subscription_answers_deliveries_and_event_bodies(sim, alice, receiver):
    filters = [
        "/restapi/v1.0/account/~/extension/~/telephony/sessions",
        "/restapi/v1.0/account/~/telephony/sessions",
        "/restapi/v1.0/account/~/extension/~/presence?detailedTelephonyState=true",
        "/restapi/v1.0/account/~/extension/~/presence",
        "/restapi/v1.0/account/~/presence?detailedTelephonyState=true",
    ]
    mode = {"transportType": "WebHook", "address": receiver.url, "verificationToken": "t0k"}
    created = api(
        sim, "POST", SUBSCRIPTION, alice, json={"eventFilters": filters, "deliveryMode": mode}
    )
    assert created.status_code == 200, created.text
    conforms(created.json(), response_schema("createSubscription", 200))
    path = f"{SUBSCRIPTION}/{created.json()['id']}"
    conforms(api(sim, "GET", SUBSCRIPTION, alice).json(), response_schema("listSubscriptions", 200))
    conforms(api(sim, "GET", path, alice).json(), response_schema("readSubscription", 200))
    conforms(api(sim, "PUT", path, alice).json(), response_schema("updateSubscription", 200))
    renewed = api(sim, "POST", path + "/renew", alice)
    conforms(renewed.json(), response_schema("renewSubscription", 200))

    receiver.clear()
    for direction in ("Inbound", "Outbound"):
        for result in ("Answered", "Missed", "Voicemail"):
            sim.place_call("alice", direction=direction, result=result, duration=3)
    got = receiver.wait_for_count(60)
    kinds = {
        "/telephony/sessions": ("ExtensionTelephonySessionsEvent", ()),
        "/presence?detailedTelephonyState=true": (
            "DetailedExtensionPresenceEvent",
            LEGACY["presence_envelope"],
        ),
        "/presence": ("ExtensionPresenceEvent", LEGACY["presence_envelope"]),
    }
    account_kinds = {
        "/telephony/sessions": ("AccountTelephonySessionsEvent", ()),
        "/presence?detailedTelephonyState=true": (
            "AccountPresenceEvent",
            LEGACY["presence_envelope"],
        ),
    }
    seen = set()
    for item in got:
        envelope = item.body
        table = account_kinds if "/extension/" not in envelope["event"] else kinds
        suffix = next(s for s in table if envelope["event"].endswith(s))
        name, legacy = table[suffix]
        seen.add(name)
        conforms(envelope, component(name), legacy)
    assert len(seen) == 5

    # A blacklisted subscription carries blacklistedData.
    sim.fail_deliveries(3)
    sim.place_call("alice", result="Answered", duration=1)
    wait_until(lambda: api(sim, "GET", path, alice).json()["status"] == "Blacklisted")
    conforms(api(sim, "GET", path, alice).json(), response_schema("readSubscription", 200))


def test_error_answers(sim, alice, receiver):
    legacy = LEGACY["api_error"]
    call_log = ME + "/call-log"
    unauthorized = api(sim, "GET", call_log, None)
    assert unauthorized.status_code == 401
    conforms(unauthorized.json(), response_schema("readUserCallLog", 401), legacy)
    bob = token_answer(sim, "bob").json()["access_token"]
    forbidden = api(sim, "GET", "/restapi/v1.0/account/~/call-log", bob)
    assert forbidden.status_code == 403
    conforms(forbidden.json(), response_schema("readCompanyCallLog", 403), legacy)
    missing = api(sim, "GET", "/restapi/v1.0/account/~/extension/1", alice)
    assert missing.status_code == 404
    conforms(missing.json(), response_schema("readExtension", 404), legacy)
    bad = api(sim, "GET", call_log, alice, params={"perPage": "lots"})
    assert bad.status_code == 400
    conforms(bad.json(), response_schema("readUserCallLog", 400), legacy)
    sim.fail_next(429, path="/restapi/v1.0/account/", count=1)
    limited = api(sim, "GET", call_log, alice)
    assert limited.status_code == 429
    conforms(limited.json(), response_schema("readUserCallLog", 429), legacy)
    sync = ME + "/call-log-sync"
    no_count = api(sim, "GET", sync, alice, params={"syncType": "FSync"})
    conforms(no_count.json(), response_schema("syncUserCallLog", 400), legacy)
    token = api(sim, "GET", sync, alice, params={"recordCount": 1}).json()["syncInfo"]["syncToken"]
    sim.expire_sync_tokens()
    reset = api(sim, "GET", sync, alice, params={"syncType": "ISync", "syncToken": token})
    assert reset.json()["errorCode"] == "CLG-104"
    conforms(reset.json(), response_schema("syncUserCallLog", 400), legacy)
    receiver.echo_token = False
    try:
        mode = {"transportType": "WebHook", "address": receiver.url}
        filters = ["/restapi/v1.0/account/~/extension/~/presence"]
        refused = api(
            sim, "POST", SUBSCRIPTION, alice, json={"eventFilters": filters, "deliveryMode": mode}
        )
    finally:
        receiver.echo_token = True
    assert refused.json()["errorCode"] == "SUB-525"
    conforms(refused.json(), response_schema("createSubscription", 400), legacy)
    no_perm = api(sim, "GET", SUBSCRIPTION + "/nope", alice)
    conforms(no_perm.json(), response_schema("readSubscription", 404), legacy)
