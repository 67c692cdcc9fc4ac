"""Search by number, name and extension, with filters and paging, after every change."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rcpyramid.callstore.interfaces import CallHistory, HistoryQuery
from rcpyramid.callstore.testing.data import (
    ALICE,
    NOON,
    HistorySuite,
    a_minute_apart,
    ids,
    make_record,
    series,
    series_id,
)


class SearchTests(HistorySuite):
    """Part of :class:`~rcpyramid.callstore.testing.CallHistoryTests`."""

    # -- search -----------------------------------------------------------------------------

    def fill_for_search(self, history: CallHistory) -> None:
        history.merge(
            ALICE,
            a_minute_apart(
                ("carol", {"number": "+16505550199", "name": "Carol Jones"}),
                (
                    "dave",
                    {"number": "+442079460958", "name": "Dave O'Brien", "direction": "Outbound"},
                ),
                ("zoe", {"number": "+4930901820", "name": "ZOË Straße"}),
                ("colleague", {"from": {"extensionNumber": "205", "name": "Erin Park"}}),
                ("nameless", {"number": "+18005550100", "name": ""}),
            ),
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
            series(
                30,
                number=lambda n: "+16505550199" if n % 2 else "+16505550100",
                direction=lambda n: "Inbound" if n % 3 else "Outbound",
            ),
        )
        odd = [series_id(n) for n in range(30) if n % 2]
        assert self.search(history, ALICE, "0199") == odd
        page = history.page(ALICE, HistoryQuery(search="0199", offset=5, limit=4))
        assert (ids(page.records), page.total) == (odd[5:9], 15)
        inbound = [series_id(n) for n in range(30) if n % 2 and n % 3]
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
            ALICE, series(600, number=lambda n: f"+1650555{n:04d}", name=lambda n: f"Person {n}")
        )
        assert self.search(history, ALICE, "+1 650 555 0421") == [series_id(421)]
        assert self.search(history, ALICE, "person 59") == [
            series_id(59),
            *[series_id(n) for n in range(590, 600)],
        ]
        assert history.page(ALICE, HistoryQuery(search="person", limit=0)).total == 600
