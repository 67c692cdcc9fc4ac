"""How fast the app serves its pages: requests per second, p50 and p99 latency.

The simulator runs as its own process (``rcpyramid-simulator``, rate limits off); the
app (waitress, 8 threads) and N client threads run in this process, on loopback. Each
client signs in once, then fetches a page repeatedly. Run it from the checkout:

    python bench/pages_bench.py [--seconds 10] [--clients 8]

This is a benchmark, not a test: it asserts nothing and its figures go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time

import requests
from common import ROOT

from rcpyramid import main
from rcpyramid.simulator import DEMO_CLIENT, serve_in_thread
from rcpyramid.simulator.testing import parse_form
from tests.browser import authorize_at_simulator
from tests.processes import BIN, Process, free_port

PAGES = {
    "home": "/",
    "extensions (HTML table)": "/test?api=extension",
    "extensions (raw JSON)": "/test?api=extension&format=json",
    "call log (HTML table)": "/test?api=extension-call-log",
}


def sign_in(app_url: str) -> requests.Session:
    browser = requests.Session()
    form = parse_form(browser.get(app_url + "/", timeout=10).text)
    started = browser.post(app_url + form.action, data=form.fields, allow_redirects=False)
    browser.get(authorize_at_simulator(started.headers["Location"]), timeout=10)
    return browser


def measure(app_url: str, path: str, clients: int, seconds: float) -> tuple[float, float, float]:
    browsers = [sign_in(app_url) for _ in range(clients)]
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def run(browser: requests.Session) -> None:
        mine = []
        while time.monotonic() < stop:
            start = time.perf_counter()
            answer = browser.get(app_url + path, timeout=30)
            mine.append(time.perf_counter() - start)
            if answer.status_code != 200:
                raise SystemExit(f"{path} answered {answer.status_code}")
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=run, args=(b,)) for b in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return len(latencies) / seconds, statistics.median(latencies) * 1000, p99 * 1000


def main_() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()

    port = free_port()
    redirect = f"http://localhost:{port}/oauth2callback"
    sim_port = free_port()
    upstream = Process(
        [
            str(BIN / "rcpyramid-simulator"),
            "--port",
            str(sim_port),
            "--rate-limits",
            "off",
            "--client",
            f"{DEMO_CLIENT.client_id}:{DEMO_CLIENT.client_secret}:{redirect}",
        ]
    )
    upstream.wait_for_line("listening on")
    app = main(
        {"here": str(ROOT)},
        **{
            "ringcentral.server_url": f"http://127.0.0.1:{sim_port}",
            "ringcentral.client_id": DEMO_CLIENT.client_id,
            "ringcentral.client_secret": DEMO_CLIENT.client_secret,
            "ringcentral.redirect_url": redirect,
            "rcpyramid.var_dir": tempfile.mkdtemp(prefix="rcpyramid-bench-"),
        },
    )
    served = serve_in_thread(app, host="localhost", port=port, threads=8)
    app_url = f"http://localhost:{port}"
    print(f"{args.clients} clients, {args.seconds:.0f} s per page")
    print(f"{'page':28} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for name, path in PAGES.items():
        rate, p50, p99 = measure(app_url, path, args.clients, args.seconds)
        print(f"{name:28} {rate:8.0f} {p50:8.1f} {p99:8.1f}")
    served.stop()
    upstream.stop()


if __name__ == "__main__":
    main_()
