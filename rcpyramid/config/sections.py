"""The settings as sections: one frozen dataclass per part of the app, read from the table.

:func:`load` reads every row of :data:`~rcpyramid.config.table.TABLE` into
:class:`Settings`; :func:`load_section` reads one section alone (the console scripts
need only the database's). Anything wrong stops the app with a message that names the
setting. A section's rows are completed and checked by its entry in
:data:`~rcpyramid.config.derive.DERIVE` (what depends on other rows, what one row alone
cannot tell), so every section is built the same way. A secret, and a URL that may carry
a password, is a ``field(repr=False)``: no section's ``repr`` (a log line, a traceback)
shows one.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from rcpyramid.config.derive import DERIVE
from rcpyramid.config.reader import Reader

S = TypeVar("S", bound="_Section")


class _Section:
    """A section: its fields are its table rows, completed and checked by ``DERIVE``."""

    NAME: ClassVar[str]

    @classmethod
    def build(cls: type[S], read: Reader) -> S:
        values = read.section(cls.NAME)
        derive = DERIVE.get(cls.NAME)
        if derive is not None:
            derive(values, read)
        return cls(**values)


@dataclass(frozen=True)
class AppSettings(_Section):
    """Where and how the app runs."""

    NAME: ClassVar[str] = "app"
    environment: str
    http_port: int
    canonical_host: str | None
    var_dir: Path
    timezone: ZoneInfo

    @property
    def production(self) -> bool:
        return self.environment == "production"


@dataclass(frozen=True)
class RingCentralSettings(_Section):
    """Which RingCentral, which app registered there, and how to talk to it."""

    NAME: ClassVar[str] = "ringcentral"
    server_url: str
    builtin_simulator: bool
    client_id: str
    client_secret: str = field(repr=False)
    redirect_url: str
    connect_timeout: float
    read_timeout: float
    #: The whole call, connect to last byte: a watchdog cuts the connection then.
    total_timeout: float
    max_response_bytes: int
    pool_size: int
    #: GETs retried after a 408/502/503/504 or a broken connection (ringcentral/retries.py).
    retries: int

    @property
    def insecure_transport(self) -> bool:
        """True when RingCentral is reached over plain http (a loopback host in development)."""
        return urlsplit(self.server_url).scheme == "http"


@dataclass(frozen=True)
class SessionSettings(_Section):
    """The session cookie and how long a session and a sign-in may last."""

    NAME: ClassVar[str] = "session"
    #: The first of ``secrets``: it signs new cookies and derives the cache keys.
    secret: str = field(repr=False)
    cookie_name: str
    cookie_secure: bool
    idle_timeout: int
    absolute_timeout: int
    sign_in_timeout: int
    #: Pending sign-ins one browser keeps (its oldest give way to a new one).
    sign_ins_per_browser: int
    #: Pending sign-ins kept in all; over it, new sign-ins are refused.
    sign_ins_in_progress: int
    #: Pending sign-ins one client address (an IPv6 /64) may have; over it, a 429.
    sign_ins_per_address: int
    #: Every secret a cookie may be signed with, the signing one first (rotation).
    secrets: tuple[str, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class TokensSettings(_Section):
    """Which token repository, and the keys a backend that stores tokens encrypts with."""

    NAME: ClassVar[str] = "tokens"
    backend: str
    #: ``kid:base64url,...`` as configured (:func:`rcpyramid.tokens.crypto.load_keyring`).
    keys: str = field(repr=False)
    production: bool
    var_dir: Path


@dataclass(frozen=True)
class DatabaseSettings(_Section):
    """The SQL token backend's database."""

    NAME: ClassVar[str] = "database"
    #: Empty only in production with nothing configured (the SQL backend refuses that).
    url: str = field(repr=False)
    pool_size: int
    lock_timeout: float
    #: Seconds any one database call may take, measured here (not by the server).
    timeout: float
    #: Threads that may wait on the database at once; 0: half the server's threads.
    max_waiting: int
    auto_upgrade: bool
    #: Empty: ``migrations/`` of the checkout.
    migrations: str
    production: bool


