"""The live history end to end: the app on a real socket, the simulator delivering to it.

Sign-in subscribes and syncs; a placed call comes in through one ISync after the
record delay; a lost sync token, a blacklisted or deleted subscription recover; logout
deletes the subscription at RingCentral and the person's rows. On the memory backend,
SQLite (development's default) and PostgreSQL. The worker is driven with
``run_due_once`` and the app's clock moved, except where the thread itself is tested.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pytest
import webtest

from rcpyramid.callstore.interfaces import HistoryQuery
from rcpyramid.livehistory import LiveHistory
from rcpyramid.livehistory.sync import BACKFILL_PAUSE
from rcpyramid.simulator import serve_in_thread
from rcpyramid.simulator.testing import DEMO_CLIENT, start_simulator, wait_until
from tests.clocks import MovableClock
from tests.conftest import SimulatorHandle, sign_in
from tests.databases import database_settings
from tests.history import HISTORY_SETTINGS
from tests.processes import free_port

RECORD_DELAY = 2.0


@dataclass
class LiveApp:
    web: webtest.TestApp
    live: LiveHistory
    simulator: SimulatorHandle
    clock: MovableClock
    #: bob: not an administrator, so only his own history is kept.
    user: str = "bob"

    @property
    def owner(self) -> str:
        return self.live.keys.person(self.extension_id)

    @property
    def company(self) -> str:
        return self.live.keys.company(str(self.simulator.simulator.directory.account_id))

    @property
    def extension_id(self) -> str:
        return str(self.simulator.simulator.directory.extension_for(self.user).id)

    def due_now(self) -> int:
        """Run the worker as if the record delay had passed; how many histories it synced."""
        self.clock.advance(RECORD_DELAY + 0.1)
        return self.live.worker.run_due_once()

    def record_ids(self) -> set[str]:
        page = self.live.history.page(self.owner, HistoryQuery(limit=None))
        return {str(r["id"]) for r in page.records}

    def subscriptions_here(self) -> list[Any]:
        return self.live.schedule.subscriptions_of(self.owner)

    def poll(self, since: int = 0) -> dict[str, Any]:
        return self.web.get(f"/calls/updates?since={since}").json


def delivering_to(port: int) -> dict[str, str]:
    """Webhooks to the app on ``port``, its worker off (driven by the test)."""
    return {
        "ringcentral.webhook_url": f"http://localhost:{port}/webhooks/ringcentral",
        "rcpyramid.history.record_delay": str(RECORD_DELAY),
        "rcpyramid.history.worker": "false",
        # Within the FSync's 30 days: no backfill unless a test asks for one.
        "rcpyramid.history.days": "30",
    }


@contextmanager
def serving_live_app(
    make_testapp: Callable[..., webtest.TestApp],
    settings: dict[str, str],
    simulator: SimulatorHandle,
    clock: MovableClock,
) -> Iterator[LiveApp]:
    """The app with webhooks to its own socket, its worker driven by the test."""
    port = free_port()
    simulator.set_record_delay(0)
    web = make_testapp(**{**delivering_to(port), **settings})
    running = serve_in_thread(web.app, host="localhost", port=port, threads=8)
    app = LiveApp(web, web.app.registry.live_history, simulator, clock)
    try:
        yield app
    finally:
        app.live.worker.stop()
        running.stop()
        web.app.registry.close_token_store()


@pytest.fixture
def live_app(
    make_testapp: Callable[..., webtest.TestApp],
    history_backend: dict[str, str],
    simulator: SimulatorHandle,
    clock: MovableClock,
) -> Iterator[LiveApp]:
    with serving_live_app(make_testapp, history_backend, simulator, clock) as app:
        yield app


def signed_in(app: LiveApp, histories: int = 1) -> None:
    """Sign in and let the worker subscribe and run the full sync of each history."""
    sign_in(app.web, app.user)
    assert app.live.worker.run_due_once() == histories


def counted(app: LiveApp) -> dict[str, int]:
    counters = app.simulator.counters()
    return {name: counters[name] for name in ("api_calls", "syncs", "subscriptions")}


def test_sign_in_subscribes_validated_and_syncs_the_history(live_app: LiveApp) -> None:
    signed_in(live_app)
    [subscription] = live_app.simulator.subscriptions()
    assert subscription["status"] == "Active"
    assert live_app.simulator.counters()["handshakes"] >= 1
    [here] = live_app.subscriptions_here()
    assert here.id == subscription["id"]
    assert any("presence?detailedTelephonyState=true" in f for f in subscription["eventFilters"])
    assert live_app.record_ids(), "the full sync brought bob's calls"
    poll = live_app.poll()
    # The full sync's 250 newest count as come in; what the backfill added before them not.
    assert 0 < poll["counter"] <= len(live_app.record_ids())
    assert poll["filling"] is False and poll["history_from"]
    # The company's history is for administrators only.
    live_app.web.get("/calls/updates?scope=company", status=403)


def test_a_placed_call_arrives_through_one_isync_after_the_record_delay(
    live_app: LiveApp,
) -> None:
    signed_in(live_app)
    before = live_app.record_ids()
    counter = live_app.poll()["counter"]
    counts = counted(live_app)
    call = live_app.simulator.place_call(live_app.user, result="Missed")
    state = wait_until(
        lambda: (s := live_app.live.schedule.owner(live_app.owner)) and s.due_at and s
    )
    assert state.retries == 1
    # Not yet: the record delay has not passed.
    assert live_app.live.worker.run_due_once() == 0
    assert live_app.due_now() == 1
    assert live_app.record_ids() == before | {call["recordId"]}
    after = counted(live_app)
    # Exactly one ISync, and no other call to RingCentral (no paged call log).
    assert after["syncs"] - counts["syncs"] == 1
    assert after["api_calls"] - counts["api_calls"] == 1
    assert live_app.poll(counter)["new_calls"] == 1


def test_a_record_that_is_late_is_fetched_by_one_more_isync(live_app: LiveApp) -> None:
    signed_in(live_app)
    live_app.simulator.set_record_delay(3600)
    call = live_app.simulator.place_call(live_app.user)
    wait_until(lambda: (s := live_app.live.schedule.owner(live_app.owner)) and s.due_at)
    counts = counted(live_app)
    assert live_app.due_now() == 1
    assert call["recordId"] not in live_app.record_ids()
    live_app.simulator.advance_clock(3600)
    assert live_app.due_now() == 1
    assert call["recordId"] in live_app.record_ids()
    assert counted(live_app)["syncs"] - counts["syncs"] == 2
    # No third: the retry was the one owed.
    assert live_app.due_now() == 0


@pytest.fixture
def filling_app(
    make_testapp: Callable[..., webtest.TestApp],
    history_backend: dict[str, str],
    simulator: SimulatorHandle,
    clock: MovableClock,
) -> Iterator[LiveApp]:
    """The live app keeping 90 days: older than the FSync's 30, so a backfill runs."""
    settings = {**history_backend, "rcpyramid.history.days": "90"}
    with serving_live_app(make_testapp, settings, simulator, clock) as app:
        yield app


