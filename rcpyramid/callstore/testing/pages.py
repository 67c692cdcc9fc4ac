"""Pages newest first, paging with totals, date ranges and filters, the index."""

from __future__ import annotations

from datetime import timedelta, timezone

from rcpyramid.callstore.interfaces import CallHistory, HistoryQuery
from rcpyramid.callstore.testing.data import (
    ALICE,
    COMPANY,
    NOON,
    HistorySuite,
    a_minute_apart,
    everything,
    ids,
    make_record,
    series,
    series_id,
)


class PageTests(HistorySuite):
    """Part of :class:`~rcpyramid.callstore.testing.CallHistoryTests`."""

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
        history.merge(ALICE, series(23))
        seen: list[str] = []
        for offset in range(0, 30, 10):
            page = history.page(ALICE, HistoryQuery(offset=offset, limit=10))
            assert page.total == 23
            seen += ids(page.records)
        assert seen == [series_id(n) for n in range(23)]
        only_total = history.page(ALICE, HistoryQuery(limit=0))
        assert (only_total.records, only_total.total) == ([], 23)
        beyond = history.page(ALICE, HistoryQuery(offset=100, limit=10))
        assert (beyond.records, beyond.total) == ([], 23)
        tail = history.entries(ALICE, HistoryQuery(offset=20, limit=None))
        assert [e.record_id for e in tail] == [series_id(20), series_id(21), series_id(22)]

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
            a_minute_apart(
                ("in-ok", {"direction": "Inbound", "result": "Accepted"}),
                ("in-missed", {"direction": "Inbound", "result": "Missed"}),
                ("in-vm", {"direction": "Inbound", "result": "Voicemail"}),
                ("out-missed", {"direction": "Outbound", "result": "Missed"}),
                ("fax", {"direction": "Inbound", "result": "Received", "type": "Fax"}),
            ),
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
            a_minute_apart(
                ("alice-1", {"extension_id": 101}),
                ("bob-1", {"extension_id": 102}),
                ("alice-2", {"extension_id": "101"}),
            ),
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
