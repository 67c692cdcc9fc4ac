"""What an operator sees of the live history: /metrics after each event, and /readyz.

The app serves on a real socket and the simulator delivers to it (SQLite, development's
default backend); the worker is driven by the test. Counters are process-wide, so every
test reads them before and after its event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
import webtest

from rcpyramid.callstore.schedule import SubscriptionRow
from rcpyramid.livehistory import census
from rcpyramid.simulator.testing import wait_until
from tests.clocks import MovableClock
from tests.conftest import SimulatorHandle
from tests.databases import TEST_KEYS, sqlite_url
from tests.live.test_live_history import LiveApp, serving_live_app, signed_in
from tests.ops.test_metrics import LOOPBACK, Samples, samples, value

TOKEN = "metrics-bearer-token-" + "m" * 32


@pytest.fixture
def metered(
    make_testapp: Callable[..., webtest.TestApp],
    simulator: SimulatorHandle,
    clock: MovableClock,
    tmp_path: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[LiveApp]:
    # Each scrape counts the subscriptions afresh.
    monkeypatch.setattr(census, "CENSUS_EVERY", 0.0)
    settings = {
        "rcpyramid.metrics": "true",
        "rcpyramid.metrics.token": TOKEN,
        "rcpyramid.tokens.backend": "rcpyramid.tokens.sqla.SQLAlchemyTokenRepository",
        "rcpyramid.tokens.keys": TEST_KEYS,
        "rcpyramid.database.auto_upgrade": "true",
        "sqlalchemy.url": sqlite_url(tmp_path),
    }
    with serving_live_app(make_testapp, settings, simulator, clock) as app:
        yield app


def scrape(app: LiveApp) -> Samples:
    return samples(app.web.get("/metrics", extra_environ=LOOPBACK).text)


def deliveries(read: Samples, result: str, reason: str) -> float:
    return value(read, "rcpyramid_webhook_deliveries_total", result=result, reason=reason)


def syncs(read: Samples, kind: str, result: str) -> float:
    return value(read, "rcpyramid_syncs_total", kind=kind, result=result)


def changes(read: Samples, action: str, result: str = "ok") -> float:
    return value(read, "rcpyramid_subscription_changes_total", action=action, result=result)


def test_a_call_end_counts_one_accepted_delivery_its_lag_and_one_isync(metered: LiveApp) -> None:
    before = scrape(metered)
    signed_in(metered)
    signed = scrape(metered)
    assert syncs(signed, "FSync", "ok") - syncs(before, "FSync", "ok") == 1
    assert changes(signed, "created") - changes(before, "created") == 1
    assert deliveries(signed, "handshake", "validation") > deliveries(
        before, "handshake", "validation"
    )
    lag = "rcpyramid_webhook_event_lag_seconds_count"
    metered.simulator.place_call(metered.user)
    wait_until(
        lambda: (
            deliveries(scrape(metered), "accepted", "call_ended")
            > deliveries(signed, "accepted", "call_ended")
        )
    )
    assert metered.due_now() == 1
    after = scrape(metered)
    assert value(after, lag) > value(signed, lag)
    assert syncs(after, "ISync", "ok") - syncs(signed, "ISync", "ok") == 1


def test_refused_and_duplicate_deliveries_are_counted_apart(metered: LiveApp) -> None:
    signed_in(metered)
    [row] = metered.subscriptions_here()
    envelope = {
        "uuid": "forged-1",
        "event": f"/restapi/v1.0/account/1/extension/{metered.extension_id}/presence",
        "subscriptionId": row.id,
        "body": {"activeCalls": [{"telephonyStatus": "NoCall", "terminationType": "final"}]},
    }
    before = scrape(metered)
    metered.web.post_json(
        "/webhooks/ringcentral", envelope, headers={"Verification-Token": "guess"}, status=403
    )
    unknown = {**envelope, "subscriptionId": "not-one-of-ours"}
    metered.web.post_json(
        "/webhooks/ringcentral", unknown, headers={"Verification-Token": "guess"}, status=404
    )
    after = scrape(metered)
    assert deliveries(after, "refused", "bad_token") - deliveries(before, "refused", "bad_token")
    assert deliveries(after, "refused", "unknown_subscription") - deliveries(
        before, "refused", "unknown_subscription"
    )
    # The simulator sends each delivery twice, as RingCentral may.
    metered.simulator.delivery_quirks(duplicate=1)
    metered.simulator.place_call(metered.user)
    wait_until(
        lambda: (
            deliveries(scrape(metered), "duplicate", "duplicate")
            > deliveries(after, "duplicate", "duplicate")
        )
    )


def test_a_lost_sync_token_counts_as_lost_then_a_full_sync(metered: LiveApp) -> None:
    signed_in(metered)
    metered.simulator.expire_sync_tokens()
    metered.simulator.place_call(metered.user)
    wait_until(lambda: (s := metered.live.schedule.owner(metered.owner)) and s.due_at)
    before = scrape(metered)
    assert metered.due_now() == 1
    after = scrape(metered)
    assert syncs(after, "ISync", "token_lost") - syncs(before, "ISync", "token_lost") == 1
    assert syncs(after, "FSync", "ok") - syncs(before, "FSync", "ok") == 1


def test_renewals_and_replacements_are_counted(metered: LiveApp) -> None:
    signed_in(metered)
    before = scrape(metered)
    # A reminder came: the next check renews it.
    [row] = metered.subscriptions_here()
    metered.live.schedule.flag_renewal(row.id)
    metered.live.schedule.mark_due(metered.owner, metered.clock())
    metered.clock.advance(16 * 60)
    metered.live.worker.run_due_once()
    renewed = scrape(metered)
    assert changes(renewed, "renewed") - changes(before, "renewed") == 1
    # Gone at RingCentral: replaced.
    metered.simulator.simulator.push.store.delete(row.id)
    metered.clock.advance(16 * 60)
    metered.live.schedule.mark_due(metered.owner, metered.clock())
    metered.live.worker.run_due_once()
    after = scrape(metered)
    assert changes(after, "replaced") - changes(renewed, "replaced") == 1


def test_readyz_counts_subscriptions_and_stays_ready_when_one_fails(metered: LiveApp) -> None:
    signed_in(metered)
    ready = metered.web.get("/readyz")
    assert ready.json["checks"]["subscriptions"] == "1 active, 0 failing"
    read = scrape(metered)
    assert value(read, "rcpyramid_subscriptions", state="active") == 1
    assert value(read, "rcpyramid_subscription_expiry_seconds") > 0
    # The person's subscription expired unnoticed (a missed renewal): still ready, and said.
    [row] = metered.subscriptions_here()
    lapsed = replace(row, expires_at=metered.clock() - timedelta(seconds=1))
    metered.live.schedule.save_subscription(lapsed)
    expired = metered.web.get("/readyz")
    assert expired.json["status"] == "ok"
    assert expired.json["checks"]["subscriptions"] == "0 active, 1 failing"
    assert value(scrape(metered), "rcpyramid_subscriptions", state="expired") == 1


def test_a_person_synced_without_a_subscription_counts_as_failing(metered: LiveApp) -> None:
    signed_in(metered)
    [row] = metered.subscriptions_here()
    metered.live.schedule.delete_subscription(row.id)
    assert metered.web.get("/readyz").json["checks"]["subscriptions"] == "0 active, 1 failing"
    blacklisted = SubscriptionRow(
        id="sub-blacklisted",
        owner=metered.owner,
        status="Blacklisted",
        expires_at=metered.clock() + timedelta(days=1),
    )
    metered.live.schedule.save_subscription(blacklisted)
    assert metered.web.get("/readyz").json["checks"]["subscriptions"] == "0 active, 1 failing"
    assert value(scrape(metered), "rcpyramid_subscriptions", state="blacklisted") == 1
