"""The call-log page memo: an unchanged history re-renders nothing, a changed one is never stale.

A rendered call-log page is kept per process under the history's revision (see
``calls_memo_key``). These tests change the history the way another process's worker
would (straight in the store, no signal to this process) and read the page again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import webtest

from rcpyramid.callstore.interfaces import HistoryQuery
from rcpyramid.callstore.records import parse_time
from rcpyramid.views.api import calls
from tests.conftest import SimulatorHandle
from tests.history import app_with_history, signed_in_with_history

OWN = "/test?api=extension-call-log"


@pytest.fixture
def history_app(make_testapp: Callable[..., webtest.TestApp]) -> Iterator[webtest.TestApp]:
    yield from app_with_history(make_testapp)


def own_key(web: webtest.TestApp, simulator: SimulatorHandle) -> str:
    alice = simulator.simulator.directory.extension_for("alice")
    key: str = web.app.registry.live_history.keys.person(str(alice.id))
    return key


def newest(web: webtest.TestApp, owner: str) -> dict[str, Any]:
    return web.app.registry.live_history.history.page(owner, HistoryQuery(limit=1)).records[0]


def rows_text(page: webtest.TestResponse) -> list[str]:
    return [row.text for row in page.html.select("table.calls tr.call")]


def test_an_unchanged_history_is_served_again_without_reading_it(
    history_app: webtest.TestApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    web = signed_in_with_history(history_app)
    first = web.get(OWN)

    reads: list[str] = []
    real = calls.read_slice

    def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append("read")
        return real(*args, **kwargs)

    monkeypatch.setattr(calls, "read_slice", counted)
    again = web.get(OWN)
    assert again.body == first.body
    assert reads == []
    # Another query of the same history is a page of its own.
    web.get(OWN + "&direction=Inbound")
    assert reads == ["read"]


def test_a_record_written_elsewhere_shows_on_the_next_view(
    history_app: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    web = signed_in_with_history(history_app)
    owner = own_key(web, simulator)
    before = web.get(OWN)
    assert "Memo Test Caller" not in before.text
    record = dict(newest(web, owner))
    start = parse_time(record["startTime"])
    assert start is not None
    later = (start + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    added = {
        **record,
        "id": "memo-test-record",
        "startTime": later,
        "from": {"name": "Memo Test Caller", "phoneNumber": "+16505550142"},
        "direction": "Inbound",
    }
    added.pop("lastModifiedTime", None)
    # As another process's worker writes it: the store only, no word to this process.
    web.app.registry.live_history.history.merge(owner, [added])
    after = web.get(OWN)
    assert "Memo Test Caller" in rows_text(after)[0]

    web.app.registry.live_history.history.delete_records(owner, ["memo-test-record"])
    gone = web.get(OWN)
    assert not any("Memo Test Caller" in text for text in rows_text(gone))


def test_a_trimmed_history_is_not_served_from_the_memo(
    history_app: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    web = signed_in_with_history(history_app)
    owner = own_key(web, simulator)
    assert rows_text(web.get(OWN))
    # Trimmed to nothing (a window that ends in the future): the page must say so at once.
    web.app.registry.live_history.history.trim(owner, web.app.registry.clock() + timedelta(days=1))
    assert rows_text(web.get(OWN)) == []
