"""Every RingCentral path the app calls, its rate-limit group, and RingCentral's time format.

RingCentral counts requests per user, app and *group* (its API reference names the
group of each endpoint); the budget (:mod:`rcpyramid.ringcentral.ratelimit`) and the
cache lifetimes are kept per group, so a path and its group are written down together,
here, once. A path not listed counts as Medium, RingCentral's most common group.
"""

from __future__ import annotations

from datetime import UTC, datetime

AUTHORIZE = "/restapi/oauth/authorize"
TOKEN = "/restapi/oauth/token"  # noqa: S105 - a path, not a password
REVOKE = "/restapi/oauth/revoke"

EXTENSION_INFO = "/restapi/v1.0/account/~/extension/~"
EXTENSIONS = "/restapi/v1.0/account/~/extension"
OWN_CALL_LOG = "/restapi/v1.0/account/~/extension/~/call-log"
ACCOUNT_CALL_LOG = "/restapi/v1.0/account/~/call-log"
#: Call-log sync (FSync/ISync), the person's and (administrators) the account's.
OWN_CALL_LOG_SYNC = "/restapi/v1.0/account/~/extension/~/call-log-sync"
ACCOUNT_CALL_LOG_SYNC = "/restapi/v1.0/account/~/call-log-sync"
#: Webhook subscriptions: create (POST, Medium) here; one by id as ``SUBSCRIPTIONS/{id}``.
SUBSCRIPTIONS = "/restapi/v1.0/subscription"

LIGHT, MEDIUM, HEAVY, AUTH = "Light", "Medium", "Heavy", "Auth"

#: The rate-limit group of each API path the app calls (RingCentral's API reference).
GROUP_OF_PATH = {
    EXTENSION_INFO: LIGHT,
    EXTENSIONS: MEDIUM,
    OWN_CALL_LOG: HEAVY,
    ACCOUNT_CALL_LOG: HEAVY,
    OWN_CALL_LOG_SYNC: HEAVY,
    ACCOUNT_CALL_LOG_SYNC: HEAVY,
    SUBSCRIPTIONS: MEDIUM,
}

#: Groups of ``/subscription/{id}`` by method (the path alone does not say): read Light,
#: update and delete Medium; ``POST /subscription/{id}/renew`` is Light.
SUBSCRIPTION_GROUPS = {"GET": LIGHT, "PUT": MEDIUM, "DELETE": MEDIUM}
SUBSCRIPTION_RENEW_GROUP = LIGHT


def group_of(path: str) -> str:
    """The rate-limit group RingCentral counts a call to ``path`` in."""
    return GROUP_OF_PATH.get(path, MEDIUM)


#: How RingCentral writes a moment in a query (``dateFrom``): UTC, milliseconds, a Z.
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.000Z"


def rc_time(moment: datetime) -> str:
    """``moment`` (aware) as RingCentral reads it in a query string."""
    return moment.astimezone(UTC).strftime(TIME_FORMAT)
