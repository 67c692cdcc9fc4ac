"""Call events as RingCentral pushes them: telephony sessions and (detailed) presence.

A placed call is a list of steps (Setup/Proceeding -> Answered -> Disconnected); each step
becomes one telephony-session event with an increasing `sequence` and, where the
extension's telephony status changes, one presence event. Shapes follow the spec's
`TelephonySessionsEventBody` and `DetailedExtensionPresenceEventBody`.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .clock import iso_ms, to_ms


@dataclass(frozen=True)
class Step:
    """One moment of a call: its telephony status and the extension's presence then."""

    at: datetime
    code: str  # Setup | Proceeding | Answered | VoiceMail | Disconnected
    presence: str | None  # Ringing | CallConnected | NoCall; None = unchanged
    reason: str | None = None


@dataclass(frozen=True)
class CallFacts:
    """What the events of one call say about it."""

    account_id: int
    extension_id: int
    session_id: str
    telephony_session_id: str
    party_id: str
    direction: str  # Inbound | Outbound
    me: dict[str, str]  # phoneNumber, name, extensionId
    other: dict[str, str]  # phoneNumber, name
    start: datetime
    missed: bool
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Event:
    """One event about one extension, before it is addressed to a subscription."""

    kind: str  # telephony | presence
    extension_id: int
    status: str  # the telephony status code (filters may ask for some only)
    direction: str
    missed: bool
    body: dict[str, Any]
    detailed_body: dict[str, Any] = field(default_factory=dict)  # presence only


class PresenceSequences:
    """Each extension's presence `sequence` only grows, across calls."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next: dict[int, int] = defaultdict(int)

    def take(self, extension_id: int) -> int:
        with self._lock:
            self._next[extension_id] += 1
            return self._next[extension_id]


def _party(facts: CallFacts, step: Step) -> dict[str, Any]:
    inbound = facts.direction == "Inbound"
    to, from_ = (facts.me, facts.other) if inbound else (facts.other, facts.me)
    status: dict[str, Any] = {"code": step.code, "rcc": False}
    if step.reason is not None:
        status["reason"] = step.reason
    return {
        "accountId": str(facts.account_id),
        "extensionId": str(facts.extension_id),
        "id": facts.party_id,
        "direction": facts.direction,
        "to": to,
        "from": from_,
        "status": status,
        "missedCall": facts.missed and step.code == "Disconnected",
        "standAlone": False,
        "muted": False,
    }


def telephony_events(facts: CallFacts) -> list[Event]:
    """One event per step, `sequence` 1, 2, 3..."""
    out = []
    for n, step in enumerate(facts.steps, start=1):
        body = {
            "sequence": n,
            "sessionId": facts.session_id,
            "telephonySessionId": facts.telephony_session_id,
            "serverId": "10.13.22.241.TAM",
            "eventTime": iso_ms(to_ms(step.at)),
            "origin": {"type": "Call"},
            "parties": [_party(facts, step)],
        }
        out.append(
            Event("telephony", facts.extension_id, step.code, facts.direction, facts.missed, body)
        )
    return out


def presence_events(facts: CallFacts, sequences: PresenceSequences) -> list[Event]:
    """One event per change of the extension's telephony status, ending NoCall/final."""
    out = []
    inbound = facts.direction == "Inbound"
    for step in facts.steps:
        if step.presence is None:
            continue
        ended = step.presence == "NoCall"
        call: dict[str, Any] = {
            "id": facts.session_id,
            "direction": facts.direction,
            "from": (facts.other if inbound else facts.me).get("phoneNumber", ""),
            "to": (facts.me if inbound else facts.other).get("phoneNumber", ""),
            "startTime": iso_ms(to_ms(facts.start)),
            "telephonyStatus": step.presence,
            "sessionId": facts.session_id,
            "telephonySessionId": facts.telephony_session_id,
            "partyId": facts.party_id,
            "queueCall": False,
        }
        from_name = (facts.other if inbound else facts.me).get("name")
        to_name = (facts.me if inbound else facts.other).get("name")
        if from_name:
            call["fromName"] = from_name
        if to_name:
            call["toName"] = to_name
        if ended:
            call["terminationType"] = "final"
        sequence = sequences.take(facts.extension_id)
        status = "Busy" if step.presence == "CallConnected" else "Available"
        body = {
            "extensionId": str(facts.extension_id),
            "telephonyStatus": step.presence,
            "sequence": sequence,
            "presenceStatus": status,
            "userStatus": "Available",
            "dndStatus": "TakeAllCalls",
            "allowSeeMyPresence": True,
            "ringOnMonitoredCall": False,
            "pickUpCallsOnHold": False,
        }
        detailed = {
            **body,
            "activeCalls": [call],
            "totalActiveCalls": 0 if ended else 1,
        }
        out.append(
            Event(
                "presence",
                facts.extension_id,
                step.code,
                facts.direction,
                facts.missed,
                body,
                detailed,
            )
        )
    return out