def test_while_a_backfill_runs_its_pages_do_not_each_cost_an_isync(filling_app: LiveApp) -> None:
    # Each round's ISync would spend the Heavy budget the backfill waits for: the history
    # would never fill (10 Heavy requests a minute, two histories an administrator).
    signed_in(filling_app)
    assert filling_app.poll()["filling"]
    counts = counted(filling_app)
    filling_app.clock.advance(BACKFILL_PAUSE.total_seconds() + 0.1)
    assert filling_app.live.worker.run_due_once() == 1
    after = counted(filling_app)
    assert after["syncs"] == counts["syncs"]  # the older page alone
    assert after["api_calls"] - counts["api_calls"] == 1
    # A delivery still gets its ISync at once, backfill or not.
    call = filling_app.simulator.place_call(filling_app.user)
    wait_until(lambda: (s := filling_app.live.schedule.owner(filling_app.owner)) and s.retries)
    assert filling_app.due_now() == 1
    assert call["recordId"] in filling_app.record_ids()
    assert counted(filling_app)["syncs"] - after["syncs"] == 1


def test_a_worker_killed_mid_sync_loses_nothing(live_app: LiveApp) -> None:
    signed_in(live_app)
    call = live_app.simulator.place_call(live_app.user)
    wait_until(lambda: (s := live_app.live.schedule.owner(live_app.owner)) and s.due_at)
    # Another process claimed the history, then died before it synced or released it.
    due = live_app.clock() + timedelta(seconds=RECORD_DELAY + 0.1)
    lease = timedelta(seconds=live_app.live.settings.lease)
    assert live_app.live.schedule.claim_due(due, "killed-worker", due + lease, 1)
    assert live_app.due_now() == 0, "one sync per person: the lease holds"
    live_app.clock.advance(lease.total_seconds())
    assert live_app.live.worker.run_due_once() == 1
    assert call["recordId"] in live_app.record_ids()


