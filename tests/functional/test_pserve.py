"""``pserve development.ini`` as a newcomer runs it, and against another RingCentral server."""

from __future__ import annotations

import socket
from pathlib import Path

import requests

from rcpyramid.simulator.testing import SimulatorControls, parse_form, wait_until
from tests.browser import authorize_at_simulator
from tests.processes import (
    BIN,
    Process,
    free_port,
    is_listening,
    start_simulator_cli,
    wait_until_answering,
)

CLEAN_ENV = {
    "RINGCENTRAL_SERVER_URL": "",
    "RINGCENTRAL_CLIENT_ID": "",
    "RINGCENTRAL_CLIENT_SECRET": "",
    "RINGCENTRAL_REDIRECT_URL": "",
    "RCPYRAMID_SESSION_SECRET": "",
}


def browse_journey(app_url: str, username: str = "alice") -> requests.Session:
    """Sign in with a real HTTP client holding cookies, as a browser does; check the pages."""
    browser = requests.Session()
    home = browser.get(app_url + "/", timeout=10)
    form = parse_form(home.text)
    started = browser.post(
        app_url + form.action, data=form.fields, allow_redirects=False, timeout=10
    )
    assert started.status_code == 303, started.text
    callback = authorize_at_simulator(started.headers["Location"], username=username)
    landed = browser.get(callback, timeout=20)
    assert landed.status_code == 200, landed.text
    assert "Signed in as Alice Smith" in landed.text
    for api in ("extension", "extension-call-log", "account-call-log"):
        page = browser.get(f"{app_url}/test?api={api}", timeout=20)
        assert page.status_code == 200, page.text
        # The directory is RingCentral's answer; the call logs read the local history.
        assert ('<table class="records' if api == "extension" else 'id="coverage"') in page.text
    return browser


def pserve_development(
    processes: list[Process], tmp_path: Path, http_port: int, simulator_port: int, **env: str
) -> Process:
    """``pserve development.ini`` on these ports, its var/ in tmp_path, ``env`` added."""
    app = Process(
        [
            str(BIN / "pserve"),
            "development.ini",
            f"http_port={http_port}",
            f"simulator_port={simulator_port}",
        ],
        env={**CLEAN_ENV, "RCPYRAMID_VAR_DIR": str(tmp_path / "var"), **env},
    )
    processes.append(app)
    return app


def test_pserve_development_ini_runs_the_whole_journey_on_the_builtin_simulator(
    processes: list[Process], tmp_path: Path
) -> None:
    http_port, simulator_port = free_port(), free_port()
    app = pserve_development(processes, tmp_path, http_port, simulator_port)
    app_url = f"http://localhost:{http_port}"
    wait_until_answering(app_url + "/", app)
    app.wait_for_line("built-in RingCentral simulator listening")
    browser = browse_journey(app_url)
    # The live history on development.ini's defaults (SQLite, the worker thread, the
    # simulator delivering to this app's own port): subscribed, synced, a call comes in.
    controls = SimulatorControls(f"http://localhost:{simulator_port}")
    wait_until(lambda: [s for s in controls.subscriptions() if s["status"] == "Active"], 30)

    def counter() -> int:
        updates = browser.get(app_url + "/calls/updates", timeout=10)
        assert updates.status_code == 200, updates.text
        return int(updates.json()["counter"])

    before = wait_until(counter, 30)
    controls.place_call("alice")
    wait_until(lambda: counter() > before, 30)
    logout = parse_form(browser.get(app_url + "/logout", timeout=10).text)
    out = browser.post(app_url + logout.action, data=logout.fields, timeout=10)
    assert "You are signed out." in out.text
    assert [s for s in controls.subscriptions() if s["status"] == "Active"] == []
    secret = tmp_path / "var" / "session_secret"
    assert secret.stat().st_mode & 0o777 == 0o600


def test_environment_points_pserve_at_another_server_and_the_builtin_one_stays_off(
    processes: list[Process], tmp_path: Path
) -> None:
    http_port, other_port, builtin_port = free_port(), free_port(), free_port()
    redirect = f"http://localhost:{http_port}/oauth2callback"
    start_simulator_cli(
        processes, other_port, f"another-client:another-secret-0123456789:{redirect}"
    )
    app = pserve_development(
        processes,
        tmp_path,
        http_port,
        builtin_port,
        RINGCENTRAL_SERVER_URL=f"http://127.0.0.1:{other_port}",
        RINGCENTRAL_CLIENT_ID="another-client",
        RINGCENTRAL_CLIENT_SECRET="another-secret-0123456789",
        RINGCENTRAL_REDIRECT_URL=redirect,
    )
    app_url = f"http://localhost:{http_port}"
    wait_until_answering(app_url + "/", app)
    browse_journey(app_url)
    assert not is_listening(builtin_port)
    assert "built-in RingCentral simulator listening" not in app.output
    assert "the built-in simulator is not started" in app.output
    counters = requests.get(f"http://127.0.0.1:{other_port}/simulator/counters", timeout=5).json()
    assert counters["grants"]["authorization_code"] == 1


def test_a_second_pserve_on_a_taken_port_says_which_setting_in_one_line(
    processes: list[Process], tmp_path: Path
) -> None:
    # Something already listens on the simulator's port (a first `pserve` left running).
    taken = socket.socket()
    taken.bind(("localhost", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        second = pserve_development(processes, tmp_path, free_port(), port)
        # pserve ends on its own ("Exiting <why>"; pserve's exit status for it is 0).
        second.popen.wait(timeout=60)
    finally:
        taken.close()
    assert "rcpyramid.simulator.port" in second.output, second.output
    assert f"localhost:{port} is in use" in second.output, second.output
    assert "Traceback" not in second.output, second.output
