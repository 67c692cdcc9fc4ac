"""The settings table: every ini key, its environment override, its type and default.

:data:`TABLE` is the only list of settings. :func:`load` reads all of it into
:class:`Settings`, one frozen section per part of the app; :func:`load_section`
reads one section alone (the console scripts need only the database's). Anything
wrong stops the app with a message that names the setting. The README's
configuration table mirrors this.

A new setting is one row here and one field in its section: a row's key
``rcpyramid.<section>.<name>`` (or ``ringcentral.<name>``) fills that field, and
``field=`` says where a key of another shape goes.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pyramid.exceptions import ConfigurationError
from pyramid.settings import asbool

from rcpyramid import devsecrets
from rcpyramid.routes import CALLBACK_PATH

#: ``ringcentral.server_url`` takes this word to mean the built-in simulator.
BUILTIN_SIMULATOR = "simulator"


class SettingsError(ConfigurationError):
    """A setting is missing or wrong; the message names it."""


@dataclass(frozen=True)
class Setting:
    """One row of the table: ini key, environment variable, default, parser."""

    key: str
    env: str | None
    default: Any
    parse: Callable[[str], Any]
    #: ``section.name`` of the field this fills; empty: worked out from the key.
    field: str = ""

    @property
    def target(self) -> tuple[str, str]:
        """(section, field name) this row fills."""
        if self.field:
            section, _, name = self.field.partition(".")
            return section, name
        parts = self.key.split(".")
        if parts[0] == "rcpyramid":
            parts = parts[1:]
        return ("app", parts[0]) if len(parts) == 1 else (parts[0], ".".join(parts[1:]))


def _text(value: str) -> str:
    return value.strip()


def _positive_float(value: str) -> float:
    number = float(value)
    if not number > 0:
        raise ValueError("must be a positive number")
    return number


def _non_negative_float(value: str) -> float:
    number = float(value)
    if not number >= 0:
        raise ValueError("must be a number, 0 or more")
    return number


def _positive_int(value: str) -> int:
    number = int(value)
    if number <= 0:
        raise ValueError("must be a positive whole number")
    return number


def _non_negative_int(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError("must be a whole number, 0 or more")
    return number


def _port(value: str) -> int:
    number = int(value)
    if not 0 < number < 65536:
        raise ValueError("must be a TCP port (1-65535)")
    return number


def _timezone(value: str) -> ZoneInfo:
    try:
        return ZoneInfo(value.strip() or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {value!r} (an IANA name: Europe/Paris)") from error


def _networks(value: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Addresses or networks, separated by commas or spaces (``127.0.0.0/8 ::1``)."""
    try:
        return tuple(ipaddress.ip_network(part) for part in re.split(r"[\s,]+", value) if part)
    except ValueError as error:
        raise ValueError(f"{error} (addresses or networks, such as 10.0.0.0/8 ::1)") from error


def _environment(value: str) -> str:
    value = value.strip().lower()
    if value not in {"development", "production"}:
        raise ValueError("must be 'development' or 'production'")
    return value


