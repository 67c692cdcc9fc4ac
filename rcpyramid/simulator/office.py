"""An office that makes calls: placed on demand (a control, a button) or at a steady pace.

A placed call has already happened when it is placed: it ends "now" by the simulator's
clock, its events (with times spread over its length) go out at once, and its call-log
record becomes readable `record_delay` seconds later.
"""

from __future__ import annotations

import logging
import random
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .callrecords import CallRecord, Party
from .clock import iso_ms, to_ms
from .events import CallFacts, Step

if TYPE_CHECKING:
    from .app import Simulator

log = logging.getLogger(__name__)

RESULTS = ("Answered", "Missed", "Voicemail")
DIRECTIONS = ("Inbound", "Outbound")
_E164 = re.compile(r"^\+[1-9]\d{7,14}$")
RING = {"Answered": 6, "Missed": 20, "Voicemail": 20}  # seconds the phone rings first
# The call-log result RingCentral writes for each outcome, by direction.
_RECORD_RESULT = {
    ("Inbound", "Answered"): "Accepted",
    ("Inbound", "Missed"): "Missed",
    ("Inbound", "Voicemail"): "Voicemail",
    ("Outbound", "Answered"): "Call connected",
    ("Outbound", "Missed"): "No Answer",
    ("Outbound", "Voicemail"): "Call connected",  # the other side's voicemail answered
}
_CALLERS = ("Acme Corp", "Pizza Place", "Dr. Zoë Ångström", "Wireless Caller", None, None)
_AREA_CODES = ("650", "415", "212", "303", "512")


class CallError(ValueError):
    """A call that cannot be placed: the words say which field is wrong."""


@dataclass(frozen=True)
class CallRequest:
    username: str
    direction: str
    other: str
    result: str
    duration: int
    other_name: str | None = None


def _steps(req: CallRequest, start: datetime, end: datetime) -> tuple[Step, ...]:
    ring_end = start + timedelta(seconds=RING[req.result])
    inbound = req.direction == "Inbound"
    steps = [] if inbound else [Step(start, "Setup", None)]
    steps.append(Step(start + timedelta(seconds=0 if inbound else 1), "Proceeding", "Ringing"))
    if req.result == "Answered" or (req.result == "Voicemail" and not inbound):
        steps.append(Step(ring_end, "Answered", "CallConnected"))
    elif req.result == "Voicemail":
        steps.append(Step(ring_end, "VoiceMail", None))
    reason = "NoAnswer" if req.result == "Missed" and not inbound else None
    steps.append(Step(end, "Disconnected", "NoCall", reason))
    return tuple(steps)


def place_call(sim: Simulator, req: CallRequest) -> dict[str, Any]:
    """Record the call, publish its events, and say what a test needs to follow it."""
    if req.username not in sim.directory.by_username:
        raise CallError("unknown username")
    if req.direction not in DIRECTIONS:
        raise CallError("direction must be Inbound or Outbound")
    if req.result not in RESULTS:
        raise CallError("result must be Answered, Missed or Voicemail")
    if not _E164.match(req.other):
        raise CallError("other must be a phone number in E.164 form, e.g. +16505550199")
    if not 0 <= req.duration <= 86400:
        raise CallError("duration must be 0 to 86400 seconds")
    ext = sim.directory.extension_for(req.username)
    end = sim.clock.now()
    start = end - timedelta(seconds=RING[req.result] + req.duration)
    inbound = req.direction == "Inbound"
    me = Party(ext.business_phone, ext.name, ext.extension_number, ext.id)
    other = Party(req.other, req.other_name)
    record = CallRecord(
        id=secrets.token_urlsafe(12),
        session_id=str(secrets.randbelow(9 * 10**11) + 10**11),
        telephony_session_id=f"s-{secrets.token_hex(16)}",
        start_ms=to_ms(start),
        duration_ms=req.duration * 1000,
        type="Voice",
        direction=req.direction,
        action="Phone Call" if inbound else "VoIP Call",
        result=_RECORD_RESULT[(req.direction, req.result)],
        transport="PSTN",
        owner_id=ext.id,
        from_party=other if inbound else me,
        to_party=me if inbound else other,
        leg_type="PstnToSip" if inbound else "SipToPstnMetered",
        message_id=str(secrets.randbelow(10**11))
        if inbound and req.result == "Voicemail"
        else None,
    )
    visible_at = end + timedelta(seconds=sim.record_delay)
    sim.placed.add(record, visible_at)
    party_id = f"p-{secrets.token_hex(16)}-1"
    my_side = {
        "phoneNumber": ext.business_phone or "",
        "name": ext.name,
        "extensionId": str(ext.id),
    }
    other_side = {"phoneNumber": req.other}
    if req.other_name:
        other_side["name"] = req.other_name
    facts = CallFacts(
        account_id=sim.directory.account_id,
        extension_id=ext.id,
        session_id=record.session_id,
        telephony_session_id=record.telephony_session_id,
        party_id=party_id,
        direction=req.direction,
        me=my_side,
        other=other_side,
        start=start,
        missed=req.result != "Answered" and inbound,
        steps=_steps(req, start, end),
    )
    queued = sim.push.publish_call(facts)
    sim.counters.count("calls")
    log.info("call placed for %s (%s, %s)", req.username, req.direction, req.result)
    return {
        "telephonySessionId": record.telephony_session_id,
        "sessionId": record.session_id,
        "partyId": party_id,
        "recordId": record.id,
        "extensionId": str(ext.id),
        "startTime": iso_ms(record.start_ms),
        "endTime": iso_ms(to_ms(end)),
        "recordVisibleAt": iso_ms(to_ms(visible_at)),
        "deliveriesQueued": queued,
    }


def random_call(sim: Simulator, rng: random.Random) -> CallRequest:
    """A plausible call for one of the demo users."""
    user = rng.choice(sim.directory.demo_users)
    result = rng.choices(RESULTS, (65, 20, 15))[0]
    duration = {"Answered": rng.randint(20, 600), "Missed": 0, "Voicemail": rng.randint(10, 60)}
    number = f"+1{rng.choice(_AREA_CODES)}555{rng.randrange(0, 10_000):04d}"
    return CallRequest(
        username=user.username,
        direction=rng.choices(DIRECTIONS, (55, 45))[0],
        other=number,
        result=result,
        duration=duration[result],
        other_name=rng.choice(_CALLERS),
    )


class Ticker:
    """A background thread: renewal reminders and, when configured, the office's calls."""

    PERIOD = 0.25  # real seconds between looks at the simulator clock

    def __init__(self, sim: Simulator) -> None:
        self._sim = sim
        self._stop = threading.Event()
        self._rng = random.Random()
        self._next_call: datetime | None = None
        self._thread = threading.Thread(target=self._run, name="simulator-ticker", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.PERIOD):
            try:
                now = self._sim.clock.now()
                self._sim.push.tick(now)
                self._office(now)
            except Exception:  # a bug must not stop reminders for good
                log.exception("simulator ticker failed")

    def _office(self, now: datetime) -> None:
        interval = self._sim.config.office_interval
        if interval is None:
            return
        if self._next_call is None:
            self._next_call = now + timedelta(seconds=self._rng.uniform(1, interval))
        if now >= self._next_call:
            place_call(self._sim, random_call(self._sim, self._rng))
            gap = min(self._rng.expovariate(1 / interval), 5 * interval)
            self._next_call = now + timedelta(seconds=max(1.0, gap))

    def stop(self) -> None:
        self._stop.set()
