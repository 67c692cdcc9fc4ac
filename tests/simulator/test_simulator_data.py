"""The demo data: deterministic from the seed, fast to build, shaped as the app expects."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import pytest

from rcpyramid.simulator import DEMO_USERS, Simulator, SimulatorConfig
from rcpyramid.simulator.callgen import day_records
from rcpyramid.simulator.calllog import CallLog
from rcpyramid.simulator.directory import EXTENSION_STATUSES, EXTENSION_TYPES, Directory


@pytest.fixture
def simulator_data(sim_clock):
    return Simulator(SimulatorConfig(clock=sim_clock)), sim_clock()


def test_demo_users():
    users = {u.username: u for u in DEMO_USERS}
    assert set(users) == {"alice", "bob", "carol"}
    assert (users["alice"].password, users["alice"].name) == ("alice-demo", "Alice Smith")
    assert (users["alice"].extension_number, users["alice"].admin) == ("101", True)
    assert (users["bob"].password, users["bob"].name) == ("bob-demo", "Bob Johnson")
    assert (users["bob"].extension_number, users["bob"].admin) == ("102", False)
    assert users["carol"].name == 'Carol "<b>O\'Hara</b>" & Sons'
    assert (users["carol"].password, users["carol"].extension_number) == ("carol-demo", "103")
    assert not users["carol"].admin


def test_directory_is_deterministic_and_varied():
    one, two, other = Directory(5), Directory(5), Directory(6)
    assert one.extensions == two.extensions and one.account_id == two.account_id
    assert [e.id for e in one.extensions] != [e.id for e in other.extensions]
    assert len(one.extensions) >= 120
    assert len({e.id for e in one.extensions}) == len(one.extensions)
    assert len({e.extension_number for e in one.extensions}) == len(one.extensions)
    types = Counter(e.type for e in one.extensions)
    for kind in EXTENSION_TYPES:
        assert types[kind] >= 3, kind
    statuses = Counter(e.status for e in one.extensions)
    for status in EXTENSION_STATUSES:
        assert statuses[status] >= 3, status
    assert any(e.status is None for e in one.extensions if e.type == "Announcement")
    zones = Counter(e.region.timezone for e in one.extensions if e.type == "User")
    assert len(zones) >= 5 and all(n >= 2 for n in zones.values())
    assert one.extensions == Directory(5).extensions  # the zones are seeded too
    names = {e.name for e in one.extensions}
    assert '<script>alert("x")</script>' in names and "O'Brien & <Sons>" in names
    assert all(isinstance(e.id, int) for e in one.extensions)


def test_data_builds_fast_and_is_deterministic(sim_clock):
    # This thread's CPU time, best of three cold builds: other tests' server threads
    # must not make the check flaky.
    timings = []
    for _ in range(3):
        day_records.cache_clear()
        started = time.thread_time()
        sim = Simulator(SimulatorConfig(clock=sim_clock, seed=424242))
        timings.append(time.thread_time() - started)
    assert min(timings) < 0.5
    again = CallLog(424242, Directory(424242), sim_clock().date())
    assert len(sim.call_log) == len(again) >= 3000
    now = sim_clock()
    window = {"date_from": now - timedelta(days=31), "date_to": now, "now": now}
    ids = [r.id for r in sim.call_log.query(owner_id=None, **window)]
    assert ids == [r.id for r in again.query(owner_id=None, **window)]
    other = Simulator(SimulatorConfig(clock=sim_clock, seed=1))
    assert ids[:50] != [r.id for r in other.call_log.query(owner_id=None, **window)][:50]


def test_alice_has_60_records_in_every_24_hour_window(simulator_data):
    sim, now = simulator_data
    alice = sim.directory.extension_for("alice").id
    for hours_back in range(0, 24 * 89, 5):
        end = now - timedelta(hours=hours_back, minutes=hours_back % 60)
        found = sim.call_log.query(
            owner_id=alice, date_from=end - timedelta(hours=24), date_to=end, now=now
        )
        assert len(found) >= 60, end
    for name in ("bob", "carol"):
        owner = sim.directory.extension_for(name).id
        found = sim.call_log.query(
            owner_id=owner, date_from=now - timedelta(hours=24), date_to=now, now=now
        )
        assert found, name


def test_records_are_newest_first_and_cover_ninety_days(simulator_data):
    sim, now = simulator_data
    records = sim.call_log.query(
        owner_id=None, date_from=now - timedelta(days=100), date_to=now, now=now
    )
    starts = [r.start_ms for r in records]
    assert starts == sorted(starts, reverse=True)
    assert records[-1].start <= now - timedelta(days=90)
    assert Counter(r.type for r in records).keys() == {"Voice", "Fax"}
    assert any(r.recording for r in records) and any(r.extra_leg_type for r in records)


def test_the_window_moves_with_the_clock(sim_clock):
    sim = Simulator(SimulatorConfig(clock=sim_clock))
    anchor = sim.call_log.anchor_day
    sim_clock.advance(3 * 86400)
    now = sim.clock.now()
    found = sim.call_log.query(
        owner_id=sim.directory.extension_for("alice").id,
        date_from=now - timedelta(hours=24),
        date_to=now,
        now=now,
    )
    assert len(found) >= 60
    assert sim.call_log.anchor_day == anchor + timedelta(days=3)
