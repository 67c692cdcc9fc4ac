"""The settings as sections: one frozen dataclass per part of the app, read from the table.

:func:`load` reads every row of :data:`~rcpyramid.config.table.TABLE` into
:class:`Settings`; :func:`load_section` reads one section alone (the console scripts
need only the database's). Anything wrong stops the app with a message that names the
setting. Each section's ``build`` works out what depends on other rows and checks
what one row alone cannot.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from rcpyramid import devsecrets
from rcpyramid.config.checks import (
    DEMO_SECRET_HINT,
    PLACEHOLDER,
    check_prefork,
    check_url,
    fail,
    is_loopback_host,
    parse_lifetimes,
)
from rcpyramid.config.table import BUILTIN_SIMULATOR, BY_KEY, TABLE, SettingsError, where
from rcpyramid.routes import CALLBACK_PATH, WEBHOOK_PATH

#: The development database, under var_dir, when ``sqlalchemy.url`` is empty.
DEVELOPMENT_DATABASE = "rcpyramid.sqlite"


class _Reader:
    """Raw values from the environment and ini, parsed once each, for the sections to build on."""

    def __init__(self, ini: Mapping[str, Any], environ: Mapping[str, str]) -> None:
        self.ini = ini
        self.environ = environ
        self._parsed: dict[str, Any] = {}

    def __call__(self, key: str) -> Any:
        if key not in self._parsed:
            setting = BY_KEY[key]
            # The environment wins over the ini file; an empty variable counts as unset.
            if setting.env and self.environ.get(setting.env, "").strip():
                raw = self.environ[setting.env]
            else:
                raw = self.ini.get(setting.key, setting.default)
            try:
                self._parsed[key] = setting.parse(raw) if isinstance(raw, str) else raw
            except ValueError as error:
                raise SettingsError(f"{where(key)}: {error}") from error
        return self._parsed[key]

    def section(self, name: str) -> dict[str, Any]:
        """The parsed rows of section ``name``, by field name."""
        return {s.target[1]: self(s.key) for s in TABLE if s.target[0] == name}

    # Values more than one section works out from.

    @property
    def production(self) -> bool:
        environment: str = self("rcpyramid.environment")
        return environment == "production"

    @property
    def var_dir(self) -> Path:
        var_dir = Path(self("rcpyramid.var_dir"))
        if not var_dir.is_absolute():
            var_dir = Path(self.ini.get("here") or os.getcwd()) / var_dir
        return var_dir

    @property
    def redirect_url(self) -> str:
        return (
            self("ringcentral.redirect_url")
            or f"http://localhost:{self('rcpyramid.http_port')}{CALLBACK_PATH}"
        )


S = TypeVar("S", bound="_Section")


class _Section:
    """A section: its fields are its table rows, ``build`` works out the rest and checks."""

    NAME: ClassVar[str]

    @classmethod
    def build(cls: type[S], read: _Reader) -> S:
        return cls(**read.section(cls.NAME))


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

    @classmethod
    def build(cls, read: _Reader) -> AppSettings:
        values = read.section(cls.NAME)
        redirect = read.redirect_url
        canonical = values["canonical_host"]
        # Where people must reach the app: the sign-in cookie must come back on that host.
        if canonical.lower() == "off":
            values["canonical_host"] = None
        else:
            values["canonical_host"] = (canonical or urlsplit(redirect).netloc).lower()
        values["var_dir"] = read.var_dir
        return cls(**values)


@dataclass(frozen=True)
class RingCentralSettings(_Section):
    """Which RingCentral, which app registered there, and how to talk to it."""

    NAME: ClassVar[str] = "ringcentral"
    server_url: str
    builtin_simulator: bool
    client_id: str
    client_secret: str
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

    def __repr__(self) -> str:
        return f"RingCentralSettings(server_url={self.server_url!r}, client_id={self.client_id!r})"

    @classmethod
    def build(cls, read: _Reader) -> RingCentralSettings:
        values = read.section(cls.NAME)
        production = read.production
        server_url = values["server_url"].rstrip("/")
        builtin = server_url == BUILTIN_SIMULATOR
        if builtin:
            if production:
                raise fail("ringcentral.server_url", "is 'simulator', which production refuses")
            server_url = (
                f"http://{read('rcpyramid.simulator.host')}:{read('rcpyramid.simulator.port')}"
            )
        check_url("ringcentral.server_url", server_url, production)
        redirect_url = read.redirect_url
        check_url("ringcentral.redirect_url", redirect_url, production)
        for name in ("client_id", "client_secret"):
            if PLACEHOLDER.search(values[name]):
                raise fail(
                    f"ringcentral.{name}",
                    "is missing or a placeholder: set the value from your RingCentral app",
                )
        if production and DEMO_SECRET_HINT in values["client_secret"]:
            raise fail("ringcentral.client_secret", "is the simulator's demo secret")
        values.update(server_url=server_url, builtin_simulator=builtin, redirect_url=redirect_url)
        return cls(**values)


@dataclass(frozen=True)
class SessionSettings(_Section):
    """The session cookie and how long a session and a sign-in may last."""

    NAME: ClassVar[str] = "session"
    #: The first of ``secrets``: it signs new cookies and derives the cache keys.
    secret: str
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
    secrets: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"SessionSettings(cookie_name={self.cookie_name!r})"

    @classmethod
    def build(cls, read: _Reader) -> SessionSettings:
        values = read.section(cls.NAME)
        if not values["secret"] and not read.production:
            values["secret"] = devsecrets.load_or_create(read.var_dir, "session_secret")
        # Several secrets rotate: the first signs, every one is accepted.
        secrets = tuple(re.split(r"[\s,]+", values["secret"].strip())) or ("",)
        for secret in secrets:
            if PLACEHOLDER.search(secret) or len(secret) < 32:
                raise fail(
                    "rcpyramid.session.secret",
                    "is missing, a placeholder or shorter than 32 characters (each of them, "
                    "when several are listed; make one with: "
                    "python -c 'import secrets; print(secrets.token_urlsafe(48))')",
                )
        values["secret"] = secrets[0]
        return cls(**values, secrets=secrets)


@dataclass(frozen=True)
class TokensSettings(_Section):
    """Which token repository, and the keys a backend that stores tokens encrypts with."""

    NAME: ClassVar[str] = "tokens"
    backend: str
    #: ``kid:base64url,...`` as configured (:func:`rcpyramid.tokens.crypto.load_keyring`).
    keys: str
    production: bool
    var_dir: Path

    def __repr__(self) -> str:
        return f"TokensSettings(backend={self.backend!r})"

    @classmethod
    def build(cls, read: _Reader) -> TokensSettings:
        return cls(**read.section(cls.NAME), production=read.production, var_dir=read.var_dir)


@dataclass(frozen=True)
class DatabaseSettings(_Section):
    """The SQL token backend's database."""

    NAME: ClassVar[str] = "database"
    #: Empty only in production with nothing configured (the SQL backend refuses that).
    url: str
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

    def __repr__(self) -> str:
        # A URL may carry a password.
        return f"DatabaseSettings(pool_size={self.pool_size!r})"

    @classmethod
    def build(cls, read: _Reader) -> DatabaseSettings:
        values = read.section(cls.NAME)
        if not values["url"] and not read.production:
            values["url"] = f"sqlite:///{read.var_dir / DEVELOPMENT_DATABASE}"
        return cls(**values, production=read.production)


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

    @classmethod
    def build(cls, read: _Reader) -> SimulatorSettings:
        values = read.section(cls.NAME)
        state_file = values["state_file"]
        values["state_file"] = Path(state_file) if state_file else read.var_dir / "simulator.json"
        return cls(**values)