def test_an_expired_sync_token_is_recovered_by_a_full_sync(live_app: LiveApp) -> None:
    signed_in(live_app)
    live_app.simulator.expire_sync_tokens()
    call = live_app.simulator.place_call(live_app.user)
    wait_until(lambda: (s := live_app.live.schedule.owner(live_app.owner)) and s.due_at)
    counts = counted(live_app)
    assert live_app.due_now() == 1
    assert call["recordId"] in live_app.record_ids()
    # The refused ISync (400 CLG-104), then one FSync; the older history stays covered.
    after = counted(live_app)
    assert (after["api_calls"] - counts["api_calls"], after["syncs"] - counts["syncs"]) == (2, 1)
    assert live_app.poll()["filling"] is False
    assert live_app.live.history.sync_state(live_app.owner).sync_token


def test_a_blacklisted_subscription_is_replaced(live_app: LiveApp) -> None:
    signed_in(live_app)
    [old] = live_app.simulator.subscriptions()
    live_app.simulator.fail_deliveries(1000)
    for _ in range(3):
        live_app.simulator.place_call(live_app.user)
    wait_until(
        lambda: [s for s in live_app.simulator.subscriptions() if s["status"] == "Blacklisted"],
        timeout=30,
    )
    live_app.simulator.fail_deliveries(0)
    # The check on use (every 15 minutes) finds it blacklisted and replaces it.
    live_app.clock.advance(16 * 60)
    live_app.live.schedule.mark_due(live_app.owner, live_app.clock())
    live_app.live.worker.run_due_once()
    active = [s for s in live_app.simulator.subscriptions() if s["status"] == "Active"]
    assert [s["id"] for s in active] != [old["id"]] and len(active) == 1
    assert [s.id for s in live_app.subscriptions_here()] == [active[0]["id"]]


def test_a_subscription_is_renewed_before_it_expires(
    make_testapp: Callable[..., webtest.TestApp],
    simulator: SimulatorHandle,
    clock: MovableClock,
) -> None:
    settings = {"rcpyramid.history.subscription_lifetime": "120"}
    with serving_live_app(make_testapp, settings, simulator, clock) as app:
        signed_in(app)
        [before] = app.subscriptions_here()
        [theirs] = app.simulator.subscriptions()
        # Less than half its life left: the worker's next look renews it at RingCentral.
        clock.advance(70)
        simulator.advance_clock(70)
        app.live.worker.run_due_once()
        [after] = app.subscriptions_here()
        assert after.id == before.id
        assert after.expires_at is not None and before.expires_at is not None
        assert after.expires_at > before.expires_at
        [renewed] = app.simulator.subscriptions()
        assert (
            renewed["status"] == "Active" and renewed["expirationTime"] > theirs["expirationTime"]
        )


def test_a_subscription_deleted_at_ringcentral_is_replaced(live_app: LiveApp) -> None:
    signed_in(live_app)
    [old] = live_app.subscriptions_here()
    # Gone at RingCentral (its 404 from then on), as after a long outage.
    live_app.simulator.simulator.push.store.delete(old.id)
    live_app.clock.advance(16 * 60)
    live_app.live.schedule.mark_due(live_app.owner, live_app.clock())
    live_app.live.worker.run_due_once()
    [new] = live_app.subscriptions_here()
    assert new.id != old.id
    assert [s["id"] for s in live_app.simulator.subscriptions() if s["status"] == "Active"] == [
        new.id
    ]


