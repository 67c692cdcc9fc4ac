"""Webhook subscriptions: RingCentral's lifetimes, limits, states and wire shape.

Kept in memory only (a restarted simulator has none, as after RingCentral's own
reconciliation an app must be ready to re-create them). Each belongs to the session that
made it and ends with it (revoke, sign-out, a newer session pushing it out).
"""

from __future__ import annotations

import secrets
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from . import api_errors
from .clock import iso_ms, to_ms
from .deliveries import shown
from .events import Event
from .filters import EventFilter

DEFAULT_LIFETIME = 604800  # 7 days, when expiresIn is omitted
MAX_LIFETIME = 315360000  # 10 years, for WebHook
LIMIT_PER_EXTENSION = 30  # per app
KEEP_EXPIRED = timedelta(days=1)  # answers SUB-507 rather than "not found" for a while


@dataclass
class Subscription:
    """One webhook subscription and its delivery state."""

    id: str
    username: str
    extension_id: int
    client_id: str
    session_id: str
    filters: tuple[EventFilter, ...]
    address: str
    verification_token: str | None  # never echoed; sent as the Verification-Token header
    created_at: datetime
    lifetime: int
    expires_at: datetime
    status: str = "Active"  # Active | Blacklisted
    blacklisted_at: datetime | None = None
    blacklist_reason: str | None = None
    failures: int = 0  # consecutive
    delivered: int = 0
    last_reminder_at: datetime | None = None
    history: list[str] = field(default_factory=list)

    def expired(self, now: datetime) -> bool:
        """Whether its lifetime is over (it then receives nothing)."""
        return now >= self.expires_at

    def filter_texts(self) -> list[str]:
        """The filters as RingCentral echoes them: every `~` expanded."""
        return [f.text.replace("/subscription/~", f"/subscription/{self.id}") for f in self.filters]

    def to_json(self, host_url: str, now: datetime) -> dict[str, Any]:
        """SubscriptionInfo: `~` expanded, the verification token never echoed."""
        out: dict[str, Any] = {
            "uri": f"{host_url}/restapi/v1.0/subscription/{self.id}",
            "id": self.id,
            "creationTime": iso_ms(to_ms(self.created_at)),
            "status": self.status,
            "eventFilters": self.filter_texts(),
            "expirationTime": iso_ms(to_ms(self.expires_at)),
            "expiresIn": max(1, int((self.expires_at - now).total_seconds())),
            "deliveryMode": {
                "transportType": "WebHook",
                "encryption": False,
                "address": self.address,
            },
        }
        if self.status == "Blacklisted":
            out["blacklistedData"] = {
                "blacklistedAt": iso_ms(to_ms(self.blacklisted_at or now)),
                "reason": self.blacklist_reason or "",
            }
        return out

    def control_json(self, now: datetime) -> dict[str, Any]:
        """What GET /simulator/subscriptions shows (no verification token either)."""
        return {
            "id": self.id,
            "username": self.username,
            "client_id": self.client_id,
            "status": "Expired" if self.expired(now) else self.status,
            "eventFilters": self.filter_texts(),
            "address": shown(self.address),
            "creationTime": iso_ms(to_ms(self.created_at)),
            "expirationTime": iso_ms(to_ms(self.expires_at)),
            "consecutive_failures": self.failures,
            "delivered": self.delivered,
            "blacklistedData": None
            if self.status != "Blacklisted"
            else {
                "reason": self.blacklist_reason,
                "blacklistedAt": iso_ms(to_ms(self.blacklisted_at or now)),
            },
        }


