"""Configuration of the RingCentral simulator: registered clients and switches."""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from .demo_users import DEMO_USERS, DemoUser

RATE_LIMIT_GROUPS = ("Light", "Medium", "Heavy", "Auth")
# Every app permission the simulator checks; a client registered without naming its
# permissions holds all of them (what rcpyramid's own app uses).
APP_PERMISSIONS = (
    "ReadAccounts",
    "ReadCallLog",
    "ReadPresence",
    "CallControl",
    "WebhookSubscriptions",
)


@dataclass(frozen=True)
class RegisteredClient:
    """An app registered with the simulated RingCentral account."""

    client_id: str
    client_secret: str  # "" = public client: sends client_id in the body, no Basic
    redirect_uris: tuple[str, ...]
    permissions: tuple[str, ...] = APP_PERMISSIONS

    @property
    def is_public(self) -> bool:
        """True when the client has no secret (PKCE-only, client_id in the body)."""
        return self.client_secret == ""


# Also accepted in a client's permissions (the record and message reads check them).
KNOWN_PERMISSIONS = (*APP_PERMISSIONS, "ReadExtensions", "ReadCallRecording", "ReadMessages")


# The simulator's demo client. This is the ONLY credential committed to the project:
# it is public, works nowhere but against this simulator, and is shown on its home page.
DEMO_CLIENT = RegisteredClient(
    "rcpyramid-demo-client",
    "simulator-demo-secret-not-a-real-credential",  # the simulator's demo client
    ("http://localhost:5000/oauth2callback",),
)


@dataclass
class SimulatorConfig:
    """How one simulator instance behaves."""

    clients: tuple[RegisteredClient, ...] = (DEMO_CLIENT,)
    users: tuple[DemoUser, ...] = DEMO_USERS  # who can sign in; the first is the busiest
    state_file: pathlib.Path | None = None  # None = memory only
    seed: int = 20260101
    # None = counted and reported in headers but never enforced.
    rate_limits: dict[str, int] | None = None
    test_controls: bool = True
    clock: Callable[[], datetime] | None = None  # aware UTC; default datetime.now(UTC)
    max_sessions_per_user: int = 5
    # Seconds from a call's end until its call-log record can be read (RingCentral: 15-30).
    record_delay: float = 20.0
    # Consecutive failed deliveries after which a webhook subscription is Blacklisted.
    blacklist_after: int = 3
    # Seconds the Validation-Token handshake and each delivery may take (RingCentral: 3).
    webhook_timeout: float = 3.0
    # Mean seconds between the calls the demo users make and receive; None = a quiet office.
    office_interval: float | None = None
    DEFAULT_RATE_LIMITS: ClassVar[dict[str, int]] = {
        "Light": 50,
        "Medium": 40,
        "Heavy": 10,
        "Auth": 5,
    }

    def validate(self) -> None:
        """Raise ValueError for a configuration the simulator cannot honour."""
        ids = [c.client_id for c in self.clients]
        if not ids:
            raise ValueError("at least one client must be registered")
        if len(set(ids)) != len(ids):
            raise ValueError("client ids must be unique")
        if any(not c.client_id or ":" in c.client_id for c in self.clients):
            raise ValueError("client ids must be non-empty and contain no ':'")
        if self.rate_limits is not None:
            unknown = set(self.rate_limits) - set(RATE_LIMIT_GROUPS)
            if unknown:
                raise ValueError(f"unknown rate limit groups: {sorted(unknown)}")
            if any(int(v) < 1 for v in self.rate_limits.values()):
                raise ValueError("rate limits must be positive")
        if self.max_sessions_per_user < 1:
            raise ValueError("max_sessions_per_user must be at least 1")
        if self.record_delay < 0:
            raise ValueError("record_delay must not be negative")
        if self.blacklist_after < 1:
            raise ValueError("blacklist_after must be at least 1")
        if self.webhook_timeout <= 0:
            raise ValueError("webhook_timeout must be positive")
        if self.office_interval is not None and self.office_interval <= 0:
            raise ValueError("office_interval must be positive")
        for client in self.clients:
            strange = sorted(set(client.permissions) - set(KNOWN_PERMISSIONS))
            if strange:
                raise ValueError(
                    f"unknown permissions {strange}; known: {', '.join(KNOWN_PERMISSIONS)}"
                )

    def limit_for(self, group: str) -> tuple[int, bool]:
        """Return (limit, enforced) for a rate-limit group."""
        if self.rate_limits is not None and group in self.rate_limits:
            return int(self.rate_limits[group]), True
        return self.DEFAULT_RATE_LIMITS[group], False


def parse_rate_limits(text: str) -> dict[str, int] | None:
    """`default`, `off`, or GROUP=N[,GROUP=N...]; ValueError says what is wrong."""
    text = text.strip()
    if text in {"", "default"}:
        return dict(SimulatorConfig.DEFAULT_RATE_LIMITS)
    if text == "off":
        return None
    limits: dict[str, int] = {}
    for item in text.split(","):
        group, sep, value = item.strip().partition("=")
        group, value = group.strip(), value.strip()
        if not sep or group not in RATE_LIMIT_GROUPS or not value.isdigit():
            raise ValueError("expected default, off or e.g. Light=50,Medium=40,Heavy=10,Auth=5")
        if int(value) < 1:
            raise ValueError("limits must be at least 1")
        limits[group] = int(value)
    return limits
