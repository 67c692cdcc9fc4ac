"""Live history benchmark: the app's time to sync 250 new call records (issue 21: under 1 s).

Not a test. Run from the checkout (PostgreSQL is optional):

    python bench/sync_bench.py
    RCPYRAMID_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test \\
        python bench/sync_bench.py --rounds 5

For each backend (memory; SQLite, development's default; PostgreSQL when the variable is
set) the real app signs bob in at the built-in simulator over loopback HTTP and takes his
history (FSync, backfill). Then, each round, 250 calls are placed at the simulator (their
records readable at once) and one worker round syncs them: one ISync bringing 250 new
records, merged (sealed with the key ring on SQL), the sync token saved, the history
trimmed to its window and the schedule released. Then 300 call-ended deliveries go
through the webhook receiver (in process, WebTest). "App time" is the round's wall time
minus the time spent waiting for the simulator's answer (the HTTP exchange, measured
around the client's call), so it is what this app spends, not what RingCentral does.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import webtest
from common import ROOT, app_settings, postgres_schema

from rcpyramid import main
from rcpyramid.callstore.interfaces import HistoryQuery
from rcpyramid.callstore.schedule import SubscriptionRow
from rcpyramid.livehistory import LiveHistory
from rcpyramid.ringcentral.client import RingCentralClient
from rcpyramid.services import process_service
from rcpyramid.simulator.testing import sign_in_at, start_simulator
from rcpyramid.tokens.crypto import new_key_text

BATCH = 250


@contextmanager
def backend(name: str, folder: Path) -> Iterator[dict[str, str]]:
    if name == "memory":
        yield {}
        return
    sql = {
        "rcpyramid.tokens.backend": "rcpyramid.tokens.sqla.SQLAlchemyTokenRepository",
        "rcpyramid.tokens.keys": new_key_text("bench"),
        "rcpyramid.database.auto_upgrade": "true",
    }
    if name == "sqlite":
        yield {**sql, "sqlalchemy.url": f"sqlite:///{folder / 'bench.sqlite'}"}
        return
    with postgres_schema() as url:
        yield {**sql, "sqlalchemy.url": url}


class UpstreamTimer:
    """Wraps the process's RingCentral client: how long its calls waited for the answer."""

    def __init__(self, client: Any) -> None:
        self.seconds = 0.0
        # Every API call goes through ``send`` (``get`` too).
        client.send = self._timed(client.send)

    def _timed(self, call: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        return timed


def sign_in(web: webtest.TestApp, username: str) -> None:
    home = web.get("/")
    form = next(f for f in home.forms.values() if f.action == "/login")
    authorize = form.submit().headers["Location"]
    callback = sign_in_at(authorize, username, f"{username}-demo")
    path = callback.split("://", 1)[1].split("/", 1)[1]
    web.get("/" + path).follow()


def deliveries(web: webtest.TestApp, live: LiveHistory, owner: str, sim: Any) -> list[float]:
    """Seconds the receiver takes per call-ended delivery (a real subscription row)."""
    token = "bench-verification-token"
    extension = str(sim.simulator.directory.extension_for("bob").id)
    live.schedule.save_subscription(
        SubscriptionRow("bench-sub", owner, token_hash=live.keys.token(token))
    )
    envelope = {
        "event": f"/restapi/v1.0/account/1/extension/{extension}/presence",
        "subscriptionId": "bench-sub",
        "ownerId": extension,
        "body": {"activeCalls": [{"telephonyStatus": "NoCall", "terminationType": "final"}]},
    }
    times = []
    for n in range(300):
        body = json.dumps({**envelope, "uuid": str(n)}).encode()
        start = time.perf_counter()
        web.post("/webhooks/ringcentral", body, headers={"Verification-Token": token})
        times.append(time.perf_counter() - start)
    return times


def run(name: str, rounds: int) -> tuple[list[float], list[float]]:
    with (
        tempfile.TemporaryDirectory() as folder,
        backend(name, Path(folder)) as settings,
        start_simulator(rate_limits=None) as sim,
    ):
        sim.set_record_delay(0)
        app = main(
            {"here": str(ROOT)},
            **app_settings(
                sim.url,
                str(Path(folder) / "var"),
                **{
                    "rcpyramid.session.secret": "bench-session-secret-" + "b" * 40,
                    "rcpyramid.cache.backend": "dogpile.cache.null",
                    "rcpyramid.history.worker": "false",
                    "rcpyramid.history.days": "30",
                    **settings,
                },
            ),
        )
        web = webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost:5000"})
        live: LiveHistory = app.registry.live_history
        sign_in(web, "bob")
        while live.worker.run_due_once():
            pass
        owner = live.keys.person(str(sim.simulator.directory.extension_for("bob").id))
        timer = UpstreamTimer(process_service(app.registry, RingCentralClient))
        app_times: list[float] = []
        for _ in range(rounds):
            for n in range(BATCH):
                sim.place_call("bob", other=f"+1650555{n:04d}")
            before = live.history.page(owner, _everything()).total
            live.schedule.mark_due(owner, live.clock())
            timer.seconds = 0.0
            start = time.perf_counter()
            synced = live.worker.run_due_once()
            total = time.perf_counter() - start
            added = live.history.page(owner, _everything()).total - before
            assert synced == 1 and added == BATCH, (synced, added)
            app_times.append(total - timer.seconds)
        receiver = deliveries(web, live, owner, sim)
        app.registry.close_token_store()
        return app_times, receiver


def _everything() -> HistoryQuery:
    return HistoryQuery(limit=0)


def main_() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    names = ["memory", "sqlite"]
    if os.environ.get("RCPYRAMID_TEST_POSTGRES_URL"):
        names.append("postgresql")
    print(f"sync of {BATCH} new records (one ISync), app time per round, {args.rounds} rounds")
    for name in names:
        times, receiver = run(name, args.rounds)
        print(
            f"  {name:10} median {statistics.median(times) * 1000:7.1f} ms, "
            f"max {max(times) * 1000:7.1f} ms; a webhook delivery answered in "
            f"{statistics.median(receiver) * 1000:.2f} ms (median of {len(receiver)})"
        )


if __name__ == "__main__":
    main_()
