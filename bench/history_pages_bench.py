"""How long the 30-day dashboard and the call log take to render from the local history.

The app under WebTest (in process, no HTTP), signed in against the simulator, its
history filled by the live engine (SQLite, the development default). Prints the median
and p90 of each page's render over ``--views`` views. A benchmark, not a test:

    python bench/history_pages_bench.py [--views 30]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import webtest
from common import ROOT, app_settings

from rcpyramid import main as make_app
from rcpyramid.simulator import DEMO_CLIENT
from rcpyramid.simulator.testing import start_simulator
from tests.databases import TEST_KEYS
from tests.history import HISTORY_SETTINGS, signed_in_with_history

PAGES = {
    "dashboard, 30 days": "/?range=30d",
    "call log, last 30 days": "/test?api=extension-call-log&from={first}&to={today}",
    "call log, search": "/test?api=extension-call-log&from={first}&to={today}&search=555",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--views", type=int, default=30)
    args = parser.parse_args()
    with start_simulator(clients=(DEMO_CLIENT,)) as sim, tempfile.TemporaryDirectory() as work:
        app = make_app(
            {"here": str(ROOT)},
            **app_settings(
                sim.url,
                work,
                **{
                    "rcpyramid.session.secret": "bench-session-secret-" + "s" * 40,
                    "rcpyramid.tokens.backend": "rcpyramid.tokens.sqla.SQLAlchemyTokenRepository",
                    "rcpyramid.tokens.keys": TEST_KEYS,
                    "sqlalchemy.url": f"sqlite:///{work}/bench.sqlite",
                    "rcpyramid.database.auto_upgrade": "true",
                    "rcpyramid.cache.backend": "dogpile.cache.memory",
                    **HISTORY_SETTINGS,
                },
            ),
        )
        web = webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost:5000"})
        signed_in_with_history(web)
        today = sim.simulator.clock.now().date()
        first = today.fromordinal(today.toordinal() - 29)
        for name, path in PAGES.items():
            url = path.format(first=first, today=today)
            web.get(url)  # warm
            times = []
            for _ in range(args.views):
                start = time.perf_counter()
                web.get(url)
                times.append((time.perf_counter() - start) * 1000)
            times.sort()
            p90 = times[int(len(times) * 0.9) - 1]
            print(f"{name:26} median {statistics.median(times):6.1f} ms, p90 {p90:6.1f} ms")
        app.registry.live_history.worker.stop()


if __name__ == "__main__":
    main()
