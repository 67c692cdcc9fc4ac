"""The behavioural suite every :class:`CallHistory` backend passes.

A backend's tests subclass :class:`CallHistoryTests` and say how to open a fresh,
empty history::

    from contextlib import contextmanager
    from rcpyramid.callstore.testing import CallHistoryTests

    class TestMyBackend(CallHistoryTests):
        @contextmanager
        def open_history(self, tmp_path):
            history = MyCallHistory()
            yield history
            history.close()

pytest collects the subclass (name it ``Test...``); every test here then runs on the
backend. The suite reads only the contract's verbs, never a backend's state.
"""

# ruff: noqa: S106 - the suite's sync tokens are made-up strings, not secrets

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from rcpyramid.callstore.interfaces import (
    CallHistory,
    HistoryQuery,
    SyncState,
    company_history,
    person_history,
)

ALICE = person_history("400", "101")
BOB = person_history("400", "102")
COMPANY = company_history("400")
#: A fixed moment the records of the suite are placed around.
NOON = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def iso(moment: datetime) -> str:
    """As RingCentral writes times: ``2026-11-27T12:00:00.000Z``."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def make_record(
    record_id: str,
    start: datetime,
    *,
    number: str = "+16505550199",
    name: str = "Carol Jones",
    direction: str = "Inbound",
    result: str = "Accepted",
    modified: datetime | None = None,
    extension_id: int | str = 101,
    **fields: Any,
) -> dict[str, Any]:
    """A call-log record shaped as RingCentral sends it (Detailed view when ``modified``)."""
    other = {"phoneNumber": number, "name": name, "location": "Palo Alto, CA"}
    me = {"extensionNumber": "101", "extensionId": str(extension_id), "name": "Alice Smith"}
    record: dict[str, Any] = {
        "uri": f"https://platform.ringcentral.com/restapi/v1.0/account/400/extension/101/call-log/{record_id}",
        "id": record_id,
        "sessionId": f"s-{record_id}",
        "telephonySessionId": f"t-{record_id}",
        "startTime": iso(start),
        "duration": 42,
        "type": "Voice",
        "direction": direction,
        "action": "Phone Call",
        "result": result,
        "from": other if direction == "Inbound" else me,
        "to": me if direction == "Inbound" else other,
        "extension": {
            "uri": f"https://platform.ringcentral.com/restapi/v1.0/account/400/extension/{extension_id}",
            "id": extension_id,
        },
    }
    if modified is not None:
        record["lastModifiedTime"] = iso(modified)
        record["legs"] = [{"action": "Phone Call", "legType": "Accept", "master": True}]
    record.update(fields)
    return record


def ids(records: list[dict[str, Any]]) -> list[str]:
    return [record["id"] for record in records]


def everything(**fields: Any) -> HistoryQuery:
    return HistoryQuery(limit=None, **fields)


class CallHistoryTests:
    """The contract of :class:`CallHistory`, one test per promise."""

    def open_history(self, tmp_path: Path) -> AbstractContextManager[CallHistory]:
        """A fresh, empty history, cleaned up when the block ends."""
        raise NotImplementedError("a backend's test class says how to open its history")

    @pytest.fixture
    def history(self, tmp_path: Path) -> Iterator[CallHistory]:
        with self.open_history(tmp_path) as opened:
            yield opened

    def search(self, history: CallHistory, owner: str, text: str, **fields: Any) -> list[str]:
        return ids(history.page(owner, everything(search=text, **fields)).records)

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

    # -- pages ------------------------------------------------------------------------------

    def test_pages_are_newest_first_with_ties_by_id(self, history: CallHistory) -> None:
        history.merge(
            ALICE,
            [
                make_record("b", NOON),
                make_record("old", NOON - timedelta(days=3)),
                make_record("new", NOON + timedelta(seconds=1)),
                make_record("a", NOON),
                make_record("c", NOON),
            ],
        )
        assert ids(history.page(ALICE, everything()).records) == ["new", "c", "b", "a", "old"]
        assert [e.record_id for e in history.entries(ALICE, everything())] == [
            "new",
            "c",
            "b",
            "a",
            "old",
        ]

    def test_paging_covers_every_record_once_with_the_total(self, history: CallHistory) -> None:
        history.merge(
            ALICE, [make_record(f"rec-{n:03d}", NOON - timedelta(minutes=n)) for n in range(23)]
        )
        seen: list[str] = []
        for offset in range(0, 30, 10):
            page = history.page(ALICE, HistoryQuery(offset=offset, limit=10))
            assert page.total == 23
            seen += ids(page.records)
        assert seen == [f"rec-{n:03d}" for n in range(23)]
        only_total = history.page(ALICE, HistoryQuery(limit=0))
        assert (only_total.records, only_total.total) == ([], 23)
        beyond = history.page(ALICE, HistoryQuery(offset=100, limit=10))
        assert (beyond.records, beyond.total) == ([], 23)
        tail = history.entries(ALICE, HistoryQuery(offset=20, limit=None))
        assert [e.record_id for e in tail] == ["rec-020", "rec-021", "rec-022"]

    def test_date_range_starts_inclusive_and_ends_exclusive(self, history: CallHistory) -> None:
        history.merge(
            ALICE,
            [
                make_record("before", NOON - timedelta(seconds=1)),
                make_record("start", NOON),
                make_record("inside", NOON + timedelta(hours=1)),
                make_record("end", NOON + timedelta(hours=2)),
            ],
        )
        window = everything(date_from=NOON, date_to=NOON + timedelta(hours=2))
        assert ids(history.page(ALICE, window).records) == ["inside", "start"]
        assert history.page(ALICE, window).total == 2
        later = everything(date_from=NOON + timedelta(minutes=1))
        assert ids(history.page(ALICE, later).records) == ["end", "inside"]
        earlier = everything(date_to=NOON)
        assert ids(history.page(ALICE, earlier).records) == ["before"]

    def test_date_range_in_another_zone_means_the_same_moment(self, history: CallHistory) -> None:
        history.merge(ALICE, [make_record("rec-1", NOON)])
        pacific = timezone(timedelta(hours=-8))
        query = everything(
            date_from=NOON.astimezone(pacific),
            date_to=(NOON + timedelta(seconds=1)).astimezone(pacific),
        )
        assert ids(history.page(ALICE, query).records) == ["rec-1"]

    def test_filters_by_direction_type_and_result(self, history: CallHistory) -> None:
        history.merge(
            ALICE,
            [
                make_record("in-ok", NOON, direction="Inbound", result="Accepted"),
                make_record(
                    "in-missed", NOON - timedelta(minutes=1), direction="Inbound", result="Missed"
                ),
                make_record(
                    "in-vm", NOON - timedelta(minutes=2), direction="Inbound", result="Voicemail"
                ),
                make_record(
                    "out-missed", NOON - timedelta(minutes=3), direction="Outbound", result="Missed"
                ),
                make_record(
                    "fax",
                    NOON - timedelta(minutes=4),
                    direction="Inbound",
                    result="Received",
                    type="Fax",
                ),
            ],
        )
        assert ids(history.page(ALICE, everything(directions=("Outbound",))).records) == [
            "out-missed"
        ]
        assert ids(history.page(ALICE, everything(types=("Fax",))).records) == ["fax"]
        to_return = everything(directions=("Inbound",), results=("Missed", "Voicemail"))
        assert ids(history.page(ALICE, to_return).records) == ["in-missed", "in-vm"]
        assert history.page(ALICE, to_return).total == 2
        both = everything(directions=("Inbound", "Outbound"), types=("Voice",))
        assert history.page(ALICE, both).total == 4
        assert history.page(ALICE, everything(results=("Busy",))).total == 0

    def test_filters_a_company_log_by_colleague(self, history: CallHistory) -> None:
        history.merge(
            COMPANY,
            [
                make_record("alice-1", NOON, extension_id=101),
                make_record("bob-1", NOON - timedelta(minutes=1), extension_id=102),
                make_record("alice-2", NOON - timedelta(minutes=2), extension_id="101"),
            ],
        )
        assert ids(history.page(COMPANY, everything(extension_id="101")).records) == [
            "alice-1",
            "alice-2",
        ]
        assert [e.extension_id for e in history.entries(COMPANY, everything())] == [
            "101",
            "102",
            "101",
        ]
        assert history.page(COMPANY, everything(extension_id="999")).total == 0

    def test_entries_hold_the_index_of_each_record(self, history: CallHistory) -> None:
        modified = NOON + timedelta(minutes=5)
        history.merge(
            ALICE, [make_record("rec-1", NOON, duration=75, result="Missed", modified=modified)]
        )
        (entry,) = history.entries(ALICE, everything())
        assert entry.record_id == "rec-1"
        assert entry.start_time == NOON and entry.start_time.utcoffset() == timedelta(0)
        assert (entry.direction, entry.type, entry.result) == ("Inbound", "Voice", "Missed")
        assert (entry.duration, entry.extension_id) == (75, "101")
        assert entry.last_modified == modified

    # -- search -----------------------------------------------------------------------------

    def fill_for_search(self, history: CallHistory) -> None:
        history.merge(
            ALICE,
            [
                make_record("carol", NOON, number="+16505550199", name="Carol Jones"),
                make_record(
                    "dave",
                    NOON - timedelta(minutes=1),
                    number="+442079460958",
                    name="Dave O'Brien",
                    direction="Outbound",
                ),
                make_record(
                    "zoe", NOON - timedelta(minutes=2), number="+4930901820", name="ZOË Straße"
                ),
                make_record("colleague", NOON - timedelta(minutes=3))
                | {"from": {"extensionNumber": "205", "name": "Erin Park"}},
                make_record(
                    "nameless", NOON - timedelta(minutes=4), number="+18005550100", name=""
                ),
            ],
        )

    @pytest.mark.parametrize(
        "typed", ["+1 650-555-0199", "(650) 555-0199", "6505550199", "650.555.0199", "555-0199"]
    )
    def test_search_finds_a_number_written_any_way(self, history: CallHistory, typed: str) -> None:
        self.fill_for_search(history)
        assert self.search(history, ALICE, typed) == ["carol"]

    def test_search_finds_part_of_a_name_in_any_case(self, history: CallHistory) -> None:
        self.fill_for_search(history)
        assert self.search(history, ALICE, "carol") == ["carol"]
        assert self.search(history, ALICE, "  JONES ") == ["carol"]
        assert self.search(history, ALICE, "o'b") == ["dave"]
        assert self.search(history, ALICE, "zoë strasse") == ["zoe"]
        assert self.search(history, ALICE, "straße") == ["zoe"]

    def test_search_finds_an_extension_number(self, history: CallHistory) -> None:
        self.fill_for_search(history)
        assert self.search(history, ALICE, "205") == ["colleague"]
        # Every record has Alice's own extension 101 on one side.
        assert len(self.search(history, ALICE, "101")) == 5

    def test_search_never_matches_across_two_values(self, history: CallHistory) -> None:
        self.fill_for_search(history)
        # "Carol Jones" and "Alice Smith" sit side by side in one record: neither holds
        # "jones alice".
        assert self.search(history, ALICE, "jones alice") == []
        assert self.search(history, ALICE, "smithcarol") == []
        # The digits of the extension 101 and of the number +16505550199 are separate values.
        assert self.search(history, ALICE, "0199101") == []
        assert self.search(history, ALICE, "no such person") == []

    def test_search_of_nothing_is_no_search(self, history: CallHistory) -> None:
        self.fill_for_search(history)
        assert len(self.search(history, ALICE, "   ")) == 5
        assert len(self.search(history, ALICE, "")) == 5

    def test_search_combines_with_filters_paging_and_total(self, history: CallHistory) -> None:
        history.merge(
            ALICE,
            [
                make_record(
                    f"rec-{n:02d}",
                    NOON - timedelta(minutes=n),
                    number="+16505550199" if n % 2 else "+16505550100",
                    direction="Inbound" if n % 3 else "Outbound",
                )
                for n in range(30)
            ],
        )
        odd = [f"rec-{n:02d}" for n in range(30) if n % 2]
        assert self.search(history, ALICE, "0199") == odd
        page = history.page(ALICE, HistoryQuery(search="0199", offset=5, limit=4))
        assert (ids(page.records), page.total) == (odd[5:9], 15)
        inbound = [f"rec-{n:02d}" for n in range(30) if n % 2 and n % 3]
        assert self.search(history, ALICE, "0199", directions=("Inbound",)) == inbound
        recent = history.page(
            ALICE, HistoryQuery(search="0199", date_from=NOON - timedelta(minutes=9), limit=None)
        )
        assert (ids(recent.records), recent.total) == (odd[:5], 5)
        entries = history.entries(ALICE, HistoryQuery(search="0199", limit=3))
        assert [e.record_id for e in entries] == odd[:3]

    def test_search_sees_every_change(self, history: CallHistory) -> None:
        self.fill_for_search(history)
        assert self.search(history, ALICE, "frank") == []
        history.merge(ALICE, [make_record("frank", NOON + timedelta(minutes=1), name="Frank Li")])
        assert self.search(history, ALICE, "frank") == ["frank"]
        history.merge(
            ALICE, [make_record("frank", NOON + timedelta(minutes=1), name="Francesca Li")]
        )
        assert self.search(history, ALICE, "frank") == []
        assert self.search(history, ALICE, "francesca") == ["frank"]
        history.delete_records(ALICE, ["carol"])
        assert self.search(history, ALICE, "carol") == []
        history.merge(ALICE, [{"id": "dave", "deleted": True}])
        assert self.search(history, ALICE, "dave") == []
        history.trim(ALICE, NOON - timedelta(seconds=90))
        assert self.search(history, ALICE, "zoë") == []
        history.forget(ALICE)
        assert self.search(history, ALICE, "francesca") == []

    def test_search_of_many_records(self, history: CallHistory) -> None:
        history.merge(
            ALICE,
            [
                make_record(
                    f"rec-{n:04d}",
                    NOON - timedelta(minutes=n),
                    number=f"+1650555{n:04d}",
                    name=f"Person {n}",
                )
                for n in range(600)
            ],
        )
        assert self.search(history, ALICE, "+1 650 555 0421") == ["rec-0421"]
        assert self.search(history, ALICE, "person 59") == [
            "rec-0059",
            *[f"rec-{n:04d}" for n in range(590, 600)],
        ]
        assert history.page(ALICE, HistoryQuery(search="person", limit=0)).total == 600

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