class SubscriptionStore:
    """Every subscription, behind one lock; never does HTTP itself."""

    def __init__(self, blacklist_after: int) -> None:
        self._lock = threading.Lock()
        self._subs: dict[str, Subscription] = {}
        self.blacklist_after = blacklist_after

    def count_live(self, username: str, client_id: str, now: datetime) -> int:
        """How many unexpired subscriptions a user has for an app (the limit counts these)."""
        with self._lock:
            return sum(
                1
                for s in self._subs.values()
                if s.username == username and s.client_id == client_id and not s.expired(now)
            )

    def add(
        self,
        *,
        username: str,
        extension_id: int,
        client_id: str,
        session_id: str,
        filters: tuple[EventFilter, ...],
        address: str,
        verification_token: str | None,
        lifetime: int,
        now: datetime,
    ) -> Subscription:
        """Store a subscription whose handshake passed; SUB-505 past the limit."""
        with self._lock:
            live = sum(
                1
                for s in self._subs.values()
                if s.username == username and s.client_id == client_id and not s.expired(now)
            )
            if live >= LIMIT_PER_EXTENSION:
                raise api_errors.subscription_limit()
            sub = Subscription(
                id=str(uuid.UUID(bytes=secrets.token_bytes(16), version=4)),
                username=username,
                extension_id=extension_id,
                client_id=client_id,
                session_id=session_id,
                filters=filters,
                address=address,
                verification_token=verification_token,
                created_at=now,
                lifetime=lifetime,
                expires_at=now + timedelta(seconds=lifetime),
            )
            self._subs[sub.id] = sub
            return sub

    def owned(self, sub_id: str, username: str, client_id: str, now: datetime) -> Subscription:
        """A subscription of this user and app; 404 otherwise (SUB-507 once expired)."""
        with self._lock:
            self._purge(now)
            sub = self._subs.get(sub_id)
            if sub is None or sub.username != username or sub.client_id != client_id:
                raise api_errors.subscription_not_found()
            if sub.expired(now):
                raise api_errors.subscription_expired()
            return sub

    def of(self, username: str, client_id: str, now: datetime) -> list[Subscription]:
        """The live subscriptions of a user and app, oldest first."""
        with self._lock:
            self._purge(now)
            return [
                s
                for s in self._subs.values()
                if s.username == username and s.client_id == client_id and not s.expired(now)
            ]

    def renew(self, sub: Subscription, now: datetime, lifetime: int | None = None) -> None:
        """A new expiry, `lifetime` (or the subscription's own) from now; reminders restart."""
        with self._lock:
            if lifetime is not None:
                sub.lifetime = lifetime
            sub.expires_at = now + timedelta(seconds=sub.lifetime)
            sub.last_reminder_at = None

    def replace_filters(self, sub: Subscription, filters: tuple[EventFilter, ...]) -> None:
        """An update's new filters (already checked)."""
        with self._lock:
            sub.filters = filters

    def delete(self, sub_id: str) -> None:
        """Forget a subscription (queued deliveries for it are dropped)."""
        with self._lock:
            self._subs.pop(sub_id, None)

    def end_session(self, session_id: str) -> int:
        """Delete every subscription a session made; how many."""
        with self._lock:
            gone = [k for k, s in self._subs.items() if s.session_id == session_id]
            for key in gone:
                del self._subs[key]
            return len(gone)

    def all(self) -> list[Subscription]:
        """Every subscription, expired and blacklisted ones too."""
        with self._lock:
            return list(self._subs.values())

    def clear(self) -> None:
        """Forget every subscription (reset)."""
        with self._lock:
            self._subs.clear()

    def targets(self, event: Event, now: datetime) -> list[tuple[Subscription, EventFilter]]:
        """Active, unexpired subscriptions and the filters of theirs that select an event."""
        with self._lock:
            return [
                (s, f)
                for s in self._subs.values()
                if s.status == "Active" and not s.expired(now)
                for f in s.filters
                if f.matches(event)
            ]

    def reminders_due(self, now: datetime) -> list[tuple[Subscription, EventFilter, int]]:
        """(subscription, reminder filter, seconds left) for each reminder now due."""
        due = []
        with self._lock:
            for s in self._subs.values():
                if s.status != "Active" or s.expired(now):
                    continue
                left = int((s.expires_at - now).total_seconds())
                for f in s.filters:
                    if f.kind != "reminder" or left > f.threshold:
                        continue
                    last = s.last_reminder_at
                    if last is None or (now - last).total_seconds() >= f.interval:
                        s.last_reminder_at = now
                        due.append((s, f, left))
        return due

    def delivery_result(self, sub_id: str, ok: bool, reason: str, now: datetime) -> bool:
        """Count a delivery's outcome; True when this failure blacklisted the subscription."""
        with self._lock:
            sub = self._subs.get(sub_id)
            if sub is None:
                return False
            if ok:
                sub.failures = 0
                sub.delivered += 1
                return False
            sub.failures += 1
            if sub.status == "Active" and sub.failures >= self.blacklist_after:
                sub.status = "Blacklisted"
                sub.blacklisted_at = now
                sub.blacklist_reason = reason
                return True
            return False

    def _purge(self, now: datetime) -> None:
        for key, sub in list(self._subs.items()):
            if now > sub.expires_at + KEEP_EXPIRED:
                del self._subs[key]