CACHE_BACKENDS = ("dogpile.cache.memory", "dogpile.cache.redis", "dogpile.cache.null")


@dataclass(frozen=True)
class CacheSettings(_Section):
    """RingCentral's answers, the sign-out generations, the rate-limit budget, the workers."""

    NAME: ClassVar[str] = "cache"
    backend: str
    #: Redis every process shares (generations, budget; answers with the redis backend).
    url: str
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

    def __repr__(self) -> str:
        # The URL may carry a Redis password.
        return f"CacheSettings(backend={self.backend!r}, shared={bool(self.url)})"

    @classmethod
    def build(cls, read: _Reader) -> CacheSettings:
        values = read.section(cls.NAME)
        if values["backend"] not in CACHE_BACKENDS:
            raise fail(
                "rcpyramid.cache.backend",
                f"is {values['backend']!r}; choose one of " + ", ".join(CACHE_BACKENDS),
            )
        url = values["url"]
        if url and urlsplit(url).scheme not in {"redis", "rediss", "unix"}:
            raise fail("rcpyramid.cache.url", "is not a redis://, rediss:// or unix:// URL")
        if values["backend"] == "dogpile.cache.redis" and not url:
            raise fail(
                "rcpyramid.cache.backend",
                f"is dogpile.cache.redis, which needs {where('rcpyramid.cache.url')}",
            )
        try:
            values["lifetimes"] = parse_lifetimes(values["lifetimes"])
        except ValueError as error:
            raise SettingsError(f"{where('rcpyramid.cache.lifetimes')}: {error}") from error
        if values["workers"] > 1:
            check_prefork(read, values["backend"], url)
        # The slowest refresh path: the login's lock, the token call, the API call again.
        # total_timeout bounds a call once connected (the watchdog cuts a dripping answer);
        # connect_timeout alone bounds a connect that never completes.
        call = max(read("ringcentral.total_timeout"), read("ringcentral.connect_timeout"))
        values["lock_timeout"] = read("rcpyramid.database.lock_timeout") + 2 * call + 5
        return cls(**values)


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

    @classmethod
    def build(cls, read: _Reader) -> HistorySettings:
        values = read.section(cls.NAME)
        url = values["webhook_url"].strip()
        if not url and read("ringcentral.server_url").rstrip("/") == BUILTIN_SIMULATOR:
            # The built-in simulator delivers to this app's own port on loopback.
            url = f"http://localhost:{read('rcpyramid.http_port')}{WEBHOOK_PATH}"
        if url:
            parts = urlsplit(url)
            if parts.scheme not in {"http", "https"} or not parts.hostname:
                raise fail("ringcentral.webhook_url", f"is not an http(s) URL: {url!r}")
            if read.production and parts.scheme != "https":
                raise fail(
                    "ringcentral.webhook_url",
                    f"is plain http ({url}); RingCentral delivers to https addresses only",
                )
            if read.production and is_loopback_host(parts.hostname):
                raise fail(
                    "ringcentral.webhook_url",
                    f"is a loopback address ({parts.hostname}), which RingCentral cannot reach: "
                    "give the app's public https address",
                )
        values["webhook_url"] = url
        return cls(**values)


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
    metrics_tokens: tuple[str, ...]
    #: The commit this build is (else version_file's, else "unknown").
    commit: str
    #: A JSON file written at build time ({"commit": ..., ...}); empty: <here>/version.json.
    version_file: Path

    def __repr__(self) -> str:
        return f"OpsSettings(metrics={self.metrics!r}, tokens={len(self.metrics_tokens)})"

    @classmethod
    def build(cls, read: _Reader) -> OpsSettings:
        values = read.section(cls.NAME)
        here = Path(read.ini.get("here") or os.getcwd())
        values["version_file"] = Path(values["version_file"] or here / "version.json")
        tokens = tuple(part for part in re.split(r"[\s,]+", values["metrics_tokens"]) if part)
        if any(PLACEHOLDER.search(token) or len(token) < 32 for token in tokens):
            raise fail("rcpyramid.metrics.token", "is a placeholder or shorter than 32 characters")
        values["metrics_tokens"] = tokens
        return cls(**values)


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
    read = _Reader(ini, os.environ if environ is None else environ)
    sections: dict[str, Any] = {name: section.build(read) for name, section in SECTIONS.items()}
    return Settings(**sections)


def load_section(
    section: type[S], ini: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> S:
    """Read one section alone (and only the rows it needs)."""
    return section.build(_Reader(ini, os.environ if environ is None else environ))


def load_store(ini: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> StoreSettings:
    """The token store's sections alone (no RingCentral or session settings needed)."""
    read = _Reader(ini, os.environ if environ is None else environ)
    return StoreSettings(tokens=TokensSettings.build(read), database=DatabaseSettings.build(read))
