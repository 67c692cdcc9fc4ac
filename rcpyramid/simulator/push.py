"""The push hub: call events in, envelopes addressed to each matching subscription out."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from typing import Any

from .clock import Clock, iso_ms, to_ms
from .config import SimulatorConfig
from .counters import Counters
from .deliveries import Delivery, DeliveryWorker
from .events import CallFacts, Event, PresenceSequences, presence_events, telephony_events
from .filters import EventFilter
from .subscriptions import Subscription, SubscriptionStore

log = logging.getLogger(__name__)


class Push:
    """Subscriptions, the delivery lanes and the presence sequences of one simulator."""

    def __init__(self, config: SimulatorConfig, clock: Clock, counters: Counters) -> None:
        self._clock = clock
        self._counters = counters
        self.store = SubscriptionStore(config.blacklist_after)
        self.sequences = PresenceSequences()
        self.worker = DeliveryWorker(
            config.webhook_timeout, self._outcome, self._now_iso, self._active
        )

    def _now_iso(self) -> str:
        return iso_ms(to_ms(self._clock.now()))

    def _active(self, sub_id: str) -> bool:
        now = self._clock.now()
        return any(
            s.id == sub_id and s.status == "Active" and not s.expired(now) for s in self.store.all()
        )

    def _outcome(self, sub_id: str, ok: bool, reason: str) -> None:
        self._counters.count("deliveries")
        if self.store.delivery_result(sub_id, ok, reason, self._clock.now()):
            log.info("subscription %s blacklisted: %s", sub_id, reason)

    def envelope(self, sub: Subscription, flt: EventFilter, body: dict[str, Any]) -> dict[str, Any]:
        """RingCentral's notification envelope around an event body."""
        return {
            "uuid": str(secrets.randbelow(10**19 - 10**18) + 10**18),
            "event": flt.text.replace("/subscription/~", f"/subscription/{sub.id}"),
            "timestamp": self._now_iso(),
            "subscriptionId": sub.id,
            "ownerId": str(sub.extension_id),
            "body": body,
        }

    def publish_call(self, facts: CallFacts) -> int:
        """Address a call's events to every subscription that wants them; how many queued."""
        events = telephony_events(facts) + presence_events(facts, self.sequences)
        return self.publish(events)

    def publish(self, events: list[Event]) -> int:
        now = self._clock.now()
        queued: list[Delivery] = []
        for event in events:
            for sub, flt in self.store.targets(event, now):
                # The spec's account-level presence body has no activeCalls, detailed or not.
                detailed = flt.detailed and flt.extension_id is not None
                body = event.detailed_body if detailed else event.body
                queued.append(
                    Delivery(
                        sub.id, sub.address, sub.verification_token, self.envelope(sub, flt, body)
                    )
                )
        if self.worker.take_reorder():
            queued.reverse()
        for delivery in queued:
            self.worker.enqueue(delivery)
        return len(queued)

    def tick(self, now: datetime) -> None:
        """Send the renewal reminders now due: body {"expiresIn": seconds left}."""
        for sub, flt, left in self.store.reminders_due(now):
            envelope = self.envelope(sub, flt, {"expiresIn": left})
            self.worker.enqueue(Delivery(sub.id, sub.address, sub.verification_token, envelope))

    def end_session(self, session_id: str) -> None:
        """The session ended: its subscriptions end too."""
        gone = self.store.end_session(session_id)
        if gone:
            log.info("%d subscription(s) ended with their session", gone)

    def reset(self) -> None:
        self.store.clear()
        self.worker.reset()

    def close(self) -> None:
        self.worker.close()
