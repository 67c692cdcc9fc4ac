"""Records stored whole, the newest version kept, deletions and malformed records."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from rcpyramid.callstore.interfaces import CallHistory, HistoryQuery, SyncState
from rcpyramid.callstore.testing.data import (
    ALICE,
    BOB,
    NOON,
    HistorySuite,
    everything,
    ids,
    iso,
    make_record,
)


class StoringTests(HistorySuite):
    """Part of :class:`~rcpyramid.callstore.testing.CallHistoryTests`."""

    # -- storing records ----------------------------------------------------------------------

    def test_says_whether_it_is_shared_across_processes(self, history: CallHistory) -> None:
        assert isinstance(type(history).shared_across_processes, bool)

    def test_a_new_owner_has_nothing(self, history: CallHistory) -> None:
        assert history.page(ALICE, HistoryQuery()).records == []
        assert history.page(ALICE, HistoryQuery()).total == 0
        assert history.entries(ALICE, HistoryQuery()) == []
        assert history.get(ALICE, "nothing") is None
        assert history.revision(ALICE) is None
        assert history.sync_state(ALICE) == SyncState()
        assert history.owners() == []

    def test_records_come_back_whole_and_unchanged(self, history: CallHistory) -> None:
        record = make_record(
            "rec-1",
            NOON,
            modified=NOON,
            name="Zoë Ångström 王",
            recording={"id": "9", "type": "Automatic", "contentUri": "https://media.example/9"},
            billing={"costIncluded": 0.0, "costPurchased": 0.25},
        )
        merged = history.merge(ALICE, [record])
        assert merged.added == ("rec-1",) and merged.changed
        assert history.get(ALICE, "rec-1") == record
        assert history.page(ALICE, HistoryQuery()).records == [record]

    def test_the_store_keeps_its_own_copies(self, history: CallHistory) -> None:
        record = make_record("rec-1", NOON)
        history.merge(ALICE, [record])
        original = copy.deepcopy(record)
        record["from"]["name"] = "changed by the caller"
        got = history.get(ALICE, "rec-1")
        assert got == original
        assert got is not None
        got["to"]["name"] = "changed by a reader"
        assert history.get(ALICE, "rec-1") == original

    def test_merging_the_same_records_again_changes_nothing(self, history: CallHistory) -> None:
        batch = [
            make_record(f"rec-{n}", NOON - timedelta(minutes=n), modified=NOON) for n in range(5)
        ]
        history.merge(ALICE, batch)
        revision = history.revision(ALICE)
        again = history.merge(ALICE, batch)
        assert (again.added, again.updated, again.deleted) == ((), (), ())
        assert not again.changed
        assert history.revision(ALICE) == revision
        assert history.page(ALICE, everything()).records == batch

    def test_a_newer_version_replaces_the_stored_one(self, history: CallHistory) -> None:
        history.merge(ALICE, [make_record("rec-1", NOON, result="In Progress", modified=NOON)])
        later = make_record("rec-1", NOON, result="Accepted", modified=NOON + timedelta(seconds=30))
        merged = history.merge(ALICE, [later])
        assert merged.updated == ("rec-1",) and merged.added == ()
        assert history.get(ALICE, "rec-1") == later
        assert history.page(ALICE, everything()).total == 1

    def test_an_older_version_never_overwrites_a_newer_one(self, history: CallHistory) -> None:
        newer = make_record("rec-1", NOON, result="Accepted", modified=NOON + timedelta(seconds=30))
        older = make_record("rec-1", NOON, result="In Progress", modified=NOON)
        history.merge(ALICE, [newer])
        revision = history.revision(ALICE)
        merged = history.merge(ALICE, [older])
        assert not merged.changed
        assert history.get(ALICE, "rec-1") == newer
        assert history.revision(ALICE) == revision
        assert history.entries(ALICE, everything())[0].result == "Accepted"

    def test_within_one_batch_the_newest_version_counts(self, history: CallHistory) -> None:
        first = make_record("rec-1", NOON, result="Accepted", modified=NOON + timedelta(minutes=1))
        second = make_record("rec-1", NOON, result="In Progress", modified=NOON)
        merged = history.merge(ALICE, [first, second])
        assert merged.added == ("rec-1",)
        assert history.get(ALICE, "rec-1") == first

    def test_without_modification_times_the_incoming_version_wins(
        self, history: CallHistory
    ) -> None:
        history.merge(ALICE, [make_record("rec-1", NOON, result="In Progress")])
        latest = make_record("rec-1", NOON, result="Missed")
        assert history.merge(ALICE, [latest]).updated == ("rec-1",)
        assert history.get(ALICE, "rec-1") == latest

    def test_records_marked_deleted_are_removed(self, history: CallHistory) -> None:
        history.merge(ALICE, [make_record("rec-1", NOON), make_record("rec-2", NOON)])
        # RingCentral's ISync with showDeleted may send little more than the id.
        merged = history.merge(
            ALICE, [{"id": "rec-1", "deleted": True}, {"id": "unknown", "deleted": True}]
        )
        assert merged.deleted == ("rec-1",) and merged.skipped == 0
        assert history.get(ALICE, "rec-1") is None
        assert ids(history.page(ALICE, everything()).records) == ["rec-2"]
        full = make_record("rec-2", NOON, deleted=True)
        assert history.merge(ALICE, [full]).deleted == ("rec-2",)
        assert history.page(ALICE, everything()).total == 0

    def test_malformed_records_are_skipped_and_counted(self, history: CallHistory) -> None:
        good = make_record("good", NOON)
        bad: list[Any] = [
            {"startTime": iso(NOON)},
            {"id": 12345, "startTime": iso(NOON)},
            {"id": "", "startTime": iso(NOON)},
            {"id": "x" * 65, "startTime": iso(NOON)},
            {"id": "no-start"},
            {"id": "bad-start", "startTime": "yesterday"},
            {"id": None, "deleted": True},
            "not a record",
        ]
        merged = history.merge(ALICE, [*bad, good])
        assert merged.added == ("good",)
        assert merged.skipped == len(bad)
        assert ids(history.page(ALICE, everything()).records) == ["good"]

    def test_odd_values_are_indexed_safely(self, history: CallHistory) -> None:
        record = make_record("rec-1", NOON, duration="oops", direction="Inbound")
        record["type"] = None
        record["extension"] = "not an object"
        record["from"] = ["not", "a", "party"]
        history.merge(ALICE, [record])
        (entry,) = history.entries(ALICE, everything())
        assert (entry.duration, entry.type, entry.extension_id) == (0, "", "")
        assert history.get(ALICE, "rec-1") == record

    def test_delete_records_removes_only_those(self, history: CallHistory) -> None:
        history.merge(
            ALICE, [make_record(f"rec-{n}", NOON - timedelta(minutes=n)) for n in range(4)]
        )
        history.merge(BOB, [make_record("rec-1", NOON)])
        assert history.delete_records(ALICE, ["rec-1", "rec-2", "rec-1", "unknown"]) == 2
        assert ids(history.page(ALICE, everything()).records) == ["rec-0", "rec-3"]
        assert history.get(BOB, "rec-1") is not None
        assert history.delete_records(ALICE, []) == 0
