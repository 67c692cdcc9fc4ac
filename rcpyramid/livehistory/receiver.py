"""What a webhook delivery means: checked, de-duplicated, turned into a due mark. No HTTP.

The receiver answers within milliseconds and never calls RingCentral (RingCentral
blacklists slow receivers): a delivery is one indexed read (the subscription by id),
a constant-time comparison of the verification token's keyed hash, and at most one
write (a due mark the worker acts on after the record delay).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cachetools import LRUCache

from rcpyramid.callstore.schedule import LiveSchedule
from rcpyramid.livehistory.keys import HistoryKeys
from rcpyramid.livehistory.records import start_time
from rcpyramid.ops import metrics

#: Deliveries remembered per process to drop duplicates (by subscription and uuid).
SEEN_DELIVERIES = 10_000
#: ``/restapi/v1.0/account/{account}/extension/{extension}/presence`` and the account's.
_EXTENSION_EVENT = re.compile(r"^/restapi/v1\.0/account/([^/?]+)/extension/([^/?]+)/")
_ACCOUNT_EVENT = re.compile(r"^/restapi/v1\.0/account/([^/?]+)/(presence|telephony/sessions)")
_REMINDER_EVENT = "/restapi/v1.0/subscription"
#: The metric's reason word for each verdict (a fixed set: no value from a delivery).
REASON_WORDS = {
    "not a JSON object": "malformed",
    "no subscription id": "malformed",
    "no event": "malformed",
    "no verification token": "no_token",
    "unknown subscription": "unknown_subscription",
    "wrong verification token": "bad_token",
    "another person's delivery": "wrong_owner",
    "an event of another extension or account": "wrong_owner",
    "duplicate": "duplicate",
    "reminder": "reminder",
    "not a call end": "other_event",
    "call ended": "call_ended",
}


@dataclass(frozen=True)
class Verdict:
    """The receiver's answer: a status and, for the logs, why (never a value from the body)."""

    status: int
    reason: str
    #: Owners marked due by this delivery.
    due: tuple[str, ...] = ()

    @property
    def result(self) -> str:
        """For the metric: accepted, duplicate or refused."""
        if self.status >= 400:
            return "refused"
        return "duplicate" if self.reason == "duplicate" else "accepted"

    @property
    def word(self) -> str:
        return REASON_WORDS.get(self.reason, "other")


def call_ended(event: str, body: Any) -> bool:
    """A presence entry ``NoCall`` + ``terminationType: final``, or a ``Disconnected`` party.

    The account's presence carries no ``activeCalls`` (RingCentral's spec): there an
    extension going back to ``telephonyStatus: NoCall`` is what says a call ended.
    """
    if not isinstance(body, dict):
        return False
    if "/presence" in event:
        calls = body.get("activeCalls")
        if calls is None and _ACCOUNT_EVENT.match(event) and not _EXTENSION_EVENT.match(event):
            return body.get("telephonyStatus") == "NoCall"
        return isinstance(calls, list) and any(
            isinstance(call, dict)
            and call.get("telephonyStatus") == "NoCall"
            and str(call.get("terminationType") or "").lower() == "final"
            for call in calls
        )
    if "/telephony/sessions" in event:
        parties = body.get("parties")
        return isinstance(parties, list) and any(
            isinstance(party, dict)
            and isinstance(party.get("status"), dict)
            and party["status"].get("code") == "Disconnected"
            for party in parties
        )
    return False


class Receiver:
    def __init__(self, schedule: LiveSchedule, keys: HistoryKeys, record_delay: float) -> None:
        self.schedule = schedule
        self.keys = keys
        self.record_delay = timedelta(seconds=record_delay)
        self._seen: LRUCache[tuple[str, str], bool] = LRUCache(SEEN_DELIVERIES)
        self._seen_lock = threading.Lock()

    def deliver(self, headers: Mapping[str, str], envelope: Any, now: datetime) -> Verdict:
        """Check a parsed delivery and act on it; a 4xx verdict changed nothing."""
        if not isinstance(envelope, dict):
            return Verdict(400, "not a JSON object")
        subscription_id = envelope.get("subscriptionId")
        token = headers.get("Verification-Token") or ""
        if not isinstance(subscription_id, str) or not 0 < len(subscription_id) <= 128:
            return Verdict(400, "no subscription id")
        if not token or len(token) > 256:
            return Verdict(403, "no verification token")
        row = self.schedule.subscription(subscription_id)
        if row is None:
            return Verdict(404, "unknown subscription")
        if not self.keys.same(self.keys.token(token), row.token_hash):
            return Verdict(403, "wrong verification token")
        owner_id = envelope.get("ownerId")
        if owner_id is not None and not self.keys.same(self.keys.person(str(owner_id)), row.owner):
            return Verdict(403, "another person's delivery")
        event = envelope.get("event")
        if not isinstance(event, str):
            return Verdict(400, "no event")
        uuid = envelope.get("uuid")
        seen_key = (subscription_id, uuid[:128]) if isinstance(uuid, str) and uuid else None
        if seen_key is not None and self._was_seen(seen_key):
            return Verdict(200, "duplicate")
        verdict = self._act(row.id, row.owner, row.company, event, envelope.get("body"), now)
        if verdict.status == 200:
            self._acted_on(seen_key, envelope.get("timestamp"), now)
        return verdict

    def _acted_on(self, seen_key: tuple[str, str] | None, timestamp: Any, now: datetime) -> None:
        sent = start_time({"startTime": timestamp})
        if sent is not None:
            # How late RingCentral's events reach this app (its queue, the network).
            metrics.event_lag((now - sent).total_seconds())
        if seen_key is not None:
            # Only once acted on: a delivery that failed half-way is taken again.
            with self._seen_lock:
                self._seen[seen_key] = True

    def _was_seen(self, key: tuple[str, str]) -> bool:
        with self._seen_lock:
            return bool(self._seen.get(key, False))

    def _act(
        self, subscription_id: str, person: str, company: str, event: str, body: Any, now: datetime
    ) -> Verdict:
        if event.startswith(_REMINDER_EVENT):
            # The worker renews it on its next round for this person (a read, a renew).
            self.schedule.flag_renewal(subscription_id)
            self.schedule.mark_due(person, now)
            return Verdict(200, "reminder", (person,))
        if not call_ended(event, body):
            return Verdict(200, "not a call end")
        owner = self._owner_of(event, person, company)
        if owner is None:
            return Verdict(403, "an event of another extension or account")
        self.schedule.mark_due(owner, now + self.record_delay, retries=1)
        return Verdict(200, "call ended", (owner,))

    def _owner_of(self, event: str, person: str, company: str) -> str | None:
        """The history an event's own path belongs to, if this subscription covers it."""
        match = _EXTENSION_EVENT.match(event)
        if match:
            return person if self.keys.same(self.keys.person(match.group(2)), person) else None
        match = _ACCOUNT_EVENT.match(event)
        if match and company and self.keys.same(self.keys.company(match.group(1)), company):
            return company
        return None
