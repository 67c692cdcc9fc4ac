"""Two app processes (waitress under pserve) sharing one PostgreSQL, as behind a proxy.

Sign in through one, use the session through the other; then 32 concurrent
requests over both on an expired access token: all answer, and RingCentral (the
simulator, its own process) sees exactly one refresh grant.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from rcpyramid.simulator.testing import parse_form
from tests.browser import authorize_at_simulator
from tests.databases import TEST_KEYS, postgres_schema
from tests.processes import BIN, Process, free_port, start_simulator_cli, wait_until_answering

pytestmark = [pytest.mark.postgres, pytest.mark.subprocess]

CLIENT_ID = "scale-client"
CLIENT_SECRET = "scale-secret-0123456789abcdef"


def test_postgresql_two_app_processes_share_sign_ins_and_refresh_once(
    processes: list[Process], tmp_path: Path
) -> None:
    with postgres_schema() as database_url:
        simulator_port, port_one, port_two = free_port(), free_port(), free_port()
        # One redirect URI, the first app's: RingCentral knows one per client.
        redirect = f"http://localhost:{port_one}/oauth2callback"
        start_simulator_cli(processes, simulator_port, f"{CLIENT_ID}:{CLIENT_SECRET}:{redirect}")
        simulator_url = f"http://127.0.0.1:{simulator_port}"

        shared = {
            "RINGCENTRAL_SERVER_URL": simulator_url,
            "RINGCENTRAL_CLIENT_ID": CLIENT_ID,
            "RINGCENTRAL_CLIENT_SECRET": CLIENT_SECRET,
            "RINGCENTRAL_REDIRECT_URL": redirect,
            # One session secret, one database, one key set: any process serves anyone.
            "RCPYRAMID_SESSION_SECRET": "scale-test-session-secret-" + "x" * 40,
            "RCPYRAMID_DATABASE_URL": database_url,
            "RCPYRAMID_TOKEN_KEYS": TEST_KEYS,
            # Each app answers on its own port here; behind a proxy they share one host.
            "RCPYRAMID_CANONICAL_HOST": "off",
            "RCPYRAMID_ENVIRONMENT": "",
        }
        apps = []
        for number, port in enumerate((port_one, port_two), start=1):
            app = Process(
                [str(BIN / "pserve"), "development.ini", f"http_port={port}"],
                env={**shared, "RCPYRAMID_VAR_DIR": str(tmp_path / f"var{number}")},
            )
            processes.append(app)
            apps.append(f"http://localhost:{port}")
        for url, process in zip(apps, processes[1:], strict=True):
            wait_until_answering(url + "/healthz", process)

        browser = requests.Session()
        form = parse_form(browser.get(apps[0] + "/", timeout=10).text)
        started = browser.post(
            apps[0] + form.action, data=form.fields, allow_redirects=False, timeout=10
        )
        assert started.status_code == 303, started.text
        landed = browser.get(authorize_at_simulator(started.headers["Location"]), timeout=20)
        assert "Signed in as Alice Smith" in landed.text
        cookies = browser.cookies.get_dict()

        # The other process knows the person: the tokens are in the shared database.
        other = requests.get(apps[1] + "/", cookies=cookies, timeout=10)
        assert "Signed in as Alice Smith" in other.text
        assert requests.get(apps[1] + "/test?api=extension", cookies=cookies, timeout=10).ok

        requests.post(simulator_url + "/simulator/expire-access-tokens", timeout=10)

        def fetch(number: int) -> int:
            return requests.get(
                apps[number % 2] + "/test?api=extension",
                cookies=cookies,
                timeout=60,
                allow_redirects=False,
            ).status_code

        with ThreadPoolExecutor(max_workers=32) as pool:
            statuses = list(pool.map(fetch, range(32)))
        assert statuses == [200] * 32
        counters = requests.get(simulator_url + "/simulator/counters", timeout=10).json()
        assert counters["grants"]["refresh_token"] == 1
        for process in processes:
            process.stop()
