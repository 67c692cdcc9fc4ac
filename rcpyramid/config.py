"""The settings table: every ini key, its environment override, its type and default.

Read once at start-up into :class:`AppSettings`; anything wrong stops the app with
a message that names the setting. The README's configuration table mirrors this.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pyramid.exceptions import ConfigurationError
from pyramid.settings import asbool

from rcpyramid import devsecrets

#: ``ringcentral.server_url`` takes this word to mean the built-in simulator.
BUILTIN_SIMULATOR = "simulator"

PRODUCTION_SERVER = "https://platform.ringcentral.com"


class SettingsError(ConfigurationError):
    """A setting is missing or wrong; the message names it."""


@dataclass(frozen=True)
class Setting:
    key: str
    env: str | None
    default: Any
    parse: Callable[[str], Any]
    secret: bool = False
    help: str = ""


def _text(value: str) -> str:
    return value.strip()


def _positive_float(value: str) -> float:
    number = float(value)
    if not number > 0:
        raise ValueError("must be a positive number")
    return number


def _positive_int(value: str) -> int:
    number = int(value)
    if number <= 0:
        raise ValueError("must be a positive whole number")
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


def _environment(value: str) -> str:
    value = value.strip().lower()
    if value not in {"development", "production"}:
        raise ValueError("must be 'development' or 'production'")
    return value


TABLE: tuple[Setting, ...] = (
    Setting(
        "rcpyramid.environment",
        "RCPYRAMID_ENVIRONMENT",
        "development",
        _environment,
        help="development allows http to loopback hosts and generates secrets under var/",
    ),
    Setting(
        "ringcentral.server_url",
        "RINGCENTRAL_SERVER_URL",
        BUILTIN_SIMULATOR,
        _text,
        help="RingCentral's base URL, or 'simulator' for the built-in simulator",
    ),
    Setting(
        "ringcentral.client_id",
        "RINGCENTRAL_CLIENT_ID",
        "",
        _text,
        help="the app's client id from the RingCentral developer console",
    ),
    Setting(
        "ringcentral.client_secret",
        "RINGCENTRAL_CLIENT_SECRET",
        "",
        _text,
        secret=True,
        help="the app's client secret (keep it in the environment)",
    ),
    Setting(
        "ringcentral.redirect_url",
        "RINGCENTRAL_REDIRECT_URL",
        "",
        _text,
        help="the redirect URI registered with RingCentral, exactly "
        "(default: http://localhost:<http_port>/oauth2callback)",
    ),
    Setting(
        "rcpyramid.canonical_host",
        "RCPYRAMID_CANONICAL_HOST",
        "",
        _text,
        help="host[:port] people must use; others are redirected there "
        "(default: the redirect URI's; 'off' disables)",
    ),
    Setting(
        "rcpyramid.http_port",
        "RCPYRAMID_HTTP_PORT",
        5000,
        _port,
        help="the app's port under pserve; the default redirect URI follows it",
    ),
    Setting(
        "ringcentral.connect_timeout",
        None,
        5.0,
        _positive_float,
        help="seconds to wait for a connection to RingCentral",
    ),
    Setting(
        "ringcentral.read_timeout",
        None,
        20.0,
        _positive_float,
        help="seconds to wait for RingCentral to answer",
    ),
    Setting(
        "ringcentral.max_response_bytes",
        None,
        16 * 1024 * 1024,
        _positive_int,
        help="the largest API answer the app reads from RingCentral",
    ),
    Setting(
        "ringcentral.pool_size",
        None,
        20,
        _positive_int,
        help="HTTP connections kept open to RingCentral per process",
    ),
    Setting(
        "rcpyramid.session.secret",
        "RCPYRAMID_SESSION_SECRET",
        "",
        _text,
        secret=True,
        help="signs the session cookie; development generates one under var/",
    ),
    Setting(
        "rcpyramid.session.cookie_name",
        None,
        "rcpyramid_session",
        _text,
        help="the session cookie's name (production: __Host-rcpyramid)",
    ),
    Setting(
        "rcpyramid.session.cookie_secure",
        None,
        False,
        asbool,
        help="send the session cookie over HTTPS only",
    ),
    Setting(
        "rcpyramid.session.idle_timeout",
        None,
        7200,
        _positive_int,
        help="seconds of inactivity after which a person must sign in again",
    ),
    Setting(
        "rcpyramid.session.absolute_timeout",
        None,
        43200,
        _positive_int,
        help="seconds after sign-in after which a person must sign in again",
    ),
    Setting(
        "rcpyramid.sign_in_timeout",
        None,
        600,
        _positive_int,
        help="seconds a started sign-in may take before its state expires",
    ),
    Setting(
        "rcpyramid.var_dir",
        "RCPYRAMID_VAR_DIR",
        "var",
        _text,
        help="where development keeps generated secrets and the simulator's state",
    ),
    Setting(
        "rcpyramid.timezone",
        "RCPYRAMID_TIMEZONE",
        "UTC",
        _timezone,
        help="the IANA time zone call-log pages show times and take dates in",
    ),
    Setting(
        "rcpyramid.tokens.backend",
        None,
        "rcpyramid.tokens.memory.MemoryTokenRepository",
        _text,
        help="dotted name of the TokenRepository class",
    ),
    Setting(
        "rcpyramid.simulator.host",
        None,
        "localhost",
        _text,
        help="where pserve starts the built-in simulator (only with server_url = simulator)",
    ),
    Setting(
        "rcpyramid.simulator.port",
        "RCPYRAMID_SIMULATOR_PORT",
        5001,
        _port,
        help="the built-in simulator's port",
    ),
    Setting(
        "rcpyramid.simulator.rate_limits",
        None,
        "default",
        _text,
        help="'default' (RingCentral's limits), 'off', or 'Light=50,Medium=40,Heavy=10,Auth=5'",
    ),
    Setting(
        "rcpyramid.simulator.state_file",
        None,
        "",
        _text,
        help="the built-in simulator's codes and tokens (default: var_dir/simulator.json)",
    ),
    # The SQL token repository (rcpyramid.tokens.sqla); the memory backend ignores these.
    Setting(
        "sqlalchemy.url",
        "RCPYRAMID_DATABASE_URL",
        "",
        _text,
        secret=True,
        help="the database of the SQL token backend (development default: "
        "sqlite under var_dir; production: postgresql://...)",
    ),
    Setting(
        "rcpyramid.database.pool_size",
        None,
        20,
        _positive_int,
        help="database connections per process: at least twice the waitress threads",
    ),
    Setting(
        "rcpyramid.database.lock_timeout",
        None,
        30.0,
        _positive_float,
        help="seconds to wait for a login's refresh lock (and SQLite's busy timeout)",
    ),
    Setting(
        "rcpyramid.database.auto_upgrade",
        None,
        False,
        asbool,
        help="run the Alembic migrations at start (development only)",
    ),
    Setting(
        "rcpyramid.database.migrations",
        None,
        "",
        _text,
        help="the Alembic scripts auto_upgrade runs (default: migrations/ of the checkout)",
    ),
    Setting(
        "rcpyramid.tokens.keys",
        "RCPYRAMID_TOKEN_KEYS",
        "",
        _text,
        secret=True,
        help="token encryption keys 'kid:base64url-32-bytes,...', the first encrypts; "
        "development generates one under var/",
    ),
)

_PLACEHOLDER = re.compile(
    r"^$|<.*>|change.?me|replace.?me|placeholder|your[-_ ]|enter[-_ ]|^x+$|^todo$|^secret$",
    re.IGNORECASE,
)
_DEMO_SECRET_HINT = "simulator-demo-secret"  # noqa: S105 - recognised so production refuses it


@dataclass(frozen=True)
class AppSettings:
    """The validated settings the app runs with."""

    environment: str
    server_url: str
    builtin_simulator: bool
    client_id: str
    client_secret: str
    redirect_url: str
    canonical_host: str | None
    http_port: int
    connect_timeout: float
    read_timeout: float
    pool_size: int
    max_response_bytes: int
    session_secret: str
    cookie_name: str
    cookie_secure: bool
    idle_timeout: int
    absolute_timeout: int
    sign_in_timeout: int
    var_dir: Path
    timezone: ZoneInfo
    tokens_backend: str
    simulator_host: str
    simulator_port: int
    simulator_rate_limits: dict[str, int] | None
    simulator_state_file: Path

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def insecure_transport(self) -> bool:
        """True when RingCentral is reached over plain http (a loopback host in development)."""
        return urlsplit(self.server_url).scheme == "http"

    def __repr__(self) -> str:
        return f"AppSettings(environment={self.environment!r}, server_url={self.server_url!r})"


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def raw_value(setting: Setting, ini: Mapping[str, Any], environ: Mapping[str, str]) -> Any:
    """The environment wins over the ini file; an empty environment variable counts as unset."""
    if setting.env and environ.get(setting.env, "").strip():
        return environ[setting.env]
    return ini.get(setting.key, setting.default)


def parse_rate_limits(value: str) -> dict[str, int] | None:
    value = value.strip()
    if value.lower() == "off":
        return None
    if value.lower() in {"", "default"}:
        return {"Light": 50, "Medium": 40, "Heavy": 10, "Auth": 5}
    limits: dict[str, int] = {}
    for part in value.split(","):
        group, _, number = part.partition("=")
        if group.strip() not in {"Light", "Medium", "Heavy", "Auth"}:
            raise ValueError(f"unknown rate-limit group {group.strip()!r}")
        limits[group.strip()] = _positive_int(number)
    return limits


def value_of(key: str, ini: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> Any:
    """One setting, read and parsed as :func:`load` does (for parts that need only a few)."""
    environ = os.environ if environ is None else environ
    setting = next(s for s in TABLE if s.key == key)
    raw = raw_value(setting, ini, environ)
    try:
        return setting.parse(raw) if isinstance(raw, str) else raw
    except ValueError as error:
        raise SettingsError(f"{_where(setting)}: {error}") from error


def where(key: str) -> str:
    """How an error message names a setting: its ini key and its environment variable."""
    return _where(next(s for s in TABLE if s.key == key))


def _where(setting: Setting) -> str:
    if setting.env:
        return f"{setting.key} (or the environment variable {setting.env})"
    return setting.key


def load(ini: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> AppSettings:
    """Read, parse and check every setting; a :class:`SettingsError` names the first bad one."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for setting in TABLE:
        raw = raw_value(setting, ini, environ)
        try:
            values[setting.key] = setting.parse(raw) if isinstance(raw, str) else raw
        except ValueError as error:
            raise SettingsError(f"{_where(setting)}: {error}") from error
    by_key = {setting.key: setting for setting in TABLE}

    def fail(key: str, message: str) -> SettingsError:
        return SettingsError(f"{_where(by_key[key])} {message}")

    environment = values["rcpyramid.environment"]
    production = environment == "production"
    here = Path(ini.get("here", "."))
    var_dir = Path(values["rcpyramid.var_dir"])
    if not var_dir.is_absolute():
        var_dir = here / var_dir

    server_url = values["ringcentral.server_url"].rstrip("/")
    builtin = server_url == BUILTIN_SIMULATOR
    if builtin:
        if production:
            raise fail("ringcentral.server_url", "is 'simulator', which production refuses")
        server_url = (
            f"http://{values['rcpyramid.simulator.host']}:{values['rcpyramid.simulator.port']}"
        )
    _check_url("ringcentral.server_url", server_url, production, fail)
    redirect_url = (
        values["ringcentral.redirect_url"]
        or f"http://localhost:{values['rcpyramid.http_port']}/oauth2callback"
    )
    _check_url("ringcentral.redirect_url", redirect_url, production, fail)

    for key in ("ringcentral.client_id", "ringcentral.client_secret"):
        if _PLACEHOLDER.search(values[key]):
            raise fail(key, "is missing or a placeholder: set the value from your RingCentral app")
    if production and _DEMO_SECRET_HINT in values["ringcentral.client_secret"]:
        raise fail("ringcentral.client_secret", "is the simulator's demo secret")

    session_secret = values["rcpyramid.session.secret"]
    if not session_secret and not production:
        session_secret = devsecrets.load_or_create(var_dir, "session_secret")
    if _PLACEHOLDER.search(session_secret) or len(session_secret) < 32:
        raise fail(
            "rcpyramid.session.secret",
            "is missing, a placeholder or shorter than 32 characters "
            "(make one with: python -c 'import secrets; print(secrets.token_urlsafe(48))')",
        )

    try:
        rate_limits = parse_rate_limits(values["rcpyramid.simulator.rate_limits"])
    except ValueError as error:
        raise fail("rcpyramid.simulator.rate_limits", str(error)) from error
    state_file = values["rcpyramid.simulator.state_file"]

    return AppSettings(
        environment=environment,
        server_url=server_url,
        builtin_simulator=builtin,
        client_id=values["ringcentral.client_id"],
        client_secret=values["ringcentral.client_secret"],
        redirect_url=redirect_url,
        canonical_host=_canonical_host(values["rcpyramid.canonical_host"], redirect_url),
        http_port=values["rcpyramid.http_port"],
        connect_timeout=values["ringcentral.connect_timeout"],
        read_timeout=values["ringcentral.read_timeout"],
        pool_size=values["ringcentral.pool_size"],
        max_response_bytes=values["ringcentral.max_response_bytes"],
        session_secret=session_secret,
        cookie_name=values["rcpyramid.session.cookie_name"],
        cookie_secure=values["rcpyramid.session.cookie_secure"],
        idle_timeout=values["rcpyramid.session.idle_timeout"],
        absolute_timeout=values["rcpyramid.session.absolute_timeout"],
        sign_in_timeout=values["rcpyramid.sign_in_timeout"],
        var_dir=var_dir,
        timezone=values["rcpyramid.timezone"],
        tokens_backend=values["rcpyramid.tokens.backend"],
        simulator_host=values["rcpyramid.simulator.host"],
        simulator_port=values["rcpyramid.simulator.port"],
        simulator_rate_limits=rate_limits,
        simulator_state_file=Path(state_file) if state_file else var_dir / "simulator.json",
    )


def _canonical_host(value: str, redirect_url: str) -> str | None:
    """Where people must reach the app: the sign-in cookie must come back on that host."""
    if value.lower() == "off":
        return None
    return (value or urlsplit(redirect_url).netloc).lower()


def _check_url(
    key: str, url: str, production: bool, fail: Callable[[str, str], SettingsError]
) -> None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise fail(key, f"is not an http(s) URL: {url!r}")
    if parts.scheme == "http":
        if production:
            raise fail(key, f"is plain http ({url}); production needs https")
        if not is_loopback_host(parts.hostname):
            raise fail(key, f"is plain http to {parts.hostname}; http is allowed only to loopback")
