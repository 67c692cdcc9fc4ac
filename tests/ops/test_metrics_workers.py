"""Metrics under gunicorn: two workers, one /metrics adding up both (multiprocess mode)."""

from __future__ import annotations

from pathlib import Path

import psutil
import requests

from rcpyramid.simulator import DEMO_CLIENT
from rcpyramid.simulator.testing import SimulatorControls
from tests.functional.test_pserve import browse_journey
from tests.functional.test_workers import bench_env, bench_ini_with, both_workers_forked
from tests.ops.test_metrics import samples, value
from tests.processes import BIN, Process, free_port, start_simulator_cli, wait_until_answering


def test_two_gunicorn_workers_report_one_set_of_counts(
    processes: list[Process], tmp_path: Path, redis_url: str
) -> None:
    http_port, simulator_port = free_port(), free_port()
    redirect = f"http://localhost:{http_port}/oauth2callback"
    start_simulator_cli(
        processes, simulator_port, f"{DEMO_CLIENT.client_id}:{DEMO_CLIENT.client_secret}:{redirect}"
    )
    var = tmp_path / "var"
    leftover = var / "prometheus" / "counter_1.db"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"a previous run's counts")
    ini = bench_ini_with(tmp_path, "")
    # No history worker: its background syncs would meet the failures injected below.
    ini.write_text(
        ini.read_text().replace("[app:main]\n", "[app:main]\nrcpyramid.history.worker = false\n", 1)
    )
    app = Process(
        [str(BIN / "pserve"), str(ini)],
        env={
            **bench_env(simulator_port, http_port, var),
            "RCPYRAMID_METRICS": "true",
            "PROMETHEUS_MULTIPROC_DIR": "",
        },
    )
    processes.append(app)
    app_url = f"http://127.0.0.1:{http_port}"
    wait_until_answering(app_url + "/livez", app)
    both_workers_forked(app)
    assert not leftover.exists()  # wiped by the server runner before the workers started

    browser = browse_journey(f"http://localhost:{http_port}")
    controls = SimulatorControls(f"http://127.0.0.1:{simulator_port}")
    controls.control("expire-access-tokens")
    # Not cached yet (another page): the call meets a 401, the refresh, the call again.
    refreshed = browser.get(f"http://localhost:{http_port}/test?api=extension&page=2")
    assert refreshed.status_code == 200
    controls.control(
        "fail-next", status=429, count=1, path="/restapi/v1.0/account/~/extension", retry_after=9
    )
    limited = browser.get(f"http://localhost:{http_port}/test?api=extension&page=3")
    assert limited.status_code == 429
    # Many short connections: the kernel spreads them over both workers' sockets.
    for _ in range(40):
        assert requests.get(app_url + "/livez", timeout=10).ok

    read = samples(requests.get(app_url + "/metrics", timeout=10).text)
    http = "http_server_request_duration_seconds_count"
    assert (
        value(
            read,
            http,
            http_request_method="GET",
            http_route="/livez",
            http_response_status_code="200",
        )
        >= 40
    )
    test_page = {"http_request_method": "GET", "http_route": "/test"}
    assert value(read, http, **test_page, http_response_status_code="200") == 4
    assert value(read, http, **test_page, http_response_status_code="429") == 1
    rc = "rcpyramid_ringcentral_requests_total"
    assert value(read, rc, rate_group="Auth", status="200", error_code="") == 2
    assert value(read, "rcpyramid_token_refreshes_total", outcome="ok") == 1
    assert value(read, "rcpyramid_ringcentral_penalty_seconds_total", rate_group="Medium") == 9
    # Both workers wrote their own files, and /metrics added them up.
    written = {path.name.rsplit("_", 1)[-1] for path in (var / "prometheus").glob("*.db")}
    workers = {f"{child.pid}.db" for child in psutil.Process(app.popen.pid).children()}
    assert workers <= written, (workers, written)