# fmt: off
TABLE: tuple[Setting, ...] = (
    # app
    Setting("rcpyramid.environment", "RCPYRAMID_ENVIRONMENT", "development", _environment),
    Setting("rcpyramid.http_port", "RCPYRAMID_HTTP_PORT", 5000, _port),
    Setting("rcpyramid.canonical_host", "RCPYRAMID_CANONICAL_HOST", "", _text),
    Setting("rcpyramid.var_dir", "RCPYRAMID_VAR_DIR", "var", _text),
    Setting("rcpyramid.timezone", "RCPYRAMID_TIMEZONE", "UTC", _timezone),
    # ringcentral
    Setting("ringcentral.server_url", "RINGCENTRAL_SERVER_URL", BUILTIN_SIMULATOR, _text),
    Setting("ringcentral.client_id", "RINGCENTRAL_CLIENT_ID", "", _text),
    Setting("ringcentral.client_secret", "RINGCENTRAL_CLIENT_SECRET", "", _text),
    Setting("ringcentral.redirect_url", "RINGCENTRAL_REDIRECT_URL", "", _text),
    Setting("ringcentral.connect_timeout", None, 5.0, _positive_float),
    Setting("ringcentral.read_timeout", None, 20.0, _positive_float),
    Setting("ringcentral.total_timeout", None, 30.0, _positive_float),
    Setting("ringcentral.max_response_bytes", None, 16 * 1024 * 1024, _positive_int),
    Setting("ringcentral.pool_size", None, 20, _positive_int),
    Setting("ringcentral.retries", None, 2, _non_negative_int),
    # session
    Setting("rcpyramid.session.secret", "RCPYRAMID_SESSION_SECRET", "", _text),
    Setting("rcpyramid.session.cookie_name", None, "rcpyramid_session", _text),
    Setting("rcpyramid.session.cookie_secure", None, False, asbool),
    Setting("rcpyramid.session.idle_timeout", None, 7200, _positive_int),
    Setting("rcpyramid.session.absolute_timeout", None, 43200, _positive_int),
    Setting("rcpyramid.sign_in_timeout", None, 600, _positive_int, "session.sign_in_timeout"),
    Setting("rcpyramid.sign_ins_per_browser", None, 5, _positive_int, "session.sign_ins_per_browser"),  # noqa: E501
    Setting("rcpyramid.sign_ins_in_progress", None, 10000, _positive_int, "session.sign_ins_in_progress"),  # noqa: E501
    # tokens
    Setting("rcpyramid.tokens.backend", None, "rcpyramid.tokens.memory.MemoryTokenRepository", _text),  # noqa: E501
    Setting("rcpyramid.tokens.keys", "RCPYRAMID_TOKEN_KEYS", "", _text),
    # database (the SQL token backend; the memory backend ignores these)
    Setting("sqlalchemy.url", "RCPYRAMID_DATABASE_URL", "", _text, "database.url"),
    Setting("rcpyramid.database.pool_size", None, 20, _positive_int),
    Setting("rcpyramid.database.lock_timeout", None, 30.0, _positive_float),
    Setting("rcpyramid.database.timeout", None, 10.0, _positive_float),
    Setting("rcpyramid.database.max_waiting", None, 0, _non_negative_int),
    Setting("rcpyramid.database.auto_upgrade", None, False, asbool),
    Setting("rcpyramid.database.migrations", None, "", _text),
    # simulator (started by pserve when ringcentral.server_url = simulator)
    Setting("rcpyramid.simulator.host", None, "localhost", _text),
    Setting("rcpyramid.simulator.port", "RCPYRAMID_SIMULATOR_PORT", 5001, _port),
    # The simulator parses this itself (rcpyramid.simulator.config.parse_rate_limits).
    Setting("rcpyramid.simulator.rate_limits", None, "default", _text),
    Setting("rcpyramid.simulator.state_file", None, "", _text),
    # Mean seconds between the calls the demo users make and receive; 0 = a quiet office.
    Setting("rcpyramid.simulator.office", None, 0.0, _non_negative_float),
    # cache (RingCentral's answers, sign-out generations and the rate-limit budget)
    Setting("rcpyramid.cache.backend", "RCPYRAMID_CACHE_BACKEND", "dogpile.cache.memory", _text),
    Setting("rcpyramid.cache.url", "RCPYRAMID_CACHE_URL", "", _text),
    Setting("rcpyramid.cache.lifetimes", None, "Light=60,Medium=120,Heavy=300", _text),
    Setting("rcpyramid.cache.max_entries", None, 5000, _positive_int),
    Setting("rcpyramid.cache.socket_timeout", None, 0.5, _positive_float),
    Setting("rcpyramid.workers", "RCPYRAMID_WORKERS", 1, _positive_int, "cache.workers"),
    # ops (health, version, metrics: rcpyramid/ops/, docs/operations.md)
    Setting("rcpyramid.health.timeout", None, 2.0, _positive_float, "ops.health_timeout"),
    Setting("rcpyramid.metrics", "RCPYRAMID_METRICS", False, asbool, "ops.metrics"),
    Setting("rcpyramid.metrics.allow", None, "127.0.0.0/8 ::1", _networks, "ops.metrics_allow"),
    Setting("rcpyramid.metrics.token", "RCPYRAMID_METRICS_TOKEN", "", _text, "ops.metrics_tokens"),
    Setting("rcpyramid.build.commit", "RCPYRAMID_COMMIT", "", _text, "ops.commit"),
    Setting("rcpyramid.build.version_file", "RCPYRAMID_VERSION_FILE", "", _text, "ops.version_file"),  # noqa: E501
)
# fmt: on

_BY_KEY = {setting.key: setting for setting in TABLE}

_PLACEHOLDER = re.compile(
    r"^$|<.*>|change.?me|replace.?me|placeholder|your[-_ ]|enter[-_ ]|^x+$|^todo$|^secret$",
    re.IGNORECASE,
)
_DEMO_SECRET_HINT = "simulator-demo-secret"  # noqa: S105 - recognised so production refuses it

#: The development database, under var_dir, when ``sqlalchemy.url`` is empty.
DEVELOPMENT_DATABASE = "rcpyramid.sqlite"


