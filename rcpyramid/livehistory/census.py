"""How the webhook subscriptions stand: for ``/readyz``, the metrics and an operator.

A person's subscription that expired or that RingCentral blacklisted is that person's
problem, fixed by the worker's next check (their history is kept current by syncs
meanwhile): it never makes the process not ready. What an operator wants to know is
how many work and how many do not, and whether that grows: ``/readyz`` says
``"3 active, 1 failing"`` under ``subscriptions``, and ``rcpyramid_subscriptions{state}``
counts each state. The count reads the shared schedule, so every process tells the
same; it is taken at most every :data:`CENSUS_EVERY` per process.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from rcpyramid.callstore.schedule import ACTIVE, PERSON, LiveSchedule
from rcpyramid.clock import Clock
from rcpyramid.ops import metrics

#: Seconds a census is reused (a readiness probe every few seconds reads the schedule
#: once per this, not on every probe).
CENSUS_EVERY = 30.0
#: Every state counted, so each gauge is set (to 0 when none is in it).
STATES = ("active", "expired", "blacklisted", "suspended", "missing", "other")
FAILING = frozenset(STATES) - {"active"}


@dataclass(frozen=True)
class Census:
    by_state: dict[str, int] = field(default_factory=dict)
    #: Seconds until the soonest active subscription expires (None: none is active).
    soonest_expiry: float | None = None

    @property
    def active(self) -> int:
        return self.by_state.get("active", 0)

    @property
    def failing(self) -> int:
        return sum(self.by_state.get(state, 0) for state in FAILING)

    def words(self) -> str:
        return f"{self.active} active, {self.failing} failing"


def state_of(status: str, expires_at: datetime | None, now: datetime) -> str:
    if expires_at is not None and expires_at <= now:
        return "expired"
    if status == ACTIVE:
        return "active"
    word = status.lower()
    return word if word in STATES else "other"


def take_census(schedule: LiveSchedule, now: datetime) -> Census:
    """Every person's subscriptions by state; a person synced without one is ``missing``.

    Missing: RingCentral refused it (the ReadPresence permission) or it could not be
    made; the worker asks again every 15 minutes.
    """
    counts: Counter[str] = Counter({state: 0 for state in STATES})
    soonest: float | None = None
    for owner in schedule.owners():
        state = schedule.owner(owner)
        if state is None or state.kind != PERSON:
            continue
        rows = schedule.subscriptions_of(owner)
        if not rows and state.last_sync_at is not None:
            counts["missing"] += 1
        for row in rows:
            word = state_of(row.status, row.expires_at, now)
            counts[word] += 1
            if word == "active" and row.expires_at is not None:
                left = (row.expires_at - now).total_seconds()
                soonest = left if soonest is None else min(soonest, left)
    return Census(dict(counts), soonest)


class CensusTaker:
    """The latest census of this process, taken again once it is :data:`CENSUS_EVERY` old."""

    def __init__(self, schedule: LiveSchedule, clock: Clock) -> None:
        self.schedule = schedule
        self.clock = clock
        self._lock = threading.Lock()
        self._latest: tuple[float, Census] | None = None

    def latest(self, *, fresh: bool = False) -> Census:
        with self._lock:
            held = self._latest
        if not fresh and held is not None and time.monotonic() - held[0] < CENSUS_EVERY:
            return held[1]
        census = take_census(self.schedule, self.clock())
        metrics.subscriptions(census.by_state, census.soonest_expiry)
        with self._lock:
            self._latest = (time.monotonic(), census)
        return census