def test_logout_deletes_the_subscription_and_the_persons_rows(live_app: LiveApp) -> None:
    signed_in(live_app)
    assert live_app.record_ids()
    home = live_app.web.get("/")
    form = next(f for f in home.forms.values() if f.action == "/logout")
    form.submit()
    assert [s for s in live_app.simulator.subscriptions() if s["status"] == "Active"] == []
    assert live_app.subscriptions_here() == []
    assert live_app.record_ids() == set()
    assert live_app.live.schedule.owner(live_app.owner) is None
    assert live_app.live.history.sync_state(live_app.owner).sync_token is None


def test_forged_deliveries_over_http_change_nothing(live_app: LiveApp) -> None:
    signed_in(live_app)
    [row] = live_app.subscriptions_here()
    before = live_app.live.schedule.owner(live_app.owner)
    envelope = {
        "uuid": "1",
        "event": f"/restapi/v1.0/account/1/extension/{live_app.extension_id}/presence",
        "subscriptionId": row.id,
        "ownerId": live_app.extension_id,
        "body": {"activeCalls": [{"telephonyStatus": "NoCall", "terminationType": "final"}]},
    }
    live_app.web.post_json(
        "/webhooks/ringcentral", envelope, headers={"Verification-Token": "guess"}, status=403
    )
    assert live_app.live.schedule.owner(live_app.owner) == before


def test_the_worker_thread_brings_a_call_in_by_itself(live_app: LiveApp) -> None:
    signed_in(live_app)
    live_app.live.worker.start()
    call = live_app.simulator.place_call(live_app.user)
    wait_until(lambda: call["recordId"] in live_app.record_ids(), timeout=RECORD_DELAY + 15)
    assert live_app.poll()["counter"] >= 1


def test_without_a_webhook_address_an_open_page_syncs_at_most_once_a_minute(
    make_testapp: Callable[..., webtest.TestApp],
    simulator: SimulatorHandle,
    clock: MovableClock,
) -> None:
    web = make_testapp(**HISTORY_SETTINGS)
    live: LiveHistory = web.app.registry.live_history
    sign_in(web, "bob")
    live.worker.run_due_once()
    assert simulator.subscriptions() == []
    syncs = simulator.counters()["syncs"]
    simulator.place_call("bob")
    web.get("/calls/updates")
    assert live.worker.run_due_once() == 0, "synced less than a minute ago"
    clock.advance(61)
    web.get("/calls/updates")
    web.get("/calls/updates")
    assert live.worker.run_due_once() == 1
    assert live.worker.run_due_once() == 0
    assert simulator.counters()["syncs"] - syncs == 1