@dataclass(frozen=True)
class SimulatorSettings(_Section):
    """The built-in simulator pserve starts when ``ringcentral.server_url = simulator``."""

    NAME: ClassVar[str] = "simulator"
    host: str
    port: int
    #: As configured; the simulator parses it (``default``, ``off``, ``Heavy=10,...``).
    rate_limits: str
    state_file: Path
    #: Mean seconds between the demo users' calls (webhook events, new records); 0 = none.
    office: float


@dataclass(frozen=True)
class CacheSettings(_Section):
    """RingCentral's answers, the sign-out generations, the rate-limit budget, the workers."""

    NAME: ClassVar[str] = "cache"
    backend: str
    #: Redis every process shares (generations, budget; answers with the redis backend).
    url: str = field(repr=False)
    lifetimes: dict[str, int]
    max_entries: int
    socket_timeout: float
    workers: int
    #: Seconds one fetch may hold the cache lock: a refresh's lock wait and two calls.
    lock_timeout: float

    @property
    def enabled(self) -> bool:
        return self.backend != "dogpile.cache.null"

    def lifetime(self, group: str) -> int:
        return self.lifetimes.get(group, self.lifetimes["Medium"])


@dataclass(frozen=True)
class HistorySettings(_Section):
    """The live call history: how far back, how it stays current, where RingCentral delivers."""

    NAME: ClassVar[str] = "history"
    #: Days of calls kept per person (and per account for administrators).
    days: int
    #: Seconds between a call's end and the sync that fetches its record.
    record_delay: float
    #: False: no background thread (tests drive ``run_due_once``; a separate process may).
    worker: bool
    #: ``expiresIn`` asked for each webhook subscription.
    subscription_lifetime: int
    #: Without a webhook address: at most one ISync this often while a page is open.
    poll_interval: int
    #: Seconds a worker holds a person's sync; a killed worker's hold ends after it.
    lease: float
    #: Empty: no webhooks (syncs while a page is open). Checked: https, public in production.
    webhook_url: str


@dataclass(frozen=True)
class OpsSettings(_Section):
    """What operators read: health, the build's version, metrics (docs/operations.md)."""

    NAME: ClassVar[str] = "ops"
    #: Seconds each readiness check (token store, Redis, ...) may take on its own.
    health_timeout: float
    #: Serve /metrics (Prometheus) at all.
    metrics: bool
    #: Who may read /metrics by address (after the trusted proxy's X-Forwarded-For).
    metrics_allow: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    #: Bearer tokens that may read /metrics from anywhere (several while rotating).
    metrics_tokens: tuple[str, ...] = field(repr=False)
    #: The commit this build is (else version_file's, else "unknown").
    commit: str
    #: A JSON file written at build time ({"commit": ..., ...}); empty: <here>/version.json.
    version_file: Path


@dataclass(frozen=True)
class Settings:
    """The validated settings the app runs with, one section per part."""

    app: AppSettings
    ringcentral: RingCentralSettings
    session: SessionSettings
    tokens: TokensSettings
    database: DatabaseSettings
    simulator: SimulatorSettings
    cache: CacheSettings
    history: HistorySettings
    ops: OpsSettings


@dataclass(frozen=True)
class StoreSettings:
    """The sections a token store reads: all the console scripts load."""

    tokens: TokensSettings
    database: DatabaseSettings


#: Section classes by name: every row of :data:`TABLE` fills a field of one of them.
SECTIONS: dict[str, type[_Section]] = {
    "app": AppSettings,
    "ringcentral": RingCentralSettings,
    "session": SessionSettings,
    "tokens": TokensSettings,
    "database": DatabaseSettings,
    "simulator": SimulatorSettings,
    "cache": CacheSettings,
    "history": HistorySettings,
    "ops": OpsSettings,
}


def load(ini: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> Settings:
    """Read, parse and check every setting; a :class:`SettingsError` names the first bad one."""
    read = Reader(ini, os.environ if environ is None else environ)
    sections: dict[str, Any] = {name: section.build(read) for name, section in SECTIONS.items()}
    return Settings(**sections)


def load_section(
    section: type[S], ini: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> S:
    """Read one section alone (and only the rows it needs)."""
    return section.build(Reader(ini, os.environ if environ is None else environ))


def load_store(ini: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> StoreSettings:
    """The token store's sections alone (no RingCentral or session settings needed)."""
    read = Reader(ini, os.environ if environ is None else environ)
    return StoreSettings(tokens=TokensSettings.build(read), database=DatabaseSettings.build(read))
