"""The webhook receiver over the real app: the handshake, the checks, what a delivery marks."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
import webtest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rcpyramid.callstore.schedule import COMPANY, PERSON, SubscriptionRow
from rcpyramid.livehistory import LiveHistory
from tests.clocks import MovableClock

URL = "/webhooks/ringcentral"
EXTENSION, ACCOUNT = "101", "9001"
RIGHT = "the-right-verification-token"


@pytest.fixture
def app(
    make_testapp: Callable[..., webtest.TestApp], history_backend: dict[str, str]
) -> Iterator[webtest.TestApp]:
    app = make_testapp(
        **history_backend,
        **{"rcpyramid.history.record_delay": "30", "rcpyramid.history.worker": "false"},
    )
    yield app
    app.app.registry.close_token_store()


def live_of(app: webtest.TestApp) -> LiveHistory:
    return app.app.registry.live_history


@pytest.fixture
def subscribed(app: webtest.TestApp, clock: MovableClock) -> str:
    """A person's history, synced and not due, with a subscription; its owner key."""
    live = live_of(app)
    owner = live.keys.person(EXTENSION)
    live.schedule.ensure_owner(owner, PERSON, clock())
    [claimed] = live.schedule.claim_due(clock(), "test", clock() + timedelta(seconds=30), 1)
    live.schedule.release(owner, "test", claimed.due_seq, None, 0)
    live.schedule.save_subscription(
        SubscriptionRow(
            "sub-1",
            owner,
            token_hash=live.keys.token(RIGHT),
            expires_at=clock() + timedelta(days=7),
            created_at=clock(),
            checked_at=clock(),
        )
    )
    return owner


def delivery(**overrides: Any) -> dict[str, Any]:
    envelope: dict[str, Any] = {
        "uuid": "4471946713829374",
        "event": f"/restapi/v1.0/account/{ACCOUNT}/extension/{EXTENSION}/presence",
        "timestamp": "2026-12-04T12:00:00.000Z",
        "subscriptionId": "sub-1",
        "ownerId": EXTENSION,
        "body": {
            "extensionId": EXTENSION,
            "telephonyStatus": "NoCall",
            "activeCalls": [{"id": "c1", "telephonyStatus": "NoCall", "terminationType": "final"}],
        },
    }
    envelope.update(overrides)
    return envelope


def post(app: webtest.TestApp, envelope: Any, status: int, **headers: str) -> webtest.TestResponse:
    return app.post(
        URL,
        json.dumps(envelope).encode(),
        headers={"Content-Type": "application/json", **headers},
        status=status,
    )


def test_the_handshake_echoes_the_validation_token_with_no_body(app: webtest.TestApp) -> None:
    answer = app.post(URL, b"", headers={"Validation-Token": "abc-123_XYZ"}, status=200)
    assert answer.headers["Validation-Token"] == "abc-123_XYZ"
    assert answer.body == b""
    # RingCentral refuses an answer over 1024 bytes, headers included.
    size = len(f"HTTP/1.1 {answer.status}\r\n") + sum(
        len(f"{name}: {value}\r\n") for name, value in answer.headerlist
    )
    assert size <= 1024


def test_a_delivery_with_the_right_token_makes_the_history_due_after_the_record_delay(
    app: webtest.TestApp, subscribed: str, clock: MovableClock
) -> None:
    before = clock()
    post(app, delivery(), 200, **{"Verification-Token": RIGHT})
    state = live_of(app).schedule.owner(subscribed)
    assert state is not None and state.due_at is not None and state.retries == 1
    assert before + timedelta(seconds=30) <= state.due_at <= clock() + timedelta(seconds=30)


@pytest.mark.parametrize(
    ("envelope", "headers", "status"),
    [
        (delivery(), {"Verification-Token": "wrong"}, 403),
        (delivery(), {}, 403),
        (delivery(), {"Validation-Token": RIGHT}, 403),
        (delivery(subscriptionId="sub-unknown"), {"Verification-Token": RIGHT}, 404),
        (delivery(ownerId="102"), {"Verification-Token": RIGHT}, 403),
        (
            delivery(event=f"/restapi/v1.0/account/{ACCOUNT}/extension/102/presence"),
            {"Verification-Token": RIGHT},
            403,
        ),
        (delivery(subscriptionId=None), {"Verification-Token": RIGHT}, 400),
        (["not", "an", "object"], {"Verification-Token": RIGHT}, 400),
    ],
    ids=[
        "wrong-token",
        "no-token",
        "token-in-validation-header",
        "unknown-subscription",
        "another-owner",
        "another-extensions-event",
        "no-subscription",
        "not-an-object",
    ],
)
def test_forged_deliveries_are_refused_and_change_nothing(
    app: webtest.TestApp,
    subscribed: str,
    envelope: Any,
    headers: dict[str, str],
    status: int,
) -> None:
    before = live_of(app).schedule.owner(subscribed)
    post(app, envelope, status, **headers)
    assert live_of(app).schedule.owner(subscribed) == before


def test_not_json_and_oversized_bodies_are_refused(app: webtest.TestApp, subscribed: str) -> None:
    app.post(URL, b"{not json", headers={"Verification-Token": RIGHT}, status=400)
    big = json.dumps(delivery(padding="x" * 70_000)).encode()
    app.post(URL, big, headers={"Verification-Token": RIGHT}, status=413)
    state = live_of(app).schedule.owner(subscribed)
    assert state is not None and state.due_at is None


