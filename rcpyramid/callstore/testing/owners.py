"""Owners kept apart, listed, forgotten and trimmed; revisions; sync state."""

# ruff: noqa: S106 - the suite's sync tokens are made-up strings, not secrets

from __future__ import annotations

from datetime import timedelta

from rcpyramid.callstore.interfaces import CallHistory, SyncState
from rcpyramid.callstore.testing.data import (
    ALICE,
    BOB,
    COMPANY,
    NOON,
    HistorySuite,
    everything,
    ids,
    make_record,
)


class OwnerTests(HistorySuite):
    """Part of :class:`~rcpyramid.callstore.testing.CallHistoryTests`."""

    # -- owners -----------------------------------------------------------------------------

    def test_one_owner_never_sees_another(self, history: CallHistory) -> None:
        history.merge(ALICE, [make_record("same-id", NOON, name="Alice's caller")])
        history.merge(BOB, [make_record("same-id", NOON, name="Bob's caller")])
        history.merge(BOB, [make_record("bob-only", NOON, name="Bob's other caller")])
        alice = history.get(ALICE, "same-id")
        assert alice is not None and alice["from"]["name"] == "Alice's caller"
        assert history.get(ALICE, "bob-only") is None
        assert ids(history.page(ALICE, everything()).records) == ["same-id"]
        assert self.search(history, ALICE, "bob") == []
        assert self.search(history, BOB, "caller") == ["same-id", "bob-only"]
        assert history.page(COMPANY, everything()).total == 0
        history.save_sync_state(ALICE, SyncState(sync_token="alice-token"))
        assert history.sync_state(BOB) == SyncState()
        history.delete_records(BOB, ["same-id"])
        assert history.get(ALICE, "same-id") == alice
        assert history.revision(ALICE) != history.revision(BOB)

    def test_owners_lists_each_owner_holding_something(self, history: CallHistory) -> None:
        history.merge(BOB, [make_record("rec-1", NOON)])
        history.save_sync_state(COMPANY, SyncState(sync_token="t"))
        history.merge(ALICE, [make_record("rec-1", NOON)])
        assert history.owners() == sorted([ALICE, BOB, COMPANY])
        history.forget(BOB)
        assert history.owners() == sorted([ALICE, COMPANY])

    def test_forget_removes_everything_of_the_owner(self, history: CallHistory) -> None:
        history.merge(ALICE, [make_record("rec-1", NOON)])
        history.merge(BOB, [make_record("rec-1", NOON)])
        history.save_sync_state(ALICE, SyncState(sync_token="t", synced_at=NOON))
        revision = history.revision(ALICE)
        history.forget(ALICE)
        assert history.get(ALICE, "rec-1") is None
        assert history.page(ALICE, everything()).total == 0
        assert history.sync_state(ALICE) == SyncState()
        assert history.revision(ALICE) is None
        assert history.owners() == [BOB]
        assert history.get(BOB, "rec-1") is not None
        history.forget(ALICE)  # forgetting twice is fine
        history.forget("never-seen")
        history.merge(ALICE, [make_record("rec-1", NOON)])
        assert history.revision(ALICE) not in {None, revision}

    def test_trim_removes_records_older_than_the_window(self, history: CallHistory) -> None:
        history.merge(ALICE, [make_record(f"day-{n}", NOON - timedelta(days=n)) for n in range(5)])
        history.merge(BOB, [make_record("day-4", NOON - timedelta(days=4))])
        history.save_sync_state(
            ALICE, SyncState(synced_at=NOON, covers_from=NOON - timedelta(days=10))
        )
        revision = history.revision(ALICE)
        assert history.trim(ALICE, NOON - timedelta(days=2)) == 2
        assert ids(history.page(ALICE, everything()).records) == ["day-0", "day-1", "day-2"]
        assert history.sync_state(ALICE).covers_from == NOON - timedelta(days=2)
        assert history.revision(ALICE) != revision
        assert history.page(BOB, everything()).total == 1
        revision = history.revision(ALICE)
        assert history.trim(ALICE, NOON - timedelta(days=2)) == 0
        assert history.revision(ALICE) == revision
        # A history that does not reach that far back keeps where it starts.
        history.save_sync_state(ALICE, SyncState(covers_from=NOON - timedelta(days=1)))
        history.trim(ALICE, NOON - timedelta(days=2))
        assert history.sync_state(ALICE).covers_from == NOON - timedelta(days=1)

    # -- revision ---------------------------------------------------------------------------

    def test_revision_changes_with_every_change_of_records(self, history: CallHistory) -> None:
        seen: list[str | None] = []

        def step() -> None:
            revision = history.revision(ALICE)
            assert revision is not None and revision not in seen
            seen.append(revision)

        history.merge(ALICE, [make_record("rec-1", NOON)])
        step()
        history.merge(ALICE, [make_record("rec-2", NOON)])
        step()
        history.delete_records(ALICE, ["rec-2"])
        step()
        history.merge(ALICE, [{"id": "rec-1", "deleted": True}])
        step()
        history.merge(ALICE, [make_record("rec-3", NOON - timedelta(days=9))])
        step()
        history.trim(ALICE, NOON)
        step()
        # Sync state is not records.
        history.save_sync_state(ALICE, SyncState(sync_token="t"))
        history.delete_records(ALICE, ["unknown"])
        assert history.revision(ALICE) == seen[-1]

    # -- sync state -------------------------------------------------------------------------

    def test_sync_state_round_trip_in_utc(self, history: CallHistory) -> None:
        state = SyncState(
            sync_token="FAsDAwAAAT8KnL6gBAAAAT8KpCkQCAAAAF0q3WVgCQEKAQwAAAAeDQAAAF3UKlK4Y1WS_Q",
            synced_at=NOON,
            covers_from=NOON - timedelta(days=30),
            backfill_until=NOON - timedelta(days=90),
        )
        history.save_sync_state(ALICE, state)
        got = history.sync_state(ALICE)
        assert got == state
        assert got.backfilling
        for moment in (got.synced_at, got.covers_from, got.backfill_until):
            assert moment is not None and moment.utcoffset() == timedelta(0)
        history.save_sync_state(ALICE, SyncState(synced_at=NOON + timedelta(minutes=1)))
        assert history.sync_state(ALICE) == SyncState(synced_at=NOON + timedelta(minutes=1))
        assert history.page(ALICE, everything()).total == 0
