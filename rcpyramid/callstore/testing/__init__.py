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

from rcpyramid.callstore.testing.data import HistorySuite
from rcpyramid.callstore.testing.owners import OwnerTests
from rcpyramid.callstore.testing.pages import PageTests
from rcpyramid.callstore.testing.search import SearchTests
from rcpyramid.callstore.testing.storing import StoringTests

__all__ = ["CallHistoryTests", "HistorySuite"]


class CallHistoryTests(StoringTests, PageTests, SearchTests, OwnerTests):
    """The contract of :class:`~rcpyramid.callstore.interfaces.CallHistory`, one test per promise.

    The owners, times and record maker the suite uses are in :mod:`.data`. Its parts,
    by topic: storing (:mod:`.storing`), pages (:mod:`.pages`), search
    (:mod:`.search`), owners, revisions and sync state (:mod:`.owners`).
    """
