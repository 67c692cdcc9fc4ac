"""Webhook subscriptions: one per person, created, checked, renewed, replaced and deleted.

Each person's subscription listens to their detailed presence
(``/presence?detailedTelephonyState=true``): it needs only the ReadPresence
permission and says when a call ended (an ``activeCalls`` entry ``NoCall`` with
``terminationType: final``), which is what RingCentral's own CallLog module
listens to. Telephony-session events would say the same but need CallControl,
which also lets an app control calls. An administrator's subscription also
listens to the account's presence, for the company's call log.

Each subscription has its own random verification token; only a keyed hash of it
is kept. A reminder filter asks RingCentral to say ahead of the expiry; a check
on use (and every few minutes) renews what expires soon and replaces what
RingCentral lost (404), let expire or ``Blacklisted``.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from rcpyramid.callstore.schedule import ACTIVE, LiveSchedule, LoginLink, SubscriptionRow
from rcpyramid.clock import Clock
from rcpyramid.config import HistorySettings
from rcpyramid.livehistory.keys import HistoryKeys
from rcpyramid.livehistory.records import start_time
from rcpyramid.ops import metrics
from rcpyramid.ringcentral.client import RingCentralClient
from rcpyramid.ringcentral.endpoints import (
    SUBSCRIPTION_GROUPS,
    SUBSCRIPTION_RENEW_GROUP,
    SUBSCRIPTIONS,
)
from rcpyramid.ringcentral.errors import ApiError, RingCentralError
from rcpyramid.ringcentral.rest import ApiCall
from rcpyramid.ringcentral.signed_in import SignedInRingCentral
from rcpyramid.tokens.interfaces import Token

log = logging.getLogger(__name__)

PRESENCE_FILTER = "/restapi/v1.0/account/~/extension/~/presence?detailedTelephonyState=true"
ACCOUNT_PRESENCE_FILTER = "/restapi/v1.0/account/~/presence?detailedTelephonyState=true"
#: How often a subscription is read back from RingCentral (a blacklisting is said nowhere else).
CHECK_INTERVAL = timedelta(minutes=15)


def reminder_filter(lifetime: int) -> str:
    """RingCentral reminds from ``threshold`` seconds before the expiry, every ``interval``."""
    threshold = max(60, min(86400, lifetime // 2))
    interval = max(30, min(21600, threshold // 2))
    return f"/restapi/v1.0/subscription/~?threshold={threshold}&interval={interval}"


def renew_margin(lifetime: int) -> timedelta:
    """Renew once less than this is left (the reminder's threshold)."""
    return timedelta(seconds=max(60, min(86400, lifetime // 2)))


@dataclass(eq=False, repr=False)
class Subscriptions:
    """The people's webhook subscriptions, at RingCentral and in the schedule."""

    schedule: LiveSchedule
    keys: HistoryKeys
    settings: HistorySettings
    clock: Clock

    @property
    def enabled(self) -> bool:
        return bool(self.settings.webhook_url)

    def create(self, api: SignedInRingCentral, link: LoginLink) -> SubscriptionRow:
        """Create the person's subscription at RingCentral and keep it (its token hashed)."""
        token = secrets.token_urlsafe(32)
        lifetime = self.settings.subscription_lifetime
        filters = [PRESENCE_FILTER, reminder_filter(lifetime)]
        if link.company:
            filters.append(ACCOUNT_PRESENCE_FILTER)
        body = {
            "eventFilters": filters,
            "deliveryMode": {
                "transportType": "WebHook",
                "address": self.settings.webhook_url,
                "verificationToken": token,
            },
            "expiresIn": lifetime,
        }
        try:
            data = api.call(link.login_id, "POST", SUBSCRIPTIONS, json_body=body).data
        except RingCentralError:
            metrics.subscription_change("created", ok=False)
            raise
        now = self.clock()
        row = SubscriptionRow(
            id=str(data["id"]),
            owner=link.owner,
            company=link.company,
            token_hash=self.keys.token(token),
            expires_at=_expiry(data, now, lifetime),
            status=str(data.get("status") or ACTIVE),
            login_key=link.login_key,
            created_at=now,
            checked_at=now,
        )
        self.schedule.save_subscription(row)
        metrics.subscription_change("created", ok=True)
        log.info("created a webhook subscription for a history")
        return row

    def ensure(self, api: SignedInRingCentral, link: LoginLink) -> None:
        """The person has a working subscription afterwards (or RingCentral said why not)."""
        rows = self.schedule.subscriptions_of(link.owner)
        if not rows:
            self.create(api, link)
            return
        now = self.clock()
        for row in rows:
            if (
                row.renew
                or row.checked_at is None
                or row.checked_at < now - CHECK_INTERVAL
                or (
                    row.expires_at is not None
                    and row.expires_at - renew_margin(self.settings.subscription_lifetime) < now
                )
            ):
                self.check(api, link, row)

    def check(self, api: SignedInRingCentral, link: LoginLink, row: SubscriptionRow) -> None:
        """Read it back: renew when due, replace when missing, expired or blacklisted."""
        path = f"{SUBSCRIPTIONS}/{row.id}"
        now = self.clock()
        try:
            data = api.call(link.login_id, "GET", path, group=SUBSCRIPTION_GROUPS["GET"]).data
        except ApiError as error:
            if error.status == 404:
                log.info("a webhook subscription is gone at RingCentral; creating another")
                self.replace(api, link, row, delete_first=False)
                return
            raise
        data = data if isinstance(data, dict) else {}
        status = str(data.get("status") or ACTIVE)
        expires = _expiry(data, now, 0) or row.expires_at
        if status != ACTIVE or (expires is not None and expires <= now):
            log.info("a webhook subscription is %s at RingCentral; replacing it", status)
            self.replace(api, link, row, delete_first=True)
            return
        margin = renew_margin(self.settings.subscription_lifetime)
        if row.renew or (expires is not None and expires - margin < now):
            try:
                renewed = api.call(
                    link.login_id, "POST", f"{path}/renew", group=SUBSCRIPTION_RENEW_GROUP
                ).data
            except RingCentralError:
                metrics.subscription_change("renewed", ok=False)
                raise
            expires = _expiry(renewed if isinstance(renewed, dict) else {}, now, 0) or expires
            metrics.subscription_change("renewed", ok=True)
            log.info("renewed a webhook subscription")
        self.schedule.save_subscription(
            replace(row, status=status, expires_at=expires, checked_at=now, renew=False)
        )

    def replace(
        self, api: SignedInRingCentral, link: LoginLink, row: SubscriptionRow, *, delete_first: bool
    ) -> None:
        if delete_first:
            try:
                api.call(
                    link.login_id,
                    "DELETE",
                    f"{SUBSCRIPTIONS}/{row.id}",
                    group=SUBSCRIPTION_GROUPS["DELETE"],
                )
            except ApiError as error:
                if error.status != 404:
                    raise
        self.schedule.delete_subscription(row.id)
        self.create(api, link)
        metrics.subscription_change("replaced", ok=True)

    def delete_all(self, client: RingCentralClient, token: Token, owner: str) -> int:
        """Sign-out: delete the owner's subscriptions at RingCentral with ``token``, and here.

        With the token of the login that is ending (no refresh: it is being revoked).
        What RingCentral does not answer is forgotten here all the same; it expires
        there, or is blacklisted once this app refuses its deliveries.
        """
        deleted = 0
        for row in self.schedule.subscriptions_of(owner):
            try:
                client.send(ApiCall(f"{SUBSCRIPTIONS}/{row.id}", method="DELETE"), token)
                deleted += 1
                metrics.subscription_change("deleted", ok=True)
            except RingCentralError as error:
                metrics.subscription_change("deleted", ok=False)
                log.warning("deleting a webhook subscription failed: %s", type(error).__name__)
            self.schedule.delete_subscription(row.id)
        return deleted


def _expiry(data: dict[str, Any], now: datetime, lifetime: int) -> datetime | None:
    when = start_time({"startTime": data.get("expirationTime")})
    if when is not None:
        return when
    seconds = data.get("expiresIn")
    if isinstance(seconds, int) and seconds > 0:
        return now + timedelta(seconds=seconds)
    return now + timedelta(seconds=lifetime) if lifetime else None