def test_duplicates_and_events_that_end_no_call_change_nothing(
    app: webtest.TestApp, subscribed: str
) -> None:
    token = {"Verification-Token": RIGHT}
    post(app, delivery(), 200, **token)
    first = live_of(app).schedule.owner(subscribed)
    post(app, delivery(), 200, **token)
    assert live_of(app).schedule.owner(subscribed) == first
    ringing = delivery(
        uuid="other",
        body={"activeCalls": [{"telephonyStatus": "Ringing", "terminationType": "intermediate"}]},
    )
    post(app, ringing, 200, **token)
    assert live_of(app).schedule.owner(subscribed) == first


def test_a_reminder_flags_the_subscription_for_renewal(
    app: webtest.TestApp, subscribed: str
) -> None:
    reminder = delivery(
        event="/restapi/v1.0/subscription/sub-1?threshold=86400&interval=21600",
        body={"expiresIn": 80000},
    )
    post(app, reminder, 200, **{"Verification-Token": RIGHT})
    row = live_of(app).schedule.subscription("sub-1")
    assert row is not None and row.renew
    # The worker's next round for the person renews it.
    state = live_of(app).schedule.owner(subscribed)
    assert state is not None and state.due_at is not None


def test_the_poll_needs_a_signed_in_person(app: webtest.TestApp) -> None:
    answer = app.get("/calls/updates", status=401)
    assert answer.json == {"signed_in": False}
    assert answer.headers["Cache-Control"] == "no-store"


def test_the_accounts_presence_going_back_to_no_call_makes_the_company_history_due(
    app: webtest.TestApp, subscribed: str, clock: MovableClock
) -> None:
    live = live_of(app)
    company = live.keys.company(ACCOUNT)
    live.schedule.ensure_owner(company, COMPANY, clock())
    [claimed] = live.schedule.claim_due(clock(), "test", clock() + timedelta(seconds=30), 1)
    live.schedule.release(company, "test", claimed.due_seq, None, 0)
    row = live.schedule.subscription("sub-1")
    assert row is not None
    live.schedule.save_subscription(replace(row, company=company))
    # The account's presence has no activeCalls (RingCentral's spec), only the status.
    account_event = delivery(
        event=f"/restapi/v1.0/account/{ACCOUNT}/presence?detailedTelephonyState=true",
        body={"extensionId": "102", "telephonyStatus": "NoCall", "presenceStatus": "Available"},
    )
    post(app, account_event, 200, **{"Verification-Token": RIGHT})
    state = live.schedule.owner(company)
    assert state is not None and state.due_at is not None
    person = live.schedule.owner(subscribed)
    assert person is not None and person.due_at is None
    # Another account's events are not this subscription's to report.
    other = delivery(
        uuid="2", event="/restapi/v1.0/account/777/presence", body=account_event["body"]
    )
    post(app, other, 403, **{"Verification-Token": RIGHT})


def test_a_delivery_is_read_whatever_content_type_it_claims(
    app: webtest.TestApp, subscribed: str
) -> None:
    # Parsed as a form on the way in (no JSON content type), the body is still the JSON.
    app.post(URL, json.dumps(delivery()).encode(), headers={"Verification-Token": RIGHT})
    state = live_of(app).schedule.owner(subscribed)
    assert state is not None and state.due_at is not None


_HEADER_TEXT = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=0, max_size=300
)
#: The fuzzed receiver tests run on the memory backend: what they check is the receiver's.
ON_MEMORY = pytest.mark.parametrize("history_backend", ["memory"], indirect=True)
#: 150 bodies each; the app is made once per test (function-scoped), not per example.
FUZZED = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

_ENVELOPES = st.one_of(
    st.binary(max_size=3000),
    st.builds(
        lambda envelope: json.dumps(envelope).encode(),
        st.dictionaries(
            st.sampled_from(["uuid", "event", "subscriptionId", "ownerId", "body", "timestamp"]),
            st.recursive(
                st.none() | st.booleans() | st.integers() | st.text(max_size=40),
                lambda inner: (
                    st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=10), inner, max_size=4)
                ),
                max_leaves=12,
            ),
        ),
    ),
)


@ON_MEMORY
@FUZZED
@given(body=_ENVELOPES, token=_HEADER_TEXT, validation=st.none() | _HEADER_TEXT)
def test_the_receiver_answers_any_bytes_with_a_status_and_changes_nothing_unless_genuine(
    app: webtest.TestApp,
    subscribed: str,
    body: bytes,
    token: str,
    validation: str | None,
) -> None:
    before = live_of(app).schedule.owner(subscribed)
    headers = {"Verification-Token": token}
    if validation is not None:
        headers["Validation-Token"] = validation
    answer = app.post(URL, body, headers=headers, expect_errors=True)
    assert answer.status_int in {200, 400, 403, 404, 413}
    assert live_of(app).schedule.owner(subscribed) == before, "no genuine token, no effect"


_JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=60),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=16), inner, max_size=5)
    ),
    max_leaves=20,
)


@ON_MEMORY
@FUZZED
@given(
    event=st.one_of(
        _JSONISH,
        st.sampled_from(
            [
                f"/restapi/v1.0/account/{ACCOUNT}/extension/{EXTENSION}/presence",
                f"/restapi/v1.0/account/{ACCOUNT}/presence",
                f"/restapi/v1.0/account/{ACCOUNT}/extension/{EXTENSION}/telephony/sessions",
                "/restapi/v1.0/subscription/sub-1",
            ]
        ),
    ),
    body=_JSONISH,
    owner=st.one_of(st.just(EXTENSION), _JSONISH),
)
def test_a_genuine_subscription_with_any_event_and_body_never_fails(
    app: webtest.TestApp, subscribed: str, event: Any, body: Any, owner: Any
) -> None:
    envelope = delivery(event=event, body=body, ownerId=owner, uuid=None)
    answer = app.post(
        URL,
        json.dumps(envelope).encode(),
        headers={"Verification-Token": RIGHT},
        expect_errors=True,
    )
    assert answer.status_int in {200, 400, 403}
