"""An office that makes calls: the home page's buttons and the steady pace of calls."""

from __future__ import annotations

import re

from rcpyramid.simulator.testing import wait_until


def form_token(page: str) -> str:
    return re.search(r'name="form_token" value="([^"]+)"', page).group(1)


def test_the_home_page_places_a_call_and_shows_it(rc):
    page = rc.get("/")
    assert page.status_code == 200
    assert "Make something happen" in page.text and "Recent activity" in page.text
    token = form_token(page.text)
    form = {
        "form_token": token,
        "action": "call",
        "username": "bob",
        "direction": "Outbound",
        "other": "+16505550123",
        "result": "Voicemail",
        "duration": "17",
    }
    done = rc.post("/simulator/office", data=form, allow_redirects=False)
    assert done.status_code == 303
    assert done.headers["Location"].endswith("/#activity")
    assert rc.counters()["calls"] == 1
    page = rc.get("/").text
    assert "Bob Johnson" in page and "not yet" in page
    rc.advance(rc.simulator.record_delay)
    assert "readable" in rc.get("/").text


def test_the_home_page_forms_refuse_other_sites_and_bad_input(rc):
    token = form_token(rc.get("/").text)
    forged = rc.post("/simulator/office", data={"form_token": "guess", "action": "call"})
    assert forged.status_code == 403 and "did not come from" in forged.text
    elsewhere = rc.post(
        "/simulator/office",
        data={"form_token": token, "action": "expire-sync-tokens"},
        headers={"Origin": "https://evil.example"},
    )
    assert elsewhere.status_code == 403
    bad = rc.post(
        "/simulator/office",
        data={"form_token": token, "action": "call", "username": "bob", "duration": "x"},
    )
    assert bad.status_code == 400 and "whole number" in bad.text
    bad = rc.post(
        "/simulator/office",
        data={
            "form_token": token,
            "action": "call",
            "username": "bob",
            "direction": "Inbound",
            "result": "Answered",
            "other": "12",
            "duration": "3",
        },
    )
    assert bad.status_code == 400 and "E.164" in bad.text
    assert rc.counters()["calls"] == 0
    failing = rc.post(
        "/simulator/office",
        data={"form_token": token, "action": "fail-deliveries"},
        allow_redirects=False,
    )
    assert failing.status_code == 303
    assert rc.simulator.push.worker.quirks.fail == 3


def test_a_busy_office_makes_calls_by_itself(start_ringcentral_simulator):
    sim = start_ringcentral_simulator(office_interval=0.5, record_delay=0)
    wait_until(lambda: sim.counters()["calls"] >= 2)
    assert len(sim.simulator.placed.recent(10)) >= 2


def test_the_call_control_checks_its_input(rc):
    answer = rc.control("calls", {"username": "nobody"})
    assert answer.status_code == 400 and answer.json() == {"error": "unknown username"}
    answer = rc.control("calls", {"username": "alice", "result": "Busy"})
    assert answer.status_code == 400 and "result" in answer.json()["error"]
    form = rc.post("/simulator/calls", data={"username": "alice"})
    assert form.status_code == 415
