"""What each settings section works out from other rows, and checks one row alone cannot.

Table-driven: :data:`DERIVE` maps a section's name to one function that receives the
section's parsed rows (by field name) and the :class:`~rcpyramid.config.reader.Reader`,
and completes or corrects them in place; the section's dataclass is then built from them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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
from rcpyramid.config.reader import Reader
from rcpyramid.config.table import BUILTIN_SIMULATOR, SettingsError, where
from rcpyramid.routes import WEBHOOK_PATH

#: The development database, under var_dir, when ``sqlalchemy.url`` is empty.
DEVELOPMENT_DATABASE = "rcpyramid.sqlite"

CACHE_BACKENDS = ("dogpile.cache.memory", "dogpile.cache.redis", "dogpile.cache.null")

Derive = Callable[[dict[str, Any], Reader], None]


def _app(values: dict[str, Any], read: Reader) -> None:
    """The canonical host (from the redirect URL unless set) and var_dir made absolute."""
    redirect = read.redirect_url
    canonical = values["canonical_host"]
    # Where people must reach the app: the sign-in cookie must come back on that host.
    if canonical.lower() == "off":
        values["canonical_host"] = None
    else:
        values["canonical_host"] = (canonical or urlsplit(redirect).netloc).lower()
    values["var_dir"] = read.var_dir


def _ringcentral(values: dict[str, Any], read: Reader) -> None:
    """The built-in simulator's address, the redirect URL; URLs and credentials checked."""
    production = read.production
    server_url = values["server_url"].rstrip("/")
    builtin = server_url == BUILTIN_SIMULATOR
    if builtin:
        if production:
            raise fail("ringcentral.server_url", "is 'simulator', which production refuses")
        server_url = f"http://{read('rcpyramid.simulator.host')}:{read('rcpyramid.simulator.port')}"
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


def _session(values: dict[str, Any], read: Reader) -> None:
    """A development secret when none is set; every rotating secret checked."""
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
    values["secrets"] = secrets


def _tokens(values: dict[str, Any], read: Reader) -> None:
    """What a token backend needs from the app section."""
    values.update(production=read.production, var_dir=read.var_dir)


def _database(values: dict[str, Any], read: Reader) -> None:
    """The development database under var_dir when no URL is set."""
    if not values["url"] and not read.production:
        values["url"] = f"sqlite:///{read.var_dir / DEVELOPMENT_DATABASE}"
    values["production"] = read.production


def _simulator(values: dict[str, Any], read: Reader) -> None:
    """The state file under var_dir unless set."""
    state_file = values["state_file"]
    values["state_file"] = Path(state_file) if state_file else read.var_dir / "simulator.json"


def _cache(values: dict[str, Any], read: Reader) -> None:
    """The backend and Redis URL checked, lifetimes parsed, the lock timeout worked out."""
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


def _history(values: dict[str, Any], read: Reader) -> None:
    """The webhook address: the built-in simulator's own, else checked."""
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


def _ops(values: dict[str, Any], read: Reader) -> None:
    """The version file beside the ini unless set; metrics tokens split and checked."""
    here = Path(read.ini.get("here") or os.getcwd())
    values["version_file"] = Path(values["version_file"] or here / "version.json")
    tokens = tuple(part for part in re.split(r"[\s,]+", values["metrics_tokens"]) if part)
    if any(PLACEHOLDER.search(token) or len(token) < 32 for token in tokens):
        raise fail("rcpyramid.metrics.token", "is a placeholder or shorter than 32 characters")
    values["metrics_tokens"] = tokens


#: Each section's derivation, by section name (a section not named takes its rows as read).
DERIVE: dict[str, Derive] = {
    "app": _app,
    "ringcentral": _ringcentral,
    "session": _session,
    "tokens": _tokens,
    "database": _database,
    "simulator": _simulator,
    "cache": _cache,
    "history": _history,
    "ops": _ops,
}