def where(key: str) -> str:
    """How an error message names a setting: its ini key and its environment variable."""
    setting = _BY_KEY[key]
    if setting.env:
        return f"{setting.key} (or the environment variable {setting.env})"
    return setting.key


def environment_variables() -> tuple[str, ...]:
    """Every environment variable the table reads (tests clear them all)."""
    return tuple(setting.env for setting in TABLE if setting.env)


class _Reader:
    """Raw values from the environment and ini, parsed once each, for the sections to build on."""

    def __init__(self, ini: Mapping[str, Any], environ: Mapping[str, str]) -> None:
        self.ini = ini
        self.environ = environ
        self._parsed: dict[str, Any] = {}

    def __call__(self, key: str) -> Any:
        if key not in self._parsed:
            setting = _BY_KEY[key]
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
        return self("rcpyramid.environment") == "production"

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


def _fail(key: str, message: str) -> SettingsError:
    return SettingsError(f"{where(key)} {message}")


S = TypeVar("S", bound="_Section")


class _Section:
    """A section: its fields are its table rows, ``_build`` works out the rest and checks."""

    NAME: ClassVar[str]

    @classmethod
    def _build(cls: type[S], read: _Reader) -> S:
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
    def _build(cls, read: _Reader) -> AppSettings:
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
    def _build(cls, read: _Reader) -> RingCentralSettings:
        values = read.section(cls.NAME)
        production = read.production
        server_url = values["server_url"].rstrip("/")
        builtin = server_url == BUILTIN_SIMULATOR
        if builtin:
            if production:
                raise _fail("ringcentral.server_url", "is 'simulator', which production refuses")
            server_url = (
                f"http://{read('rcpyramid.simulator.host')}:{read('rcpyramid.simulator.port')}"
            )
        _check_url("ringcentral.server_url", server_url, production)
        redirect_url = read.redirect_url
        _check_url("ringcentral.redirect_url", redirect_url, production)
        for name in ("client_id", "client_secret"):
            if _PLACEHOLDER.search(values[name]):
                raise _fail(
                    f"ringcentral.{name}",
                    "is missing or a placeholder: set the value from your RingCentral app",
                )
        if production and _DEMO_SECRET_HINT in values["client_secret"]:
            raise _fail("ringcentral.client_secret", "is the simulator's demo secret")
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
    #: Every secret a cookie may be signed with, the signing one first (rotation).
    secrets: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"SessionSettings(cookie_name={self.cookie_name!r})"

    @classmethod
    def _build(cls, read: _Reader) -> SessionSettings:
        values = read.section(cls.NAME)
        if not values["secret"] and not read.production:
            values["secret"] = devsecrets.load_or_create(read.var_dir, "session_secret")
        # Several secrets rotate: the first signs, every one is accepted.
        secrets = tuple(re.split(r"[\s,]+", values["secret"].strip())) or ("",)
        for secret in secrets:
            if _PLACEHOLDER.search(secret) or len(secret) < 32:
                raise _fail(
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
    def _build(cls, read: _Reader) -> TokensSettings:
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
    def _build(cls, read: _Reader) -> DatabaseSettings:
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
    def _build(cls, read: _Reader) -> SimulatorSettings:
        values = read.section(cls.NAME)
        state_file = values["state_file"]
        values["state_file"] = Path(state_file) if state_file else read.var_dir / "simulator.json"
        return cls(**values)


CACHE_BACKENDS = ("dogpile.cache.memory", "dogpile.cache.redis", "dogpile.cache.null")
RATE_GROUPS = ("Light", "Medium", "Heavy", "Auth")


def _lifetimes(value: str) -> dict[str, int]:
    """``Light=60,Medium=120,Heavy=300``: a group not named keeps its default."""
    lifetimes = {"Light": 60, "Medium": 120, "Heavy": 300, "Auth": 60}
    for part in value.split(","):
        if not part.strip():
            continue
        group, sep, number = part.partition("=")
        group = group.strip()
        if not sep or group not in RATE_GROUPS:
            raise ValueError(f"{part.strip()!r} is not GROUP=SECONDS, GROUP one of {RATE_GROUPS}")
        try:
            seconds = int(number)
        except ValueError as error:
            raise ValueError(f"{group}: {number.strip()!r} is not a whole number") from error
        if seconds <= 0:
            raise ValueError(f"{group}: a lifetime is a positive number of seconds")
        lifetimes[group] = seconds
    return lifetimes


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
    def _build(cls, read: _Reader) -> CacheSettings:
        values = read.section(cls.NAME)
        if values["backend"] not in CACHE_BACKENDS:
            raise _fail(
                "rcpyramid.cache.backend",
                f"is {values['backend']!r}; choose one of " + ", ".join(CACHE_BACKENDS),
            )
        url = values["url"]
        if url and urlsplit(url).scheme not in {"redis", "rediss", "unix"}:
            raise _fail("rcpyramid.cache.url", "is not a redis://, rediss:// or unix:// URL")
        if values["backend"] == "dogpile.cache.redis" and not url:
            raise _fail(
                "rcpyramid.cache.backend",
                f"is dogpile.cache.redis, which needs {where('rcpyramid.cache.url')}",
            )
        try:
            values["lifetimes"] = _lifetimes(values["lifetimes"])
        except ValueError as error:
            raise SettingsError(f"{where('rcpyramid.cache.lifetimes')}: {error}") from error
        if values["workers"] > 1:
            _check_prefork(read, values["backend"], url)
        # The slowest refresh path: the login's lock, the token call, the API call again.
        # total_timeout bounds a call once connected (the watchdog cuts a dripping answer);
        # connect_timeout alone bounds a connect that never completes.
        call = max(read("ringcentral.total_timeout"), read("ringcentral.connect_timeout"))
        values["lock_timeout"] = read("rcpyramid.database.lock_timeout") + 2 * call + 5
        return cls(**values)


def _check_prefork(read: _Reader, backend: str, url: str) -> None:
    """Refuse what would break a guarantee across worker processes."""
    workers = where("rcpyramid.workers")
    if read("rcpyramid.tokens.backend").endswith(".MemoryTokenRepository"):
        raise SettingsError(
            f"{workers} is more than 1, but {where('rcpyramid.tokens.backend')} keeps tokens "
            "in one process's memory: use rcpyramid.tokens.sqla.SQLAlchemyTokenRepository"
        )
    if backend == "dogpile.cache.memory":
        raise SettingsError(
            f"{workers} is more than 1, but {where('rcpyramid.cache.backend')} is "
            "dogpile.cache.memory (one cache per process): use dogpile.cache.redis"
        )
    if not url:
        raise SettingsError(
            f"{workers} is more than 1, but {where('rcpyramid.cache.url')} is empty: the "
            "workers must share one rate-limit budget and the sign-out generations in Redis"
        )


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
    ops: OpsSettings


@dataclass(frozen=True)
class StoreSettings:
    """The sections a token store reads: all the console scripts load."""

    tokens: TokensSettings
    database: DatabaseSettings


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
    def _build(cls, read: _Reader) -> OpsSettings:
        values = read.section(cls.NAME)
        here = Path(read.ini.get("here") or os.getcwd())
        values["version_file"] = Path(values["version_file"] or here / "version.json")
        tokens = tuple(part for part in re.split(r"[\s,]+", values["metrics_tokens"]) if part)
        if any(_PLACEHOLDER.search(token) or len(token) < 32 for token in tokens):
            raise _fail("rcpyramid.metrics.token", "is a placeholder or shorter than 32 characters")
        values["metrics_tokens"] = tokens
        return cls(**values)


#: Section classes by name: every row of :data:`TABLE` fills a field of one of them.
SECTIONS: dict[str, type[_Section]] = {
    "app": AppSettings,
    "ringcentral": RingCentralSettings,
    "session": SessionSettings,
    "tokens": TokensSettings,
    "database": DatabaseSettings,
    "simulator": SimulatorSettings,
    "cache": CacheSettings,
    "ops": OpsSettings,
}


def load(ini: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> Settings:
    """Read, parse and check every setting; a :class:`SettingsError` names the first bad one."""
    read = _Reader(ini, os.environ if environ is None else environ)
    sections: dict[str, Any] = {name: section._build(read) for name, section in SECTIONS.items()}
    return Settings(**sections)


def load_section(
    section: type[S], ini: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> S:
    """Read one section alone (and only the rows it needs)."""
    return section._build(_Reader(ini, os.environ if environ is None else environ))


def load_store(ini: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> StoreSettings:
    """The token store's sections alone (no RingCentral or session settings needed)."""
    read = _Reader(ini, os.environ if environ is None else environ)
    return StoreSettings(tokens=TokensSettings._build(read), database=DatabaseSettings._build(read))


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check_url(key: str, url: str, production: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise _fail(key, f"is not an http(s) URL: {url!r}")
    if parts.scheme == "http":
        if production:
            raise _fail(key, f"is plain http ({url}); production needs https")
        if not is_loopback_host(parts.hostname):
            raise _fail(key, f"is plain http to {parts.hostname}; http is allowed only to loopback")