def test_an_administrator_also_keeps_the_company_history_until_signing_out(
    live_app: LiveApp,
) -> None:
    live_app.user = "alice"
    signed_in(live_app, histories=2)
    [subscription] = live_app.simulator.subscriptions()
    assert any("/presence?" in f and "/extension/" not in f for f in subscription["eventFilters"])
    company = live_app.live.history.page(live_app.company, HistoryQuery(limit=None))
    assert company.total >= len(live_app.record_ids()) > 0
    counts = counted(live_app)
    call = live_app.simulator.place_call("alice")
    for owner in (live_app.owner, live_app.company):
        wait_until(lambda o=owner: (s := live_app.live.schedule.owner(o)) and s.retries == 1)
    # The company's backfill may ask for its next page a few seconds later too.
    live_app.clock.advance(10)
    assert live_app.live.worker.run_due_once() == 2
    assert call["recordId"] in live_app.record_ids()
    assert live_app.live.history.get(live_app.company, call["recordId"]) is not None
    assert counted(live_app)["syncs"] - counts["syncs"] == 2
    assert live_app.web.get("/calls/updates?scope=company").json["counter"] > 0
    home = live_app.web.get("/")
    next(f for f in home.forms.values() if f.action == "/logout").submit()
    assert live_app.live.history.owners() == []
    assert live_app.live.schedule.owners() == []


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_database(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[dict[str, str]]:
    """Settings of a database two app instances share."""
    with database_settings(request.param, tmp_path) as settings:
        yield settings


def test_two_instances_a_delivery_to_one_the_page_open_on_the_other(
    make_testapp: Callable[..., webtest.TestApp],
    shared_database: dict[str, str],
    simulator: SimulatorHandle,
    clock: MovableClock,
) -> None:
    port = free_port()
    simulator.set_record_delay(0)
    settings = {**shared_database, **delivering_to(port)}
    one, other = make_testapp(**settings), make_testapp(**settings)
    # RingCentral delivers to the first instance only.
    running = serve_in_thread(one.app, host="localhost", port=port, threads=8)
    try:
        first = LiveApp(one, one.app.registry.live_history, simulator, clock)
        second = LiveApp(other, other.app.registry.live_history, simulator, clock)
        signed_in(first)
        # The same browser on the other instance: its session cookie is good there too.
        other.cookiejar = one.cookiejar
        counter = second.poll()["counter"]
        assert counter > 0
        call = simulator.place_call("bob")
        wait_until(lambda: (s := second.live.schedule.owner(second.owner)) and s.due_at)
        # Either instance's worker may take it; here the other one does.
        assert second.due_now() == 1
        assert second.poll(counter)["new_calls"] == 1
        assert call["recordId"] in first.record_ids()
        assert first.live.worker.run_due_once() == 0, "nothing left for the first"
    finally:
        running.stop()
        one.app.registry.close_token_store()
        other.app.registry.close_token_store()


def test_a_dump_of_the_database_names_no_number_name_or_id(
    make_testapp: Callable[..., webtest.TestApp],
    shared_database: dict[str, str],
    simulator: SimulatorHandle,
    clock: MovableClock,
) -> None:
    with serving_live_app(make_testapp, shared_database, simulator, clock) as app:
        app.user = "alice"
        signed_in(app, histories=2)
        call = simulator.place_call("alice", other="+16505550123", other_name="Zoë Quist")
        for owner in (app.owner, app.company):
            wait_until(lambda o=owner: (s := app.live.schedule.owner(o)) and s.retries == 1)
        app.clock.advance(10)
        app.live.worker.run_due_once()
        assert call["recordId"] in app.record_ids()
        engine = app.web.app.registry["dbsession_factory"].kw["bind"]

        def dump(*tables: str) -> str:
            with engine.connect() as conn:
                return "\n".join(
                    repr(tuple(row))
                    for table in tables
                    for row in conn.exec_driver_sql(f"SELECT * FROM {table}")  # noqa: S608
                )

        everything = dump("call_records", "call_histories", *LIVE_TABLES)
        for secret in ("6505550123", "Zoë Quist", "Alice Smith"):
            assert secret not in everything, secret
        # The live tables name no RingCentral id and no login id either (keyed hashes).
        live = dump(*LIVE_TABLES)
        account = str(simulator.simulator.directory.account_id)
        login_id = app.live.schedule.logins_of(app.owner)[0].login_id
        for secret in (app.extension_id, account, login_id):
            assert secret not in live


LIVE_TABLES = ("live_owners", "live_logins", "live_subscriptions")


def test_an_app_without_read_presence_syncs_without_webhooks_and_does_not_insist(
    make_testapp: Callable[..., webtest.TestApp], clock: MovableClock
) -> None:
    client = replace(DEMO_CLIENT, permissions=("ReadAccounts", "ReadCallLog"))
    with (
        start_simulator(clients=(client,)) as simulator,
        serving_live_app(
            make_testapp, {"ringcentral.server_url": simulator.url}, simulator, clock
        ) as app,
    ):
        signed_in(app)
        assert simulator.subscriptions() == []
        assert app.record_ids(), "the history is there all the same"
        calls = simulator.counters()["api_calls"]
        app.live.schedule.mark_due(app.owner, clock())
        assert app.live.worker.run_due_once() == 1
        # One ISync; no second try at the subscription for a while.
        assert simulator.counters()["api_calls"] - calls == 1
