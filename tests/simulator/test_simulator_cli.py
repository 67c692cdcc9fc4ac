"""The `rcpyramid-simulator` command in a subprocess, and its argument parsing."""

from __future__ import annotations

import argparse
import os
import pathlib
import re
import signal
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from rcpyramid.simulator import DEMO_CLIENT
from rcpyramid.simulator.cli import parse_client, parse_rate_limits

pytestmark = pytest.mark.subprocess

REPO = pathlib.Path(__file__).resolve().parents[2]


def _start(*args: str) -> tuple[subprocess.Popen, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    proc = subprocess.Popen(
        [sys.executable, "-m", "rcpyramid.simulator.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    line = proc.stdout.readline()
    match = re.fullmatch(r"RingCentral simulator listening on (http://\S+)\n", line)
    if match is None:
        proc.kill()
        raise AssertionError(f"unexpected first line {line!r}: {proc.stderr.read()}")
    return proc, match.group(1)


def _stop(proc: subprocess.Popen) -> tuple[int, str]:
    proc.send_signal(signal.SIGTERM)
    try:
        _, stderr = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    return proc.returncode, stderr


def test_cli_serves_a_custom_client_and_stops_on_sigterm(tmp_path):
    proc, url = _start(
        "--port",
        "0",
        "--client",
        "cli-app:cli-secret:http://127.0.0.1:8080/cb?x=1,http://localhost:9/other",
        "--client",
        "spa::http://spa.test/cb",
        "--rate-limits",
        "off",
        "--seed",
        "7",
    )
    try:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        http = requests.Session()
        authorize = {
            "response_type": "code",
            "client_id": "cli-app",
            "redirect_uri": "http://127.0.0.1:8080/cb?x=1",
        }
        page = http.get(url + "/restapi/oauth/authorize", params=authorize, timeout=10)
        assert page.status_code == 200
        signed = http.post(
            url + "/simulator/sign-in",
            data={
                **authorize,
                "username": "carol",
                "password": "carol-demo",
                "action": "authorize",
            },
            allow_redirects=False,
            timeout=10,
        )
        location = signed.headers["Location"]
        assert location.startswith("http://127.0.0.1:8080/cb?x=1&code=")
        code = parse_qs(urlsplit(location).query)["code"][0]
        tokens = http.post(
            url + "/restapi/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": "http://127.0.0.1:8080/cb?x=1",
            },
            auth=("cli-app", "cli-secret"),
            timeout=10,
        )
        assert tokens.status_code == 200, tokens.text
        # The demo client is not registered when --client is given.
        other = http.get(
            url + "/restapi/oauth/authorize",
            params={"response_type": "code", "client_id": DEMO_CLIENT.client_id},
            timeout=10,
        )
        assert other.status_code == 400
        assert http.get(url + "/simulator/counters", timeout=10).status_code == 200
    finally:
        code, stderr = _stop(proc)
    assert code == 0
    # Logs never carry tokens, codes or secrets.
    for secret in ("cli-secret", tokens.json()["access_token"], tokens.json()["refresh_token"]):
        assert secret not in stderr


def test_cli_without_test_controls(tmp_path):
    state_file = tmp_path / "s.json"
    proc, url = _start("--port", "0", "--no-test-controls", "--state-file", str(state_file))
    try:
        assert requests.get(url + "/simulator/counters", timeout=10).status_code == 404
        home = requests.get(url + "/", timeout=10)
        assert home.status_code == 200 and DEMO_CLIENT.client_id in home.text
    finally:
        code, _ = _stop(proc)
    assert code == 0


def test_parse_client_splits_on_the_first_two_colons_only():
    client = parse_client("id:secret:http://h:1/cb,https://x.test:8443/a?b=c")
    assert client.client_id == "id"
    assert client.client_secret == "secret"
    assert client.redirect_uris == ("http://h:1/cb", "https://x.test:8443/a?b=c")
    assert parse_client("pub::http://h/cb").client_secret == ""
    with pytest.raises(argparse.ArgumentTypeError):
        parse_client("no-colons")


def test_parse_client_names_its_permissions_after_a_hash():
    assert "CallControl" in parse_client("id:s:http://h/cb").permissions
    limited = parse_client("id:s:http://h:1/cb,http://h/b#ReadAccounts, ReadCallLog")
    assert limited.permissions == ("ReadAccounts", "ReadCallLog")
    assert limited.redirect_uris == ("http://h:1/cb", "http://h/b")
    with pytest.raises(argparse.ArgumentTypeError, match="unknown permissions"):
        parse_client("id:s:http://h/cb#ReadEverything")


def test_parse_rate_limits():
    assert parse_rate_limits("default") == {"Light": 50, "Medium": 40, "Heavy": 10, "Auth": 5}
    assert parse_rate_limits("off") is None
    assert parse_rate_limits("Heavy=3,Auth=1") == {"Heavy": 3, "Auth": 1}
    for bad in ("Heavy", "Nope=3", "Heavy=x", "Heavy=0"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_rate_limits(bad)
