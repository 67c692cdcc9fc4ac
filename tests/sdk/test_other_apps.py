"""Other apps pointed at it: the console-script simulator serving an app written from the seed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from rcpyramid.simulator import RegisteredClient
from tests.processes import BIN, Process, free_port, wait_until_answering
from tests.sdk.kit import NodeSDKs, browser_sign_in

pytestmark = [pytest.mark.node, pytest.mark.subprocess]

# What a developer registers for the seed's quick start (port 5000, /oauth2callback).
SEED_APP = RegisteredClient(
    "seed-quickstart-app", "seed-quickstart-secret", ("http://localhost:5000/oauth2callback",)
)
# The quick start's three buttons, called with no query as the seed does.
SEED_CALLS = (
    "/restapi/v1.0/account/~/extension",
    "/restapi/v1.0/account/~/extension/~/call-log",
    "/restapi/v1.0/account/~/call-log",
)


@pytest.fixture
def simulator_process() -> Iterator[tuple[str, Process]]:
    """`rcpyramid-simulator` on its own, as a developer starts it: RingCentral's limits on."""
    port = free_port()
    client = f"{SEED_APP.client_id}:{SEED_APP.client_secret}:{SEED_APP.redirect_uris[0]}"
    process = Process([str(BIN / "rcpyramid-simulator"), "--port", str(port), "--client", client])
    url = f"http://127.0.0.1:{port}"
    try:
        process.wait_for_line("RingCentral simulator listening on")
        wait_until_answering(url + "/simulator/counters", process)
        yield url, process
    finally:
        process.stop()


def test_an_app_written_from_the_seed_works_unchanged(
    simulator_process: tuple[str, Process], node_sdks: NodeSDKs
) -> None:
    url, process = simulator_process
    login_url = node_sdks.run("js3_client.js", "login-url", server=url, client=SEED_APP)["loginUrl"]
    code = browser_sign_in(login_url)["code"]

    plan = [
        {"do": "login"},
        *({"do": "get", "path": path} for path in SEED_CALLS),
        # The seed only learns of expiry from a 401; the control stands in for the hour.
        {"do": "control", "name": "expire-access-tokens"},
        {"do": "get", "path": SEED_CALLS[0]},
        {"do": "refresh"},
        {"do": "get", "path": SEED_CALLS[1]},
        {"do": "logout"},
    ]
    report = node_sdks.run(
        "js3_client.js", "run", server=url, client=SEED_APP, code=code, plan=plan
    )
    steps = report["steps"]
    assert [s for s in steps if "error" in s] == []
    login, extensions, my_log, company_log, _, after_expiry, refresh, after_refresh, logout = steps
    assert login["expiresIn"] == 3600
    assert "Alice Smith" in [r["name"] for r in extensions["body"]["records"]]
    # The seed's bare calls get the last 24 hours, which the simulator always fills.
    assert company_log["body"]["records"]
    assert all("records" in s["body"] for s in (my_log, after_refresh))
    assert after_expiry["status"] == 200
    assert refresh["newAccessToken"]
    assert logout["status"] == 200
    assert [t["status"] for t in report["traffic"]].count(401) == 1

    counters = requests.get(url + "/simulator/counters", timeout=10).json()
    assert counters["grants"] == {"authorization_code": 1, "refresh_token": 2}
    assert (counters["revokes"], counters["rate_limited"], counters["token_errors"]) == (1, 0, 0)
    assert SEED_APP.client_secret not in process.output
